import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { expectNoAxeViolations } from './axe';
import { DEMO_PASSWORD, REPO_ROOT, type RunningServer, startOverAllTenants, startServer } from './server';

// The run's change log in the console (docs/spec.md §15): after a Rebuild Findings Lifecycle run
// over all tenants, its Changes tab lists every row the run changed — as many as the run counts —
// by tenant, each changed column as `before → after`; a tenant filter (the search box, or an
// item's "Show changes") keeps one tenant's rows.

const SCREENSHOTS = join(REPO_ROOT, 'docs/screenshots');
const RUNBOOK = 'findings.lifecycle.rebuild';
/** The columns the rebuild may change (docs/api.md). */
const COLUMNS = 'status|first_seen_at|last_seen_at|times_seen|due_at|triaged_at|resolved_at|closed_at|closed_reason';

let server: RunningServer | undefined;

test.beforeAll(() => {
  mkdirSync(SCREENSHOTS, { recursive: true });
});

test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) console.log(server?.output());
  await server?.stop();
  server = undefined;
});

async function signIn(page: Page, baseUrl: string) {
  await page.goto(`${baseUrl}/system/`);
  await page.getByLabel('Username').fill('demo');
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Runbooks', level: 1 })).toBeVisible();
}

/** "1 row changed", "1,234 rows changed", as the console counts them. */
function rowsChanged(total: number): string {
  return `${total.toLocaleString('en-US')} ${total === 1 ? 'row' : 'rows'} changed`;
}

interface Item {
  tenant_id: number;
  tenant_name: string;
  tenant_external_id: string;
  findings_changed: number;
}

test("a run's Changes tab lists every row it changed, by tenant, before → after", async ({ page }) => {
  test.setTimeout(150_000);
  server = await startServer();
  const { baseUrl } = server;
  await signIn(page, baseUrl);

  const { id } = await startOverAllTenants(page, baseUrl, RUNBOOK, { reason: 'Rebuild lifecycle fields, then review the change log' });
  await page.goto(`${baseUrl}/system/ops/runs/${id}`);
  await expect(page.getByRole('heading', { name: `Run #${id}`, level: 1 })).toBeVisible();
  await expect(page.locator('.run-status .badge')).toHaveText(/Succeeded|Partially succeeded|Failed/, { timeout: 90_000 });

  const view = await (await page.request.get(`${baseUrl}/system/api/ops/runs/${id}`)).json();
  expect(view.changes_available).toBe(true);
  const changed: number = view.counts.findings_changed;
  expect(changed).toBeGreaterThan(50);

  // The Changes tab: as many rows as the run counts, 50 a page, by tenant.
  const changesTab = page.getByRole('tab', { name: /^Changes/ });
  await expect(changesTab).toHaveAttribute('aria-selected', 'false');
  await changesTab.click();
  await expect(changesTab).toHaveAttribute('aria-selected', 'true');
  await expect(page).toHaveURL(/[?&]view=changes/);
  const panel = page.getByRole('tabpanel', { name: /^Changes/ });
  await expect(panel.getByTestId('changes-total')).toHaveText(rowsChanged(changed));
  const table = panel.getByRole('table', { name: new RegExp(`^Rows run #${id} changed, 1–50 of ${changed}$`) });
  await expect(table).toBeVisible();
  await expect(table.locator('tbody tr')).toHaveCount(50);
  await expect(panel.getByRole('navigation', { name: 'Pagination' })).toContainText(`1–50 of ${changed}`);
  // Each row names its changed columns as `column: before → after`; tenants by name and external id.
  const lines = table.locator('.change-lines li');
  await expect(lines.first()).toHaveText(new RegExp(`^(${COLUMNS}): .+ → .+$`));
  await expect(table.getByText(/^[a-z_]+: .+ → .+$/).first()).toBeVisible();
  await expect(table.locator('tbody th').first()).toHaveText(/^.+ \(tenant-\d+\)/);
  // An instant reads in UTC; a null reads "empty".
  await expect(table.getByText(new RegExp(`^(${COLUMNS}): .*\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} UTC`)).first()).toBeVisible();
  await expectNoAxeViolations(page, "a run's Changes tab");

  // The page where the first tenant's rows end and the next tenant's begin: two groups, each
  // named once (the screenshot).
  const changesOf = async (query: string) =>
    (await page.request.get(`${baseUrl}/system/api/ops/runs/${id}/changes?${query}`)).json();
  const firstTenant: number = (await changesOf('per_page=1')).items[0].tenant_id;
  const firstTotal: number = (await changesOf(`tenant_id=${firstTenant}&per_page=1`)).total;
  expect(firstTotal % 50).not.toBe(0);
  const boundary = Math.floor(firstTotal / 50) + 1;
  await page.goto(`${baseUrl}/system/ops/runs/${id}?view=changes&page=${boundary}`);
  await expect(panel.getByRole('table', { name: `Rows run #${id} changed, ${(boundary - 1) * 50 + 1}–${boundary * 50} of ${changed}` })).toBeVisible();
  const headers = panel.locator('table tbody th[scope="rowgroup"]');
  await expect(headers).toHaveCount(2);
  await expect(headers.first()).toHaveAttribute('rowspan', String(firstTotal % 50));
  await expect(headers.nth(1)).toContainText(/\(tenant-\d+\)Only this tenant/);
  await page.screenshot({ path: join(SCREENSHOTS, 'run-changes.png'), fullPage: true });

  // One tenant's rows: found with the search box by its external id.
  const items: Item[] = (await (await page.request.get(`${baseUrl}/system/api/ops/runs/${id}/items?per_page=100`)).json()).items;
  const withChanges = items.filter((item) => item.findings_changed > 0);
  expect(withChanges.length).toBeGreaterThan(1);
  const tenant = withChanges[withChanges.length - 1]!;
  const label = `${tenant.tenant_name} (${tenant.tenant_external_id})`;
  const search = panel.getByRole('search', { name: "Find a tenant's changes" });
  await search.getByLabel('Tenant').fill(tenant.tenant_external_id);
  await search.getByRole('button', { name: 'Search' }).click();
  await expect(panel.getByTestId('changes-total')).toHaveText(`${rowsChanged(tenant.findings_changed)} in ${label}`);
  await expect(page).toHaveURL(new RegExp(`[?&]changes_tenant=${tenant.tenant_id}(&|$)`));
  const shown = Math.min(50, tenant.findings_changed);
  await expect(
    panel.getByRole('table', { name: `Rows run #${id} changed in ${label}, 1–${shown} of ${tenant.findings_changed}` }),
  ).toBeVisible();
  const rows = panel.locator('table tbody tr');
  await expect(rows).toHaveCount(shown);
  // Every row shown is that tenant's: one group, named for it, spanning them all.
  const groups = panel.locator('table tbody th[scope="rowgroup"]');
  await expect(groups).toHaveCount(1);
  await expect(groups.first()).toHaveText(label);
  await expect(groups.first()).toHaveAttribute('rowspan', String(shown));
  // The server agrees: that tenant's rows, as many as its item counts.
  const filtered = await (
    await page.request.get(`${baseUrl}/system/api/ops/runs/${id}/changes?tenant_id=${tenant.tenant_id}&per_page=100`)
  ).json();
  expect(filtered.total).toBe(tenant.findings_changed);
  expect(filtered.items.every((row: { tenant_id: number }) => row.tenant_id === tenant.tenant_id)).toBe(true);
  await expect(rows.first().locator('.change-lines li').first()).toHaveText(new RegExp(`^(${COLUMNS}): .+ → .+$`));
  await expectNoAxeViolations(page, "a run's Changes tab filtered to one tenant");

  // Back to every tenant; then the same filter from another tenant's item row.
  await search.getByRole('button', { name: 'All tenants' }).click();
  await expect(panel.getByTestId('changes-total')).toHaveText(rowsChanged(changed));
  const other = withChanges[0]!;
  const otherLabel = `${other.tenant_name} (${other.tenant_external_id})`;
  await page.getByRole('tab', { name: /^Tenant items/ }).click();
  await page.getByRole('search', { name: 'Find tenant items' }).getByLabel('Tenant').fill(other.tenant_external_id);
  await page.getByRole('search', { name: 'Find tenant items' }).getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: `Show changes of ${otherLabel}` }).click();
  await expect(changesTab).toHaveAttribute('aria-selected', 'true');
  await expect(changesTab).toBeFocused();
  await expect(panel.getByTestId('changes-total')).toHaveText(`${rowsChanged(other.findings_changed)} in ${otherLabel}`);
  await expect(groups).toHaveCount(1);
  await expect(groups.first()).toHaveText(otherLabel);
});
