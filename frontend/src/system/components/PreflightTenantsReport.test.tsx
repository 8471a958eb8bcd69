// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeBackend, json } from '../../test/fakeBackend';
import { renderSystem } from '../../test/renderSystem';
import { PreflightTenantsReport } from './PreflightTenantsReport';

const RULES = [
  { key: 'R1', name: 'first_seen', description: 'first_seen_at := coalesce(first_seen_at, created_at)' },
  { key: 'R4', name: 'legacy_status', description: 'legacy statuses map to the lifecycle' },
];

/** 1,000 tenants, every third with changes, served a page at a time as the API does. */
function fakeReport() {
  const all = Array.from({ length: 1000 }, (_, index) => {
    const id = index + 1;
    const changes = id % 3 === 0 ? 2 : 0;
    return {
      tenant_id: id,
      tenant_external_id: id === 7 ? null : `tenant-${String(id).padStart(4, '0')}`,
      tenant_name: id === 7 ? null : `Tenant ${id}`,
      findings_examined: 4,
      findings_to_change: changes,
      changes_by_rule: changes ? { R1: 1, R4: 1 } : { R1: 0 },
    };
  });
  return fakeBackend({
    'GET /system/api/ops/preflights/pf-1/tenants': ({ url }) => {
      const page = Number(url.searchParams.get('page') ?? 1);
      const perPage = Number(url.searchParams.get('per_page') ?? 25);
      const rows = url.searchParams.get('changes_only') === 'true' ? all.filter((row) => row.findings_to_change > 0) : all;
      return json(200, { items: rows.slice((page - 1) * perPage, page * perPage), page, per_page: perPage, total: rows.length });
    },
  });
}

function show() {
  renderSystem(<PreflightTenantsReport preflightId="pf-1" tenantsInScope={1000} tenantsWithChanges={333} rules={RULES} />);
  return screen.getByRole('button', { name: 'Every tenant (1000)' });
}

/** The live region that says which tenants are shown. */
const range = () => within(screen.getByRole('navigation', { name: 'Pages of every tenant' })).getByRole('status');
const rows = () => within(screen.getByRole('table')).getAllByRole('row').slice(1);
const queries = (backend: ReturnType<typeof fakeReport>) =>
  backend.calls.map((call) => Object.fromEntries(call.url.searchParams));

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('PreflightTenantsReport', () => {
  it('asks for nothing until opened, then shows the first page of 50, not 1,000 rows', async () => {
    const backend = fakeReport();
    const toggle = show();
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(backend.calls).toHaveLength(0);

    fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    await screen.findByRole('table');
    expect(rows()).toHaveLength(50);
    expect(queries(backend)).toEqual([{ page: '1', per_page: '50' }]);
    expect(range().textContent).toBe('1–50 of 1000');
    expect(screen.getByText('Page 1 of 20')).toBeTruthy();
    // Tenant, examined, to change, and the rules that would change something.
    expect(rows()[2]!.textContent).toBe('Tenant 3 (tenant-0003)42R1: 1R4: 1');
    expect(within(rows()[2]!).getByText('R4: 1').getAttribute('title')).toBe('R4 legacy_status');
    expect(rows()[0]!.textContent).toBe('Tenant 1 (tenant-0001)40');
    // A tenant deleted since the preflight keeps its row, by id.
    expect(rows()[6]!.textContent).toContain('#7 (deleted since)');
  });

  it('pages with Previous and Next, focus staying on the button, the last page marked', async () => {
    const backend = fakeReport();
    fireEvent.click(show());
    await screen.findByRole('table');
    const previous = screen.getByRole('button', { name: 'Previous' });
    const next = screen.getByRole('button', { name: 'Next' });
    expect(previous.getAttribute('aria-disabled')).toBe('true');
    fireEvent.click(previous);

    next.focus();
    fireEvent.click(next);
    await waitFor(() => expect(range().textContent).toBe('51–100 of 1000'));
    expect(rows()[0]!.textContent).toContain('Tenant 51 (tenant-0051)');
    expect(document.activeElement).toBe(next);
    expect(previous.getAttribute('aria-disabled')).toBeNull();

    for (let page = 3; page <= 20; page += 1) {
      fireEvent.click(next);
      await waitFor(() => expect(screen.getByText(`Page ${page} of 20`)).toBeTruthy());
    }
    expect(rows()[49]!.textContent).toContain('Tenant 1000 (tenant-1000)');
    expect(next.getAttribute('aria-disabled')).toBe('true');
    fireEvent.click(next);
    expect(queries(backend).filter((query) => query.page === '21')).toHaveLength(0);
  });

  it('filters to the tenants with changes from page 1, and the CSV link follows the filter', async () => {
    const backend = fakeReport();
    fireEvent.click(show());
    await screen.findByRole('table');
    const csv = screen.getByRole('link', { name: 'Download CSV' });
    expect(csv.getAttribute('href')).toBe('/system/api/ops/preflights/pf-1/tenants.csv');
    fireEvent.click(screen.getByRole('button', { name: 'Next' }));
    await waitFor(() => expect(screen.getByText('Page 2 of 20')).toBeTruthy());

    fireEvent.click(screen.getByRole('checkbox', { name: 'Only tenants with changes (333)' }));
    await waitFor(() => expect(range().textContent).toBe('1–50 of 333'));
    expect(screen.getByText('Page 1 of 7')).toBeTruthy();
    expect(rows().every((row) => !row.textContent?.endsWith('40'))).toBe(true);
    expect(rows()[0]!.textContent).toContain('Tenant 3 (tenant-0003)');
    expect(queries(backend).at(-1)).toEqual({ page: '1', per_page: '50', changes_only: 'true' });
    expect(csv.getAttribute('href')).toBe('/system/api/ops/preflights/pf-1/tenants.csv?changes_only=true');
  });

  it('says so when no tenant would change', async () => {
    fakeBackend({
      'GET /system/api/ops/preflights/pf-1/tenants': () => json(200, { items: [], page: 1, per_page: 50, total: 0 }),
    });
    fireEvent.click(show());
    fireEvent.click(await screen.findByRole('checkbox', { name: 'Only tenants with changes (333)' }));
    expect(await screen.findByText('No tenant would change')).toBeTruthy();
  });
});
