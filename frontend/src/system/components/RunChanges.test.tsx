// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Capability } from '../../api/types';
import { fakeBackend, json, problem } from '../../test/fakeBackend';
import { renderSystem } from '../../test/renderSystem';
import { RunChanges } from './RunChanges';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const CHANGES = 'GET /system/api/ops/runs/9/changes';
const LOOKUP = 'POST /system/api/ops/tenants/lookup';
const ITEMS = 'GET /system/api/ops/runs/9/items';

const RULES = [
  { key: 'R1', name: 'first_seen', description: 'first_seen_at is the earliest occurrence' },
  { key: 'R4', name: 'legacy_status', description: 'legacy statuses are mapped' },
];

/** The run as the page passes it: completed, with its log kept. */
function run(overrides: Record<string, unknown> = {}) {
  return {
    id: 9,
    status: 'completed' as const,
    changes_available: true,
    counts: { total: 4, processed: 4, succeeded: 4, failed: 0, skipped: 0, retrying: 0, cancelled: 0, running: 0, findings_changed: 3, conflicts: 0 },
    ...overrides,
  };
}

const ROWS = [
  {
    finding_id: 901,
    tenant_id: 5,
    rules: ['R4'],
    before: { status: 'acknowledged', triaged_at: null },
    after: { status: 'triaged', triaged_at: '2026-03-02T10:00:00Z' },
  },
  {
    finding_id: 902,
    tenant_id: 5,
    rules: ['R1', 'R4'],
    before: { first_seen_at: '2026-02-01T08:00:00+00:00' },
    after: { first_seen_at: '2026-01-15T07:30:00Z' },
  },
  {
    finding_id: 77,
    tenant_id: 7,
    rules: ['R4'],
    before: { status: 'open' },
    after: { status: 'new' },
  },
];

const TENANTS = [
  { id: 5, name: 'Acme Tenant 5', external_id: 'tenant-005' },
  { id: 7, name: 'Globex Tenant 7', external_id: 'tenant-007' },
];

function page(items: typeof ROWS, total = items.length, n = 1) {
  return { items, page: n, per_page: 50, total };
}

function item(tenantId: number, name: string, externalId: string, changed: number) {
  return {
    id: tenantId * 10,
    tenant_id: tenantId,
    tenant_name: name,
    tenant_external_id: externalId,
    status: 'succeeded',
    attempts: 1,
    findings_examined: 10,
    findings_changed: changed,
    changes_by_rule: null,
    error: null,
    error_sqlstate: null,
    next_attempt_at: null,
    started_at: null,
    completed_at: null,
    duration_seconds: 1,
  };
}

function show(
  served: ReturnType<typeof run> = run(),
  { path = '/ops/runs/9?view=changes', capabilities }: { path?: string; capabilities?: Capability[] } = {},
  asOf = 0,
) {
  return renderSystem(
    <RunChanges run={served} asOf={asOf} rules={RULES} scrollTargetId="top" mayLookUpTenants={!capabilities || capabilities.includes('ops.runbooks.view')} />,
    { path, route: '/ops/runs/:id', capabilities },
  );
}

function groups() {
  return screen.getAllByRole('rowgroup').slice(1);
}

describe('RunChanges', () => {
  it('lists the changed rows by tenant: name, finding, rules and each column before → after', async () => {
    const backend = fakeBackend({
      [CHANGES]: () => json(200, page(ROWS)),
      [LOOKUP]: () => json(200, { found: TENANTS, missing: [], platform: null }),
    });
    show();
    const table = await screen.findByRole('table', { name: 'Rows run #9 changed, 1–3 of 3' });
    expect(screen.getByTestId('changes-total').textContent).toBe('3 rows changed');
    // 50 a page, all tenants.
    const asked = backend.calls.find((call) => call.path === '/system/api/ops/runs/9/changes')!.url.searchParams;
    expect(asked.get('per_page')).toBe('50');
    expect(asked.get('page')).toBe('1');
    expect(asked.has('tenant_id')).toBe(false);

    // One group per tenant, named once for its rows.
    const [acme, globex] = groups() as [HTMLElement, HTMLElement];
    expect(groups()).toHaveLength(2);
    const acmeHeader = await within(acme).findByRole('rowheader', { name: /^Acme Tenant 5 \(tenant-005\)/ });
    expect(acmeHeader.getAttribute('rowspan')).toBe('2');
    expect(within(globex).getByRole('rowheader').textContent).toContain('Globex Tenant 7 (tenant-007)');
    // The page's tenants are looked up in one request.
    const lookup = backend.calls.find((call) => call.path === '/system/api/ops/tenants/lookup');
    expect(lookup?.body).toEqual({ tenant_ids: [5, 7] });

    const [first, second] = within(acme).getAllByRole('row') as [HTMLElement, HTMLElement];
    expect(within(first).getByText('#901')).toBeTruthy();
    expect(within(first).getByText('R4').getAttribute('title')).toBe('R4 legacy_status');
    // Status first, each column on its line; null reads "empty", instants in UTC.
    expect(within(first).getAllByRole('listitem').map((line) => line.textContent)).toEqual([
      'status: acknowledged → triaged',
      'triaged_at: empty → 2026-03-02 10:00:00 UTC',
    ]);
    expect(within(first).getByText('empty').className).toContain('change-empty');
    expect(within(second).getAllByRole('listitem').map((line) => line.textContent)).toEqual([
      'first_seen_at: 2026-02-01 08:00:00 UTC → 2026-01-15 07:30:00 UTC',
    ]);
    expect(within(second).getAllByText(/^R[14]$/).map((tag) => tag.textContent)).toEqual(['R1', 'R4']);
    expect(within(table).queryByRole('navigation')).toBeNull();
    expect(backend.unexpected).toEqual([]);
  });

  it('pages 50 rows at a time with the page in the URL', async () => {
    const backend = fakeBackend({
      [CHANGES]: ({ url }) => json(200, page(ROWS, 1234, Number(url.searchParams.get('page')))),
      [LOOKUP]: () => json(200, { found: TENANTS, missing: [], platform: null }),
    });
    show(run({ counts: { ...run().counts, findings_changed: 1234 } }), { path: '/ops/runs/9?view=changes&page=2' });
    expect(await screen.findByText('1,234 rows changed')).toBeTruthy();
    expect(document.querySelector('.changes-total')?.textContent).toBe('1,234 rows changed — showing 51–53');
    expect(backend.calls[0]?.url.searchParams.get('page')).toBe('2');
    const nav = screen.getByRole('navigation', { name: 'Pagination' });
    expect(within(nav).getByText('51–100 of 1234')).toBeTruthy();
    expect(within(nav).getByRole('link', { name: 'Page 25' }).getAttribute('href')).toBe('/ops/runs/9?view=changes&page=25');
  });

  it("filters to one tenant found by the items search, and back to all tenants", async () => {
    const backend = fakeBackend({
      [CHANGES]: ({ url }) =>
        json(200, url.searchParams.get('tenant_id') === '7' ? page([ROWS[2]!], 1) : page(ROWS)),
      [LOOKUP]: () => json(200, { found: TENANTS, missing: [], platform: null }),
      [ITEMS]: ({ url }) =>
        json(200, {
          items: url.searchParams.get('search') === 'Tenant'
            ? [item(5, 'Acme Tenant 5', 'tenant-005', 2), item(6, 'Initech Tenant 6', 'tenant-006', 0), item(7, 'Globex Tenant 7', 'tenant-007', 1)]
            : [item(7, 'Globex Tenant 7', 'tenant-007', 1)],
          page: 1,
          per_page: 100,
          total: url.searchParams.get('search') === 'Tenant' ? 3 : 1,
        }),
    });
    show();
    await screen.findByText('3 rows changed');
    const search = screen.getByRole('search', { name: "Find a tenant's changes" });
    const input = within(search).getByLabelText('Tenant');

    // Several tenants match: those that changed something are offered.
    fireEvent.change(input, { target: { value: ' Tenant ' } });
    fireEvent.click(within(search).getByRole('button', { name: 'Search' }));
    const choices = await screen.findByRole('list', { name: 'Tenants matching “Tenant”' });
    expect(document.querySelector('.tenant-choices-status')?.textContent).toContain('2 tenants matching “Tenant” changed something — choose one:');
    expect(within(choices).getAllByRole('listitem').map((choice) => choice.textContent)).toEqual([
      'Acme Tenant 5 (tenant-005) — 2 findings changed',
      'Globex Tenant 7 (tenant-007) — 1 finding changed',
    ]);
    const searched = backend.calls.find((call) => call.path === '/system/api/ops/runs/9/items')!.url.searchParams;
    expect(searched.get('search')).toBe('Tenant');
    expect(searched.get('per_page')).toBe('100');

    fireEvent.click(within(choices).getByRole('button', { name: 'Globex Tenant 7 (tenant-007)' }));
    expect(await screen.findByText(/^1 row changed/)).toBeTruthy();
    expect(screen.getByTestId('changes-total').textContent).toBe('1 row changed in Globex Tenant 7 (tenant-007)');
    expect(groups()).toHaveLength(1);
    expect(screen.queryByRole('list', { name: /^Tenants matching/ })).toBeNull();
    expect(backend.calls.filter((call) => call.path.endsWith('/changes')).at(-1)?.url.searchParams.get('tenant_id')).toBe('7');
    // Filtered, a group offers no "Only this tenant".
    expect(screen.queryByRole('button', { name: /^Only this tenant/ })).toBeNull();

    // An exact external id picks its tenant at once.
    fireEvent.click(screen.getByRole('button', { name: 'All tenants' }));
    expect(await screen.findByText('3 rows changed')).toBeTruthy();
    expect((input as HTMLInputElement).value).toBe('');
    fireEvent.change(input, { target: { value: 'tenant-007' } });
    fireEvent.click(within(search).getByRole('button', { name: 'Search' }));
    expect(await screen.findByText('1 row changed')).toBeTruthy();
    expect(backend.unexpected).toEqual([]);
  });

  it('says when no tenant matching the search changed anything', async () => {
    fakeBackend({
      [CHANGES]: () => json(200, page(ROWS)),
      [LOOKUP]: () => json(200, { found: TENANTS, missing: [], platform: null }),
      [ITEMS]: () => json(200, { items: [item(6, 'Initech Tenant 6', 'tenant-006', 0)], page: 1, per_page: 100, total: 1 }),
    });
    show();
    await screen.findByText('3 rows changed');
    fireEvent.change(screen.getByLabelText('Tenant'), { target: { value: 'Initech' } });
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    expect(await screen.findByText('No tenant of this run matching “Initech” changed anything.')).toBeTruthy();
    // The rows of every tenant stay.
    expect(groups()).toHaveLength(2);
  });

  it("keeps one tenant's rows with its group's button", async () => {
    const backend = fakeBackend({
      [CHANGES]: ({ url }) => json(200, url.searchParams.get('tenant_id') === '5' ? page(ROWS.slice(0, 2)) : page(ROWS)),
      [LOOKUP]: () => json(200, { found: TENANTS, missing: [], platform: null }),
    });
    show();
    fireEvent.click(await screen.findByRole('button', { name: /^Only this tenant\W+Acme Tenant 5 \(tenant-005\)$/ }));
    await waitFor(() => expect(screen.getByTestId('changes-total').textContent).toBe('2 rows changed in Acme Tenant 5 (tenant-005)'));
    expect(groups()).toHaveLength(1);
    expect(backend.calls.filter((call) => call.path.endsWith('/changes')).at(-1)?.url.searchParams.get('tenant_id')).toBe('5');
  });

  it('names tenants by the items already fetched, else by id, for an operator who may not look tenants up', async () => {
    const backend = fakeBackend({ [CHANGES]: () => json(200, page(ROWS)) });
    const { queryClient } = show(run(), { capabilities: ['ops.runs.view'] });
    queryClient.setQueryData(['run-items', 9, { page: 1, status: '', search: '' }], {
      items: [item(7, 'Globex Tenant 7', 'tenant-007', 1)],
      page: 1,
      per_page: 100,
      total: 1,
    });
    await screen.findByText('3 rows changed');
    const [acme, globex] = groups() as [HTMLElement, HTMLElement];
    expect(within(acme).getByRole('rowheader').textContent).toMatch(/^Tenant #5/);
    expect(within(globex).getByRole('rowheader').textContent).toMatch(/^Globex Tenant 7 \(tenant-007\)/);
    expect(backend.calls.some((call) => call.path === '/system/api/ops/tenants/lookup')).toBe(false);
  });

  it('says the log was purged, without asking for it, when the run view says so', async () => {
    const backend = fakeBackend({});
    show(run({ changes_available: false }));
    expect(
      screen.getByText('The change log of this run was purged (kept CHANGE_LOG_RETENTION_DAYS days after completion)'),
    ).toBeTruthy();
    expect(screen.getByText('Its counts still say how many findings it changed: 3.')).toBeTruthy();
    expect(screen.queryByRole('table')).toBeNull();
    expect(screen.queryByRole('search')).toBeNull();
    await new Promise((wait) => setTimeout(wait, 50));
    expect(backend.calls).toEqual([]);
  });

  it('says the log was purged when the server answers 410', async () => {
    fakeBackend({ [CHANGES]: () => problem(410, 'Gone') });
    show();
    expect(
      await screen.findByText('The change log of this run was purged (kept CHANGE_LOG_RETENTION_DAYS days after completion)'),
    ).toBeTruthy();
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('says a run changed nothing, or nothing yet while it runs', async () => {
    fakeBackend({ [CHANGES]: () => json(200, page([], 0)) });
    show(run({ counts: { ...run().counts, findings_changed: 0 } }));
    expect(await screen.findByText('This run changed nothing.')).toBeTruthy();
    expect(screen.getByTestId('changes-total').textContent).toBe('0 rows changed');
    expect(screen.queryByRole('table')).toBeNull();
    cleanup();

    fakeBackend({ [CHANGES]: () => json(200, page([], 0)) });
    show(run({ status: 'running', counts: { ...run().counts, findings_changed: 0 } }));
    expect(await screen.findByText('Nothing changed yet.')).toBeTruthy();
    expect(screen.getByTestId('changes-total').textContent).toBe('0 rows changed so far');
    cleanup();

    fakeBackend({
      [CHANGES]: () => json(200, page([], 0)),
      [LOOKUP]: () => json(200, { found: TENANTS, missing: [], platform: null }),
    });
    show(run(), { path: '/ops/runs/9?view=changes&changes_tenant=7' });
    expect(await screen.findByText('This run changed nothing in Globex Tenant 7 (tenant-007).')).toBeTruthy();
  });

  it('says what went wrong, with a way to try again', async () => {
    let calls = 0;
    fakeBackend({
      [CHANGES]: () => (calls++ === 0 ? problem(422, 'Invalid filter') : json(200, page(ROWS))),
      [LOOKUP]: () => json(200, { found: TENANTS, missing: [], platform: null }),
    });
    show();
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Invalid filter');
    fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('3 rows changed')).toBeTruthy();
  });
});
