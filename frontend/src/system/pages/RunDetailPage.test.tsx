// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Capability } from '../../api/types';
import { fakeBackend, json } from '../../test/fakeBackend';
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

function run(status: 'queued' | 'running' | 'completed', processed: number) {
  return {
    id: 9,
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
    counts: { total: 4, processed, succeeded: processed, failed: 0, skipped: 0, findings_changed: 3 },
    progress_percent: (processed / 4) * 100,
    eta_seconds: status === 'completed' ? null : 5,
    error_summary: null,
    cancel_reason: null,
    retry_of_run_id: null,
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
      status: 'failed',
      attempts: 3,
      findings_examined: 10,
      findings_changed: 0,
      changes_by_rule: null,
      error: 'lease expired',
      started_at: null,
      completed_at: null,
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
  });

  it('offers cancel only with ops.runs.cancel and while the run is active', async () => {
    fakeBackend({
      'GET /system/api/ops/runs/9': () => json(200, run('running', 1)),
      'GET /system/api/ops/runs/9/items': () => json(200, ITEMS),
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
    });
    renderSystem(<RunDetailPage />, { path: '/ops/runs/9', route: '/ops/runs/:id', capabilities: ['ops.runs.view'] });
    await screen.findByText('Succeeded', { selector: '.run-status .badge' });
    expect(within(details()).queryByText('Parameters')).toBeNull();
    expect(within(details()).queryByText('Planned at')).toBeNull();
  });
});

/** A run with `failed` failed tenants, over all tenants or one. */
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
    'GET /system/api/ops/runs/9': () => json(200, served),
    'GET /system/api/ops/runs/9/items': () => json(200, ITEMS),
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
