// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeBackend, json } from '../../test/fakeBackend';
import { renderSystem } from '../../test/renderSystem';
import { RunsPage } from './RunsPage';

vi.mock('../../lib/polling', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../lib/polling')>()),
  RUN_LIST_POLL_INTERVAL_MS: 40,
}));

function run(id: number, outcome: 'succeeded' | 'failed' | 'partially_succeeded' | 'cancelled') {
  return {
    id,
    runbook: 'findings.lifecycle.rebuild',
    runbook_version: 1,
    scope: { kind: 'tenant', tenant_id: 43 },
    workspace_id: null,
    status: 'completed',
    outcome,
    source: 'system_ui',
    initiator: { id: 1, username: 'ada' },
    reason: { code: 'data_repair', text: 'Backfill after the import' },
    preflight_id: 'pf',
    parameters: {},
    planned_at: null,
    counts: { total: 10, processed: 10, succeeded: 8, failed: 2, skipped: 0, retrying: 0, cancelled: 0, findings_changed: 3 },
    progress_percent: 100,
    eta_seconds: null,
    error_summary: null,
    cancel_reason: null,
    retry_of_run_id: null,
    stalled: null,
    retried_by: [],
    retryable_tenants: 2,
    duration_seconds: 125,
    created_at: '2030-01-01T00:00:00Z',
    started_at: '2030-01-01T00:00:01Z',
    completed_at: '2030-01-01T00:00:09Z',
    updated_at: '2030-01-01T00:00:09Z',
  };
}

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('RunsPage (issue 16)', () => {
  it("keeps polling when every run is completed, so another operator's new run appears (issue 22, item 4)", async () => {
    let served = [run(5, 'succeeded')];
    fakeBackend({
      'GET /system/api/ops/runs': () => json(200, { items: served, page: 1, per_page: 25, total: served.length }),
      'GET /system/api/ops/runbooks': () => json(200, { items: [] }),
    });
    renderSystem(<RunsPage />, { path: '/ops/runs' });
    await screen.findByRole('link', { name: '#5' });
    served = [run(6, 'succeeded'), ...served];
    expect(await screen.findByRole('link', { name: '#6' }, { timeout: 2000 })).toBeTruthy();
  });

  it('says a page past the end is empty and links the last page, not "No runs yet" (obs. 6)', async () => {
    fakeBackend({
      'GET /system/api/ops/runs': () => json(200, { items: [], page: 99, per_page: 25, total: 60 }),
      'GET /system/api/ops/runbooks': () => json(200, { items: [] }),
    });
    renderSystem(<RunsPage />, { path: '/ops/runs?status=completed&page=99' });
    const message = await screen.findByText(/No runs on page 99/);
    expect(message.textContent).toBe('No runs on page 99 — go to the last page');
    expect(within(message).getByRole('link', { name: 'go to the last page' }).getAttribute('href')).toBe(
      '/ops/runs?status=completed&page=3',
    );
    expect(screen.queryByText('No runs yet')).toBeNull();
  });

  it('puts the status early in each row and colours each bar by outcome (obs. 3, 9)', async () => {
    fakeBackend({
      'GET /system/api/ops/runs': () =>
        json(200, { items: [run(4, 'failed'), run(3, 'cancelled'), run(2, 'partially_succeeded'), run(1, 'succeeded')], page: 1, per_page: 25, total: 4 }),
      'GET /system/api/ops/runbooks': () => json(200, { items: [] }),
    });
    renderSystem(<RunsPage />, { path: '/ops/runs' });
    const table = await screen.findByRole('table', { name: 'Runs, newest first' });
    const headers = within(table).getAllByRole('columnheader').map((cell) => cell.textContent);
    expect(headers.slice(0, 3)).toEqual(['Run', 'Status', 'Progress']);
    const tones = within(table)
      .getAllByRole('progressbar')
      .map((bar) => bar.closest('.progress')!.className);
    expect(tones).toEqual([
      'progress progress-failed',
      'progress progress-cancelled',
      'progress progress-partially_succeeded',
      'progress progress-succeeded',
    ]);
    expect(within(table).getAllByRole('row')[1]!.textContent).toContain('100% Failed');
    // Only the internal id is known: not shown as if it were a name (obs. 2).
    expect(within(table).getAllByRole('row')[1]!.textContent).toContain('Tenant #43');
  });
});

describe('RunsPage filters and columns (docs/spec.md §18)', () => {
  function listed(overrides: Record<string, unknown> = {}) {
    return json(200, { items: [{ ...run(5, 'partially_succeeded'), ...overrides }], page: 1, per_page: 25, total: 1 });
  }

  it('shows failed, changed and duration, and names a tenant scope', async () => {
    fakeBackend({
      'GET /system/api/ops/runs': () =>
        listed({ scope: { kind: 'tenant', tenant_id: 43, tenant: { id: 43, name: 'Acme Tenant 43', external_id: 'tenant-043' } } }),
      'GET /system/api/ops/runbooks': () => json(200, { items: [] }),
    });
    renderSystem(<RunsPage />, { path: '/ops/runs' });
    const table = await screen.findByRole('table', { name: 'Runs, newest first' });
    const headers = within(table).getAllByRole('columnheader').map((cell) => cell.textContent);
    expect(headers).toEqual(expect.arrayContaining(['Failed', 'Changed', 'Duration']));
    const cells = within(within(table).getAllByRole('row')[1]!).getAllByRole('cell');
    const at = (name: string) => cells[headers.indexOf(name)]!.textContent;
    expect(at('Failed')).toBe('2');
    expect(at('Changed')).toBe('3');
    expect(at('Duration')).toBe('2m 5s');
    expect(at('Scope')).toBe('Tenant Acme Tenant 43 (tenant-043)');
  });

  it('names list, retry and workspace scopes by their count, a list never as a retry (docs/spec.md §21)', async () => {
    const scopes = [
      { kind: 'tenants', tenant_ids: [1, 2, 3], count: 250, retry_of: null },
      { kind: 'tenants', tenant_ids: [4, 9], count: 2, retry_of: 32 },
      { kind: 'workspace', workspace_id: 3, workspace: { id: 3, name: 'Acme' }, count: 12 },
    ];
    fakeBackend({
      'GET /system/api/ops/runs': () =>
        json(200, { items: scopes.map((scope, index) => ({ ...run(5 + index, 'succeeded'), scope })), page: 1, per_page: 25, total: 3 }),
      'GET /system/api/ops/runbooks': () => json(200, { items: [] }),
    });
    renderSystem(<RunsPage />, { path: '/ops/runs' });
    const table = await screen.findByRole('table', { name: 'Runs, newest first' });
    const column = within(table).getAllByRole('columnheader').map((cell) => cell.textContent).indexOf('Scope');
    const shown = within(table)
      .getAllByRole('row')
      .slice(1)
      .map((row) => within(row).getAllByRole('cell')[column]!.textContent);
    expect(shown).toEqual(['250 listed tenants', '2 tenants (retry of #32)', 'Workspace Acme (12 tenants)']);
  });

  it('marks a revert run "Revert of #N" beside its id, and reads its scope "(revert of #N)" (docs/spec.md §15)', async () => {
    const revert = {
      ...run(33, 'succeeded'),
      kind: 'revert',
      reverts_run_id: 32,
      scope: { kind: 'tenants', tenant_ids: [4, 9, 11], count: 3, retry_of: null, reverts_run_id: 32 },
    };
    const original = { ...run(32, 'succeeded'), kind: 'run', reverts_run_id: null, reverted_by: [{ id: 33, outcome: 'succeeded' }] };
    fakeBackend({
      'GET /system/api/ops/runs': () => json(200, { items: [revert, original], page: 1, per_page: 25, total: 2 }),
      'GET /system/api/ops/runbooks': () => json(200, { items: [] }),
    });
    renderSystem(<RunsPage />, { path: '/ops/runs' });
    const table = await screen.findByRole('table', { name: 'Runs, newest first' });
    const headers = within(table).getAllByRole('columnheader').map((cell) => cell.textContent);
    const [revertRow, originalRow] = within(table).getAllByRole('row').slice(1);
    const cell = (row: HTMLElement, name: string) => within(row).getAllByRole('cell')[headers.indexOf(name)]!;
    expect(cell(revertRow!, 'Run').textContent).toBe('#33Revert of #32');
    expect(within(cell(revertRow!, 'Run')).getByRole('link').textContent).toBe('#33');
    expect(cell(revertRow!, 'Scope').textContent).toBe('3 tenants (revert of #32)');
    expect(within(originalRow!).queryByTestId('revert-tag')).toBeNull();
  });

  it('keeps every filter in the URL, sends them to the API and to the CSV export', async () => {
    const backend = fakeBackend({
      'GET /system/api/ops/runs': () => listed(),
      'GET /system/api/ops/runbooks': () => json(200, { items: [] }),
    });
    renderSystem(<RunsPage />, {
      path: '/ops/runs?outcome=partially_succeeded&initiator=ada&source=cli&tenant_id=43&created_after=2030-01-01&created_before=2030-02-01&status=completed',
    });
    await screen.findByRole('table', { name: 'Runs, newest first' });
    const query = backend.calls.find((call) => call.path === '/system/api/ops/runs')!.url.searchParams;
    expect(Object.fromEntries(query)).toEqual({
      page: '1',
      per_page: '25',
      status: 'completed',
      outcome: 'partially_succeeded',
      initiator: 'ada',
      source: 'cli',
      tenant_id: '43',
      created_after: '2030-01-01T00:00:00Z',
      created_before: '2030-02-01T00:00:00Z',
    });
    expect((screen.getByLabelText('Outcome') as HTMLSelectElement).value).toBe('partially_succeeded');
    expect((screen.getByLabelText('Started by') as HTMLInputElement).value).toBe('ada');
    expect((screen.getByLabelText('Created from (UTC day)') as HTMLInputElement).value).toBe('2030-01-01');
    expect(screen.getByTestId('tenant-filter').textContent).toContain('tenant #43');
    const csv = new URL(screen.getByRole('link', { name: 'Export CSV' }).getAttribute('href')!, 'http://x');
    expect(csv.pathname).toBe('/system/api/ops/runs.csv');
    expect(Object.fromEntries(csv.searchParams)).toEqual({
      status: 'completed',
      outcome: 'partially_succeeded',
      initiator: 'ada',
      source: 'cli',
      tenant_id: '43',
      created_after: '2030-01-01T00:00:00Z',
      created_before: '2030-02-01T00:00:00Z',
    });

    // Changing a filter asks again with it (and page 1).
    fireEvent.change(screen.getByLabelText('Outcome'), { target: { value: 'failed' } });
    await waitFor(() =>
      expect(backend.calls.filter((call) => call.path === '/system/api/ops/runs').at(-1)!.url.searchParams.get('outcome')).toBe('failed'),
    );
    expect(screen.getByRole('link', { name: 'Export CSV' }).getAttribute('href')).toContain('outcome=failed');
  });

  it('names the tenant of a reloaded tenant_id in the box and below it (issue 22, item 10)', async () => {
    const backend = fakeBackend({
      'GET /system/api/ops/runs': () => json(200, { items: [], page: 1, per_page: 25, total: 0 }),
      'GET /system/api/ops/runbooks': () => json(200, { items: [] }),
      'GET /system/api/ops/tenants': () =>
        json(200, { items: [{ id: 333, external_id: 'tenant-333', name: 'Tenant 333', workspace_id: 1 }], page: 1, per_page: 20, total: 1 }),
    });
    renderSystem(<RunsPage />, { path: '/ops/runs?tenant_id=333' });
    await waitFor(() => expect(screen.getByTestId('tenant-filter').textContent).toContain('Runs with Tenant 333 (tenant-333)'));
    expect((screen.getByRole('combobox', { name: 'Tenant' }) as HTMLInputElement).value).toBe('Tenant 333');
    const lookup = backend.calls.find((call) => call.path === '/system/api/ops/tenants')!;
    expect(lookup.url.searchParams.get('id')).toBe('333');
  });

  it('puts the filters behind a "Filters" disclosure that counts the active ones (issue 22, item 9)', async () => {
    fakeBackend({
      'GET /system/api/ops/runs': () => json(200, { items: [], page: 1, per_page: 25, total: 0 }),
      'GET /system/api/ops/runbooks': () => json(200, { items: [] }),
    });
    renderSystem(<RunsPage />, { path: '/ops/runs?status=completed&source=cli' });
    const toggle = await screen.findByRole('button', { name: 'Filters (2 active)' });
    const form = screen.getByRole('search', { name: 'Filter runs' });
    expect(toggle.getAttribute('aria-controls')).toBe(form.id);
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(form.className).not.toContain('filters-open');
    fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(form.className).toContain('filters-open');
  });

  it('shows a 422 for a bad filter beside that field', async () => {
    fakeBackend({
      'GET /system/api/ops/runs': () =>
        new Response(
          JSON.stringify({
            type: 'about:blank',
            title: 'Invalid request',
            status: 422,
            detail: 'The request has invalid fields',
            errors: { initiator: ['no operator is named "nobody"'] },
          }),
          { status: 422, headers: { 'Content-Type': 'application/problem+json' } },
        ),
      'GET /system/api/ops/runbooks': () => json(200, { items: [] }),
    });
    renderSystem(<RunsPage />, { path: '/ops/runs?initiator=nobody' });
    const message = await screen.findByText('no operator is named "nobody"');
    const input = screen.getByLabelText('Started by');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(input.getAttribute('aria-describedby')).toBe(message.id);
    expect(screen.getByRole('alert').textContent).toContain('Change the marked filter');
  });
});

describe('RunsPage paused runs (docs/spec.md §13)', () => {
  it('shows a paused run with a badge of its own and filters on status=paused', async () => {
    const paused = { ...run(8, 'succeeded'), status: 'paused', outcome: null, progress_percent: 30, duration_seconds: null, completed_at: null };
    const backend = fakeBackend({
      'GET /system/api/ops/runs': () => json(200, { items: [paused, run(7, 'succeeded')], page: 1, per_page: 25, total: 2 }),
      'GET /system/api/ops/runbooks': () => json(200, { items: [] }),
    });
    renderSystem(<RunsPage />, { path: '/ops/runs' });
    const table = await screen.findByRole('table', { name: 'Runs, newest first' });
    const row = within(table).getAllByRole('row')[1]!;
    const badge = within(row).getByText('Paused', { selector: '.badge' });
    // Its own class (violet, dashed), not the running or queued one.
    expect(badge.className).toBe('badge badge-paused');
    expect(within(row).getByRole('progressbar').closest('.progress')!.className).toBe('progress progress-paused');
    expect(row.textContent).toContain('30% Paused');

    const status = screen.getByLabelText('Status') as HTMLSelectElement;
    expect([...status.options].map((option) => option.value)).toEqual(['', 'queued', 'running', 'paused', 'completed']);
    fireEvent.change(status, { target: { value: 'paused' } });
    await waitFor(() =>
      expect(backend.calls.filter((call) => call.path === '/system/api/ops/runs').at(-1)!.url.searchParams.get('status')).toBe('paused'),
    );
  });
});

describe('RunsPage throttled runs (docs/spec.md §14)', () => {
  it('marks a run the database health gate holds beside its status', async () => {
    const held = {
      ...run(9, 'succeeded'),
      status: 'running',
      outcome: null,
      progress_percent: 0,
      duration_seconds: null,
      completed_at: null,
      throttle: { indicator: 'external_check', value: 1, threshold: 0, since: '2030-01-01T00:00:05Z' },
    };
    fakeBackend({
      'GET /system/api/ops/runs': () => json(200, { items: [held, { ...run(7, 'succeeded'), throttle: null }], page: 1, per_page: 25, total: 2 }),
      'GET /system/api/ops/runbooks': () => json(200, { items: [] }),
    });
    renderSystem(<RunsPage />, { path: '/ops/runs' });
    const table = await screen.findByRole('table', { name: 'Runs, newest first' });
    const [heldRow, doneRow] = within(table).getAllByRole('row').slice(1);
    expect(within(heldRow!).getByText('Running', { selector: '.badge' })).toBeTruthy();
    const tag = within(heldRow!).getByText('Throttled');
    expect(tag.className).toBe('throttle-tag');
    expect(tag.getAttribute('title')).toBe('Held by the database health gate: no tenant starts');
    expect(within(doneRow!).queryByText('Throttled')).toBeNull();
  });
});
