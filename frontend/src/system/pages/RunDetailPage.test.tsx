// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Capability, PauseView, RunOptions } from '../../api/types';
import { deferred, fakeBackend, json } from '../../test/fakeBackend';
import { ALL_CAPABILITIES, renderSystem } from '../../test/renderSystem';
import { RunDetailPage } from './RunDetailPage';

// Same stop rule as production, at 40 ms instead of 2 s so the test runs in real time.
vi.mock('../../lib/polling', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../lib/polling')>();
  return {
    ...original,
    refetchIntervalFor: (run: Parameters<typeof original.refetchIntervalFor>[0]) =>
      original.refetchIntervalFor(run) === false ? false : 40,
  };
});

/** A run started without options, as the server sends it. */
const NO_OPTIONS = { max_concurrency: null, failure_budget: null, waves: null, canary_tenant_ids: null };

function run(status: 'queued' | 'running' | 'paused' | 'completed', processed: number) {
  return {
    id: 9,
    kind: 'run' as 'run' | 'revert',
    reverts_run_id: null as number | null,
    reverted_by: [] as { id: number; outcome: string | null }[],
    runbook: 'findings.lifecycle.rebuild',
    runbook_version: 1,
    scope: { kind: 'all_tenants' },
    workspace_id: null,
    status,
    outcome: status === 'completed' ? 'succeeded' : null,
    source: 'system_ui',
    initiator: { id: 1, username: 'ada' },
    reason: { code: 'data_repair', text: 'Backfill after the import' },
    preflight_id: 'pf',
    parameters: {},
    planned_at: '2030-01-01T00:00:00Z',
    counts: { total: 4, processed, succeeded: processed, failed: 0, skipped: 0, retrying: 0, cancelled: 0, running: 0, findings_changed: 3, conflicts: 0 },
    progress_percent: (processed / 4) * 100,
    eta_seconds: status === 'completed' || status === 'paused' ? null : 5,
    active_seconds: 7,
    options: NO_OPTIONS as RunOptions,
    pause: null as PauseView | null,
    wave: null as { current: number; of: number } | null,
    waiting_for: null as { reason: 'workers' | 'paused' | 'capped' | 'wave_gate'; jobs_ahead: number | null } | null,
    error_summary: null,
    cancel_reason: null,
    retry_of_run_id: null,
    stalled: null,
    retried_by: [],
    retryable_tenants: 0,
    retry_confirmation: null as { required: boolean; phrase: string } | null,
    changes_available: true,
    duration_seconds: status === 'completed' ? 8 : null,
    created_at: '2030-01-01T00:00:00Z',
    started_at: '2030-01-01T00:00:01Z',
    completed_at: status === 'completed' ? '2030-01-01T00:00:09Z' : null,
    updated_at: '2030-01-01T00:00:09Z',
  };
}

const ITEMS = {
  items: [
    {
      id: 1,
      tenant_id: 5,
      tenant_external_id: 'tenant-005',
      tenant_name: 'Acme Tenant 5',
      status: 'failed',
      attempts: 3,
      findings_examined: 10,
      findings_changed: 0,
      changes_by_rule: null,
      error: 'lease expired',
      error_sqlstate: null,
      next_attempt_at: null,
      started_at: null,
      completed_at: null,
      duration_seconds: null,
    },
  ],
  page: 1,
  per_page: 100,
  total: 1,
};

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('RunDetailPage polling', () => {
  it('polls while the run is active and stops once it is completed', async () => {
    const states = [run('queued', 0), run('running', 2), run('completed', 4)];
    let served = 0;
    const backend = fakeBackend({
      'GET /system/api/ops/runs/9': () => json(200, states[Math.min(served++, states.length - 1)]),
      'GET /system/api/ops/runs/9/items': () => json(200, ITEMS),
      'GET /system/api/ops/runs/9/timeline': () => json(200, []),
    });
    const { queryClient } = renderSystem(<RunDetailPage />, {
      path: '/ops/runs/9',
      route: '/ops/runs/:id',
    });
    const invalidate = vi.spyOn(queryClient, 'invalidateQueries');

    expect(await screen.findByText('Succeeded', { selector: '.run-status .badge' }, { timeout: 2000 })).toBeTruthy();
    const runCalls = () => backend.calls.filter((call) => call.path === '/system/api/ops/runs/9').length;
    expect(runCalls()).toBe(3);

    // Ten more intervals: no further request for the run.
    await new Promise((wait) => setTimeout(wait, 400));
    expect(runCalls()).toBe(3);
    expect(screen.getByRole('progressbar', { name: 'Run progress' }).getAttribute('value')).toBe('100');
    // Completion refreshes the bell at once rather than on its next 15 s poll.
    expect(invalidate).toHaveBeenCalledWith({ queryKey: ['notifications'] });
    // Failed items come with their error.
    await waitFor(() => expect(screen.getByText('lease expired')).toBeTruthy());
    // The polite live region said the completion (issue 16, obs. 11), not each poll.
    const announcer = screen.getByTestId('run-announcer');
    expect(announcer.getAttribute('aria-live')).toBe('polite');
    expect(announcer.textContent).toBe('Run #9 completed: Succeeded. 4 of 4 tenants processed, 0 failed.');
  });

  it('fetches the items right after each poll of the run view, never on a timer of their own', async () => {
    // The second poll hangs: meanwhile nothing refreshes the items, so the table cannot get
    // ahead of the count cards; each answered poll is followed by one items request.
    const held = deferred<Response>();
    const states = [run('running', 1), run('running', 2), run('completed', 4)];
    let served = 0;
    const backend = fakeBackend({
      'GET /system/api/ops/runs/9': () => {
        const index = served++;
        return index === 1 ? held.promise : json(200, states[Math.min(index, states.length - 1)]);
      },
      'GET /system/api/ops/runs/9/items': () => json(200, ITEMS),
      'GET /system/api/ops/runs/9/timeline': () => json(200, []),
    });
    renderSystem(<RunDetailPage />, { path: '/ops/runs/9', route: '/ops/runs/:id' });
    const sequence = () =>
      backend.calls
        .map((call) => call.path)
        .filter((path) => path === '/system/api/ops/runs/9' || path === '/system/api/ops/runs/9/items')
        .map((path) => (path.endsWith('/items') ? 'items' : 'run'));

    await waitFor(() => expect(sequence()).toEqual(['run', 'items', 'run']));
    await new Promise((wait) => setTimeout(wait, 300));
    expect(sequence()).toEqual(['run', 'items', 'run']);

    held.resolve(json(200, states[1]));
    expect(await screen.findByText('Succeeded', { selector: '.run-status .badge' }, { timeout: 2000 })).toBeTruthy();
    await new Promise((wait) => setTimeout(wait, 300));
    expect(sequence()).toEqual(['run', 'items', 'run', 'items', 'run', 'items']);
  });

  it('offers cancel only with ops.runs.cancel and while the run is active', async () => {
    fakeBackend({
      'GET /system/api/ops/runs/9': () => json(200, run('running', 1)),
      'GET /system/api/ops/runs/9/items': () => json(200, ITEMS),
      'GET /system/api/ops/runs/9/timeline': () => json(200, []),
    });
    renderSystem(<RunDetailPage />, {
      path: '/ops/runs/9',
      route: '/ops/runs/:id',
      capabilities: ['ops.runs.view'],
    });
    expect(await screen.findByText('Running', { selector: '.run-status .badge' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: /Cancel run/ })).toBeNull();
  });
});

describe('RunDetailPage items', () => {
  it("opens an item's attempts under its row with a disclosure button, and closes them again", async () => {
    const backend = fakeBackend({
      'GET /system/api/ops/runs/9': () => json(200, run('completed', 4)),
      'GET /system/api/ops/runs/9/items': () =>
        json(200, {
          ...ITEMS,
          items: [
            { ...ITEMS.items[0], status: 'succeeded', error: null, attempts: 2, duration_seconds: 65 },
            { ...ITEMS.items[0], id: 2, tenant_id: 6, tenant_external_id: 'tenant-006', status: 'pending', attempts: 0 },
          ],
        }),
      'GET /system/api/ops/runs/9/timeline': () => json(200, []),
      'GET /system/api/ops/runs/9/items/1/attempts': () =>
        json(200, {
          items: [
            { attempt: 1, started_at: '2030-01-01T00:00:01Z', finished_at: '2030-01-01T00:00:02Z', error: 'deadlock detected', error_sqlstate: '40P01', worker: 'w pid 1 worker 0' },
            { attempt: 2, started_at: '2030-01-01T00:00:04Z', finished_at: '2030-01-01T00:01:09Z', error: null, error_sqlstate: null, worker: 'w pid 1 worker 1' },
          ],
        }),
    });
    renderSystem(<RunDetailPage />, { path: '/ops/runs/9', route: '/ops/runs/:id', capabilities: ['ops.runs.view'] });
    const toggle = await screen.findByRole('button', { name: 'Attempts (2)' });
    // Its duration is its last attempt's, as the server says.
    expect(toggle.closest('tr')?.textContent).toContain('1m 5s');
    // An item that has not run yet has no attempts to show.
    expect(screen.getAllByRole('button', { name: /^Attempts/ })).toHaveLength(1);
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(backend.calls.some((call) => call.path.endsWith('/attempts'))).toBe(false);

    toggle.focus();
    expect(document.activeElement).toBe(toggle);
    fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    const panel = document.getElementById(toggle.getAttribute('aria-controls') ?? '');
    expect(panel).not.toBeNull();
    const list = await within(panel as HTMLElement).findByRole('list', { name: /^Attempts of Acme Tenant 5/ });
    expect(within(list).getAllByRole('listitem')).toHaveLength(2);
    expect(list.textContent).toContain('deadlock detected (SQLSTATE 40P01)');
    // The list spans the table under the item's own row.
    expect(panel?.closest('td')?.getAttribute('colspan')).toBe('9');
    expect(panel?.closest('tr')?.previousElementSibling).toBe(toggle.closest('tr'));

    fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(screen.queryByRole('list', { name: /^Attempts of/ })).toBeNull();
    expect(backend.unexpected).toEqual([]);
  });
});

describe('RunDetailPage parameters', () => {
  const STALE_RUN = {
    ...run('completed', 4),
    runbook: 'findings.stale.close',
    parameters: { last_seen_before: '2026-10-31T00:00:00Z', severities: ['high', 'critical'] },
    planned_at: '2026-11-30T20:12:51.820513Z',
  };
  const STALE_ITEMS = {
    ...ITEMS,
    items: [{ ...ITEMS.items[0], status: 'succeeded', error: null, findings_changed: 3, changes_by_rule: { S1: 3 } }],
  };
  const RUNBOOK = {
    key: 'findings.stale.close',
    title: 'Close Stale Findings',
    description: 'Closes stale findings.',
    version: 1,
    allowed_scopes: ['tenant', 'all_tenants'],
    run_on_deploy: false,
    rules: ['S1'],
    rule_details: [{ key: 'S1', name: 'close_stale', description: 'stale open findings are closed' }],
    parameters: {
      type: 'object',
      properties: {
        last_seen_before: { type: 'string', format: 'date-time' },
        severities: { type: 'array', items: { type: 'string', enum: ['low', 'medium', 'high', 'critical'] } },
      },
    },
    confirmation_verb: 'CLOSE STALE IN',
    active_run: null,
    active_runs: [],
    last_run: null,
  };

  function details() {
    return screen.getByRole('heading', { name: 'Details' }).nextElementSibling as HTMLElement;
  }
  function detail(term: string) {
    return within(details()).getByText(term, { selector: 'dt' }).nextElementSibling?.textContent;
  }

  it("shows the run's parameters, planned_at and rule names from the runbook", async () => {
    const backend = fakeBackend({
      'GET /system/api/ops/runs/9': () => json(200, STALE_RUN),
      'GET /system/api/ops/runs/9/items': () => json(200, STALE_ITEMS),
      'GET /system/api/ops/runs/9/timeline': () => json(200, []),
      'GET /system/api/ops/runbooks/findings.stale.close': () => json(200, RUNBOOK),
    });
    renderSystem(<RunDetailPage />, { path: '/ops/runs/9', route: '/ops/runs/:id' });
    await screen.findByRole('link', { name: 'Close Stale Findings' });
    expect(detail('Last seen before')).toBe('2026-10-31 00:00:00 UTC');
    expect(detail('Severities')).toBe('high, critical');
    expect(detail('Planned at')).toBe('2026-11-30 20:12:51 UTC');
    expect((await screen.findByText('S1: 3')).getAttribute('title')).toBe('S1 close_stale');
    expect(backend.unexpected).toEqual([]);
  });

  it('reads them without the runbook for an operator who may not view runbooks, and hides {}', async () => {
    const backend = fakeBackend({
      'GET /system/api/ops/runs/9': () => json(200, STALE_RUN),
      'GET /system/api/ops/runs/9/items': () => json(200, STALE_ITEMS),
      'GET /system/api/ops/runs/9/timeline': () => json(200, []),
    });
    renderSystem(<RunDetailPage />, { path: '/ops/runs/9', route: '/ops/runs/:id', capabilities: ['ops.runs.view'] });
    await screen.findByText('Succeeded', { selector: '.run-status .badge' });
    expect(detail('Last seen before')).toBe('2026-10-31 00:00:00 UTC');
    expect(detail('Severities')).toBe('high, critical');
    expect(backend.calls.some((call) => call.path.includes('/ops/runbooks/'))).toBe(false);
    cleanup();

    fakeBackend({
      'GET /system/api/ops/runs/9': () => json(200, { ...run('completed', 4), parameters: {}, planned_at: null }),
      'GET /system/api/ops/runs/9/items': () => json(200, ITEMS),
      'GET /system/api/ops/runs/9/timeline': () => json(200, []),
    });
    renderSystem(<RunDetailPage />, { path: '/ops/runs/9', route: '/ops/runs/:id', capabilities: ['ops.runs.view'] });
    await screen.findByText('Succeeded', { selector: '.run-status .badge' });
    expect(within(details()).queryByText('Parameters')).toBeNull();
    expect(within(details()).queryByText('Planned at')).toBeNull();
  });
});

/** A run with `failed` failed tenants, over all tenants or one. */
/**
 * `served` with `counts_as_all_tenants` as the server sets it for a run that is not derived from
 * another (docs/spec.md §21): all tenants, or a list or workspace of more than 100; a fixture of a
 * derived run states it.
 */
function asServed<T extends object>(served: T): T {
  const run = served as { scope?: { kind: string; count?: number }; counts_as_all_tenants?: boolean };
  if (run.counts_as_all_tenants !== undefined || !run.scope) return served;
  const { kind, count = 0 } = run.scope;
  return { ...served, counts_as_all_tenants: kind === 'all_tenants' || (kind !== 'tenant' && count > 100) };
}

function withFailures(
  status: 'running' | 'completed',
  failed: number,
  scope: { kind: 'all_tenants' } | { kind: 'tenant'; tenant_id: number } = { kind: 'all_tenants' },
) {
  const base = run(status, status === 'completed' ? 4 : 2);
  return {
    ...base,
    scope,
    outcome: status === 'completed' ? (failed > 0 ? 'partially_succeeded' : 'succeeded') : null,
    counts: { ...base.counts, succeeded: base.counts.processed - failed, failed },
    retryable_tenants: status === 'completed' ? failed : 0,
    // What the server computes (docs/spec.md §21): a phrase for a retry of an all-tenants run.
    retry_confirmation:
      status === 'completed' && failed > 0
        ? { required: scope.kind === 'all_tenants', phrase: `REBUILD ${failed} TENANTS` }
        : null,
  };
}

function problemResponse(status: number, body: Record<string, unknown>) {
  return new Response(JSON.stringify({ type: 'about:blank', status, ...body }), {
    status,
    headers: { 'Content-Type': 'application/problem+json' },
  });
}

async function showRun(
  served: ReturnType<typeof withFailures>,
  capabilities: Capability[] = ALL_CAPABILITIES,
  extra: Parameters<typeof fakeBackend>[0] = {},
) {
  const backend = fakeBackend({
    'GET /system/api/ops/runs/9': () => json(200, asServed(served)),
    'GET /system/api/ops/runs/9/items': () => json(200, ITEMS),
      'GET /system/api/ops/runs/9/timeline': () => json(200, []),
    ...extra,
  });
  renderSystem(<RunDetailPage />, { path: '/ops/runs/9', route: '/ops/runs/:id', capabilities });
  await screen.findByText(served.status === 'completed' ? 'Partially succeeded' : 'Running', {
    selector: '.run-status .badge',
  });
  return backend;
}

const retryButton = () => screen.queryByRole('button', { name: 'Retry failed tenants…' });
const RUN_ONLY: Capability[] = ['ops.runs.view', 'ops.runbooks.view', 'ops.runbooks.run'];

function openRetry() {
  fireEvent.click(retryButton()!);
  const dialog = screen.getByRole('dialog', { name: 'Retry failed tenants' });
  const confirm = within(dialog).getByRole('button', { name: 'Retry failed tenants' }) as HTMLButtonElement;
  return { dialog, confirm };
}

function fillReason(dialog: HTMLElement) {
  fireEvent.change(within(dialog).getByLabelText('Reason code'), { target: { value: 'incident' } });
  fireEvent.change(within(dialog).getByLabelText('Reason'), { target: { value: '  Retry after the outage  ' } });
}

describe('RunDetailPage retry failed tenants', () => {
  it('is offered for a completed all-tenants run with failures and both run capabilities', async () => {
    await showRun(withFailures('completed', 2));
    expect(retryButton()).toBeTruthy();
  });

  it('is not offered while the run is still active', async () => {
    await showRun(withFailures('running', 1));
    expect(retryButton()).toBeNull();
  });

  it('is not offered when nothing failed', async () => {
    fakeBackend({
      'GET /system/api/ops/runs/9': () => json(200, withFailures('completed', 0)),
      'GET /system/api/ops/runs/9/items': () => json(200, ITEMS),
      'GET /system/api/ops/runs/9/timeline': () => json(200, []),
    });
    renderSystem(<RunDetailPage />, { path: '/ops/runs/9', route: '/ops/runs/:id' });
    await screen.findByText('Succeeded', { selector: '.run-status .badge' });
    expect(retryButton()).toBeNull();
  });

  it('is not offered without ops.runbooks.run', async () => {
    await showRun(withFailures('completed', 2, { kind: 'tenant', tenant_id: 5 }), [
      'ops.runs.view',
      'ops.runbooks.run_all_tenants',
    ]);
    expect(retryButton()).toBeNull();
  });

  it('needs ops.runbooks.run_all_tenants for an all-tenants run only', async () => {
    await showRun(withFailures('completed', 2), RUN_ONLY);
    expect(retryButton()).toBeNull();
    cleanup();
    await showRun(withFailures('completed', 1, { kind: 'tenant', tenant_id: 5 }), RUN_ONLY);
    expect(retryButton()).toBeTruthy();
  });

  it('keeps confirm disabled until reason and the exact phrase are given, then POSTs and toasts', async () => {
    const backend = await showRun(withFailures('completed', 2), ALL_CAPABILITIES, {
      'POST /system/api/ops/runs/9/retry-failed': () =>
        json(201, { ...withFailures('completed', 0), id: 77, status: 'queued', retry_of_run_id: 9, deduplicated: false }),
    });
    const { dialog, confirm } = openRetry();
    expect(confirm.disabled).toBe(true);

    // A reason that is too short keeps it disabled.
    fireEvent.change(within(dialog).getByLabelText('Reason code'), { target: { value: 'incident' } });
    fireEvent.change(within(dialog).getByLabelText('Reason'), { target: { value: 'too short' } });
    expect(confirm.disabled).toBe(true);
    fillReason(dialog);
    expect(confirm.disabled).toBe(true);

    const phrase = within(dialog).getByLabelText(/to confirm/);
    expect(within(dialog).getByText('REBUILD 2 TENANTS', { selector: 'code' })).toBeTruthy();
    for (const wrong of ['rebuild 2 tenants', 'REBUILD 2 TENANTS ', ' REBUILD 2 TENANTS', 'REBUILD 4 TENANTS']) {
      fireEvent.change(phrase, { target: { value: wrong } });
      expect(confirm.disabled).toBe(true);
    }
    fireEvent.change(phrase, { target: { value: 'REBUILD 2 TENANTS' } });
    expect(confirm.disabled).toBe(false);
    fireEvent.click(confirm);

    const toast = await screen.findByTestId('toast');
    const post = backend.calls.find((call) => call.method === 'POST');
    expect(post?.path).toBe('/system/api/ops/runs/9/retry-failed');
    expect(post?.headers.get('Content-Type')).toBe('application/json');
    expect(post?.body).toEqual({
      reason: { code: 'incident', text: 'Retry after the outage' },
      confirmation: 'REBUILD 2 TENANTS',
    });
    expect(within(toast).getByText('Run queued')).toBeTruthy();
    expect(within(toast).getByRole('link', { name: 'View run #77' }).getAttribute('href')).toBe('/ops/runs/77');
    expect(toast.textContent).not.toMatch(/%|\d+ of \d+|running|succeeded|remaining/i);
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('sends confirmation null and asks for no phrase for a one-tenant run', async () => {
    const backend = await showRun(withFailures('completed', 1, { kind: 'tenant', tenant_id: 5 }), RUN_ONLY, {
      'POST /system/api/ops/runs/9/retry-failed': () =>
        json(201, { ...withFailures('completed', 0), id: 78, status: 'queued', deduplicated: false }),
    });
    const { dialog, confirm } = openRetry();
    expect(within(dialog).queryByLabelText(/to confirm/)).toBeNull();
    fillReason(dialog);
    expect(confirm.disabled).toBe(false);
    fireEvent.click(confirm);
    await screen.findByTestId('toast');
    expect(backend.calls.find((call) => call.method === 'POST')?.body).toEqual({
      reason: { code: 'incident', text: 'Retry after the outage' },
      confirmation: null,
    });
  });

  it("asks for the server's phrase of a Close Stale run, enables confirm once it is typed, and sends it", async () => {
    const backend = await showRun(
      { ...withFailures('completed', 2), runbook: 'findings.stale.close', retry_confirmation: { required: true, phrase: 'CLOSE STALE IN 2 TENANTS' } },
      ALL_CAPABILITIES,
      {
        'POST /system/api/ops/runs/9/retry-failed': () =>
          json(201, { ...withFailures('completed', 0), id: 79, status: 'queued', deduplicated: false }),
      },
    );
    const { dialog, confirm } = openRetry();
    fillReason(dialog);
    expect(within(dialog).getByText('CLOSE STALE IN 2 TENANTS', { selector: 'code' })).toBeTruthy();
    const phrase = within(dialog).getByLabelText(/to confirm/);
    fireEvent.change(phrase, { target: { value: 'REBUILD 2 TENANTS' } });
    expect(confirm.disabled).toBe(true);
    fireEvent.change(phrase, { target: { value: 'CLOSE STALE IN 2 TENANTS' } });
    expect(confirm.disabled).toBe(false);
    fireEvent.click(confirm);
    await screen.findByTestId('toast');
    expect(backend.calls.find((call) => call.method === 'POST')?.body).toEqual({
      reason: { code: 'incident', text: 'Retry after the outage' },
      confirmation: 'CLOSE STALE IN 2 TENANTS',
    });
  });

  it('asks for the phrase of a retry of a retry, whose scope is its tenants', async () => {
    const backend = await showRun(
      {
        ...withFailures('completed', 1),
        scope: { kind: 'tenants', tenant_ids: [5, 6], count: 2, retry_of: 8 },
        retry_of_run_id: 8,
        retry_confirmation: { required: true, phrase: 'REBUILD 1 TENANTS' },
      } as unknown as ReturnType<typeof withFailures>,
      ALL_CAPABILITIES,
      {
        'POST /system/api/ops/runs/9/retry-failed': () =>
          json(201, { ...withFailures('completed', 0), id: 80, status: 'queued', deduplicated: false }),
      },
    );
    const { dialog, confirm } = openRetry();
    fillReason(dialog);
    expect(confirm.disabled).toBe(true);
    fireEvent.change(within(dialog).getByLabelText(/to confirm/), { target: { value: 'REBUILD 1 TENANTS' } });
    expect(confirm.disabled).toBe(false);
    fireEvent.click(confirm);
    await screen.findByTestId('toast');
    expect(backend.calls.find((call) => call.method === 'POST')?.body).toMatchObject({ confirmation: 'REBUILD 1 TENANTS' });
  });

  it('offers a retry of a short retry without run_all_tenants: it retries its own listed tenants (docs/spec.md §21)', async () => {
    await showRun(
      {
        ...withFailures('completed', 1),
        scope: { kind: 'tenants', tenant_ids: [5], count: 1, retry_of: 8 },
        retry_confirmation: { required: true, phrase: 'REBUILD 1 TENANTS' },
      } as unknown as ReturnType<typeof withFailures>,
      RUN_ONLY,
    );
    expect(retryButton()).not.toBeNull();
  });

  it('needs ops.runbooks.run_all_tenants to retry an all-tenants run, or a retry of more than 100 tenants', async () => {
    await showRun(withFailures('completed', 2), RUN_ONLY);
    expect(retryButton()).toBeNull();
    cleanup();
    await showRun(
      {
        ...withFailures('completed', 1),
        scope: { kind: 'tenants', tenant_ids: [5], count: 150, retry_of: 8 },
        retry_confirmation: { required: true, phrase: 'REBUILD 1 TENANTS' },
      } as unknown as ReturnType<typeof withFailures>,
      RUN_ONLY,
    );
    expect(retryButton()).toBeNull();
  });

  it('offers the retry of a short list run without run_all_tenants, with its phrase (docs/spec.md §21)', async () => {
    await showRun(
      {
        ...withFailures('completed', 2),
        scope: { kind: 'tenants', tenant_ids: [5, 6, 7], count: 3, retry_of: null },
        retry_confirmation: { required: true, phrase: 'REBUILD 2 TENANTS' },
      } as unknown as ReturnType<typeof withFailures>,
      RUN_ONLY,
    );
    const { dialog } = openRetry();
    expect(within(dialog).getByText('REBUILD 2 TENANTS', { selector: 'label code' })).toBeTruthy();
    expect(dialog.textContent).toContain('This retries 2 tenants of a run over 3 listed tenants.');
  });

  it('needs ops.runbooks.run_all_tenants to retry a list or workspace of more than 100 tenants', async () => {
    await showRun(
      {
        ...withFailures('completed', 2),
        scope: { kind: 'workspace', workspace_id: 4, workspace: { id: 4, name: 'Acme' }, count: 250 },
        retry_confirmation: { required: true, phrase: 'REBUILD 2 TENANTS' },
      } as unknown as ReturnType<typeof withFailures>,
      RUN_ONLY,
    );
    expect(retryButton()).toBeNull();
  });

  it("says the server's refusal of the phrase once, beside the phrase", async () => {
    const refusal = 'type the phrase exactly: REBUILD 2 TENANTS';
    await showRun(withFailures('completed', 2), ALL_CAPABILITIES, {
      'POST /system/api/ops/runs/9/retry-failed': () =>
        problemResponse(422, { title: 'Invalid request', detail: refusal, errors: { confirmation: [refusal] } }),
    });
    const { dialog, confirm } = openRetry();
    fillReason(dialog);
    fireEvent.change(within(dialog).getByLabelText(/to confirm/), { target: { value: 'REBUILD 2 TENANTS' } });
    fireEvent.click(confirm);
    expect(await within(dialog).findByText(refusal)).toBeTruthy();
    expect(within(dialog).getAllByText(refusal)).toHaveLength(1);
    expect(within(dialog).queryByRole('alert')).toBeNull();
    expect(document.activeElement).toBe(within(dialog).getByLabelText(/to confirm/));
  });

  it('shows a 409 problem in the dialog, with the active run', async () => {
    await showRun(withFailures('completed', 1, { kind: 'tenant', tenant_id: 5 }), RUN_ONLY, {
      'POST /system/api/ops/runs/9/retry-failed': () =>
        problemResponse(409, { title: 'Conflict', detail: 'An overlapping run is active', active_run_id: 12 }),
    });
    const { dialog, confirm } = openRetry();
    fillReason(dialog);
    fireEvent.click(confirm);
    const alert = await within(dialog).findByRole('alert');
    expect(alert.textContent).toMatch(/An overlapping run is active/);
    expect(within(alert).getByRole('link', { name: 'View active run #12' }).getAttribute('href')).toBe('/ops/runs/12');
    expect(screen.queryByTestId('toast')).toBeNull();
  });

  it('shows 422 field errors in the dialog', async () => {
    await showRun(withFailures('completed', 2), ALL_CAPABILITIES, {
      'POST /system/api/ops/runs/9/retry-failed': () =>
        problemResponse(422, {
          title: 'Invalid request',
          detail: 'The request has invalid fields',
          errors: { confirmation: ['does not match'], other: ['bad'] },
        }),
    });
    const { dialog, confirm } = openRetry();
    fillReason(dialog);
    fireEvent.change(within(dialog).getByLabelText(/to confirm/), { target: { value: 'REBUILD 2 TENANTS' } });
    fireEvent.click(confirm);
    expect(await within(dialog).findByText('does not match')).toBeTruthy();
    expect(within(dialog).getByRole('alert').textContent).toMatch(/other.*bad/);
    expect(screen.getByRole('dialog')).toBeTruthy();
  });
});

describe('RunDetailPage items paging (issue 16, obs. 6)', () => {
  it('keeps the table while the next page loads and scrolls the table, not the page top, into view', async () => {
    const second = deferred<Response>();
    const page = (n: number) => ({
      ...ITEMS,
      items: [{ ...ITEMS.items[0], id: n, tenant_external_id: `tenant-page-${n}`, tenant_name: `Page ${n} Tenant` }],
      page: n,
      total: 250,
    });
    fakeBackend({
      'GET /system/api/ops/runs/9': () => json(200, run('completed', 4)),
      'GET /system/api/ops/runs/9/items': ({ url }) =>
        url.searchParams.get('page') === '2' ? second.promise : json(200, page(1)),
      'GET /system/api/ops/runs/9/timeline': () => json(200, []),
    });
    const scroll = vi.fn();
    Element.prototype.scrollIntoView = scroll;
    renderSystem(<RunDetailPage />, { path: '/ops/runs/9', route: '/ops/runs/:id' });
    expect(await screen.findByText('Page 1 Tenant')).toBeTruthy();
    const nav = screen.getByRole('navigation', { name: 'Pagination' });
    expect(within(nav).getByRole('link', { name: 'Page 3' })).toBeTruthy();

    fireEvent.click(within(nav).getByRole('link', { name: 'Next' }));
    expect(scroll).toHaveBeenCalledTimes(1);
    // The top of the tabs (Tenant items, Changes) above the table.
    expect(scroll.mock.contexts[0]).toBe(screen.getByRole('tablist').parentElement);
    // Still the old rows, no loading state that would collapse the page.
    expect(screen.getByText('Page 1 Tenant')).toBeTruthy();
    expect(screen.queryByText('Loading items…')).toBeNull();
    second.resolve(json(200, page(2)));
    expect(await screen.findByText('Page 2 Tenant')).toBeTruthy();
  });
});

describe('RunDetailPage changes (docs/spec.md §15)', () => {
  const CHANGED_ITEMS = {
    ...ITEMS,
    items: [
      { ...ITEMS.items[0], status: 'succeeded', error: null, findings_changed: 2, changes_by_rule: { R4: 2 } },
      { ...ITEMS.items[0], id: 2, tenant_id: 6, tenant_external_id: 'tenant-006', tenant_name: 'Acme Tenant 6', status: 'succeeded', error: null },
    ],
    total: 2,
  };
  const CHANGES = {
    items: [
      { finding_id: 901, tenant_id: 5, rules: ['R4'], before: { status: 'acknowledged' }, after: { status: 'triaged' } },
      { finding_id: 902, tenant_id: 5, rules: ['R4'], before: { status: 'open' }, after: { status: 'new' } },
    ],
    page: 1,
    per_page: 50,
    total: 2,
  };
  const changeCalls = (backend: ReturnType<typeof fakeBackend>) =>
    backend.calls.filter((call) => call.path === '/system/api/ops/runs/9/changes').map((call) => call.url.searchParams);

  it('loads the changes only once their tab is opened, and the items no more meanwhile', async () => {
    const backend = fakeBackend({
      'GET /system/api/ops/runs/9': () => json(200, run('completed', 4)),
      'GET /system/api/ops/runs/9/items': () => json(200, CHANGED_ITEMS),
      'GET /system/api/ops/runs/9/timeline': () => json(200, []),
      'GET /system/api/ops/runs/9/changes': () => json(200, CHANGES),
    });
    renderSystem(<RunDetailPage />, { path: '/ops/runs/9', route: '/ops/runs/:id', capabilities: ['ops.runs.view'] });
    const tablist = await screen.findByRole('tablist', { name: 'Run #9: tenant items and changes' });
    const [itemsTab, changesTab] = within(tablist).getAllByRole('tab') as [HTMLElement, HTMLElement];
    expect(itemsTab.textContent).toBe('Tenant items 4');
    expect(changesTab.textContent).toBe('Changes 3');
    expect(itemsTab.getAttribute('aria-selected')).toBe('true');
    expect(changesTab.getAttribute('aria-selected')).toBe('false');
    expect(changesTab.tabIndex).toBe(-1);
    expect(await screen.findByText('Acme Tenant 6')).toBeTruthy();
    expect(screen.getByRole('tabpanel', { name: /^Tenant items/ })).toBeTruthy();
    expect(changeCalls(backend)).toHaveLength(0);

    fireEvent.click(changesTab);
    expect(changesTab.getAttribute('aria-selected')).toBe('true');
    const panel = screen.getByRole('tabpanel', { name: /^Changes/ });
    expect(await within(panel).findByText('2 rows changed')).toBeTruthy();
    expect(within(panel).getAllByRole('listitem').map((line) => line.textContent)).toEqual([
      'status: acknowledged → triaged',
      'status: open → new',
    ]);
    // Named by the items the page has fetched.
    expect(within(panel).getByRole('rowheader').textContent).toMatch(/^Acme Tenant 5 \(tenant-005\)/);
    expect(screen.queryByText('Acme Tenant 6')).toBeNull();
    const itemsCalls = itemCalls(backend).length;
    await new Promise((wait) => setTimeout(wait, 200));
    expect(itemCalls(backend)).toHaveLength(itemsCalls);
    expect(changeCalls(backend)).toHaveLength(1);

    // The arrow keys move between the tabs.
    changesTab.focus();
    fireEvent.keyDown(changesTab, { key: 'ArrowLeft' });
    expect(itemsTab.getAttribute('aria-selected')).toBe('true');
    expect(document.activeElement).toBe(itemsTab);
    expect(await screen.findByText('Acme Tenant 6')).toBeTruthy();
    fireEvent.keyDown(itemsTab, { key: 'End' });
    expect(document.activeElement).toBe(changesTab);
    expect(changesTab.getAttribute('aria-selected')).toBe('true');
  });

  it("opens the Changes tab filtered to an item's tenant from its row", async () => {
    const backend = fakeBackend({
      'GET /system/api/ops/runs/9': () => json(200, run('completed', 4)),
      'GET /system/api/ops/runs/9/items': () => json(200, CHANGED_ITEMS),
      'GET /system/api/ops/runs/9/timeline': () => json(200, []),
      'GET /system/api/ops/runs/9/changes': () => json(200, CHANGES),
    });
    renderSystem(<RunDetailPage />, { path: '/ops/runs/9', route: '/ops/runs/:id', capabilities: ['ops.runs.view'] });
    const link = await screen.findByRole('link', { name: /^Show changes\W+of Acme Tenant 5 \(tenant-005\)$/ });
    // Only for an item that changed something.
    expect(screen.getAllByRole('link', { name: /^Show changes/ })).toHaveLength(1);
    expect(link.getAttribute('href')).toBe('/ops/runs/9?view=changes&changes_tenant=5');

    fireEvent.click(link);
    const changesTab = screen.getByRole('tab', { name: /^Changes/ });
    expect(changesTab.getAttribute('aria-selected')).toBe('true');
    expect(document.activeElement).toBe(changesTab);
    await waitFor(() => expect(screen.getByTestId('changes-total').textContent).toBe('2 rows changed in Acme Tenant 5 (tenant-005)'));
    expect(changeCalls(backend).at(-1)?.get('tenant_id')).toBe('5');
  });

  it('offers no "Show changes" once the log was purged, and says so in the tab', async () => {
    const backend = fakeBackend({
      'GET /system/api/ops/runs/9': () => json(200, { ...run('completed', 4), changes_available: false }),
      'GET /system/api/ops/runs/9/items': () => json(200, CHANGED_ITEMS),
      'GET /system/api/ops/runs/9/timeline': () => json(200, []),
    });
    renderSystem(<RunDetailPage />, { path: '/ops/runs/9', route: '/ops/runs/:id', capabilities: ['ops.runs.view'] });
    await screen.findByText('Acme Tenant 6');
    expect(screen.queryByRole('link', { name: /^Show changes/ })).toBeNull();
    fireEvent.click(screen.getByRole('tab', { name: /^Changes/ }));
    expect(
      screen.getByText('The change log of this run was purged (kept CHANGE_LOG_RETENTION_DAYS days after completion)'),
    ).toBeTruthy();
    expect(changeCalls(backend)).toHaveLength(0);
  });

  it('fetches the changes again after each poll while the run is active, and no more once completed', async () => {
    const states = [run('running', 1), run('running', 2), run('completed', 4)];
    let served = 0;
    const backend = fakeBackend({
      'GET /system/api/ops/runs/9': () => json(200, states[Math.min(served++, states.length - 1)]),
      'GET /system/api/ops/runs/9/items': () => json(200, CHANGED_ITEMS),
      'GET /system/api/ops/runs/9/timeline': () => json(200, []),
      'GET /system/api/ops/runs/9/changes': () => json(200, CHANGES),
    });
    renderSystem(<RunDetailPage />, { path: '/ops/runs/9?view=changes', route: '/ops/runs/:id', capabilities: ['ops.runs.view'] });
    expect(await screen.findByText('Succeeded', { selector: '.run-status .badge' }, { timeout: 2000 })).toBeTruthy();
    await waitFor(() => expect(changeCalls(backend)).toHaveLength(3));
    await new Promise((wait) => setTimeout(wait, 300));
    expect(changeCalls(backend)).toHaveLength(3);
    expect(itemCalls(backend)).toHaveLength(0);
    expect(screen.getByTestId('changes-total').textContent).toBe('2 rows changed');
  });
});

/** A run over 1,000 tenants, as docs/spec.md §18 counts it. */
function bigRun(overrides: Record<string, unknown> = {}) {
  return {
    ...run('running', 0),
    counts: { total: 1000, processed: 400, succeeded: 398, failed: 2, skipped: 0, retrying: 3, cancelled: 0, running: 2, findings_changed: 1200 },
    progress_percent: 40,
    ...overrides,
  };
}

function renderRun(served: object, extra: Parameters<typeof fakeBackend>[0] = {}, path = '/ops/runs/9') {
  const backend = fakeBackend({
    'GET /system/api/ops/runs/9': () => json(200, asServed(served)),
    'GET /system/api/ops/runs/9/items': () => json(200, ITEMS),
    'GET /system/api/ops/runs/9/timeline': () => json(200, []),
    ...extra,
  });
  const { queryClient } = renderSystem(<RunDetailPage />, { path, route: '/ops/runs/:id' });
  return Object.assign(backend, { queryClient });
}

function itemCalls(backend: ReturnType<typeof fakeBackend>) {
  return backend.calls.filter((call) => call.path === '/system/api/ops/runs/9/items').map((call) => call.url.searchParams);
}

describe('RunDetailPage at 1,000 tenants (docs/spec.md §18)', () => {
  it('reads a cancelled run that did 400 of 1,000 as 40 % with "600 cancelled" beside it', async () => {
    renderRun(
      bigRun({
        status: 'completed',
        outcome: 'cancelled',
        cancel_reason: 'Stopped for the maintenance window',
        completed_at: '2030-01-01T00:10:00Z',
        counts: { total: 1000, processed: 400, succeeded: 400, failed: 0, skipped: 0, retrying: 0, cancelled: 600, running: 0, findings_changed: 1200 },
      }),
    );
    const status = await screen.findByText('Cancelled', { selector: '.run-status .badge' });
    const bar = status.closest('.run-status') as HTMLElement;
    expect(within(bar).getByRole('progressbar', { name: 'Run progress' }).getAttribute('value')).toBe('40');
    expect(bar.textContent).toContain('40%');
    expect(within(bar).getByTestId('cancelled-beside').textContent).toBe('600 cancelled');
    const counts = screen.getByRole('heading', { name: 'Tenants' }).nextElementSibling as HTMLElement;
    const count = (term: string) => within(counts).getByText(term, { selector: 'dt' }).nextElementSibling?.textContent;
    expect(count('Processed')).toBe('400 of 1000');
    expect(count('Cancelled')).toBe('600');
    expect(count('Retrying')).toBe('0');
  });

  it('shows retrying beside the progress and in the counts', async () => {
    renderRun(bigRun());
    expect((await screen.findByTestId('retrying-beside')).textContent).toBe('3 retrying');
    expect(screen.queryByTestId('cancelled-beside')).toBeNull();
  });

  it('says a stall with the tenant and how long it has been running, and offers its item or cancel', async () => {
    const since = new Date(Date.now() - 6 * 60_000).toISOString();
    const started = new Date(Date.now() - 4 * 60_000 - 5_000).toISOString();
    const stuck = {
      ...ITEMS.items[0],
      id: 7,
      tenant_id: 7,
      tenant_external_id: 'tenant-007',
      tenant_name: 'Acme Tenant 7',
      status: 'running',
      error: null,
      attempts: 1,
      started_at: started,
    };
    const backend = renderRun(bigRun({ stalled: { since, tenant_id: 7, tenant_external_id: 'tenant-007', running: 3, others: ['tenant-011'] } }), {
      'GET /system/api/ops/runs/9/items': ({ url }) =>
        json(200, url.searchParams.get('search') === 'tenant-007' ? { ...ITEMS, items: [stuck] } : ITEMS),
    });
    Element.prototype.scrollIntoView = vi.fn();
    const banner = await screen.findByTestId('stall-banner');
    await waitFor(() => expect(banner.textContent).toMatch(/Acme Tenant 7 \(tenant-007\) has been running for 4m [5-9]s\./));
    // No estimate while nothing finishes: the remaining time says why instead.
    expect(screen.getByText('Remaining: unknown while stalled')).toBeTruthy();
    expect(banner.textContent).toContain(`No tenant has finished since ${since.slice(11, 19)} UTC`);
    // Every hung tenant is named, not only the longest-running one (issue 22, item 7).
    expect(banner.textContent).toContain('Also running without finishing: tenant-011 and 1 more.');

    fireEvent.click(within(banner).getByRole('button', { name: 'Open tenant-007’s item' }));
    await waitFor(() => expect(itemCalls(backend).some((q) => q.get('search') === 'tenant-007' && q.get('page') === '1')).toBe(true));
    expect((screen.getByLabelText('Tenant') as HTMLInputElement).value).toBe('tenant-007');

    fireEvent.click(within(banner).getByRole('button', { name: 'Cancel run…' }));
    expect(screen.getByRole('dialog', { name: 'Cancel run #9?' })).toBeTruthy();
  });

  it('shows no stall banner without `stalled`', async () => {
    renderRun(bigRun());
    await screen.findByText('Running', { selector: '.run-status .badge' });
    expect(screen.queryByTestId('stall-banner')).toBeNull();
  });

  it('lists items as "name (external_id)" with retrying, next attempt, attempts, SQLSTATE and times', async () => {
    const items = {
      ...ITEMS,
      items: [
        {
          ...ITEMS.items[0],
          id: 1,
          status: 'failed',
          attempts: 1,
          error: 'CHECK constraint failed: severity',
          error_sqlstate: '23514',
          started_at: '2030-01-01T00:01:00Z',
          completed_at: '2030-01-01T00:01:42Z',
          duration_seconds: 42,
        },
        {
          ...ITEMS.items[0],
          id: 2,
          tenant_id: 8,
          tenant_external_id: 'tenant-008',
          tenant_name: 'Globex Tenant 8',
          status: 'retrying',
          attempts: 2,
          error: 'database is locked',
          error_sqlstate: null,
          next_attempt_at: '2030-01-01T00:02:30Z',
          started_at: '2030-01-01T00:01:10Z',
          completed_at: null,
        },
      ],
      total: 2,
    };
    renderRun(bigRun(), { 'GET /system/api/ops/runs/9/items': () => json(200, items) });
    const row = (await screen.findByText('Acme Tenant 5', { exact: false })).closest('tr') as HTMLElement;
    expect(row.textContent).toContain('Acme Tenant 5 (tenant-005)');
    expect(within(row).getByText('CHECK constraint failed: severity (SQLSTATE 23514)')).toBeTruthy();
    expect(within(row).getByText('00:01:00')).toBeTruthy();
    expect(within(row).getByText('00:01:42')).toBeTruthy();
    expect(within(row).getByText('42s')).toBeTruthy();
    const retrying = screen.getByText('Globex Tenant 8', { exact: false }).closest('tr') as HTMLElement;
    expect(within(retrying).getByText('retrying').className).toContain('badge-retrying');
    expect(within(retrying).getByText('next attempt 00:02:30')).toBeTruthy();
    expect(retrying.textContent).toContain('database is locked');
    const headers = within(retrying.closest('table') as HTMLElement).getAllByRole('columnheader').map((th) => th.textContent);
    expect(headers).toEqual(expect.arrayContaining(['Attempts', 'Started (UTC)', 'Completed (UTC)', 'Duration']));
  });

  it('searches items by tenant, filters by status incl. retrying, and exports CSV with the same filters', async () => {
    const backend = renderRun(bigRun());
    await screen.findByText('Acme Tenant 5', { exact: false });
    const link = () => screen.getByRole('link', { name: 'Export CSV' });
    expect(link().getAttribute('href')).toBe('/system/api/ops/runs/9/items.csv');

    fireEvent.change(screen.getByLabelText('Tenant'), { target: { value: ' globex ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    await waitFor(() => expect(itemCalls(backend).at(-1)?.get('search')).toBe('globex'));

    const status = screen.getByLabelText('Item status') as HTMLSelectElement;
    expect([...status.options].map((o) => o.value)).toEqual(
      expect.arrayContaining(['retrying', 'cancelled', 'failed']),
    );
    fireEvent.change(status, { target: { value: 'retrying' } });
    await waitFor(() => expect(itemCalls(backend).at(-1)?.get('status')).toBe('retrying'));
    expect(itemCalls(backend).at(-1)?.get('search')).toBe('globex');
    expect(link().getAttribute('href')).toBe('/system/api/ops/runs/9/items.csv?status=retrying&search=globex');
    expect(link().hasAttribute('download')).toBe(true);
  });

  it('"Clear" clears the status and the search at once (issue 22, item 5)', async () => {
    const backend = renderRun(bigRun(), {}, '/ops/runs/9?item_status=failed&item_search=globex');
    await screen.findByText('Acme Tenant 5', { exact: false });
    expect(itemCalls(backend).at(-1)?.get('search')).toBe('globex');
    fireEvent.click(screen.getByRole('button', { name: 'Clear' }));
    await waitFor(() => expect(itemCalls(backend).at(-1)?.get('search')).toBeNull());
    expect(itemCalls(backend).at(-1)?.get('status')).toBeNull();
    expect((screen.getByLabelText('Tenant') as HTMLInputElement).value).toBe('');
    expect((screen.getByLabelText('Item status') as HTMLSelectElement).value).toBe('');
    expect(screen.getByRole('link', { name: 'Export CSV' }).getAttribute('href')).toBe('/system/api/ops/runs/9/items.csv');
  });

  it('says a bogus ?item_status= plainly, shows it in the select, and offers no "Try again" (issue 22, item 10)', async () => {
    const expected = 'expected pending, running, retrying, succeeded, failed, skipped or cancelled';
    renderRun(
      bigRun(),
      {
        'GET /system/api/ops/runs/9/items': ({ url }) =>
          url.searchParams.get('status') === 'bogus'
            ? problemResponse(422, { title: 'Unprocessable', detail: expected, errors: { status: [expected] } })
            : json(200, ITEMS),
      },
      '/ops/runs/9?item_status=bogus',
    );
    const alert = await screen.findByText(/is not an item status/);
    expect(alert.textContent).toBe('“bogus” is not an item status: choose one under “Item status”, or clear the filters.');
    expect(screen.queryByRole('button', { name: 'Try again' })).toBeNull();
    const select = screen.getByLabelText('Item status') as HTMLSelectElement;
    expect(select.value).toBe('bogus');
    expect(select.selectedOptions[0]?.textContent).toBe('bogus (unknown)');
    fireEvent.click(screen.getByRole('button', { name: 'Clear' }));
    await screen.findByText('Acme Tenant 5', { exact: false });
  });

  it('says no tenant has finished yet rather than a peak of the axis', async () => {
    renderRun(bigRun(), {
      'GET /system/api/ops/runs/9/timeline': () =>
        json(200, [{ minute: '2030-01-01T00:00:00Z', succeeded: 0, failed: 0 }]),
    });
    const figure = await screen.findByRole('figure', { name: /Tenants finished per minute/ });
    expect(figure.textContent).toContain('0 succeeded and 0 failed over 1 minute (00:00–00:00 UTC); no tenant has finished yet.');
    expect(figure.textContent).not.toContain('at most');
  });

  it('draws tenants finished and failed per minute as an accessible figure with a table', async () => {
    renderRun(bigRun(), {
      'GET /system/api/ops/runs/9/timeline': () =>
        json(200, [
          { minute: '2030-01-01T00:00:00Z', succeeded: 120, failed: 0 },
          { minute: '2030-01-01T00:01:00Z', succeeded: 30, failed: 12 },
          { minute: '2030-01-01T00:02:00Z', succeeded: 0, failed: 0 },
        ]),
    });
    const figure = await screen.findByRole('figure', { name: /Tenants finished per minute/ });
    expect(figure.textContent).toContain('150 succeeded and 12 failed over 3 minutes (00:00–00:02 UTC); at most 120 in one minute.');
    const chart = within(figure).getByRole('img');
    expect(chart.tagName.toLowerCase()).toBe('svg');
    expect(chart.querySelectorAll('rect.bar-succeeded')).toHaveLength(2);
    expect(chart.querySelectorAll('rect.bar-failed')).toHaveLength(1);
    // The text alternative: one row per minute.
    const table = within(figure).getByRole('table', { hidden: true });
    const rows = within(table).getAllByRole('row', { hidden: true }).slice(1).map((tr) => tr.textContent);
    expect(rows).toEqual(['00:001200', '00:013012', '00:0200']);
  });

  it('draws the chart as of the run view it shows, fetched again when that view changes', async () => {
    let finished = 5;
    let updatedAt = '2030-01-01T00:00:05Z';
    const served = () =>
      bigRun({ counts: { ...bigRun().counts, processed: finished, succeeded: finished, failed: 0 }, updated_at: updatedAt });
    const backend = renderRun(served(), {
      'GET /system/api/ops/runs/9': () => json(200, served()),
      'GET /system/api/ops/runs/9/timeline': () =>
        json(200, [{ minute: '2030-01-01T00:00:00Z', succeeded: finished, failed: 0 }]),
    });
    const timelineCalls = () =>
      backend.calls.filter((call) => call.path === '/system/api/ops/runs/9/timeline').map((call) => call.url.searchParams.get('until'));
    const figure = await screen.findByRole('figure', { name: /Tenants finished per minute/ });
    expect(figure.textContent).toContain('5 succeeded and 0 failed');
    expect(timelineCalls()).toEqual(['2030-01-01T00:00:05Z']);
    // The run view polls again and nothing moved: the chart is not fetched again.
    await backend.queryClient.refetchQueries({ queryKey: ['run', 9] });
    expect(timelineCalls()).toHaveLength(1);
    // Two more tenants finished: the chart follows, as of the new view.
    finished = 7;
    updatedAt = '2030-01-01T00:00:09Z';
    await backend.queryClient.refetchQueries({ queryKey: ['run', 9] });
    await waitFor(() => expect(figure.textContent).toContain('7 succeeded and 0 failed'));
    expect(timelineCalls()).toEqual(['2030-01-01T00:00:05Z', '2030-01-01T00:00:09Z']);
  });

  it('reads a retry run\'s scope as "2 tenants (retry of #32)" with a link', async () => {
    renderRun(
      bigRun({
        scope: { kind: 'tenants', tenant_ids: [4, 9], count: 2, retry_of: 32 },
        retry_of_run_id: 32,
      }),
    );
    const scope = await screen.findByTestId('run-scope');
    expect(scope.textContent).toBe('2 tenants (retry of #32)');
    expect(within(scope).getByRole('link', { name: '#32' }).getAttribute('href')).toBe('/ops/runs/32');
    expect(screen.queryByText('Retry of', { selector: 'dt' })).toBeNull();
  });

  it('reads a list scope by its count, and a workspace by its name: neither is a retry (docs/spec.md §21)', async () => {
    const first100 = Array.from({ length: 100 }, (_, i) => i + 1);
    renderRun(bigRun({ scope: { kind: 'tenants', tenant_ids: first100, count: 1000, retry_of: null } }));
    const scope = await screen.findByTestId('run-scope');
    expect(scope.textContent).toBe('1000 listed tenants');
    expect(within(scope).queryByRole('link')).toBeNull();
    expect(screen.queryByText('Retry of', { selector: 'dt' })).toBeNull();
    cleanup();

    renderRun(bigRun({ scope: { kind: 'workspace', workspace_id: 4, workspace: { id: 4, name: 'Acme' }, count: 12 } }));
    expect((await screen.findByTestId('run-scope')).textContent).toBe('Workspace Acme (12 tenants)');
  });

  it('lists the retries of a run and offers no retry once a later retry rebuilt every failed tenant', async () => {
    const original = {
      ...withFailures('completed', 2),
      retried_by: [
        { id: 33, outcome: 'failed' },
        { id: 34, outcome: 'succeeded' },
      ],
    };
    renderRun({ ...original, retryable_tenants: 0 });
    const line = await screen.findByTestId('retried-by');
    expect(line.textContent).toMatch(/^#33 \(failed\), #34 \(succeeded\)/);
    expect(within(line).getByRole('link', { name: '#34' }).getAttribute('href')).toBe('/ops/runs/34');
    expect(retryButton()).toBeNull();
    cleanup();

    // One tenant is still failed after the retries: the action stays, naming that one.
    renderRun({ ...original, retryable_tenants: 1, retry_confirmation: { required: true, phrase: 'REBUILD 1 TENANTS' } });
    await screen.findByTestId('retried-by');
    const { dialog } = openRetry();
    expect(within(dialog).getByText('REBUILD 1 TENANTS', { selector: 'code' })).toBeTruthy();
  });
});

/** A paused run over 1,000 tenants, with the server's `pause` and, for a wave gate, its waves. */
function pausedRun(pause: Partial<PauseView> & Pick<PauseView, 'reason'>, overrides: Record<string, unknown> = {}) {
  return bigRun({
    status: 'paused',
    eta_seconds: null,
    pause: { by: null, text: null, since: new Date(Date.now() - 5 * 60_000).toISOString(), ...pause },
    waiting_for: { reason: pause.reason === 'wave_gate' ? 'wave_gate' : 'paused', jobs_ahead: null },
    ...overrides,
  });
}

const CONTROL_ONLY: Capability[] = ['ops.runs.view', 'ops.runs.control'];
const CANCEL_ONLY: Capability[] = ['ops.runs.view', 'ops.runs.cancel'];

function renderWith(served: object, capabilities: Capability[], extra: Parameters<typeof fakeBackend>[0] = {}) {
  const backend = fakeBackend({
    'GET /system/api/ops/runs/9': () => json(200, asServed(served)),
    'GET /system/api/ops/runs/9/items': () => json(200, ITEMS),
    'GET /system/api/ops/runs/9/timeline': () => json(200, []),
    ...extra,
  });
  const { queryClient } = renderSystem(<RunDetailPage />, { path: '/ops/runs/9', route: '/ops/runs/:id', capabilities });
  return Object.assign(backend, { queryClient });
}

const button = (name: string | RegExp) => screen.queryByRole('button', { name });

describe('RunDetailPage pause banner (docs/spec.md §13)', () => {
  it('says an operator pause: who, their reason, since when, the tenants still finishing, what next', async () => {
    const since = new Date(Date.now() - 5 * 60_000).toISOString();
    renderRun(
      pausedRun({ reason: 'operator', by: { id: 2, username: 'grace' }, text: 'Support asked us to hold off', since }),
    );
    const banner = await screen.findByTestId('pause-banner');
    expect(banner.textContent).toContain('Paused by grace.');
    expect(banner.textContent).toContain('Reason: “Support asked us to hold off”');
    expect(banner.textContent).toContain(
      `Since ${since.slice(0, 19).replace('T', ' ')} UTC (5 min ago), after 400 of 1000 tenants: 398 succeeded, 2 failed.`,
    );
    expect(banner.textContent).toContain('2 tenants already running will finish; no other tenant starts until the run is resumed.');
    expect(banner.textContent).toContain('Next: Resume to continue, or cancel the run.');
    expect(within(banner).getByRole('button', { name: 'Resume…' })).toBeTruthy();
    expect(within(banner).getByRole('button', { name: 'Cancel run…' })).toBeTruthy();
    // The badge and the estimate say it too.
    expect(screen.getByText('Paused', { selector: '.run-status .badge' })).toBeTruthy();
    expect(screen.getByTestId('run-remaining').textContent).toBe('Remaining: paused');
  });

  it('says a failure-budget pause with the server\'s sentence, by the run itself, and shows the failed tenants', async () => {
    const backend = renderRun(
      pausedRun(
        { reason: 'failure_budget', text: '2 tenant(s) failed since the run started; its failure budget allows 1' },
        { counts: { ...bigRun().counts, running: 0 }, options: { ...NO_OPTIONS, failure_budget: { max_failed: 1 } } },
      ),
    );
    Element.prototype.scrollIntoView = vi.fn();
    const banner = await screen.findByTestId('pause-banner');
    expect(banner.textContent).toContain('Paused by the run itself: more tenants failed than its failure budget allows.');
    expect(banner.textContent).toContain('2 tenant(s) failed since the run started; its failure budget allows 1.');
    expect(banner.textContent).not.toContain('already running');
    expect(banner.textContent).toContain(
      'Next: Look at the failed tenants, then resume to continue, or cancel the run. A resume counts the failure budget afresh.',
    );
    expect(within(banner).queryByRole('button', { name: /succeeded tenants/ })).toBeNull();
    fireEvent.click(within(banner).getByRole('button', { name: 'Show the 2 failed tenants' }));
    await waitFor(() => expect(itemCalls(backend).some((q) => q.get('status') === 'failed')).toBe(true));
  });

  it('says a wave gate with the wave it finished and the one a resume starts', async () => {
    const backend = renderRun(
      pausedRun(
        { reason: 'wave_gate', text: 'wave 1 of 3 finished (5 tenants); resume to start wave 2' },
        { wave: { current: 1, of: 3 }, options: { ...NO_OPTIONS, waves: [5, 50] } },
      ),
    );
    const banner = await screen.findByTestId('pause-banner');
    expect(banner.textContent).toContain('Paused by the run itself after wave 1 of 3, for you to check it.');
    expect(banner.textContent).toContain('Wave 1 of 3 finished (5 tenants); resume to start wave 2.');
    expect(banner.textContent).toContain('Next: Check the tenants processed so far, then resume to continue with wave 2 of 3, or cancel the run.');
    // What the wave did, out of the 1,000: its failed and its succeeded tenants, a click away.
    Element.prototype.scrollIntoView = vi.fn();
    expect(within(banner).getByRole('button', { name: 'Show the 2 failed tenants' })).toBeTruthy();
    fireEvent.click(within(banner).getByRole('button', { name: 'Show the 398 succeeded tenants' }));
    await waitFor(() => expect(itemCalls(backend).some((q) => q.get('status') === 'succeeded')).toBe(true));
    expect(within(banner).getByRole('button', { name: 'Resume with wave 2 of 3…' })).toBeTruthy();
    expect(screen.getByTestId('run-wave').textContent).toBe('Wave 1 of 3');
    // The banner says why nothing starts: no second line for `waiting_for`.
    expect(screen.queryByTestId('run-waiting')).toBeNull();
  });

  it('offers only what the operator may do', async () => {
    renderWith(pausedRun({ reason: 'operator', by: { id: 2, username: 'grace' }, text: 'Hold off for a moment' }), CANCEL_ONLY);
    const banner = await screen.findByTestId('pause-banner');
    expect(within(banner).queryByRole('button', { name: /Resume/ })).toBeNull();
    expect(within(banner).getByRole('button', { name: 'Cancel run…' })).toBeTruthy();
    expect(banner.textContent).toContain('Only an operator who may control runs can resume it.');
  });

  it('says a run paused before any tenant finished so', async () => {
    renderRun(
      pausedRun(
        { reason: 'operator', by: { id: 1, username: 'ada' }, text: 'Hold until the ticket is answered' },
        { counts: { ...run('queued', 0).counts, total: 1000 }, progress_percent: 0 },
      ),
    );
    const banner = await screen.findByTestId('pause-banner');
    expect(banner.textContent).toMatch(/\(5 min ago\), before any of its 1000 tenants finished\./);
    expect(banner.textContent).not.toContain('already running');
  });
});

describe('RunDetailPage run controls (docs/spec.md §13)', () => {
  it('offers Pause on a queued or running run with ops.runs.control, Resume on a paused one, Cancel on any active one', async () => {
    renderRun(bigRun());
    await screen.findByText('Running', { selector: '.run-status .badge' });
    expect(button('Pause…')).toBeTruthy();
    expect(button('Resume…')).toBeNull();
    expect(button('Cancel run…')).toBeTruthy();
    cleanup();

    renderRun({ ...run('queued', 0), started_at: null });
    await screen.findByText('Queued', { selector: '.run-status .badge' });
    expect(button('Pause…')).toBeTruthy();
    cleanup();

    renderRun(pausedRun({ reason: 'operator', by: { id: 1, username: 'ada' }, text: 'Hold off for a moment' }));
    await screen.findByText('Paused', { selector: '.run-status .badge' });
    expect(button('Pause…')).toBeNull();
    expect(screen.getAllByRole('button', { name: 'Resume…' })).toHaveLength(2);
    expect(screen.getAllByRole('button', { name: 'Cancel run…' })).toHaveLength(2);
    cleanup();

    renderRun(run('completed', 4));
    await screen.findByText('Succeeded', { selector: '.run-status .badge' });
    expect(button('Pause…')).toBeNull();
    expect(button('Resume…')).toBeNull();
    expect(button('Cancel run…')).toBeNull();
    expect(button('Change concurrency…')).toBeNull();
  });

  it('needs ops.runs.control to pause, resume or change concurrency, and ops.runs.cancel to cancel', async () => {
    renderWith(bigRun(), CANCEL_ONLY);
    await screen.findByText('Running', { selector: '.run-status .badge' });
    expect(button('Pause…')).toBeNull();
    expect(button('Change concurrency…')).toBeNull();
    expect(button('Cancel run…')).toBeTruthy();
    cleanup();

    renderWith(bigRun(), CONTROL_ONLY);
    await screen.findByText('Running', { selector: '.run-status .badge' });
    expect(button('Pause…')).toBeTruthy();
    expect(button('Change concurrency…')).toBeTruthy();
    expect(button('Cancel run…')).toBeNull();
  });

  it('offers no pause while the run is being cancelled', async () => {
    renderRun(bigRun({ cancel_reason: 'Stopped for the maintenance window' }));
    await screen.findByText('Running', { selector: '.run-status .badge' });
    expect(button('Pause…')).toBeNull();
    expect(button('Cancel run…')).toBeNull();
  });

  it('pauses with a reason of 10–500 characters, sends {reason} and shows the paused run', async () => {
    let served: object = bigRun();
    const paused = pausedRun({ reason: 'operator', by: { id: 1, username: 'ada' }, text: 'Checking tenant-007 first' });
    const backend = renderRun(
      {},
      {
        'GET /system/api/ops/runs/9': () => json(200, asServed(served)),
        'POST /system/api/ops/runs/9/pause': () => {
          served = paused;
          return json(200, paused);
        },
      },
    );
    const invalidate = vi.spyOn(backend.queryClient, 'invalidateQueries');
    fireEvent.click(await screen.findByRole('button', { name: 'Pause…' }));
    const dialog = screen.getByRole('dialog', { name: 'Pause run #9?' });
    expect(dialog.textContent).toContain('the 2 tenants already running will finish');
    expect(document.activeElement).toBe(within(dialog).getByLabelText('Reason for pausing'));
    const confirm = within(dialog).getByRole('button', { name: 'Pause run' }) as HTMLButtonElement;
    expect(confirm.disabled).toBe(true);
    fireEvent.change(within(dialog).getByLabelText('Reason for pausing'), { target: { value: 'too short' } });
    expect(confirm.disabled).toBe(true);
    expect(dialog.textContent).toContain('at least 10 characters');
    fireEvent.change(within(dialog).getByLabelText('Reason for pausing'), { target: { value: '  Checking tenant-007 first  ' } });
    expect(confirm.disabled).toBe(false);
    fireEvent.click(confirm);

    const banner = await screen.findByTestId('pause-banner');
    expect(banner.textContent).toContain('Paused by ada.');
    expect(screen.queryByRole('dialog')).toBeNull();
    const post = backend.calls.find((call) => call.method === 'POST');
    expect(post?.path).toBe('/system/api/ops/runs/9/pause');
    expect(post?.body).toEqual({ reason: 'Checking tenant-007 first' });
    // The run's own query, refreshed once (not every query that starts with it).
    expect(invalidate.mock.calls.filter(([filters]) => JSON.stringify(filters?.queryKey) === '["run",9]')).toEqual([
      [{ queryKey: ['run', 9], exact: true }],
    ]);
  });

  it('resumes a wave-gated run into its next wave', async () => {
    const gated = pausedRun(
      { reason: 'wave_gate', text: 'wave 1 of 3 finished (5 tenants); resume to start wave 2' },
      { wave: { current: 1, of: 3 }, options: { ...NO_OPTIONS, waves: [5, 50], failure_budget: { max_failed: 3 } } },
    );
    let served: object = gated;
    const backend = renderRun({}, {
      'GET /system/api/ops/runs/9': () => json(200, asServed(served)),
      'POST /system/api/ops/runs/9/resume': () => {
        served = bigRun({ wave: { current: 2, of: 3 }, options: gated.options });
        return json(200, served);
      },
    });
    fireEvent.click(within(await screen.findByTestId('pause-banner')).getByRole('button', { name: 'Resume with wave 2 of 3…' }));
    const dialog = screen.getByRole('dialog', { name: 'Resume run #9?' });
    expect(dialog.textContent).toContain('Its tenants start again with wave 2 of 3. The failure budget counts afresh from now.');
    fireEvent.change(within(dialog).getByLabelText('Reason for resuming'), { target: { value: 'Wave 1 looks right to me' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Resume with wave 2 of 3' }));
    await waitFor(() => expect(screen.queryByTestId('pause-banner')).toBeNull());
    expect(screen.getByTestId('run-wave').textContent).toBe('Wave 2 of 3');
    expect(backend.calls.find((call) => call.method === 'POST')?.body).toEqual({ reason: 'Wave 1 looks right to me' });
  });

  it('cancels a paused run through the same reason dialog', async () => {
    let served: object = pausedRun({ reason: 'failure_budget', text: '3 tenant(s) failed since the run started; its failure budget allows 2' });
    const backend = renderRun({}, {
      'GET /system/api/ops/runs/9': () => json(200, asServed(served)),
      'POST /system/api/ops/runs/9/cancel': () => {
        served = bigRun({ status: 'completed', outcome: 'cancelled', cancel_reason: 'Too many failures, look first' });
        return json(200, served);
      },
    });
    fireEvent.click(within(await screen.findByTestId('pause-banner')).getByRole('button', { name: 'Cancel run…' }));
    const dialog = screen.getByRole('dialog', { name: 'Cancel run #9?' });
    expect(dialog.textContent).toContain('The run is paused: cancelling ends it without resuming.');
    expect(within(dialog).getByRole('button', { name: 'Keep paused' })).toBeTruthy();
    fireEvent.change(within(dialog).getByLabelText('Reason for cancelling'), { target: { value: 'Too many failures, look first' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel run' }));
    await screen.findByText('Cancelled', { selector: '.run-status .badge' });
    expect(backend.calls.find((call) => call.method === 'POST')?.body).toEqual({ reason: 'Too many failures, look first' });
  });

  it('says a 409 in the dialog and refreshes the run', async () => {
    const backend = renderRun(bigRun(), {
      'POST /system/api/ops/runs/9/pause': () =>
        problemResponse(409, { title: 'Conflict', code: 'invalid_state', detail: 'run #9 is finishing its last items and cannot pause' }),
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Pause…' }));
    const dialog = screen.getByRole('dialog', { name: 'Pause run #9?' });
    fireEvent.change(within(dialog).getByLabelText('Reason for pausing'), { target: { value: 'Checking tenant-007 first' } });
    const before = backend.calls.filter((call) => call.path === '/system/api/ops/runs/9').length;
    fireEvent.click(within(dialog).getByRole('button', { name: 'Pause run' }));
    const alert = await within(dialog).findByRole('alert');
    expect(alert.textContent).toContain('run #9 is finishing its last items and cannot pause');
    await waitFor(() =>
      expect(backend.calls.filter((call) => call.path === '/system/api/ops/runs/9').length).toBeGreaterThan(before),
    );
  });

  it('shows a 422 on the reason beside it', async () => {
    renderRun(bigRun(), {
      'POST /system/api/ops/runs/9/pause': () =>
        problemResponse(422, { title: 'Validation failed', detail: 'must be 10 to 500 characters', errors: { reason: ['must be 10 to 500 characters'] } }),
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Pause…' }));
    const dialog = screen.getByRole('dialog', { name: 'Pause run #9?' });
    const reason = within(dialog).getByLabelText('Reason for pausing');
    fireEvent.change(reason, { target: { value: 'Checking tenant-007 first' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Pause run' }));
    await waitFor(() => expect(reason.getAttribute('aria-invalid')).toBe('true'));
    expect(within(dialog).getAllByText('must be 10 to 500 characters')).toHaveLength(1);
    expect(within(dialog).queryByRole('alert')).toBeNull();
  });

  it('changes the concurrency cap with PATCH options, a number or none', async () => {
    let served: object = bigRun({ options: { ...NO_OPTIONS, max_concurrency: 8 } });
    const backend = renderRun({}, {
      'GET /system/api/ops/runs/9': () => json(200, asServed(served)),
      'PATCH /system/api/ops/runs/9/options': ({ body }) => {
        const cap = (body as { max_concurrency: number | null }).max_concurrency;
        served = bigRun({ options: { ...NO_OPTIONS, max_concurrency: cap } });
        return json(200, served);
      },
    });
    expect((await screen.findByTestId('run-options')).textContent).toContain('At most 8 tenants at a time');
    fireEvent.click(screen.getByRole('button', { name: 'Change concurrency…' }));
    const dialog = screen.getByRole('dialog', { name: 'Change the concurrency of run #9' });
    const cap = within(dialog).getByLabelText('Max concurrency') as HTMLInputElement;
    expect(cap.value).toBe('8');
    expect(document.activeElement).toBe(cap);
    const confirm = within(dialog).getByRole('button', { name: 'Change concurrency' }) as HTMLButtonElement;
    fireEvent.change(within(dialog).getByLabelText('Reason for the change'), { target: { value: 'The database is busy today' } });
    fireEvent.change(cap, { target: { value: '300' } });
    expect(confirm.disabled).toBe(true);
    expect(dialog.textContent).toContain('Give a whole number from 1 to 256, or leave it empty for no limit.');
    fireEvent.change(cap, { target: { value: '2' } });
    fireEvent.click(confirm);
    await waitFor(() => expect(screen.getByTestId('run-options').textContent).toContain('At most 2 tenants at a time'));
    const patch = backend.calls.find((call) => call.method === 'PATCH');
    expect(patch?.body).toEqual({ max_concurrency: 2, reason: 'The database is busy today' });

    fireEvent.click(screen.getByRole('button', { name: 'Change concurrency…' }));
    const again = screen.getByRole('dialog', { name: 'Change the concurrency of run #9' });
    fireEvent.change(within(again).getByLabelText('Max concurrency'), { target: { value: '' } });
    fireEvent.change(within(again).getByLabelText('Reason for the change'), { target: { value: 'Quiet again, no limit' } });
    fireEvent.click(within(again).getByRole('button', { name: 'Change concurrency' }));
    await waitFor(() => expect(screen.getByTestId('run-options').textContent).toContain('No limit'));
    expect(backend.calls.filter((call) => call.method === 'PATCH')[1]?.body).toEqual({
      max_concurrency: null,
      reason: 'Quiet again, no limit',
    });
  });
});

describe('RunDetailPage run state (docs/spec.md §13)', () => {
  it('says what unstarted tenants wait for: a free worker, or the cap', async () => {
    renderRun(bigRun({ waiting_for: { reason: 'workers', jobs_ahead: 40 } }));
    expect((await screen.findByTestId('run-waiting')).textContent).toBe('Waiting for a free worker (40 jobs of other runs ahead).');
    cleanup();
    renderRun(bigRun({ waiting_for: { reason: 'capped', jobs_ahead: null }, options: { ...NO_OPTIONS, max_concurrency: 2 } }));
    expect((await screen.findByTestId('run-waiting')).textContent).toBe('At its concurrency cap (2 running).');
  });

  it('shows the options, the tenants running now and the active time', async () => {
    renderRun(
      bigRun({
        active_seconds: 125,
        wave: { current: 2, of: 3 },
        options: { max_concurrency: 4, failure_budget: { max_failed: 0 }, waves: [5, 50], canary_tenant_ids: [7, 8] },
      }),
      {
        'GET /system/api/ops/tenants': ({ url }) => {
          const id = Number(url.searchParams.get('id'));
          return json(200, { items: [{ id, external_id: `tenant-00${id}`, name: `Acme Tenant ${id}`, workspace_id: 1 }], page: 1, per_page: 25, total: 1 });
        },
      },
    );
    const options = await screen.findByTestId('run-options');
    expect(options.textContent).toContain('At most 4 tenants at a time');
    expect(options.textContent).toContain('Pauses at the first failed tenant');
    expect(options.textContent).toContain('First 5, then up to 50, then the rest (3 waves) — now wave 2 of 3');
    await waitFor(() => expect(options.textContent).toContain('Acme Tenant 7 (tenant-007), Acme Tenant 8 (tenant-008) — first, in this order'));
    expect(screen.getByTestId('run-wave').textContent).toBe('Wave 2 of 3');
    expect(screen.getByTestId('run-active-time').textContent).toContain('2m 5s');
    const counts = screen.getByRole('heading', { name: 'Tenants' }).nextElementSibling as HTMLElement;
    expect(within(counts).getByText('Running now', { selector: 'dt' }).nextElementSibling?.textContent).toBe('2');
  });

  it('says "No limit" and "None" for a run started without options', async () => {
    renderRun(bigRun());
    const options = await screen.findByTestId('run-options');
    expect(options.textContent).toContain('No limit');
    expect(options.textContent).toContain('Failure budgetNone');
    expect(screen.queryByTestId('run-wave')).toBeNull();
    expect(screen.queryByTestId('pause-banner')).toBeNull();
  });
});

/** The gate as `GET /ops/health` answers while the external check fails. */
function gate(overrides: Record<string, unknown> = {}) {
  return {
    state: 'throttled',
    since: '2030-01-01T00:00:00Z',
    healthy_streak: 0,
    sampled_at: '2030-01-01T00:05:00Z',
    reason: { name: 'external_check', value: 1, threshold: 0, available: true, over: true },
    indicators: [{ name: 'external_check', value: 1, threshold: 0, available: true, over: true }],
    sample_every_seconds: 5,
    recovery_samples: 3,
    ...overrides,
  };
}

/** A running run the health gate holds since five minutes ago. */
function throttledRun(throttle: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}) {
  return bigRun({
    waiting_for: { reason: 'throttled', jobs_ahead: null },
    throttle: { indicator: 'external_check', value: 1, threshold: 0, since: new Date(Date.now() - 5 * 60_000).toISOString(), ...throttle },
    ...overrides,
  });
}

describe('RunDetailPage throttle banner (docs/spec.md §14)', () => {
  it('says the run is held by the health gate: why, since when, what happens, when it resumes, what to do', async () => {
    const since = new Date(Date.now() - 5 * 60_000).toISOString();
    const backend = renderRun(throttledRun({ since }), { 'GET /system/api/ops/health': () => json(200, gate({ healthy_streak: 1 })) });
    const banner = await screen.findByTestId('throttle-banner');
    expect(banner.getAttribute('role')).toBe('status');
    expect(banner.textContent).toContain('Held by the database health gate: External health check failing.');
    expect(banner.textContent).toContain(`Since ${since.slice(0, 19).replace('T', ' ')} UTC (5 min ago).`);
    expect(banner.textContent).toContain(
      '2 tenants already running will finish; no other tenant of this run, or of any other, starts until the database is healthy again.',
    );
    // The gate's own settings, from GET /ops/health, and how far it has come.
    await waitFor(() =>
      expect(banner.textContent).toContain('It resumes by itself after 3 healthy samples in a row (about 15s) (1 of 3 so far).'),
    );
    expect(banner.textContent).toContain(
      'What to do: Find out why the external health check (HEALTH_CHECK_URL) fails and fix it, or wait for it to pass. Database health shows every indicator against its threshold over the last hour.',
    );
    expect(banner.textContent).toContain('You can still pause or cancel the run.');
    expect(within(banner).getByRole('link', { name: 'Open Database health' }).getAttribute('href')).toBe('/ops/health');
    expect(within(banner).getByRole('button', { name: 'Pause…' })).toBeTruthy();
    expect(within(banner).getByRole('button', { name: 'Cancel run…' })).toBeTruthy();
    // Beside the status, and no second line for `waiting_for`.
    expect(screen.getByText('Throttled', { selector: '.run-status .throttle-tag' })).toBeTruthy();
    expect(screen.getByText('Running', { selector: '.run-status .badge' })).toBeTruthy();
    expect(screen.queryByTestId('run-waiting')).toBeNull();
    // No estimate: the time the gate holds the run is the database's.
    expect(screen.getByTestId('run-remaining').textContent).toBe('Remaining: unknown while the health gate holds it');
    expect(backend.unexpected.filter((call) => call.includes('/health'))).toEqual([]);
  });

  it('names a PostgreSQL indicator with its value and threshold, and what to look for', async () => {
    renderRun(
      throttledRun(
        { indicator: 'oldest_transaction_seconds', value: 312.2, threshold: 300 },
        { counts: { ...bigRun().counts, processed: 0, succeeded: 0, failed: 0, running: 0 }, progress_percent: 0 },
      ),
      { 'GET /system/api/ops/health': () => json(200, gate()) },
    );
    const banner = await screen.findByTestId('throttle-banner');
    expect(banner.textContent).toContain('Held by the database health gate: Oldest transaction of another client: 312 s, threshold 300 s.');
    expect(banner.textContent).toContain('None of its 1000 tenants has started');
    expect(banner.textContent).toContain('What to do: Find the long transaction in pg_stat_activity');
  });

  it('opens the pause dialog from the banner, and offers only what the operator may do', async () => {
    renderRun(throttledRun(), { 'GET /system/api/ops/health': () => json(200, gate()) });
    fireEvent.click(within(await screen.findByTestId('throttle-banner')).getByRole('button', { name: 'Pause…' }));
    expect(await screen.findByRole('dialog', { name: 'Pause run #9?' })).toBeTruthy();
    cleanup();

    renderWith(throttledRun(), ['ops.runs.view'], { 'GET /system/api/ops/health': () => json(200, gate()) });
    const banner = await screen.findByTestId('throttle-banner');
    expect(within(banner).queryByRole('button')).toBeNull();
    expect(within(banner).getByRole('link', { name: 'Open Database health' })).toBeTruthy();
    expect(banner.textContent).toContain('An operator who may control or cancel runs can still pause or cancel it.');
  });

  it('says the gate has opened while the run still carries its throttle', async () => {
    renderRun(throttledRun(), { 'GET /system/api/ops/health': () => json(200, gate({ state: 'healthy', reason: null, healthy_streak: 3 })) });
    const banner = await screen.findByTestId('throttle-banner');
    await waitFor(() => expect(banner.textContent).toContain('The database is healthy again: tenants start again within a few seconds.'));
  });

  it('shows no banner without a throttle, nor on a completed run', async () => {
    renderRun(bigRun());
    await screen.findByTestId('run-options');
    expect(screen.queryByTestId('throttle-banner')).toBeNull();
    expect(document.querySelector('.throttle-tag')).toBeNull();
    cleanup();
    renderRun({ ...run('completed', 4), throttle: { indicator: 'external_check', value: 1, threshold: 0, since: '2030-01-01T00:00:00Z' } });
    await screen.findByTestId('run-options');
    expect(screen.queryByTestId('throttle-banner')).toBeNull();
  });
});

describe('RunDetailPage revert (docs/spec.md §15)', () => {
  const revertButton = () => screen.queryByRole('button', { name: 'Revert…' });
  const RUN_ONLY: Capability[] = ['ops.runs.view', 'ops.runbooks.view', 'ops.runbooks.run'];

  async function show(served: object, capabilities: Capability[] = ALL_CAPABILITIES, extra: Parameters<typeof fakeBackend>[0] = {}) {
    const backend = renderWith(served, capabilities, extra);
    await screen.findByRole('progressbar', { name: 'Run progress' });
    return backend;
  }

  it('offers Revert… on a completed run that changed rows and kept its change log', async () => {
    await show(run('completed', 4));
    const button = revertButton() as HTMLButtonElement;
    expect(button.disabled).toBe(false);
    expect(screen.queryByTestId('revert-unavailable')).toBeNull();
  });

  it('does not offer it while the run is active, when it changed nothing, or without the capabilities', async () => {
    await show(run('running', 2));
    expect(revertButton()).toBeNull();
    cleanup();
    await show({ ...run('completed', 4), counts: { ...run('completed', 4).counts, findings_changed: 0 } });
    expect(revertButton()).toBeNull();
    cleanup();
    // An all-tenants run needs ops.runbooks.run_all_tenants too; any run needs run and view.
    await show(run('completed', 4), RUN_ONLY);
    expect(revertButton()).toBeNull();
    cleanup();
    await show({ ...run('completed', 4), scope: { kind: 'tenant', tenant_id: 5 } }, RUN_ONLY);
    expect(revertButton()).not.toBeNull();
    cleanup();
    await show({ ...run('completed', 4), scope: { kind: 'tenant', tenant_id: 5 } }, ['ops.runs.view', 'ops.runbooks.run']);
    expect(revertButton()).toBeNull();
    cleanup();
    await show(run('completed', 4), ['ops.runs.view']);
    expect(revertButton()).toBeNull();
  });

  it('shows it disabled, saying why, once the change log has been purged', async () => {
    await show({ ...run('completed', 4), changes_available: false });
    const button = revertButton() as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    const why = document.getElementById(button.getAttribute('aria-describedby')!);
    expect(why?.textContent).toMatch(/^The change log of run #9 has been purged/);
  });

  it('opens the Revert dialog, which runs the revert preflight and says its problem', async () => {
    const backend = await show(run('completed', 4), ALL_CAPABILITIES, {
      'POST /system/api/ops/runs/9/revert/preflight': () =>
        new Response(JSON.stringify({ type: 'about:blank', status: 410, title: 'Gone', code: 'change_log_expired' }), {
          status: 410,
          headers: { 'Content-Type': 'application/problem+json' },
        }),
    });
    fireEvent.click(revertButton()!);
    const dialog = screen.getByRole('dialog', { name: 'Revert run #9' });
    expect((await within(dialog).findByRole('alert')).textContent).toMatch(/^The change log of run #9 has been purged/);
    expect(backend.calls.filter((call) => call.path === '/system/api/ops/runs/9/revert/preflight')).toHaveLength(1);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Close' }));
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('reads a revert run: its "Revert of run #N" link, scope, restored findings, conflicts and items with conflicts', async () => {
    const served = {
      ...run('completed', 4),
      kind: 'revert',
      reverts_run_id: 32,
      scope: { kind: 'tenants', tenant_ids: [5, 6], count: 2, retry_of: null, reverts_run_id: 32 },
      counts: { ...run('completed', 4).counts, findings_changed: 40, conflicts: 2 },
    };
    const items = {
      ...ITEMS,
      items: [{ ...ITEMS.items[0], status: 'succeeded', error: null, attempts: 1, findings_examined: 42, findings_changed: 40, changes_by_rule: { restore: 40 }, conflicts: 2 }],
    };
    await show(served, ALL_CAPABILITIES, { 'GET /system/api/ops/runs/9/items': () => json(200, items) });
    const lineage = screen.getByTestId('revert-of');
    expect(within(lineage).getByRole('link', { name: 'Revert of run #32' }).getAttribute('href')).toBe('/ops/runs/32');
    expect(lineage.textContent).toContain('leaves alone the rows the application changed since');
    const scope = screen.getByTestId('run-scope');
    expect(scope.textContent).toBe('2 tenants (revert of #32)');
    expect(within(scope).getByRole('link', { name: '#32' }).getAttribute('href')).toBe('/ops/runs/32');
    const counts = screen.getByRole('heading', { name: 'Tenants' }).nextElementSibling as HTMLElement;
    const count = (term: string) => within(counts).getByText(term, { selector: 'dt' }).nextElementSibling?.textContent;
    expect(count('Findings restored')).toBe('40');
    expect(count('Conflicts')).toBe('2');
    expect(screen.getByTestId('run-conflicts').textContent).toBe(
      '2 conflicts — rows the application changed since run #32 wrote them; left alone.',
    );
    const conflicts = await screen.findByTestId('item-conflicts');
    expect(conflicts.textContent).toBe('2 conflicts (rows the application changed since; left alone)');
    expect(conflicts.closest('tr')?.textContent).toContain('40 of 42');
    // A revert run can be reverted in turn (a redo).
    expect(revertButton()).not.toBeNull();
  });

  it('says nothing of reverts on a plain run, and counts no conflicts there', async () => {
    await show(run('completed', 4));
    expect(screen.queryByTestId('revert-of')).toBeNull();
    expect(screen.queryByTestId('reverted-by')).toBeNull();
    expect(screen.queryByTestId('run-conflicts')).toBeNull();
    expect(screen.queryByText('Conflicts', { selector: 'dt' })).toBeNull();
    expect(screen.getByText('Findings changed', { selector: '.counts dt' })).toBeTruthy();
  });

  it('links every revert of a reverted run, oldest first, with its outcome', async () => {
    await show({
      ...run('completed', 4),
      reverted_by: [
        { id: 33, outcome: 'succeeded' },
        { id: 35, outcome: null },
      ],
    });
    const line = screen.getByTestId('reverted-by');
    expect(line.textContent).toBe('Reverted by #33 (succeeded), #35 (running).');
    expect(within(line).getByRole('link', { name: '#33' }).getAttribute('href')).toBe('/ops/runs/33');
    expect(within(line).getByRole('link', { name: '#35' }).getAttribute('href')).toBe('/ops/runs/35');
  });

  it("follows an active revert's outcome on the reverted run's page, then stops polling", async () => {
    const states = [
      { ...run('completed', 4), reverted_by: [{ id: 33, outcome: null }] },
      { ...run('completed', 4), reverted_by: [{ id: 33, outcome: 'succeeded' }] },
    ];
    let served = 0;
    const backend = await show(states[0]!, ALL_CAPABILITIES, {
      'GET /system/api/ops/runs/9': () => json(200, states[Math.min(served++, 1)]),
    });
    expect(screen.getByTestId('reverted-by').textContent).toBe('Reverted by #33 (running).');
    await waitFor(() => expect(screen.getByTestId('reverted-by').textContent).toBe('Reverted by #33 (succeeded).'));
    const polls = () => backend.calls.filter((call) => call.path === '/system/api/ops/runs/9').length;
    const after = polls();
    await new Promise((wait) => setTimeout(wait, 300));
    expect(polls()).toBe(after);
  });

  it('says whether the drift guard was on, under Run control', async () => {
    await show(run('completed', 4));
    const options = screen.getByTestId('run-options');
    const guard = () => within(options).getByText('Drift guard', { selector: 'dt' }).nextElementSibling?.textContent;
    expect(guard()).toMatch(/^On: /);
    cleanup();
    await show({ ...run('completed', 4), options: { ...NO_OPTIONS, drift_guard: false } });
    expect(within(screen.getByTestId('run-options')).getByText('Drift guard', { selector: 'dt' }).nextElementSibling?.textContent).toMatch(
      /^Off \(turned off at the start\)/,
    );
  });
});

describe('RunDetailPage retry with options (docs/spec.md §13, §15)', () => {
  it('sends options: {drift_guard: false} only once the drift guard is unticked', async () => {
    const backend = await showRun(withFailures('completed', 2), ALL_CAPABILITIES, {
      'POST /system/api/ops/runs/9/retry-failed': () =>
        json(201, { ...withFailures('completed', 0), id: 77, status: 'queued', deduplicated: false }),
    });
    const { dialog, confirm } = openRetry();
    fillReason(dialog);
    fireEvent.change(within(dialog).getByLabelText(/to confirm/), { target: { value: 'REBUILD 2 TENANTS' } });
    const advanced = within(dialog).getByRole('button', { name: /^Advanced: concurrency, failure budget, waves, drift guard$/ });
    expect(advanced.getAttribute('aria-expanded')).toBe('false');
    fireEvent.click(advanced);
    const guard = within(dialog).getByRole('checkbox', { name: 'Drift guard' }) as HTMLInputElement;
    expect(guard.checked).toBe(true);
    expect(document.getElementById(guard.getAttribute('aria-describedby')!.split(' ')[0]!)?.textContent).toBe(
      "Fail a tenant, untouched, when it would change far more rows than run #9's preflight predicted for it.",
    );
    fireEvent.click(guard);
    // A wave boundary the server would refuse keeps confirm disabled, said beside it.
    fireEvent.change(within(dialog).getByLabelText('Waves'), { target: { value: '2' } });
    expect(confirm.disabled).toBe(true);
    fireEvent.change(within(dialog).getByLabelText('Waves'), { target: { value: '' } });
    expect(confirm.disabled).toBe(false);
    fireEvent.click(confirm);
    await screen.findByTestId('toast');
    expect(backend.calls.find((call) => call.method === 'POST')?.body).toEqual({
      reason: { code: 'incident', text: 'Retry after the outage' },
      confirmation: 'REBUILD 2 TENANTS',
      options: { drift_guard: false },
    });
  });
});
