// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Capability, RevertPreflight, Run } from '../../api/types';
import { deferred, fakeBackend, json } from '../../test/fakeBackend';
import { ALL_CAPABILITIES, renderSystem } from '../../test/renderSystem';
import { RevertDialog, revertNeedsAllTenants, revertOffer, revertProblem } from './RevertDialog';
import { ProblemError } from '../../api/client';

const PREFLIGHT_PATH = 'POST /system/api/ops/runs/9/revert/preflight';
const REVERT_PATH = 'POST /system/api/ops/runs/9/revert';

/** A completed run over all tenants that changed 3 rows, as the server sends it. */
/** A run view; `counts_as_all_tenants` as the server sets it for a run that is not derived
 * (all tenants, or a list or workspace of more than 100) unless `overrides` states it. */
function run(overrides: Partial<Run> = {}): Run {
  const served = {
    id: 9,
    kind: 'run',
    reverts_run_id: null,
    reverted_by: [],
    runbook: 'findings.lifecycle.rebuild',
    runbook_version: 1,
    scope: { kind: 'all_tenants' },
    workspace_id: null,
    status: 'completed',
    outcome: 'succeeded',
    source: 'system_ui',
    initiator: { id: 1, username: 'ada' },
    reason: { code: 'data_repair', text: 'Backfill after the import' },
    preflight_id: 'pf',
    parameters: {},
    planned_at: '2030-01-01T00:00:00Z',
    counts: { total: 4, processed: 4, succeeded: 4, failed: 0, skipped: 0, retrying: 0, cancelled: 0, running: 0, findings_changed: 3, conflicts: 0 },
    progress_percent: 100,
    eta_seconds: null,
    active_seconds: 7,
    options: { max_concurrency: null, failure_budget: null, waves: null, canary_tenant_ids: null },
    pause: null,
    wave: null,
    waiting_for: null,
    throttle: null,
    error_summary: null,
    cancel_reason: null,
    retry_of_run_id: null,
    stalled: null,
    retried_by: [],
    retryable_tenants: 0,
    retry_confirmation: null,
    changes_available: true,
    duration_seconds: 8,
    last_progress_at: '2030-01-01T00:00:09Z',
    created_at: '2030-01-01T00:00:00Z',
    started_at: '2030-01-01T00:00:01Z',
    completed_at: '2030-01-01T00:00:09Z',
    updated_at: '2030-01-01T00:00:09Z',
    ...overrides,
  } as Run;
  const { scope } = served;
  return overrides.counts_as_all_tenants === undefined
    ? { ...served, counts_as_all_tenants: scope.kind === 'all_tenants' || (scope.kind !== 'tenant' && scope.count > 100) }
    : served;
}

/** The finding as it is now (the run wrote `resolved_at`), and as the revert would leave it. */
const ROW = {
  id: 1,
  tenant_id: 2,
  recurrence_key: 'rk-00114',
  severity: 'medium',
  status: 'resolved',
  first_seen_at: '2024-12-31T21:09:00Z',
  times_seen: 18,
  resolved_at: '2025-01-19T02:09:00Z',
  updated_at: '2025-01-19T02:09:00Z',
};

function preflight(overrides: Partial<RevertPreflight> = {}): RevertPreflight {
  return {
    preflight_id: 'rpf-1',
    kind: 'revert',
    reverts_run_id: 9,
    runbook: 'findings.lifecycle.rebuild',
    scope: { kind: 'tenants', tenant_ids: [2, 3], count: 2, retry_of: null, reverts_run_id: 9 },
    planned_at: '2030-01-02T00:00:00Z',
    tenants_in_scope: 2,
    rows_logged: 3,
    rows_to_restore: 1,
    rows_already_restored: 0,
    conflicts: 2,
    sample: [
      {
        finding_id: 1,
        tenant_id: 2,
        tenant_name: 'Acme Tenant 1',
        tenant_external_id: 'tenant-001',
        rules: ['restore'],
        reverts_rules: ['R7'],
        before: ROW,
        after: { ...ROW, resolved_at: null },
      },
    ],
    conflict_sample: [
      {
        finding_id: 3,
        tenant_id: 2,
        tenant_name: 'Acme Tenant 1',
        tenant_external_id: 'tenant-001',
        rules: ['R1', 'R5', 'R6'],
        before: { due_at: null, first_seen_at: null, times_seen: 8 },
        written: { due_at: '2025-01-04T01:19:00Z', first_seen_at: '2025-01-01T01:19:00Z', times_seen: 26 },
        // The instants as SQLite stores them: the same moments, not a change.
        after: { due_at: '2025-01-04T01:19:00+00:00', first_seen_at: '2025-01-01T01:19:00+00:00', times_seen: 30 },
      },
      {
        finding_id: 4,
        tenant_id: 3,
        tenant_name: 'Globex Tenant 2',
        tenant_external_id: 'tenant-002',
        rules: ['R7'],
        before: { resolved_at: null },
        written: { resolved_at: '2025-01-31T18:14:00Z' },
        after: null,
      },
    ],
    confirmation: { required: true, phrase: 'REVERT 2 TENANTS' },
    expires_at: '2030-01-02T00:15:00Z',
    ...overrides,
  };
}

function problem(status: number, body: Record<string, unknown>) {
  return new Response(JSON.stringify({ type: 'about:blank', status, ...body }), {
    status,
    headers: { 'Content-Type': 'application/problem+json' },
  });
}

const STARTED = { ...run({ id: 77, kind: 'revert', reverts_run_id: 9, status: 'queued', outcome: null }), deduplicated: false };

function open(
  served: Run = run(),
  routes: Parameters<typeof fakeBackend>[0] = {},
  capabilities: Capability[] = ALL_CAPABILITIES,
) {
  const backend = fakeBackend({ [PREFLIGHT_PATH]: () => json(200, preflight()), ...routes });
  const onClose = vi.fn();
  const rendered = renderSystem(<RevertDialog run={served} onClose={onClose} />, { path: '/revert', capabilities });
  return { backend, onClose, ...rendered };
}

const dialog = () => screen.getByRole('dialog', { name: 'Revert run #9' });
const startButton = () => within(dialog()).getByRole('button', { name: 'Start revert' }) as HTMLButtonElement;

function fillReason() {
  fireEvent.change(within(dialog()).getByLabelText('Reason code'), { target: { value: 'incident' } });
  fireEvent.change(within(dialog()).getByLabelText('Reason'), { target: { value: '  The rebuild was wrong: undo it  ' } });
}

async function loaded() {
  return screen.findByRole('heading', { name: 'What a revert would do' });
}

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('revertOffer: when the run page offers "Revert…" (docs/spec.md §15)', () => {
  const RUN: Capability[] = ['ops.runs.view', 'ops.runbooks.view', 'ops.runbooks.run'];

  it('offers a completed run that changed rows and kept its change log, to an operator who may start it', () => {
    expect(revertOffer(run(), ALL_CAPABILITIES)).toBe('revert');
    expect(revertOffer(run({ scope: { kind: 'tenant', tenant_id: 5 } }), RUN)).toBe('revert');
  });

  it('does not offer an active run, or one that changed nothing', () => {
    expect(revertOffer(run({ status: 'running' }), ALL_CAPABILITIES)).toBeNull();
    expect(revertOffer(run({ status: 'paused' }), ALL_CAPABILITIES)).toBeNull();
    expect(revertOffer(run({ counts: { ...run().counts, findings_changed: 0 } }), ALL_CAPABILITIES)).toBeNull();
  });

  it('says "purged" for a run whose change log is gone: shown disabled, with why', () => {
    expect(revertOffer(run({ changes_available: false }), ALL_CAPABILITIES)).toBe('purged');
    // Nothing to say to an operator who could not revert it anyway.
    expect(revertOffer(run({ changes_available: false }), ['ops.runs.view'])).toBeNull();
  });

  it('needs ops.runbooks.view (the preflight) and ops.runbooks.run', () => {
    const one = run({ scope: { kind: 'tenant', tenant_id: 5 } });
    expect(revertOffer(one, ['ops.runs.view', 'ops.runbooks.run'])).toBeNull();
    expect(revertOffer(one, ['ops.runs.view', 'ops.runbooks.view'])).toBeNull();
  });

  it('needs ops.runbooks.run_all_tenants for an all-tenants run, or a list or workspace of more than 100', () => {
    expect(revertOffer(run(), RUN)).toBeNull();
    const list = (count: number) => run({ scope: { kind: 'tenants', tenant_ids: [1], count, retry_of: null } });
    expect(revertOffer(list(100), RUN)).toBe('revert');
    expect(revertOffer(list(101), RUN)).toBeNull();
    expect(revertNeedsAllTenants(run({ scope: { kind: 'workspace', workspace_id: 1, count: 250 } }))).toBe(true);
    expect(revertNeedsAllTenants(run({ scope: { kind: 'tenants', tenant_ids: [1], count: 3, retry_of: null, reverts_run_id: 8 } }))).toBe(false);
    // A revert of an all-tenants run counts as all tenants however few its tenants: its redo
    // needs the capability too (the server says so in counts_as_all_tenants).
    expect(
      revertNeedsAllTenants(
        run({ scope: { kind: 'tenants', tenant_ids: [1], count: 3, retry_of: null, reverts_run_id: 8 }, counts_as_all_tenants: true }),
      ),
    ).toBe(true);
  });
});

describe('RevertDialog', () => {
  it('runs the revert preflight as it opens (once), then shows its counts and takes focus there', async () => {
    const held = deferred<Response>();
    const { backend } = open(run(), { [PREFLIGHT_PATH]: () => held.promise });
    expect(dialog().getAttribute('aria-modal')).toBe('true');
    expect(within(dialog()).getByRole('status').textContent).toMatch(/Running the revert preflight of run #9/);
    expect(within(dialog()).queryByRole('button', { name: 'Start revert' })).toBeNull();
    held.resolve(json(200, preflight()));
    const heading = await loaded();
    await waitFor(() => expect(document.activeElement).toBe(heading));
    expect(backend.calls.filter((call) => call.path.endsWith('/revert/preflight'))).toHaveLength(1);
    expect(backend.calls[0]?.method).toBe('POST');

    const counts = within(dialog()).getByTestId('revert-counts');
    const count = (term: string) => within(counts).getByText(term, { selector: 'dt' }).nextElementSibling?.textContent;
    expect(count('Tenants')).toBe('2');
    expect(count('Rows logged')).toBe('3');
    expect(count('Rows to restore')).toBe('1');
    expect(count('Already restored')).toBe('0');
    expect(count('Conflicts')).toBe('2');
    expect(within(dialog()).getByTestId('revert-sentence').textContent).toBe(
      "1 row of run #9's 3 rows would get back the values it overwrote; 2 rows changed by the application since are left alone.",
    );
  });

  it('lists the conflicts: the columns the application changed since ("run wrote X → now Y"), and a deleted row', async () => {
    open();
    await loaded();
    const table = within(dialog()).getByRole('table', { name: 'Conflicts — left alone' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]!.textContent).toContain('#3');
    expect(rows[0]!.textContent).toContain('Acme Tenant 1 (tenant-001)');
    // Only the column that moved: the instants hold what the run wrote, in another form.
    expect(within(rows[0]!).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'times_seen: run wrote 26 → now 30 (before the run: 8)',
    ]);
    expect(rows[1]!.textContent).toContain('Globex Tenant 2 (tenant-002)');
    expect(within(rows[1]!).getByText('Deleted since the run')).toBeTruthy();
  });

  it('shows a sample of the rows to restore: only the columns that change, now → after the revert', async () => {
    open();
    await loaded();
    const table = within(dialog()).getByRole('table', { name: 'Sample of rows to restore' });
    const row = within(table).getAllByRole('row')[1]!;
    expect(row.textContent).toContain('#1');
    expect(row.textContent).toContain('Acme Tenant 1 (tenant-001)');
    expect(within(row).getByText('R7')).toBeTruthy();
    expect(within(row).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'resolved_at: 2025-01-19 02:09:00 UTC → empty',
    ]);
  });

  it('keeps Start disabled until the reason and the exact phrase are given, then sends the revert and opens the new run', async () => {
    const { backend, onClose } = open(run(), { [REVERT_PATH]: () => json(201, STARTED) });
    await loaded();
    expect(startButton().disabled).toBe(true);
    fillReason();
    expect(startButton().disabled).toBe(true);
    const phrase = within(dialog()).getByLabelText(/to confirm/);
    expect(within(dialog()).getByText('REVERT 2 TENANTS', { selector: 'label code' })).toBeTruthy();
    for (const wrong of ['revert 2 tenants', 'REVERT 2 TENANTS ', 'REBUILD 2 TENANTS']) {
      fireEvent.change(phrase, { target: { value: wrong } });
      expect(startButton().disabled).toBe(true);
    }
    fireEvent.change(phrase, { target: { value: 'REVERT 2 TENANTS' } });
    expect(startButton().disabled).toBe(false);
    fireEvent.click(startButton());

    const toast = await screen.findByTestId('toast');
    const post = backend.calls.find((call) => call.path === '/system/api/ops/runs/9/revert');
    expect(post?.method).toBe('POST');
    expect(post?.body).toEqual({
      preflight_id: 'rpf-1',
      reason: { code: 'incident', text: 'The rebuild was wrong: undo it' },
      confirmation: 'REVERT 2 TENANTS',
    });
    expect(within(toast).getByText('Revert queued')).toBeTruthy();
    expect(within(toast).getByRole('link', { name: 'View run #77' }).getAttribute('href')).toBe('/ops/runs/77');
    expect(onClose).toHaveBeenCalled();
    // The new run's page.
    expect(await screen.findByText('Run page')).toBeTruthy();
  });

  it('asks no phrase when the preflight requires none, and sends confirmation null', async () => {
    const { backend } = open(run({ scope: { kind: 'tenant', tenant_id: 2 } }), {
      [PREFLIGHT_PATH]: () => json(200, preflight({ confirmation: { required: false, phrase: null }, tenants_in_scope: 1 })),
      [REVERT_PATH]: () => json(201, STARTED),
    });
    await loaded();
    expect(within(dialog()).queryByLabelText(/to confirm/)).toBeNull();
    fillReason();
    expect(startButton().disabled).toBe(false);
    fireEvent.click(startButton());
    await screen.findByTestId('toast');
    expect(backend.calls.find((call) => call.path.endsWith('/revert'))?.body).toEqual({
      preflight_id: 'rpf-1',
      reason: { code: 'incident', text: 'The rebuild was wrong: undo it' },
      confirmation: null,
    });
  });

  it('sends options: {drift_guard: false} only once the drift guard is unticked, with the other options set', async () => {
    const { backend } = open(run(), { [REVERT_PATH]: () => json(201, STARTED) });
    await loaded();
    fillReason();
    fireEvent.change(within(dialog()).getByLabelText(/to confirm/), { target: { value: 'REVERT 2 TENANTS' } });
    const advanced = within(dialog()).getByRole('button', { name: /^Advanced: concurrency, failure budget, waves, drift guard$/ });
    fireEvent.click(advanced);
    // Canary tenants are a start's: not offered here.
    expect(within(dialog()).queryByLabelText('Canary tenants')).toBeNull();
    const guard = within(dialog()).getByRole('checkbox', { name: 'Drift guard' }) as HTMLInputElement;
    expect(guard.checked).toBe(true);
    expect(document.getElementById(guard.getAttribute('aria-describedby')!.split(' ')[0]!)?.textContent).toBe(
      'Fail a tenant, untouched, when it would restore far more rows than this revert preflight predicted.',
    );
    fireEvent.click(guard);
    expect(guard.checked).toBe(false);
    expect(guard.getAttribute('aria-describedby')).toMatch(/-off/);
    fireEvent.change(within(dialog()).getByLabelText('Max concurrency'), { target: { value: '2' } });
    fireEvent.click(advanced);
    expect(advanced.textContent).toMatch(/\(2 set\)$/);
    fireEvent.click(startButton());
    await screen.findByTestId('toast');
    expect(backend.calls.find((call) => call.path.endsWith('/revert'))?.body).toMatchObject({
      options: { max_concurrency: 2, drift_guard: false },
    });
  });

  it('offers "Start anyway" when nothing is left to restore, and sends allow_no_changes only when ticked', async () => {
    const { backend } = open(run(), {
      [PREFLIGHT_PATH]: () =>
        json(200, preflight({ rows_to_restore: 0, rows_already_restored: 1, sample: [], confirmation: { required: false, phrase: null } })),
      [REVERT_PATH]: () => json(201, STARTED),
    });
    await loaded();
    expect(within(dialog()).getByTestId('revert-sentence').textContent).toMatch(
      /^Nothing to restore: no row of run #9 still holds what it wrote; 1 row holds them again already; 2 rows changed by the application since are left alone\.$/,
    );
    expect(within(dialog()).getByText('No row to restore.')).toBeTruthy();
    fillReason();
    expect(startButton().disabled).toBe(true);
    fireEvent.click(within(dialog()).getByRole('checkbox', { name: /^Start anyway/ }));
    expect(startButton().disabled).toBe(false);
    fireEvent.click(startButton());
    await screen.findByTestId('toast');
    expect(backend.calls.find((call) => call.path.endsWith('/revert'))?.body).toMatchObject({ allow_no_changes: true });
  });

  it('says a purged change log (410) in the dialog, with nothing to start', async () => {
    open(run(), {
      [PREFLIGHT_PATH]: () =>
        problem(410, {
          title: 'Gone',
          code: 'change_log_expired',
          detail: "run #9's change log has been purged (it is kept CHANGE_LOG_RETENTION_DAYS after the run completes): it can no longer be reverted",
        }),
    });
    const alert = await within(dialog()).findByRole('alert');
    expect(alert.textContent).toMatch(/^The change log of run #9 has been purged/);
    expect(within(dialog()).queryByRole('button', { name: 'Start revert' })).toBeNull();
    expect(within(dialog()).queryByRole('button', { name: 'Try again' })).toBeNull();
    // Focus stays in the dialog, on what can be done.
    expect(document.activeElement).toBe(within(dialog()).getByRole('button', { name: 'Close' }));
  });

  it("says a run that cannot be reverted (409 invalid_state) in the server's words, as a sentence", async () => {
    open(run(), {
      [PREFLIGHT_PATH]: () =>
        problem(409, { title: 'Conflict', code: 'invalid_state', detail: 'run #9 changed no row: there is nothing to revert' }),
    });
    const alert = await within(dialog()).findByRole('alert');
    expect(alert.textContent).toBe('Run #9 changed no row: there is nothing to revert.');
  });

  it('offers "Try again" after a preflight that failed for a passing reason', async () => {
    let calls = 0;
    open(run(), {
      [PREFLIGHT_PATH]: () => (calls++ === 0 ? problem(503, { title: 'Service Unavailable' }) : json(200, preflight())),
    });
    const again = await within(dialog()).findByRole('button', { name: 'Try again' });
    expect(within(dialog()).getByRole('alert').textContent).toMatch(/server/);
    await waitFor(() => expect(document.activeElement).toBe(again));
    fireEvent.click(again);
    await loaded();
  });

  it('says a stale preflight (422 preflight_stale) once, and re-runs the preflight on request', async () => {
    const stale = 'preflight is stale: it has expired; run a new preflight';
    let preflights = 0;
    const { backend } = open(run(), {
      [PREFLIGHT_PATH]: () => json(200, preflight({ preflight_id: `rpf-${++preflights}` })),
      [REVERT_PATH]: () =>
        problem(422, { title: 'Unprocessable Entity', code: 'preflight_stale', detail: stale, errors: { preflight_id: [stale] } }),
    });
    await loaded();
    fillReason();
    fireEvent.change(within(dialog()).getByLabelText(/to confirm/), { target: { value: 'REVERT 2 TENANTS' } });
    fireEvent.click(startButton());
    const alert = await within(dialog()).findByRole('alert');
    expect(alert.textContent).toContain(stale);
    expect(dialog().textContent?.split(stale).length).toBe(2);
    expect(startButton().disabled).toBe(true);
    fireEvent.click(within(alert).getByRole('button', { name: 'Re-run preflight' }));
    await waitFor(() => expect(preflights).toBe(2));
    await waitFor(() => expect(within(dialog()).queryByRole('alert')).toBeNull());
    // The reason and the phrase are kept: the new preflight starts at once.
    expect(startButton().disabled).toBe(false);
    fireEvent.click(startButton());
    await waitFor(() =>
      expect(backend.calls.filter((call) => call.path.endsWith('/revert')).map((call) => (call.body as { preflight_id: string }).preflight_id)).toEqual([
        'rpf-1',
        'rpf-2',
      ]),
    );
  });

  it('points to the active run on 409 overlap and keeps Start disabled', async () => {
    open(run(), {
      [REVERT_PATH]: () =>
        problem(409, { title: 'Conflict', code: 'overlap', detail: 'an active run (#12) overlaps this scope', active_run_id: 12 }),
    });
    await loaded();
    fillReason();
    fireEvent.change(within(dialog()).getByLabelText(/to confirm/), { target: { value: 'REVERT 2 TENANTS' } });
    fireEvent.click(startButton());
    const alert = await within(dialog()).findByRole('alert');
    expect(alert.textContent).toMatch(/is active over some of these tenants/);
    expect(within(alert).getByRole('link', { name: 'View active run #12' }).getAttribute('href')).toBe('/ops/runs/12');
    expect(startButton().disabled).toBe(true);
    expect(screen.queryByTestId('toast')).toBeNull();
  });

  it("says the server's refusal of the phrase beside it, once, and focuses it", async () => {
    const refusal = 'type the phrase exactly: REVERT 2 TENANTS';
    open(run(), {
      [REVERT_PATH]: () =>
        problem(422, { title: 'Unprocessable Entity', code: 'validation', detail: refusal, errors: { confirmation: [refusal] } }),
    });
    await loaded();
    fillReason();
    const phrase = within(dialog()).getByLabelText(/to confirm/);
    fireEvent.change(phrase, { target: { value: 'REVERT 2 TENANTS' } });
    fireEvent.click(startButton());
    expect(await within(dialog()).findByText(refusal)).toBeTruthy();
    expect(within(dialog()).getAllByText(refusal)).toHaveLength(1);
    expect(within(dialog()).queryByRole('alert')).toBeNull();
    expect(document.activeElement).toBe(phrase);
  });

  it('keeps Start disabled, saying why, when the revert needs run_all_tenants the operator lacks', async () => {
    // A revert of a revert run of an all-tenants run: its view reads as 2 tenants, its preflight
    // asks for the phrase.
    open(
      run({ kind: 'revert', reverts_run_id: 8, scope: { kind: 'tenants', tenant_ids: [2, 3], count: 2, retry_of: null, reverts_run_id: 8 } }),
      {},
      ['ops.runs.view', 'ops.runbooks.view', 'ops.runbooks.run'],
    );
    await loaded();
    expect(within(dialog()).getByText(/needs the/).textContent).toMatch(/ops\.runbooks\.run_all_tenants capability \(it covers all tenants\)/);
    fillReason();
    fireEvent.change(within(dialog()).getByLabelText(/to confirm/), { target: { value: 'REVERT 2 TENANTS' } });
    expect(startButton().disabled).toBe(true);
  });
});

describe('revertProblem', () => {
  it('words 410, 409 and 404, and leaves an overlap to the dialog', () => {
    expect(revertProblem(9, new ProblemError(410, { status: 410 }))).toMatch(/^The change log of run #9 has been purged \(it is kept/);
    expect(revertProblem(9, new ProblemError(409, { status: 409, detail: 'run #9 has not completed yet: only a completed run can be reverted' }))).toBe(
      'Run #9 has not completed yet: only a completed run can be reverted.',
    );
    expect(revertProblem(9, new ProblemError(409, { status: 409 }))).toBe('Run #9 cannot be reverted now.');
    expect(revertProblem(9, new ProblemError(404, { status: 404 }))).toBe('Run #9 does not exist (any more).');
  });
});
