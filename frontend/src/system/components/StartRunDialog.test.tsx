// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PreflightResult, Scope } from '../../api/types';
import { ProblemError } from '../../api/client';
import { fakeBackend, json } from '../../test/fakeBackend';
import { renderSystem } from '../../test/renderSystem';
import { api } from '../session';
import { StartRunDialog, startRefusal } from './StartRunDialog';

const KEY = 'findings.lifecycle.rebuild';
const PHRASE = 'REBUILD 25 TENANTS';
const RUNBOOK = {
  key: KEY,
  title: 'Rebuild Findings Lifecycle',
  parameters: { type: 'object', properties: {}, additionalProperties: false },
};
const STALE = {
  key: 'findings.stale.close',
  title: 'Close Stale Findings',
  parameters: {
    type: 'object',
    properties: {
      last_seen_before: { type: 'string', format: 'date-time' },
      severities: {
        type: 'array',
        items: { type: 'string', enum: ['low', 'medium', 'high', 'critical'] },
        minItems: 1,
      },
    },
    required: ['last_seen_before'],
  },
};

function preflight(scope: PreflightResult['scope']): PreflightResult {
  const all = scope.kind === 'all_tenants';
  return {
    preflight_id: 'pf-1',
    kind: 'run',
    runbook: KEY,
    scope,
    parameters: {},
    planned_at: '2029-12-31T23:50:00Z',
    tenants_in_scope: all ? 25 : 1,
    tenants_with_changes: 3,
    findings_examined: 100,
    findings_to_change: 7,
    changes_by_rule: { R1: 1, R2: 0, R3: 0, R4: 2, R5: 0, R6: 4, R7: 0 },
    sample: [],
    estimated_seconds: 3,
    confirmation: { required: all, phrase: all ? PHRASE : null },
    expires_at: '2030-01-01T00:00:00Z',
  };
}

function run(id: number, status: 'queued' | 'running' | 'completed' = 'queued') {
  return {
    id,
    runbook: KEY,
    runbook_version: 1,
    scope: { kind: 'all_tenants' },
    workspace_id: null,
    status,
    outcome: null,
    source: 'system_ui',
    initiator: { id: 1, username: 'ada' },
    reason: { code: 'data_repair', text: 'Backfill after the import' },
    preflight_id: 'pf-1',
    counts: { total: 25, processed: 5, succeeded: 5, failed: 0, skipped: 0, findings_changed: 9 },
    progress_percent: 20,
    eta_seconds: 12,
    error_summary: null,
    cancel_reason: null,
    retry_of_run_id: null,
    created_at: '2030-01-01T00:00:00Z',
    started_at: null,
    completed_at: null,
    updated_at: '2030-01-01T00:00:00Z',
    deduplicated: false,
  };
}

/** The request scope the preflight was asked for (what a start sends back). */
function sent(scope: PreflightResult['scope']): Scope {
  if (scope.kind === 'tenant') return { kind: 'tenant', tenant_id: scope.tenant_id };
  if (scope.kind === 'all_tenants') return { kind: 'all_tenants' };
  if (scope.kind === 'workspace') return { kind: 'workspace', workspace_id: scope.workspace_id };
  return { kind: 'tenants', tenant_ids: scope.tenant_ids };
}

function open(scope: PreflightResult['scope'], onClose = vi.fn()) {
  renderSystem(<StartRunDialog runbook={RUNBOOK} preflight={preflight(scope)} scope={sent(scope)} onClose={onClose} />);
  return onClose;
}

function fillReason() {
  fireEvent.change(screen.getByLabelText('Reason code'), { target: { value: 'data_repair' } });
  fireEvent.change(screen.getByLabelText('Reason'), {
    target: { value: 'Backfill after the import' },
  });
}

const startButton = () => screen.getByRole('button', { name: 'Start run' }) as HTMLButtonElement;

afterEach(() => {
  cleanup();
  api.setCsrfToken(null);
  vi.unstubAllGlobals();
});

describe('StartRunDialog', () => {
  it('is a labelled modal dialog that starts with focus on the reason code', () => {
    open({ kind: 'all_tenants' });
    const dialog = screen.getByRole('dialog', { name: 'Start Rebuild Findings Lifecycle' });
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(document.activeElement).toBe(screen.getByLabelText('Reason code'));
  });

  it('keeps Start disabled until the reason is valid and the phrase matches exactly', () => {
    open({ kind: 'all_tenants' });
    expect(startButton().disabled).toBe(true);

    fireEvent.change(screen.getByLabelText('Reason code'), { target: { value: 'incident' } });
    fireEvent.change(screen.getByLabelText('Reason'), { target: { value: 'too short' } });
    expect(screen.getByText(/Enter at least 10 characters \(9 so far\)/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Reason'), { target: { value: 'Long enough reason' } });
    expect(startButton().disabled).toBe(true);

    const phrase = screen.getByLabelText(/to confirm/);
    for (const wrong of ['', 'rebuild 25 tenants', `${PHRASE} `, 'REBUILD 24 TENANTS']) {
      fireEvent.change(phrase, { target: { value: wrong } });
      expect(startButton().disabled).toBe(true);
    }
    fireEvent.change(phrase, { target: { value: PHRASE } });
    expect(startButton().disabled).toBe(false);
  });

  it('needs no phrase for one tenant', () => {
    open({ kind: 'tenant', tenant_id: 2 });
    expect(screen.queryByLabelText(/to confirm/)).toBeNull();
    fillReason();
    expect(startButton().disabled).toBe(false);
  });

  it('sends the start and shows only an intent toast linking to the run', async () => {
    const backend = fakeBackend({
      [`POST /system/api/ops/runbooks/${KEY}/runs`]: () => json(201, run(42)),
    });
    const onClose = open({ kind: 'all_tenants' });
    fillReason();
    fireEvent.change(screen.getByLabelText(/to confirm/), { target: { value: PHRASE } });
    fireEvent.click(startButton());

    const toast = await screen.findByTestId('toast');
    expect(onClose).toHaveBeenCalled();
    expect(backend.calls[0]?.body).toEqual({
      scope: { kind: 'all_tenants' },
      reason: { code: 'data_repair', text: 'Backfill after the import' },
      preflight_id: 'pf-1',
      confirmation: PHRASE,
      parameters: {},
    });
    // Intent only: what was asked for and where to follow it, never progress or counts.
    expect(within(toast).getByText('Run queued')).toBeTruthy();
    expect(within(toast).getByRole('link', { name: 'View run #42' }).getAttribute('href')).toBe(
      '/ops/runs/42',
    );
    expect(toast.textContent).not.toMatch(/%|\d+ of \d+|running|succeeded|ETA|remaining/i);
    expect(within(toast).queryByRole('progressbar')).toBeNull();
    // The toast made no requests of its own (no polling of the run).
    expect(backend.calls).toHaveLength(1);
  });

  it('names a workspace scope, asks for its phrase, and sends the request scope, not the view (docs/spec.md §21)', async () => {
    const backend = fakeBackend({
      [`POST /system/api/ops/runbooks/${KEY}/runs`]: () => json(201, run(43)),
    });
    const view = { kind: 'workspace', workspace_id: 3, workspace: { id: 3, name: 'Acme' }, count: 12 } as const;
    renderSystem(
      <StartRunDialog
        runbook={RUNBOOK}
        preflight={{ ...preflight(view), tenants_in_scope: 12, confirmation: { required: true, phrase: 'REBUILD 12 TENANTS' } }}
        scope={{ kind: 'workspace', workspace_id: 3 }}
        onClose={vi.fn()}
      />,
    );
    const dialog = screen.getByRole('dialog');
    expect(dialog.textContent).toContain('over workspace Acme (12 tenants): 7 findings would change.');
    expect(dialog.textContent).toContain('This run changes 12 tenants. The phrase must match exactly');
    fillReason();
    fireEvent.change(screen.getByLabelText(/to confirm/), { target: { value: 'REBUILD 12 TENANTS' } });
    fireEvent.click(startButton());
    await screen.findByTestId('toast');
    expect(backend.calls[0]?.body).toMatchObject({ scope: { kind: 'workspace', workspace_id: 3 }, confirmation: 'REBUILD 12 TENANTS' });
  });

  it('points to the active run on 409', async () => {
    fakeBackend({
      [`POST /system/api/ops/runbooks/${KEY}/runs`]: () =>
        new Response(
          JSON.stringify({ title: 'Conflict', status: 409, detail: 'overlap', active_run_id: 7 }),
          { status: 409, headers: { 'Content-Type': 'application/problem+json' } },
        ),
    });
    open({ kind: 'tenant', tenant_id: 2 });
    fillReason();
    fireEvent.click(startButton());

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/Another run is active/);
    expect(within(alert).getByRole('link', { name: 'View active run #7' }).getAttribute('href')).toBe(
      '/ops/runs/7',
    );
    expect(screen.queryByTestId('toast')).toBeNull();
  });

  it('shows field errors from a 422', async () => {
    fakeBackend({
      [`POST /system/api/ops/runbooks/${KEY}/runs`]: () =>
        new Response(
          JSON.stringify({
            title: 'Invalid request',
            status: 422,
            detail: 'The request has invalid fields',
            errors: { 'reason.text': ['must not be blank'], scope: ['unknown tenant'] },
          }),
          { status: 422, headers: { 'Content-Type': 'application/problem+json' } },
        ),
    });
    open({ kind: 'tenant', tenant_id: 2 });
    fillReason();
    fireEvent.click(startButton());

    expect(await screen.findByText('must not be blank')).toBeTruthy();
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toMatch(/scope.*unknown tenant/);
  });

  it('says a stale preflight once and offers "Re-run preflight" instead of Start (issue 16, obs. 8)', async () => {
    // As the server sends it: the detail and the preflight_id field carry the same message.
    const message = 'preflight is stale: it expired; run a new preflight';
    fakeBackend({
      [`POST /system/api/ops/runbooks/${KEY}/runs`]: () =>
        new Response(
          JSON.stringify({ title: 'Unprocessable Entity', status: 422, detail: message, errors: { preflight_id: [message] } }),
          { status: 422, headers: { 'Content-Type': 'application/problem+json' } },
        ),
    });
    const onRerunPreflight = vi.fn();
    renderSystem(
      <StartRunDialog runbook={RUNBOOK} preflight={preflight({ kind: 'tenant', tenant_id: 2 })} scope={{ kind: 'tenant', tenant_id: 2 }} onClose={vi.fn()} onRerunPreflight={onRerunPreflight} />,
    );
    fillReason();
    fireEvent.click(startButton());

    const alert = await screen.findByRole('alert');
    const dialog = screen.getByRole('dialog');
    expect(dialog.textContent?.split('preflight is stale').length).toBe(2);
    expect(startButton().disabled).toBe(true);
    fireEvent.click(within(alert).getByRole('button', { name: 'Re-run preflight' }));
    expect(onRerunPreflight).toHaveBeenCalledTimes(1);
  });

  it('keeps Start disabled after a 409 (issue 16, obs. 5)', async () => {
    const backend = fakeBackend({
      [`POST /system/api/ops/runbooks/${KEY}/runs`]: () =>
        new Response(
          JSON.stringify({ title: 'Conflict', status: 409, detail: 'overlap', active_run_id: 7 }),
          { status: 409, headers: { 'Content-Type': 'application/problem+json' } },
        ),
    });
    open({ kind: 'tenant', tenant_id: 2 });
    fillReason();
    fireEvent.click(startButton());
    await screen.findByRole('link', { name: 'View active run #7' });
    expect(startButton().disabled).toBe(true);
    fireEvent.click(startButton());
    expect(backend.calls.filter((call) => call.method === 'POST')).toHaveLength(1);
  });

  it("words a deduplicated start from the run's status and tells the page (issue 16, obs. 7)", async () => {
    fakeBackend({
      [`POST /system/api/ops/runbooks/${KEY}/runs`]: () => json(200, { ...run(38, 'running'), deduplicated: true }),
    });
    const onStarted = vi.fn();
    renderSystem(
      <StartRunDialog runbook={RUNBOOK} preflight={preflight({ kind: 'tenant', tenant_id: 2 })} scope={{ kind: 'tenant', tenant_id: 2 }} onClose={vi.fn()} onStarted={onStarted} />,
    );
    fillReason();
    fireEvent.click(startButton());
    const toast = await screen.findByTestId('toast');
    expect(within(toast).getByText('Run #38 is already running')).toBeTruthy();
    expect(toast.textContent).not.toContain('queued');
    expect(onStarted).toHaveBeenCalledWith(expect.objectContaining({ id: 38, deduplicated: true }));
  });

  it('names the picked tenant "name (external_id)", never its internal id (issue 16, obs. 2)', () => {
    renderSystem(
      <StartRunDialog
        runbook={RUNBOOK}
        preflight={preflight({ kind: 'tenant', tenant_id: 43 })}
        scope={{ kind: 'tenant', tenant_id: 43 }}
        tenant={{ id: 43, name: 'Hidden Tenant 42', external_id: 'hx-tenant-42' }}
        onClose={vi.fn()}
      />,
    );
    const dialog = screen.getByRole('dialog');
    expect(dialog.textContent).toContain('over tenant Hidden Tenant 42 (hx-tenant-42):');
    expect(dialog.textContent).not.toMatch(/tenant 43/);
  });

  it('says in text when the phrase does not match, linked by aria-describedby (issue 16, obs. 11)', () => {
    open({ kind: 'all_tenants' });
    const input = screen.getByLabelText(/to confirm/);
    // A correct beginning is not an error yet.
    fireEvent.change(input, { target: { value: 'REBUILD 2' } });
    expect(screen.queryByText(/doesn't match/)).toBeNull();
    expect(input.getAttribute('aria-invalid')).toBeNull();
    fireEvent.change(input, { target: { value: 'rebuild 25 tenants' } });
    const message = screen.getByText(/The phrase doesn't match — type:/);
    expect(message.textContent).toBe(`The phrase doesn't match — type: ${PHRASE}`);
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(input.getAttribute('aria-describedby')?.split(' ')).toContain(message.id);
    // Leaving the field with an unfinished phrase says it too.
    fireEvent.change(input, { target: { value: 'REBUILD 2' } });
    fireEvent.blur(input);
    expect(screen.getByText(/The phrase doesn't match/)).toBeTruthy();
    fireEvent.change(input, { target: { value: PHRASE } });
    expect(screen.queryByText(/doesn't match/)).toBeNull();
  });

  it("names the runbook, shows the preflight's parameters and phrase and sends its parameters back", async () => {
    const backend = fakeBackend({
      'POST /system/api/ops/runbooks/findings.stale.close/runs': () =>
        json(201, { ...run(43), runbook: STALE.key }),
    });
    // The server's canonical parameters and its phrase; neither is rebuilt in the dialog.
    const parameters = { last_seen_before: '2026-10-31T00:00:00Z', severities: ['high', 'critical'] };
    const stalePreflight: PreflightResult = {
      ...preflight({ kind: 'all_tenants' }),
      runbook: STALE.key,
      parameters,
      changes_by_rule: { S1: 6 },
      confirmation: { required: true, phrase: 'CLOSE STALE IN 25 TENANTS' },
    };
    renderSystem(<StartRunDialog runbook={STALE} preflight={stalePreflight} scope={{ kind: 'all_tenants' }} onClose={vi.fn()} />);

    const dialog = screen.getByRole('dialog', { name: 'Start Close Stale Findings' });
    expect(dialog.textContent).toContain(
      'Parameters: Last seen before 2026-10-31 00:00:00 UTC; severities high, critical.',
    );
    expect(within(dialog).getByText('CLOSE STALE IN 25 TENANTS').tagName).toBe('CODE');
    fillReason();
    // The lifecycle runbook's phrase does not unlock this one.
    fireEvent.change(screen.getByLabelText(/to confirm/), { target: { value: PHRASE } });
    expect(startButton().disabled).toBe(true);
    fireEvent.change(screen.getByLabelText(/to confirm/), {
      target: { value: 'CLOSE STALE IN 25 TENANTS' },
    });
    fireEvent.click(startButton());

    await screen.findByTestId('toast');
    expect(backend.calls[0]?.body).toEqual({
      scope: { kind: 'all_tenants' },
      reason: { code: 'data_repair', text: 'Backfill after the import' },
      preflight_id: 'pf-1',
      confirmation: 'CLOSE STALE IN 25 TENANTS',
      parameters,
    });
  });

  it('closes on Escape', () => {
    const onClose = open({ kind: 'tenant', tenant_id: 2 });
    fireEvent.keyDown(screen.getByLabelText('Reason code'), { key: 'Escape' });
    expect(onClose).toHaveBeenCalled();
  });
});

describe('StartRunDialog when the preflight found nothing to change (docs/spec.md §18)', () => {
  function openNothing(onRerunPreflight = vi.fn()) {
    renderSystem(
      <StartRunDialog
        runbook={RUNBOOK}
        preflight={{ ...preflight({ kind: 'tenant', tenant_id: 2 }), findings_to_change: 0, tenants_with_changes: 0, changes_by_rule: {} }}
        scope={{ kind: 'tenant', tenant_id: 2 }}
        onClose={vi.fn()}
        onRerunPreflight={onRerunPreflight}
      />,
    );
    return onRerunPreflight;
  }
  const anyway = () =>
    screen.getByRole('checkbox', { name: 'Start anyway — the preflight found nothing to change' }) as HTMLInputElement;

  it('asks with a checkbox and sends allow_no_changes: true only when it is ticked', async () => {
    const backend = fakeBackend({ [`POST /system/api/ops/runbooks/${KEY}/runs`]: () => json(201, run(43)) });
    openNothing();
    fillReason();
    expect(anyway().checked).toBe(false);
    expect(startButton().disabled).toBe(true);
    fireEvent.click(anyway());
    expect(startButton().disabled).toBe(false);
    fireEvent.click(startButton());
    await screen.findByTestId('toast');
    expect((backend.calls[0]?.body as { allow_no_changes: boolean }).allow_no_changes).toBe(true);
  });

  it('does not read a 422 about the allow_no_changes field as no_changes', () => {
    const refused = new ProblemError(422, {
      type: 'about:blank',
      title: 'Unprocessable Entity',
      status: 422,
      errors: { body: ['unknown field `allow_no_changes`'] },
    });
    expect(startRefusal(refused)).toBeNull();
  });

  it('has no such box when the preflight found changes', () => {
    open({ kind: 'tenant', tenant_id: 2 });
    expect(screen.queryByRole('checkbox')).toBeNull();
  });

  it('says a 422 no_changes once, with "Re-run preflight"', async () => {
    fakeBackend({
      [`POST /system/api/ops/runbooks/${KEY}/runs`]: () =>
        new Response(
          JSON.stringify({ title: 'Unprocessable Entity', status: 422, code: 'no_changes', detail: 'no_changes: the preflight found nothing to change' }),
          { status: 422, headers: { 'Content-Type': 'application/problem+json' } },
        ),
    });
    const rerun = openNothing();
    fillReason();
    fireEvent.click(anyway());
    fireEvent.click(startButton());
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The preflight found nothing to change');
    expect(screen.getByRole('dialog').textContent?.split('found nothing to change, and').length).toBe(2);
    expect(startButton().disabled).toBe(true);
    fireEvent.click(within(alert).getByRole('button', { name: 'Re-run preflight' }));
    expect(rerun).toHaveBeenCalledTimes(1);
  });

  it('says a 422 preflight_used once, with "Re-run preflight"', async () => {
    fakeBackend({
      [`POST /system/api/ops/runbooks/${KEY}/runs`]: () =>
        new Response(
          JSON.stringify({
            title: 'Unprocessable Entity',
            status: 422,
            detail: 'preflight_used',
            errors: { preflight_id: ['preflight_used: this preflight already started a run'] },
          }),
          { status: 422, headers: { 'Content-Type': 'application/problem+json' } },
        ),
    });
    const onRerunPreflight = vi.fn();
    renderSystem(
      <StartRunDialog runbook={RUNBOOK} preflight={preflight({ kind: 'tenant', tenant_id: 2 })} scope={{ kind: 'tenant', tenant_id: 2 }} onClose={vi.fn()} onRerunPreflight={onRerunPreflight} />,
    );
    fillReason();
    fireEvent.click(startButton());
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('This preflight has already started a run');
    expect(within(alert).getByRole('button', { name: 'Re-run preflight' })).toBeTruthy();
    expect(startButton().disabled).toBe(true);
  });
});

describe('StartRunDialog advanced options (docs/spec.md §13)', () => {
  const ADVANCED = /^Advanced: concurrency, failure budget, waves, canary tenants/;
  const TENANTS = [
    { id: 11, external_id: 'tenant-011', name: 'Acme Tenant 11', workspace_id: 1 },
    { id: 4, external_id: 'tenant-004', name: 'Acme Tenant 4', workspace_id: 1 },
  ];
  const lookup = ({ body }: { body: unknown }) => {
    const ids = (body as { external_ids: string[] }).external_ids;
    return json(200, {
      found: TENANTS.filter((tenant) => ids.includes(tenant.external_id)),
      missing: ids.filter((id) => !TENANTS.some((tenant) => tenant.external_id === id)),
      platform: null,
    });
  };

  function openAdvanced() {
    const toggle = screen.getByRole('button', { name: ADVANCED });
    fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
  }

  function readyAllTenants() {
    fillReason();
    fireEvent.change(screen.getByLabelText(/to confirm/), { target: { value: PHRASE } });
  }

  it('is a collapsed disclosure whose four options each say what they do', () => {
    open({ kind: 'all_tenants' });
    const toggle = screen.getByRole('button', { name: ADVANCED });
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(screen.queryByLabelText('Max concurrency')).toBeNull();
    openAdvanced();
    const help = (label: string) =>
      document.getElementById(screen.getByLabelText(label).getAttribute('aria-describedby')!.split(' ')[0]!)?.textContent;
    expect(help('Max concurrency')).toMatch(/^At most this many tenants are repaired at the same time, across all workers/);
    expect(help('Failure budget')).toMatch(/^Pause the run by itself when more than this many tenants have failed/);
    expect(help('Waves')).toMatch(/^Run in stages: e.g. 5, 50 repairs 5 tenants, pauses for you to check, then up to 50/);
    expect(help('Canary tenants')).toMatch(/^These tenants go first, in this order \(external ids/);
  });

  it('leaves waves and canary tenants out of a one-tenant scope, and says why', () => {
    open({ kind: 'tenant', tenant_id: 2 });
    openAdvanced();
    expect(screen.getByLabelText('Max concurrency')).toBeTruthy();
    expect(screen.queryByLabelText('Waves')).toBeNull();
    expect(screen.queryByLabelText('Canary tenants')).toBeNull();
    expect(screen.getByTestId('stages-unavailable').textContent).toContain(
      'Waves and canary tenants need more than one tenant in scope',
    );
  });

  it('checks each option as the server does, beside it, and keeps Start disabled until they are fixed', () => {
    open({ kind: 'all_tenants' });
    readyAllTenants();
    openAdvanced();
    expect(startButton().disabled).toBe(false);
    const cases: [string, string, RegExp][] = [
      ['Max concurrency', '0', /whole number from 1 to 256/],
      ['Max concurrency', '257', /whole number from 1 to 256/],
      ['Failure budget', '-1', /0 or more/],
      ['Waves', '5, 5', /larger than the one before/],
      ['Waves', '25', /below the 25 tenants in scope/],
      ['Canary tenants', 'tenant-004, tenant-004', /tenant-004 is named twice/],
    ];
    for (const [label, value, message] of cases) {
      const input = screen.getByLabelText(label);
      fireEvent.change(input, { target: { value } });
      expect(input.getAttribute('aria-invalid')).toBe('true');
      const described = input.getAttribute('aria-describedby')!.split(' ').map((id) => document.getElementById(id)?.textContent).join(' ');
      expect(described).toMatch(message);
      expect(startButton().disabled).toBe(true);
      fireEvent.change(input, { target: { value: '' } });
      expect(input.getAttribute('aria-invalid')).toBeNull();
    }
    expect(startButton().disabled).toBe(false);
    // Collapsed, the disclosure still says something needs fixing.
    fireEvent.change(screen.getByLabelText('Waves'), { target: { value: '0' } });
    fireEvent.click(screen.getByRole('button', { name: ADVANCED }));
    expect(screen.getByRole('button', { name: ADVANCED }).textContent).toMatch(/\(1 set\) — 1 to fix$/);
  });

  it('sends no options when none is set', async () => {
    const backend = fakeBackend({ [`POST /system/api/ops/runbooks/${KEY}/runs`]: () => json(201, run(42)) });
    open({ kind: 'all_tenants' });
    readyAllTenants();
    openAdvanced();
    fireEvent.click(startButton());
    await screen.findByTestId('toast');
    expect(backend.calls[0]?.body).not.toHaveProperty('options');
  });

  it('sends only the options that are set, the canary tenants looked up and sent as ids in order', async () => {
    const backend = fakeBackend({
      'POST /system/api/ops/tenants/lookup': lookup,
      [`POST /system/api/ops/runbooks/${KEY}/runs`]: () => json(201, run(42)),
    });
    open({ kind: 'all_tenants' });
    readyAllTenants();
    openAdvanced();
    fireEvent.change(screen.getByLabelText('Max concurrency'), { target: { value: '4' } });
    fireEvent.change(screen.getByLabelText('Waves'), { target: { value: '5, 20' } });
    const canary = screen.getByLabelText('Canary tenants');
    fireEvent.change(canary, { target: { value: 'tenant-011\ntenant-004' } });
    fireEvent.blur(canary);
    expect(
      await screen.findByText('First, in this order: Acme Tenant 11 (tenant-011), Acme Tenant 4 (tenant-004).'),
    ).toBeTruthy();
    fireEvent.click(startButton());
    await screen.findByTestId('toast');
    const start = backend.calls.find((call) => call.path.endsWith('/runs'));
    expect(start?.body).toMatchObject({
      options: { max_concurrency: 4, waves: [5, 20], canary_tenant_ids: [11, 4] },
    });
    expect((start?.body as { options: object }).options).not.toHaveProperty('failure_budget');
    // Looked up once, when the field was left; the start used that answer.
    expect(backend.calls.filter((call) => call.path.endsWith('/lookup'))).toHaveLength(1);
  });

  it('looks canary tenants up at Start when the field was not left, and refuses ids that name no tenant', async () => {
    const backend = fakeBackend({
      'POST /system/api/ops/tenants/lookup': lookup,
      [`POST /system/api/ops/runbooks/${KEY}/runs`]: () => json(201, run(42)),
    });
    open({ kind: 'all_tenants' });
    readyAllTenants();
    openAdvanced();
    fireEvent.change(screen.getByLabelText('Canary tenants'), { target: { value: 'tenant-004, tenant-999' } });
    fireEvent.click(startButton());
    expect(await screen.findByText('Not a tenant a runbook can target: tenant-999.')).toBeTruthy();
    expect(backend.calls.some((call) => call.path.endsWith('/runs'))).toBe(false);
    expect(startButton().disabled).toBe(true);
  });

  it('refuses canary tenants outside a workspace scope', async () => {
    fakeBackend({ 'POST /system/api/ops/tenants/lookup': lookup });
    renderSystem(
      <StartRunDialog
        runbook={RUNBOOK}
        preflight={{ ...preflight({ kind: 'workspace', workspace_id: 2, workspace: { id: 2, name: 'Globex' }, count: 12 }), tenants_in_scope: 12 }}
        scope={{ kind: 'workspace', workspace_id: 2 }}
        onClose={vi.fn()}
      />,
    );
    openAdvanced();
    const canary = screen.getByLabelText('Canary tenants');
    fireEvent.change(canary, { target: { value: 'tenant-004' } });
    fireEvent.blur(canary);
    expect(await screen.findByText(/^Not in this run's scope: tenant-004\./)).toBeTruthy();
  });

  it('has a drift guard, on by default with one line of help, that sends drift_guard: false only when unticked (docs/spec.md §15)', async () => {
    const backend = fakeBackend({ [`POST /system/api/ops/runbooks/${KEY}/runs`]: () => json(201, run(42)) });
    open({ kind: 'all_tenants' });
    readyAllTenants();
    const toggle = screen.getByRole('button', { name: ADVANCED });
    expect(toggle.textContent).toBe('Advanced: concurrency, failure budget, waves, canary tenants, drift guard');
    openAdvanced();
    const guard = screen.getByRole('checkbox', { name: 'Drift guard' }) as HTMLInputElement;
    expect(guard.checked).toBe(true);
    const described = () => guard.getAttribute('aria-describedby')!.split(' ').map((id) => document.getElementById(id)?.textContent);
    expect(described()).toEqual([
      'Fail a tenant, untouched, when it would change far more rows than this preflight predicted.',
    ]);
    fireEvent.click(guard);
    expect(guard.checked).toBe(false);
    expect(described()[1]).toMatch(/^Off for this run: every tenant is written, however many rows it changes/);
    // Collapsed, the disclosure counts it as set.
    fireEvent.click(toggle);
    expect(toggle.textContent).toMatch(/drift guard \(1 set\)$/);
    fireEvent.click(startButton());
    await screen.findByTestId('toast');
    expect((backend.calls[0]?.body as { options: unknown }).options).toEqual({ drift_guard: false });
  });

  it('sends no drift_guard key while the guard is on, beside other options', async () => {
    const backend = fakeBackend({ [`POST /system/api/ops/runbooks/${KEY}/runs`]: () => json(201, run(42)) });
    open({ kind: 'all_tenants' });
    readyAllTenants();
    openAdvanced();
    fireEvent.change(screen.getByLabelText('Max concurrency'), { target: { value: '3' } });
    // Off, then on again: back to the default, which is not sent.
    fireEvent.click(screen.getByRole('checkbox', { name: 'Drift guard' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'Drift guard' }));
    fireEvent.click(startButton());
    await screen.findByTestId('toast');
    expect((backend.calls[0]?.body as { options: unknown }).options).toEqual({ max_concurrency: 3 });
  });

  it("shows the server's 422 on an option beside that option, once, and opens Advanced for it", async () => {
    const message = 'each boundary must be below the 25 tenants in scope (the last wave is the rest)';
    fakeBackend({
      [`POST /system/api/ops/runbooks/${KEY}/runs`]: () =>
        new Response(
          JSON.stringify({ title: 'Unprocessable Entity', status: 422, detail: message, errors: { 'options.waves': [message] } }),
          { status: 422, headers: { 'Content-Type': 'application/problem+json' } },
        ),
    });
    open({ kind: 'all_tenants' });
    readyAllTenants();
    openAdvanced();
    fireEvent.change(screen.getByLabelText('Waves'), { target: { value: '5, 20' } });
    fireEvent.click(screen.getByRole('button', { name: ADVANCED }));
    fireEvent.click(startButton());
    const waves = await screen.findByLabelText('Waves');
    await waitFor(() => expect(waves.getAttribute('aria-invalid')).toBe('true'));
    expect(screen.getAllByText(message)).toHaveLength(1);
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
