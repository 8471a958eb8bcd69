// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBackend, json } from '../../test/fakeBackend';
import { renderSystem } from '../../test/renderSystem';
import { RunbookPage } from './RunbookPage';

// Same rule as production (poll only while a run is active), at 40 ms instead of 3 s.
vi.mock('../../lib/polling', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../lib/polling')>();
  return {
    ...original,
    ACTIVE_RUNS_POLL_INTERVAL_MS: 40,
  };
});

const STALE_KEY = 'findings.stale.close';
const LIFECYCLE_KEY = 'findings.lifecycle.rebuild';

function runbookView(key: string) {
  const stale = key === STALE_KEY;
  return {
    key,
    title: stale ? 'Close Stale Findings' : 'Rebuild Findings Lifecycle',
    description: stale ? 'Closes open findings not seen since a cutoff.' : 'Repairs lifecycle fields.',
    version: 1,
    allowed_scopes: ['tenant', 'all_tenants'],
    run_on_deploy: !stale,
    rules: stale ? ['S1'] : ['R1', 'R2'],
    // The names and descriptions come from here only; the SPA has no list of its own.
    rule_details: stale
      ? [{ key: 'S1', name: 'close_stale', description: 'stale open findings are closed' }]
      : [
          { key: 'R1', name: 'first_seen', description: 'first_seen_at := coalesce(first_seen_at, created_at)' },
          { key: 'R2', name: 'last_seen_custom', description: 'a name no hard-coded list has' },
        ],
    parameters: stale
      ? {
          type: 'object',
          additionalProperties: false,
          properties: {
            last_seen_before: {
              type: 'string',
              format: 'date-time',
              description: 'Findings last seen before this instant are closed.',
            },
            severities: {
              type: 'array',
              items: { type: 'string', enum: ['low', 'medium', 'high', 'critical'] },
              minItems: 1,
            },
          },
          required: ['last_seen_before'],
        }
      : { type: 'object', properties: {}, additionalProperties: false },
    confirmation_verb: stale ? 'CLOSE STALE IN' : 'REBUILD',
    active_run: null,
    active_runs: [],
    last_run: null,
  };
}

function preflightResult(key: string, parameters: Record<string, unknown>) {
  return {
    preflight_id: 'pf-9',
    runbook: key,
    scope: { kind: 'all_tenants' },
    parameters,
    planned_at: '2026-11-30T20:12:51Z',
    tenants_in_scope: 25,
    tenants_with_changes: 3,
    findings_examined: 100,
    findings_to_change: 6,
    changes_by_rule: key === STALE_KEY ? { S1: 6 } : { R2: 6 },
    sample: [],
    estimated_seconds: 2,
    confirmation: { required: true, phrase: key === STALE_KEY ? 'CLOSE STALE IN 25 TENANTS' : 'REBUILD 25 TENANTS' },
    expires_at: '2026-11-30T20:27:51Z',
  };
}

function unprocessable(errors: Record<string, string[]>) {
  return new Response(
    JSON.stringify({ type: 'about:blank', title: 'Unprocessable Entity', status: 422, detail: 'invalid parameters', errors }),
    { status: 422, headers: { 'Content-Type': 'application/problem+json' } },
  );
}

function open(key: string) {
  return renderSystem(<RunbookPage />, { path: `/ops/runbooks/${key}`, route: '/ops/runbooks/:key' });
}

const preflightButton = () => screen.getByRole('button', { name: 'Preflight' });
const daysInput = () => screen.getByLabelText('Last seen before: older than this many days') as HTMLInputElement;
const dateInput = () => screen.getByLabelText('Last seen before: date (00:00 UTC)') as HTMLInputElement;
const checkbox = (name: string) => screen.getByRole('checkbox', { name }) as HTMLInputElement;

beforeEach(() => {
  // 2026-11-30 20:12 UTC: "older than 30 days" is 2026-10-31 00:00 UTC.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-11-30T20:12:51Z'));
});

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('RunbookPage: the parameter form from the runbook schema', () => {
  it('renders the date-time as "older than N days" or a date, the enum array as checked boxes, required marked', async () => {
    fakeBackend({ [`GET /system/api/ops/runbooks/${STALE_KEY}`]: () => json(200, runbookView(STALE_KEY)) });
    open(STALE_KEY);

    const parameters = await screen.findByRole('group', { name: 'Parameters' });
    const cutoff = within(parameters).getByRole('group', { name: 'Last seen before (required)' });
    expect(within(cutoff).getByRole('radio', { name: 'Older than' })).toHaveProperty('checked', true);
    expect(daysInput().disabled).toBe(false);
    expect(daysInput().getAttribute('aria-required')).toBe('true');
    expect(dateInput().disabled).toBe(true);
    expect(cutoff.textContent).toContain('before 00:00 UTC on the day N days ago');
    expect(parameters.textContent).toContain('Findings last seen before this instant are closed.');

    const severities = within(parameters).getByRole('group', { name: 'Severities (required)' });
    expect(within(severities).getAllByRole('checkbox').map((box) => [box.getAttribute('value'), (box as HTMLInputElement).checked])).toEqual([
      ['low', true],
      ['medium', true],
      ['high', true],
      ['critical', true],
    ]);

    // The cutoff the days stand for is shown as they are typed.
    fireEvent.change(daysInput(), { target: { value: '30' } });
    expect(cutoff.textContent).toContain('Cutoff: 2026-10-31 00:00:00 UTC.');
    fireEvent.click(within(cutoff).getByRole('radio', { name: 'Before the date' }));
    expect(dateInput().disabled).toBe(false);
    expect(daysInput().disabled).toBe(true);
  });

  it('keeps obviously incomplete input from the server and focuses the first field', async () => {
    const backend = fakeBackend({
      [`GET /system/api/ops/runbooks/${STALE_KEY}`]: () => json(200, runbookView(STALE_KEY)),
    });
    open(STALE_KEY);
    await screen.findByRole('group', { name: 'Parameters' });
    fireEvent.click(screen.getByRole('radio', { name: 'All tenants' }));
    for (const severity of ['low', 'medium', 'high', 'critical']) fireEvent.click(checkbox(severity));
    fireEvent.click(preflightButton());

    expect(screen.getByText('Enter a number of days.')).toBeTruthy();
    expect(screen.getByText('Choose at least one.', { selector: '.field-error' })).toBeTruthy();
    expect(document.activeElement).toBe(daysInput());
    expect(daysInput().getAttribute('aria-invalid')).toBe('true');
    expect(backend.calls.filter((call) => call.method === 'POST')).toHaveLength(0);

    // Fixing a field clears its message.
    fireEvent.change(daysInput(), { target: { value: '30' } });
    expect(screen.queryByText('Enter a number of days.')).toBeNull();
  });

  it('names each sample tenant of an all-tenants preflight and shows why Close Stale applies (issue 22, item 6)', async () => {
    const sample = {
      finding_id: 9,
      tenant_id: 333,
      tenant_name: 'Initech Tenant 333',
      tenant_external_id: 'tenant-333',
      rules: ['S1'],
      context: ['severity', 'last_seen_at', 'first_seen_at', 'created_at'],
      before: { status: 'new', severity: 'high', last_seen_at: '2026-01-02T00:00:00Z', first_seen_at: null },
      after: { status: 'closed', severity: 'high', last_seen_at: '2026-01-02T00:00:00Z', first_seen_at: null },
    };
    fakeBackend({
      [`GET /system/api/ops/runbooks/${STALE_KEY}`]: () => json(200, runbookView(STALE_KEY)),
      [`POST /system/api/ops/runbooks/${STALE_KEY}/preflight`]: () =>
        json(200, { ...preflightResult(STALE_KEY, {}), sample: [sample] }),
    });
    open(STALE_KEY);
    await screen.findByRole('group', { name: 'Parameters' });
    fireEvent.click(screen.getByRole('radio', { name: 'All tenants' }));
    fireEvent.change(daysInput(), { target: { value: '30' } });
    fireEvent.click(preflightButton());

    const result = await screen.findByRole('region', { name: 'Preflight result' });
    expect(within(result).getByRole('cell', { name: 'Initech Tenant 333 (tenant-333)' })).toBeTruthy();
    expect(within(result).queryByRole('cell', { name: '#333' })).toBeNull();
    const sampleTable = within(result).getAllByRole('table').at(-1) as HTMLElement;
    const fields = within(sampleTable)
      .getAllByRole('row')
      .map((row) => row.querySelector('td code:not(.tag)')?.textContent)
      .filter(Boolean);
    // The change first, then the unchanged fields that made the finding stale (a null one is left out).
    expect(fields).toEqual(['status', 'severity', 'last_seen_at']);
    expect(within(result).getAllByText('unchanged')).toHaveLength(2);
  });

  it('sends "older than N days" as an instant with the checked severities, and shows S1 against rule_details', async () => {
    const sent = { last_seen_before: '2026-10-31T00:00:00Z', severities: ['high', 'critical'] };
    const backend = fakeBackend({
      [`GET /system/api/ops/runbooks/${STALE_KEY}`]: () => json(200, runbookView(STALE_KEY)),
      [`POST /system/api/ops/runbooks/${STALE_KEY}/preflight`]: () => json(200, preflightResult(STALE_KEY, sent)),
    });
    open(STALE_KEY);
    await screen.findByRole('group', { name: 'Parameters' });
    fireEvent.click(screen.getByRole('radio', { name: 'All tenants' }));
    fireEvent.change(daysInput(), { target: { value: '30' } });
    fireEvent.click(checkbox('low'));
    fireEvent.click(checkbox('medium'));
    fireEvent.click(preflightButton());

    const result = await screen.findByRole('region', { name: 'Preflight result' });
    expect(backend.calls.find((call) => call.method === 'POST')?.body).toEqual({
      scope: { kind: 'all_tenants' },
      parameters: sent,
    });
    const table = within(result).getByRole('table', { name: /Findings each rule/ });
    expect(within(table).getAllByRole('row').slice(1).map((row) => row.textContent)).toEqual([
      'S1close_stalestale open findings are closed6',
    ]);
    expect(result.textContent).toContain('Planned at 2026-11-30 20:12:51 UTC');
    expect(within(result).getByText('Last seen before').nextElementSibling?.textContent).toBe('2026-10-31 00:00:00 UTC');
    expect(within(result).getByText('Severities').nextElementSibling?.textContent).toBe('high, critical');

    // The Start dialog names the runbook and uses the preflight's phrase.
    fireEvent.click(within(result).getByRole('button', { name: 'Start…' }));
    const dialog = screen.getByRole('dialog', { name: 'Start Close Stale Findings' });
    expect(within(dialog).getByText('CLOSE STALE IN 25 TENANTS')).toBeTruthy();

    // Changing a parameter throws the preflight away.
    fireEvent.keyDown(dialog, { key: 'Escape' });
    fireEvent.click(checkbox('low'));
    expect(screen.queryByRole('region', { name: 'Preflight result' })).toBeNull();
  });

  it("shows the server's errors beside their fields and focuses the first", async () => {
    fakeBackend({
      [`GET /system/api/ops/runbooks/${STALE_KEY}`]: () => json(200, runbookView(STALE_KEY)),
      [`POST /system/api/ops/runbooks/${STALE_KEY}/preflight`]: () =>
        unprocessable({
          'parameters.severities': ['must name at least one severity'],
          'parameters.last_seen_before': ['must be in the past'],
        }),
    });
    open(STALE_KEY);
    await screen.findByRole('group', { name: 'Parameters' });
    fireEvent.click(screen.getByRole('radio', { name: 'All tenants' }));
    fireEvent.click(screen.getByRole('radio', { name: 'Before the date' }));
    fireEvent.change(dateInput(), { target: { value: '2099-01-01' } });
    fireEvent.click(preflightButton());

    const message = await screen.findByText('must be in the past');
    expect(message.closest('.parameter')?.contains(dateInput())).toBe(true);
    expect(dateInput().getAttribute('aria-invalid')).toBe('true');
    expect(dateInput().getAttribute('aria-describedby')).toContain(message.id);
    await waitFor(() => expect(document.activeElement).toBe(dateInput()));
    const other = screen.getByText('must name at least one severity');
    expect(other.closest('.parameter')?.contains(checkbox('low'))).toBe(true);
    expect(screen.getByRole('alert').textContent).toContain('The server refused the parameters');
  });
});

describe('RunbookPage: a runbook without parameters', () => {
  it('renders no parameter form, sends {} and lists its rules from rule_details', async () => {
    const backend = fakeBackend({
      [`GET /system/api/ops/runbooks/${LIFECYCLE_KEY}`]: () => json(200, runbookView(LIFECYCLE_KEY)),
      [`POST /system/api/ops/runbooks/${LIFECYCLE_KEY}/preflight`]: () => json(200, preflightResult(LIFECYCLE_KEY, {})),
    });
    open(LIFECYCLE_KEY);
    const rules = await screen.findByRole('table', { name: 'Rules of Rebuild Findings Lifecycle' });
    expect(within(rules).getAllByRole('row').slice(1).map((row) => row.textContent)).toEqual([
      'R1first_seenfirst_seen_at := coalesce(first_seen_at, created_at)',
      'R2last_seen_customa name no hard-coded list has',
    ]);
    expect(screen.queryByRole('group', { name: 'Parameters' })).toBeNull();

    fireEvent.click(screen.getByRole('radio', { name: 'All tenants' }));
    fireEvent.click(preflightButton());
    const result = await screen.findByRole('region', { name: 'Preflight result' });
    expect(backend.calls.find((call) => call.method === 'POST')?.body).toEqual({
      scope: { kind: 'all_tenants' },
      parameters: {},
    });
    const counts = within(result).getByRole('table', { name: /Findings each rule/ });
    expect(within(counts).getAllByRole('row').slice(1).map((row) => row.lastElementChild?.textContent)).toEqual(['0', '6']);
    expect(within(result).queryByText('Last seen before')).toBeNull();
  });
});

function activeRun(id: number, status: 'queued' | 'running' | 'completed', scope: Record<string, unknown>) {
  return {
    id,
    runbook: LIFECYCLE_KEY,
    runbook_version: 1,
    scope,
    workspace_id: null,
    status,
    outcome: status === 'completed' ? 'succeeded' : null,
    source: 'system_ui',
    initiator: { id: 1, username: 'ada' },
    reason: { code: 'data_repair', text: 'Backfill after the import' },
    preflight_id: 'pf-1',
    parameters: {},
    planned_at: '2026-11-30T20:00:00Z',
    counts: { total: 25, processed: 0, succeeded: 0, failed: 0, skipped: 0, findings_changed: 0 },
    progress_percent: 0,
    eta_seconds: null,
    error_summary: null,
    cancel_reason: null,
    retry_of_run_id: null,
    created_at: '2026-11-30T20:00:00Z',
    started_at: null,
    completed_at: null,
    updated_at: '2026-11-30T20:00:00Z',
  };
}

async function preflightAllTenants() {
  await screen.findByRole('table', { name: 'Rules of Rebuild Findings Lifecycle' });
  fireEvent.click(screen.getByRole('radio', { name: 'All tenants' }));
  fireEvent.click(preflightButton());
  return screen.findByRole('region', { name: 'Preflight result' });
}

describe('RunbookPage: issue 16, the runbook page stays true', () => {
  it('polls the active runs and drops a run from "Active now" once it completes (obs. 5)', async () => {
    let served = 0;
    const backend = fakeBackend({
      [`GET /system/api/ops/runbooks/${LIFECYCLE_KEY}`]: () => {
        served += 1;
        const runs = served < 3 ? [activeRun(38, served === 1 ? 'queued' : 'running', { kind: 'all_tenants' })] : [];
        return json(200, { ...runbookView(LIFECYCLE_KEY), active_runs: runs, active_run: runs[0] ?? null });
      },
    });
    open(LIFECYCLE_KEY);
    expect((await screen.findByTestId('active-runs')).textContent).toContain('Run #38');
    await waitFor(() => expect(screen.queryByTestId('active-runs')).toBeNull(), { timeout: 2000 });
    // Nothing active any more: the page still polls, for a run another operator may start.
    const gets = () => backend.calls.filter((call) => call.method === 'GET').length;
    const settled = gets();
    await waitFor(() => expect(gets()).toBeGreaterThan(settled + 1), { timeout: 2000 });
  });

  it("shows another operator's run as active and blocks Start within one poll (issue 22, item 4)", async () => {
    let othersRun = false;
    fakeBackend({
      [`GET /system/api/ops/runbooks/${LIFECYCLE_KEY}`]: () => {
        const runs = othersRun ? [activeRun(52, 'running', { kind: 'all_tenants' })] : [];
        return json(200, { ...runbookView(LIFECYCLE_KEY), active_runs: runs, active_run: runs[0] ?? null });
      },
      [`POST /system/api/ops/runbooks/${LIFECYCLE_KEY}/preflight`]: () => json(200, preflightResult(LIFECYCLE_KEY, {})),
    });
    open(LIFECYCLE_KEY);
    const result = await preflightAllTenants();
    const start = within(result).getByRole('button', { name: 'Start…' }) as HTMLButtonElement;
    expect(start.disabled).toBe(false);
    expect(screen.queryByTestId('active-runs')).toBeNull();
    othersRun = true;
    expect((await screen.findByTestId('active-runs', {}, { timeout: 2000 })).textContent).toContain('Run #52');
    expect((within(result).getByRole('button', { name: 'Start…' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('moves focus to the preflight result heading (obs. 11)', async () => {
    fakeBackend({
      [`GET /system/api/ops/runbooks/${LIFECYCLE_KEY}`]: () => json(200, runbookView(LIFECYCLE_KEY)),
      [`POST /system/api/ops/runbooks/${LIFECYCLE_KEY}/preflight`]: () => json(200, preflightResult(LIFECYCLE_KEY, {})),
    });
    open(LIFECYCLE_KEY);
    await preflightAllTenants();
    await waitFor(() =>
      expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Preflight result' })),
    );
  });

  it('uses the preflight up on a start: the result and Start… go away (obs. 5)', async () => {
    fakeBackend({
      [`GET /system/api/ops/runbooks/${LIFECYCLE_KEY}`]: () => json(200, runbookView(LIFECYCLE_KEY)),
      [`POST /system/api/ops/runbooks/${LIFECYCLE_KEY}/preflight`]: () => json(200, preflightResult(LIFECYCLE_KEY, {})),
      [`POST /system/api/ops/runbooks/${LIFECYCLE_KEY}/runs`]: () =>
        json(201, { ...activeRun(40, 'queued', { kind: 'all_tenants' }), deduplicated: false }),
    });
    open(LIFECYCLE_KEY);
    const result = await preflightAllTenants();
    fireEvent.click(within(result).getByRole('button', { name: 'Start…' }));
    const dialog = screen.getByRole('dialog');
    fireEvent.change(within(dialog).getByLabelText('Reason code'), { target: { value: 'data_repair' } });
    fireEvent.change(within(dialog).getByLabelText('Reason'), { target: { value: 'Backfill after the import' } });
    fireEvent.change(within(dialog).getByLabelText(/to confirm/), { target: { value: 'REBUILD 25 TENANTS' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Start run' }));

    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(screen.queryByRole('region', { name: 'Preflight result' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Start…' })).toBeNull();
    const notice = screen.getByText(/Its preflight is used up/);
    expect(within(notice).getByRole('link', { name: 'run #40' }).getAttribute('href')).toBe('/ops/runs/40');
    await waitFor(() => expect(document.activeElement).toBe(notice));
  });

  it('asks before starting when the preflight found nothing to change (docs/spec.md §18)', async () => {
    fakeBackend({
      [`GET /system/api/ops/runbooks/${LIFECYCLE_KEY}`]: () => json(200, runbookView(LIFECYCLE_KEY)),
      [`POST /system/api/ops/runbooks/${LIFECYCLE_KEY}/preflight`]: () =>
        json(200, { ...preflightResult(LIFECYCLE_KEY, {}), findings_to_change: 0, tenants_with_changes: 0, changes_by_rule: {} }),
    });
    open(LIFECYCLE_KEY);
    const result = await preflightAllTenants();
    const start = within(result).getByRole('button', { name: 'Start…' }) as HTMLButtonElement;
    expect(start.disabled).toBe(false);
    const why = document.getElementById(start.getAttribute('aria-describedby') ?? '');
    expect(why?.textContent).toBe('The preflight found nothing to change; Start… asks whether to start anyway.');
    fireEvent.click(start);
    const dialog = screen.getByRole('dialog');
    expect(within(dialog).getByRole('checkbox', { name: 'Start anyway — the preflight found nothing to change' })).toBeTruthy();
  });

  it('blocks Start up front while an overlapping run is active, with a link to it (obs. 5)', async () => {
    const backend = fakeBackend({
      [`GET /system/api/ops/runbooks/${LIFECYCLE_KEY}`]: () =>
        json(200, { ...runbookView(LIFECYCLE_KEY), active_runs: [activeRun(38, 'running', { kind: 'tenant', tenant_id: 3 })] }),
      [`POST /system/api/ops/runbooks/${LIFECYCLE_KEY}/preflight`]: () => json(200, preflightResult(LIFECYCLE_KEY, {})),
    });
    open(LIFECYCLE_KEY);
    const result = await preflightAllTenants();
    const start = within(result).getByRole('button', { name: 'Start…' }) as HTMLButtonElement;
    expect(start.disabled).toBe(true);
    const why = document.getElementById(start.getAttribute('aria-describedby') ?? '')!;
    expect(why.textContent).toContain('Run #38 (Tenant #3) is running for this runbook and overlaps this scope');
    expect(within(why).getByRole('link', { name: 'View run #38' }).getAttribute('href')).toBe('/ops/runs/38');
    fireEvent.click(start);
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(backend.calls.filter((call) => call.path.endsWith('/runs'))).toHaveLength(0);
  });

  it('re-runs a stale preflight with the same scope and parameters (obs. 8)', async () => {
    const message = 'preflight is stale: it expired; run a new preflight';
    let preflights = 0;
    const backend = fakeBackend({
      [`GET /system/api/ops/runbooks/${LIFECYCLE_KEY}`]: () => json(200, runbookView(LIFECYCLE_KEY)),
      [`POST /system/api/ops/runbooks/${LIFECYCLE_KEY}/preflight`]: () =>
        json(200, { ...preflightResult(LIFECYCLE_KEY, {}), preflight_id: `pf-${++preflights}` }),
      [`POST /system/api/ops/runbooks/${LIFECYCLE_KEY}/runs`]: () =>
        new Response(JSON.stringify({ title: 'Unprocessable Entity', status: 422, detail: message, errors: { preflight_id: [message] } }), {
          status: 422,
          headers: { 'Content-Type': 'application/problem+json' },
        }),
    });
    open(LIFECYCLE_KEY);
    const result = await preflightAllTenants();
    fireEvent.click(within(result).getByRole('button', { name: 'Start…' }));
    const dialog = screen.getByRole('dialog');
    fireEvent.change(within(dialog).getByLabelText('Reason code'), { target: { value: 'data_repair' } });
    fireEvent.change(within(dialog).getByLabelText('Reason'), { target: { value: 'Backfill after the import' } });
    fireEvent.change(within(dialog).getByLabelText(/to confirm/), { target: { value: 'REBUILD 25 TENANTS' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Start run' }));
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Re-run preflight' }));

    await waitFor(() => expect(preflights).toBe(2));
    expect(screen.queryByRole('dialog')).toBeNull();
    await screen.findByRole('region', { name: 'Preflight result' });
    const bodies = backend.calls.filter((call) => call.path.endsWith('/preflight')).map((call) => call.body);
    expect(bodies).toEqual([
      { scope: { kind: 'all_tenants' }, parameters: {} },
      { scope: { kind: 'all_tenants' }, parameters: {} },
    ]);
  });

  it('names the picked tenant in the result and the Start dialog (obs. 2)', async () => {
    const tenant = { id: 43, external_id: 'hx-tenant-42', name: 'Hidden Tenant 42', workspace_id: 7 };
    fakeBackend({
      [`GET /system/api/ops/runbooks/${LIFECYCLE_KEY}`]: () => json(200, runbookView(LIFECYCLE_KEY)),
      'GET /system/api/ops/tenants': () => json(200, { items: [tenant], page: 1, per_page: 20, total: 1 }),
      [`POST /system/api/ops/runbooks/${LIFECYCLE_KEY}/preflight`]: () =>
        json(200, {
          ...preflightResult(LIFECYCLE_KEY, {}),
          scope: { kind: 'tenant', tenant_id: 43 },
          tenants_in_scope: 1,
          confirmation: { required: false, phrase: null },
          sample: [{ finding_id: 5, tenant_id: 43, rules: ['R2'], before: { a: 1 }, after: { a: 2 } }],
        }),
    });
    open(LIFECYCLE_KEY);
    await screen.findByRole('table', { name: 'Rules of Rebuild Findings Lifecycle' });
    fireEvent.focus(screen.getByRole('combobox', { name: 'Tenant' }));
    fireEvent.mouseDown(await screen.findByRole('option', {}, { timeout: 2000 }));
    fireEvent.click(preflightButton());
    const result = await screen.findByRole('region', { name: 'Preflight result' });
    expect(result.textContent).toContain('Scope: tenant Hidden Tenant 42 (hx-tenant-42)');
    expect(within(result).getByRole('cell', { name: 'Hidden Tenant 42 (hx-tenant-42)' })).toBeTruthy();
    fireEvent.click(within(result).getByRole('button', { name: 'Start…' }));
    expect(screen.getByRole('dialog').textContent).toContain('over tenant Hidden Tenant 42 (hx-tenant-42):');
  });
});

describe('RunbookPage: listed tenants and a workspace (docs/spec.md §21)', () => {
  const chosenScopes = () => ({
    ...runbookView(LIFECYCLE_KEY),
    allowed_scopes: ['tenant', 'all_tenants', 'tenants', 'workspace'],
  });
  const tenants = {
    'tenant-001': { id: 1, external_id: 'tenant-001', name: 'Acme Tenant 1', workspace_id: 1 },
    'tenant-002': { id: 2, external_id: 'tenant-002', name: 'Acme Tenant 2', workspace_id: 1 },
  } as Record<string, { id: number; external_id: string; name: string; workspace_id: number }>;
  /** The lookup as the server answers it: found by id, the rest missing, the platform tenant apart. */
  const lookup = ({ body }: { body: unknown }) => {
    const ids = (body as { external_ids: string[] }).external_ids;
    return json(200, {
      found: ids.filter((id) => tenants[id]).map((id) => tenants[id]),
      missing: ids.filter((id) => !tenants[id] && id !== 'platform').sort(),
      platform: ids.includes('platform') ? 'platform' : null,
    });
  };
  const listPreflight = (count: number) => ({
    ...preflightResult(LIFECYCLE_KEY, {}),
    scope: { kind: 'tenants', tenant_ids: [1, 2].slice(0, count), count, retry_of: null },
    tenants_in_scope: count,
    tenants_with_changes: 1,
    confirmation: { required: true, phrase: `REBUILD ${count} TENANTS` },
  });
  const idsBox = () => screen.getByLabelText('External ids') as HTMLTextAreaElement;

  it('lists the ids it did not find and the platform tenant before any preflight, then removes them and continues', async () => {
    const backend = fakeBackend({
      [`GET /system/api/ops/runbooks/${LIFECYCLE_KEY}`]: () => json(200, chosenScopes()),
      'POST /system/api/ops/tenants/lookup': lookup,
      [`POST /system/api/ops/runbooks/${LIFECYCLE_KEY}/preflight`]: () => json(200, listPreflight(2)),
      [`POST /system/api/ops/runbooks/${LIFECYCLE_KEY}/runs`]: () =>
        json(201, {
          ...activeRun(41, 'queued', { kind: 'tenants', tenant_ids: [1, 2], count: 2, retry_of: null }),
          deduplicated: false,
        }),
    });
    open(LIFECYCLE_KEY);
    await screen.findByRole('table', { name: 'Rules of Rebuild Findings Lifecycle' });
    fireEvent.click(screen.getByRole('radio', { name: 'Listed tenants' }));
    expect(preflightButton()).toHaveProperty('disabled', true);
    expect(screen.getByText('Paste external ids or read them from a file first.')).toBeTruthy();

    fireEvent.change(idsBox(), { target: { value: 'tenant-001, tenant-002\nnope-9\n\nplatform\ntenant-001' } });
    expect(screen.getByText('4 external ids.')).toBeTruthy();
    fireEvent.click(preflightButton());

    const refused = await screen.findByRole('alert');
    expect(refused.textContent).toContain('2 of the 4 external ids are not a tenant a runbook can target.');
    expect(within(refused).getAllByRole('listitem').map((item) => item.textContent)).toEqual([
      'nope-9 — not found',
      'platform — the platform tenant, which no runbook may target',
    ]);
    await waitFor(() => expect(document.activeElement).toBe(refused));
    expect(idsBox().getAttribute('aria-invalid')).toBe('true');
    expect(backend.calls.filter((call) => call.path.endsWith('/preflight'))).toHaveLength(0);
    expect(backend.calls.find((call) => call.path.endsWith('/lookup'))?.body).toEqual({
      external_ids: ['tenant-001', 'tenant-002', 'nope-9', 'platform'],
    });

    fireEvent.click(within(refused).getByRole('button', { name: 'Remove these 2 and continue' }));
    const result = await screen.findByRole('region', { name: 'Preflight result' });
    expect(idsBox().value).toBe('tenant-001\ntenant-002');
    expect(screen.getByText('2 tenants found.')).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
    // The found tenants' ids are sent (compact at 10,000), never the refused ones.
    expect(backend.calls.find((call) => call.path.endsWith('/preflight'))?.body).toEqual({
      scope: { kind: 'tenants', tenant_ids: [1, 2] },
      parameters: {},
    });
    expect(screen.getByTestId('preflight-scope').textContent).toBe('Scope: 2 listed tenants');
    expect(within(result).getByRole('button', { name: 'Every tenant (2)' })).toBeTruthy();

    // The phrase is the preflight's, as for all tenants; the start sends the scope sent to the preflight.
    fireEvent.click(within(result).getByRole('button', { name: 'Start…' }));
    const dialog = screen.getByRole('dialog');
    expect(dialog.textContent).toContain('over 2 listed tenants:');
    expect(dialog.textContent).toContain('This run changes 2 tenants.');
    fireEvent.change(within(dialog).getByLabelText('Reason code'), { target: { value: 'data_repair' } });
    fireEvent.change(within(dialog).getByLabelText('Reason'), { target: { value: 'Backfill the listed tenants' } });
    fireEvent.change(within(dialog).getByLabelText(/to confirm/), { target: { value: 'REBUILD 2 TENANTS' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Start run' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(backend.calls.find((call) => call.path.endsWith('/runs'))?.body).toMatchObject({
      scope: { kind: 'tenants', tenant_ids: [1, 2] },
      confirmation: 'REBUILD 2 TENANTS',
      preflight_id: 'pf-9',
    });
  });

  it('offers "Remove the N not found" when only unknown ids are in the way, and none when nothing was found', async () => {
    fakeBackend({
      [`GET /system/api/ops/runbooks/${LIFECYCLE_KEY}`]: () => json(200, chosenScopes()),
      'POST /system/api/ops/tenants/lookup': lookup,
    });
    open(LIFECYCLE_KEY);
    await screen.findByRole('table', { name: 'Rules of Rebuild Findings Lifecycle' });
    fireEvent.click(screen.getByRole('radio', { name: 'Listed tenants' }));
    fireEvent.change(idsBox(), { target: { value: 'tenant-001 x-1 x-2' } });
    fireEvent.click(preflightButton());
    const refused = await screen.findByRole('alert');
    expect(within(refused).getByRole('button', { name: 'Remove the 2 not found and continue' })).toBeTruthy();

    // Editing the list throws the lookup away.
    fireEvent.change(idsBox(), { target: { value: 'x-1' } });
    expect(screen.queryByRole('alert')).toBeNull();
    fireEvent.click(preflightButton());
    const none = await screen.findByRole('alert');
    expect(none.textContent).toContain('1 of the 1 external ids is not a tenant a runbook can target.');
    expect(within(none).queryByRole('button')).toBeNull();
  });

  it('reads a CSV file by its external_id column into the list', async () => {
    fakeBackend({ [`GET /system/api/ops/runbooks/${LIFECYCLE_KEY}`]: () => json(200, chosenScopes()) });
    open(LIFECYCLE_KEY);
    await screen.findByRole('table', { name: 'Rules of Rebuild Findings Lifecycle' });
    fireEvent.click(screen.getByRole('radio', { name: 'Listed tenants' }));
    const file = new File(['name,external_id\n"Acme, Inc",tenant-001\nAcme 2,tenant-002\n'], 'tenants.csv', { type: 'text/csv' });
    fireEvent.change(screen.getByLabelText('Or read them from a file'), { target: { files: [file] } });
    await waitFor(() => expect(idsBox().value).toBe('tenant-001\ntenant-002'));
    expect(screen.getByText('Read 2 external ids from tenants.csv (its external_id column).')).toBeTruthy();
    expect(screen.getByText('2 external ids.')).toBeTruthy();
  });

  it('refuses more than 10,000 ids before asking the server', async () => {
    const backend = fakeBackend({ [`GET /system/api/ops/runbooks/${LIFECYCLE_KEY}`]: () => json(200, chosenScopes()) });
    open(LIFECYCLE_KEY);
    await screen.findByRole('table', { name: 'Rules of Rebuild Findings Lifecycle' });
    fireEvent.click(screen.getByRole('radio', { name: 'Listed tenants' }));
    fireEvent.change(idsBox(), { target: { value: Array.from({ length: 10_001 }, (_, i) => `t-${i}`).join('\n') } });
    expect(screen.getByText('10,001 external ids: a list names at most 10,000.')).toBeTruthy();
    expect(preflightButton()).toHaveProperty('disabled', true);
    expect(backend.calls.filter((call) => call.method === 'POST')).toHaveLength(0);
  });

  it('asks for run_all_tenants to start a list of more than 100 tenants', async () => {
    fakeBackend({
      [`GET /system/api/ops/runbooks/${LIFECYCLE_KEY}`]: () => json(200, chosenScopes()),
      'POST /system/api/ops/tenants/lookup': lookup,
      [`POST /system/api/ops/runbooks/${LIFECYCLE_KEY}/preflight`]: () => json(200, { ...listPreflight(2), tenants_in_scope: 150 }),
    });
    renderSystem(<RunbookPage />, {
      path: `/ops/runbooks/${LIFECYCLE_KEY}`,
      route: '/ops/runbooks/:key',
      capabilities: ['ops.runbooks.view', 'ops.runbooks.run', 'ops.runs.view'],
    });
    await screen.findByRole('table', { name: 'Rules of Rebuild Findings Lifecycle' });
    fireEvent.click(screen.getByRole('radio', { name: 'Listed tenants' }));
    fireEvent.change(idsBox(), { target: { value: 'tenant-001 tenant-002' } });
    fireEvent.click(preflightButton());
    const result = await screen.findByRole('region', { name: 'Preflight result' });
    expect(within(result).queryByRole('button', { name: 'Start…' })).toBeNull();
    expect(result.textContent).toContain('Starting a run over more than 100 tenants needs the ops.runbooks.run_all_tenants capability.');
  });

  it('picks a workspace from a search showing each one\'s tenants, and preflights it', async () => {
    const backend = fakeBackend({
      [`GET /system/api/ops/runbooks/${LIFECYCLE_KEY}`]: () => json(200, chosenScopes()),
      'GET /system/api/ops/workspaces': () =>
        json(200, {
          items: [
            { id: 3, name: 'Acme', tenants: 12 },
            { id: 4, name: 'Initech', tenants: 1 },
          ],
          page: 1,
          per_page: 20,
          total: 2,
        }),
      [`POST /system/api/ops/runbooks/${LIFECYCLE_KEY}/preflight`]: () =>
        json(200, {
          ...preflightResult(LIFECYCLE_KEY, {}),
          scope: { kind: 'workspace', workspace_id: 3, workspace: { id: 3, name: 'Acme' }, count: 12 },
          tenants_in_scope: 12,
          confirmation: { required: true, phrase: 'REBUILD 12 TENANTS' },
        }),
    });
    open(LIFECYCLE_KEY);
    await screen.findByRole('table', { name: 'Rules of Rebuild Findings Lifecycle' });
    fireEvent.click(screen.getByRole('radio', { name: 'Workspace' }));
    expect(screen.getByText('Choose a workspace first.')).toBeTruthy();
    const box = screen.getByRole('combobox', { name: 'Workspace' });
    fireEvent.focus(box);
    const options = await screen.findAllByRole('option', {}, { timeout: 2000 });
    expect(options.map((option) => option.textContent)).toEqual(['Acme 12 tenants', 'Initech 1 tenant']);
    fireEvent.keyDown(box, { key: 'Enter' });
    expect((box as HTMLInputElement).value).toBe('Acme');
    expect(screen.getByText('Its 12 tenants now; the preflight fixes the list.')).toBeTruthy();
    fireEvent.click(preflightButton());

    const result = await screen.findByRole('region', { name: 'Preflight result' });
    expect(backend.calls.find((call) => call.path.endsWith('/preflight'))?.body).toEqual({
      scope: { kind: 'workspace', workspace_id: 3 },
      parameters: {},
    });
    expect(screen.getByTestId('preflight-scope').textContent).toBe('Scope: workspace Acme (12 tenants)');
    expect(result.textContent).toContain('Starting needs the typed confirmation REBUILD 12 TENANTS.');
  });
});
