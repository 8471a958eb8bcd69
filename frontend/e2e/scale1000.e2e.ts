import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Cookie, expect, type Page, test } from '@playwright/test';
import { expectNoAxeViolations } from './axe';
import {
  DEMO_PASSWORD,
  REPO_ROOT,
  type RunningServer,
  slowFindingUpdates,
  startOverAllTenants,
  startServer,
} from './server';

// Issue 16, "Done when": the console at 1,000 tenants (docs/spec.md §18). `atlas-ops demo seed --tenants
// 1000 --findings-per-tenant 4` seeds the server's database; three tenants are broken the way the
// backend tests break them (tests/src/runs.rs `break_tenant`: a trigger that aborts every update of
// their findings), with the `sqlite3` CLI on the server's SQLite file. Then, in the browser: a
// run cancelled part-way reads "N cancelled" beside its percentage; a run over all 1,000 tenants
// with failures is watched running (screenshot), completes (screenshot); the failed tenant is found
// by search in its items, the items are paged by page number, filtered by status and exported as
// CSV; the runs list is filtered by outcome and exported; the audit log is filtered by date and
// exported; notifications are marked read at once; and a preflight that found nothing to change
// starts only through "Start anyway". Issue 22: a Close Stale run with failed tenants is retried
// from the console, and so is that retry; "Clear" clears the items' and the audit log's filters;
// focus lands on the heading of the run a link leads to; the runs list at 390 px; a tenant that
// failed once and then succeeded shows both attempts (docs/spec.md §21); and axe-core finds no
// WCAG 2 A/AA violation on a run cancelled, running and completed, the runs list, the catalogue,
// a runbook page and the audit log. docs/spec.md §21 too: sixty pasted external ids and one
// unknown — the unknown one listed and removed, the preflight's every-tenant report paged and
// filtered, the run named "60 listed tenants".

const SCREENSHOTS = join(REPO_ROOT, 'docs/screenshots');
const RUNBOOK = 'findings.lifecycle.rebuild';
const TENANTS = 1000;
/** Low external ids, so their failures come early in a run (items run in tenant order). */
const BROKEN = ['tenant-004', 'tenant-042', 'tenant-077'];
/** A tenant whose first attempt in the main run fails with an error a retry can fix (a raised
 * exception, as tests/src/runs.rs `break_tenant` raises), mended before its retry. */
const FLAKY = 'tenant-250';

let server: RunningServer;
let slow: ReturnType<typeof slowFindingUpdates>;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  server = await startServer({ tenants: TENANTS, findingsPerTenant: 4, workspaces: 5 });
  mkdirSync(SCREENSHOTS, { recursive: true });
  // A broken tenant's first finding update violates a constraint, a data error no retry can fix
  // (SQLSTATE class 23), so the item fails at once: the trigger inserts the tenant into a table
  // that already holds it. (tests/src/runs.rs uses RAISE(ABORT), which the backend retries.)
  const ids = BROKEN.map((id) => `'${id}'`).join(', ');
  execFileSync('sqlite3', [
    server.databasePath,
    `CREATE TABLE e2e_broken_tenants (tenant_id INTEGER PRIMARY KEY); ` +
      `INSERT INTO e2e_broken_tenants SELECT id FROM tenants WHERE external_id IN (${ids}); ` +
      `CREATE TRIGGER break_tenants BEFORE UPDATE ON findings ` +
      `WHEN NEW.tenant_id IN (SELECT tenant_id FROM e2e_broken_tenants) ` +
      `BEGIN INSERT INTO e2e_broken_tenants (tenant_id) VALUES (NEW.tenant_id); END;`,
  ]);
  // Each finding update costs a few milliseconds, so a run over 1,000 small tenants lasts long
  // enough to be watched, cancelled and photographed while it runs (otherwise about 3 s).
  slow = slowFindingUpdates(server);
});

test.afterAll(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) console.log(server?.output());
  await server?.stop();
});

/** The page's top 1,500 px (status, counts, chart, details, the first items), from the top. */
async function shot(page: Page, name: string) {
  await page.setViewportSize({ width: 1280, height: 1500 });
  await page.evaluate(() => (globalThis as unknown as { scrollTo: (x: number, y: number) => void }).scrollTo(0, 0));
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** The demo operator's session cookies, from the first sign-in of this file. */
let session: Cookie[] | undefined;

/**
 * Signs in as the demo operator: through the form the first time, then with that session's
 * cookies. This file has more tests than the login limit's 10 attempts a minute per address and
 * username (docs/spec.md §11), and tests run faster than that.
 */
async function signIn(page: Page) {
  if (session) {
    await page.context().addCookies(session);
    await page.goto(`${server.baseUrl}/system/`);
  } else {
    await page.goto(`${server.baseUrl}/system/`);
    await page.getByLabel('Username').fill('demo');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await expect(page.getByRole('heading', { name: 'Runbooks', level: 1 })).toBeVisible();
  session ??= await page.context().cookies();
}

/** Starts a rebuild over all tenants through the API, as an operator's script would. */
async function startAllTenants(page: Page, reason: string): Promise<number> {
  const { id, tenantsInScope } = await startOverAllTenants(page, server.baseUrl, RUNBOOK, { reason });
  expect(tenantsInScope).toBe(TENANTS);
  return id;
}

async function runView(page: Page, id: number) {
  return (await page.request.get(`${server.baseUrl}/system/api/ops/runs/${id}`)).json();
}

/** The CSV a link downloads, read back. */
async function download(page: Page, link: ReturnType<Page['getByRole']>): Promise<string> {
  const [file] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const path = await file.path();
  return readFileSync(path, 'utf8');
}

let cancelledRun = 0;
let mainRun = 0;

test('a run cancelled part-way reads its percentage with the cancelled tenants beside it', async ({ page }) => {
  await signIn(page);
  cancelledRun = await startAllTenants(page, 'Cancelled part-way during the e2e');
  await page.goto(`${server.baseUrl}/system/ops/runs/${cancelledRun}`);
  await expect(page.getByRole('heading', { name: `Run #${cancelledRun}` })).toBeVisible();
  // Let some tenants finish, then cancel from the page.
  await expect.poll(async () => (await runView(page, cancelledRun)).counts.processed, { timeout: 30_000, intervals: [100] }).toBeGreaterThan(40);
  await page.getByRole('button', { name: 'Cancel run…' }).first().click();
  const dialog = page.getByRole('dialog', { name: `Cancel run #${cancelledRun}?` });
  await dialog.getByLabel('Reason for cancelling').fill('Stopping for the maintenance window');
  await dialog.getByRole('button', { name: 'Cancel run' }).click();

  await expect(page.locator('.run-status .badge')).toHaveText('Cancelled', { timeout: 30_000 });
  const view = await runView(page, cancelledRun);
  expect(view.counts.cancelled).toBeGreaterThan(0);
  expect(view.counts.processed + view.counts.cancelled + view.counts.retrying).toBe(TENANTS);
  const percent = Math.floor((view.counts.processed / TENANTS) * 100);
  await expect(page.locator('.run-status')).toContainText(`${percent}%`);
  await expect(page.getByTestId('cancelled-beside')).toHaveText(`${view.counts.cancelled} cancelled`);
  await expect(page.getByText('Cancelled: Stopping for the maintenance window')).toBeVisible();
  // The cancelled tenants are findable by status.
  await page.getByLabel('Item status').selectOption('cancelled');
  const items = page.locator('table').last().locator('tbody tr');
  await expect(items).toHaveCount(Math.min(100, view.counts.cancelled));
  await expect(items.first().locator('.badge')).toHaveText('cancelled');
  await page.getByLabel('Item status').selectOption('');
  await page.evaluate(() => (globalThis as unknown as { scrollTo: (x: number, y: number) => void }).scrollTo(0, 0));
  await shot(page, 'run-detail-1000-cancelled');
  await expectNoAxeViolations(page, 'a cancelled run');
});

/** Runs SQL on the server's database through the `sqlite3` shell (waiting for the write lock). */
function sqlite(sql: string) {
  execFileSync('sqlite3', ['-cmd', '.timeout 15000', server.databasePath, sql]);
}

/** The status of `externalId`'s item in run `id`. */
async function itemStatus(page: Page, id: number, externalId: string): Promise<string | undefined> {
  const found = await page.request.get(`${server.baseUrl}/system/api/ops/runs/${id}/items?search=${externalId}`);
  return found.ok() ? (await found.json()).items[0]?.status : undefined;
}

test('a run over 1,000 tenants with failures: running, completed, the failed tenant found', async ({ page }) => {
  await signIn(page);
  // The flaky tenant has work to do (the cancelled run may have repaired it), and its first
  // attempt fails; it is mended while it waits for its retry, which succeeds.
  const flaky = `(SELECT id FROM tenants WHERE external_id = '${FLAKY}')`;
  sqlite(
    `UPDATE findings SET first_seen_at = NULL WHERE tenant_id = ${flaky}; ` +
      `CREATE TRIGGER flaky_tenant BEFORE UPDATE ON findings WHEN NEW.tenant_id = ${flaky} ` +
      `BEGIN SELECT RAISE(ABORT, '${FLAKY} is being moved by the host application'); END;`,
  );
  mainRun = await startAllTenants(page, 'Repair lifecycle columns at 1,000 tenants');
  await expect
    .poll(() => itemStatus(page, mainRun, FLAKY), { timeout: 60_000, intervals: [100] })
    .toBe('retrying');
  sqlite('DROP TRIGGER flaky_tenant;');
  await page.goto(`${server.baseUrl}/system/ops/runs/${mainRun}`);

  // Running, with a failure already in: the counts, the failed tenant first in the items, the chart.
  await expect(page.locator('.counts')).toContainText('Failed', { timeout: 10_000 });
  await expect
    .poll(async () => {
      const view = await runView(page, mainRun);
      return view.status === 'running' && view.counts.failed > 0;
    }, { timeout: 60_000, intervals: [200] })
    .toBe(true);
  await expect(page.locator('.run-status .badge')).toHaveText('Running');
  await expect(page.locator('table tr.row-failed').first()).toBeVisible();
  await expect(page.locator('table tr.row-failed').first()).toContainText('SQLSTATE 23505');
  // The chart is drawn as of the run view the cards show: the two agree while the run moves
  // (within the tenants two workers can finish between one view and the next).
  const cards = page.locator('.counts');
  const card = async (name: string) => Number(await cards.locator('div', { hasText: name }).locator('dd').innerText());
  await expect
    .poll(async () => {
      const caption = /(\d+) succeeded and (\d+) failed/.exec(
        await page.getByRole('figure', { name: /Tenants finished per minute/ }).innerText(),
      );
      const charted = caption ? Number(caption[1]) + Number(caption[2]) : -1;
      return Math.abs(charted - ((await card('Succeeded')) + (await card('Failed'))));
    }, { timeout: 15_000, intervals: [100] })
    .toBeLessThanOrEqual(2);
  await shot(page, 'run-detail-1000-running');
  await expectNoAxeViolations(page, 'a running run with a failure');

  // Completed: partially succeeded, three failed, the chart of the run's minutes.
  await expect(page.locator('.run-status .badge')).toHaveText('Partially succeeded', { timeout: 120_000 });
  const counts = page.locator('.counts');
  await expect(counts.locator('div', { hasText: 'Failed' }).locator('dd')).toHaveText(String(BROKEN.length));
  await expect(counts.locator('div', { hasText: 'Processed' }).locator('dd')).toHaveText(`${TENANTS} of ${TENANTS}`);
  const chart = page.getByRole('figure', { name: /Tenants finished per minute/ });
  await expect(chart).toBeVisible();
  await expect(chart).toContainText(`${TENANTS - BROKEN.length} succeeded and ${BROKEN.length} failed`);
  await expect(chart.locator('rect.bar-failed').first()).toBeAttached();
  await page.evaluate(() => (globalThis as unknown as { scrollTo: (x: number, y: number) => void }).scrollTo(0, 0));
  await shot(page, 'run-detail-1000-completed');
  await expectNoAxeViolations(page, 'a completed run');
  // On a 1,280 px screen every column of the items table is in view: none hides behind a scroll.
  const itemsBox = page.locator('.table-scroll').last();
  const [scrollWidth, clientWidth] = await itemsBox.evaluate((box) => {
    const element = box as unknown as { scrollWidth: number; clientWidth: number };
    return [element.scrollWidth, element.clientWidth];
  });
  expect(scrollWidth, 'the items table fits its box').toBeLessThanOrEqual(clientWidth);

  // Every failed tenant by status; then all items, paged by page number.
  const rows = page.locator('table').last().locator('tbody tr');
  await page.getByLabel('Item status').selectOption('failed');
  await expect(rows).toHaveCount(BROKEN.length);
  await page.getByLabel('Item status').selectOption('');
  const pages = page.getByRole('navigation', { name: 'Pagination' });
  await expect(pages).toContainText(`1–100 of ${TENANTS}`);
  await pages.getByRole('link', { name: 'Page 2' }).click();
  await expect(pages).toContainText(`101–200 of ${TENANTS}`);
  await expect(page).toHaveURL(/page=2/);
  await pages.getByRole('link', { name: 'Page 10' }).click();
  await expect(pages).toContainText(`901–1000 of ${TENANTS}`);
  await expect(rows).toHaveCount(100);
});

test('the failed tenant is found by search among 1,000 and its items exported as CSV', async ({ page }) => {
  await signIn(page);
  await page.goto(`${server.baseUrl}/system/ops/runs/${mainRun}`);
  const rows = page.locator('table').last().locator('tbody tr');
  await expect(rows).toHaveCount(100);
  // Find a failed tenant by search: its name, its error with the SQLSTATE when there is one.
  await page.getByLabel('Tenant', { exact: true }).fill('tenant-042');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/item_search=tenant-042/);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('(tenant-042)');
  await expect(rows.first()).toContainText('failed');
  await expect(rows.first()).toContainText('UNIQUE constraint failed: e2e_broken_tenants.tenant_id (SQLSTATE 23505)');

  // The items' CSV with the same filter: a header row and that one tenant.
  const exportItems = page.getByRole('link', { name: 'Export CSV' });
  await expect(exportItems).toHaveAttribute('href', `/system/api/ops/runs/${mainRun}/items.csv?search=tenant-042`);
  const itemsCsv = (await download(page, exportItems)).trim().split(/\r?\n/);
  expect(itemsCsv[0]).toContain('tenant_external_id');
  expect(itemsCsv[0]).toContain('status');
  expect(itemsCsv).toHaveLength(2);
  expect(itemsCsv[1]).toContain('tenant-042');

});

test('a tenant that failed once and then succeeded lists both attempts, by keyboard and at 390 px', async ({ page }) => {
  await signIn(page);
  await page.goto(`${server.baseUrl}/system/ops/runs/${mainRun}?item_search=${FLAKY}`);
  const rows = page.locator('table').last().locator('tbody tr');
  await expect(rows).toHaveCount(1);
  await expect(rows.first().locator('.badge')).toHaveText('succeeded');
  // The disclosure under the tenant's name opens with the keyboard.
  const toggle = rows.first().getByRole('button', { name: 'Attempts (2)' });
  await toggle.focus();
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await page.keyboard.press('Enter');
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  const list = page.getByRole('list', { name: new RegExp(`^Attempts of .*\\(${FLAKY}\\), oldest first$`) });
  const attempts = list.getByRole('listitem');
  await expect(attempts).toHaveCount(2);
  await expect(attempts.nth(0)).toContainText('Attempt 1');
  await expect(attempts.nth(0).locator('.badge')).toHaveText('failed');
  await expect(attempts.nth(0)).toContainText(`${FLAKY} is being moved by the host application`);
  await expect(attempts.nth(0)).toContainText(/pid \d+ worker \d/);
  await expect(attempts.nth(1)).toContainText('Attempt 2');
  await expect(attempts.nth(1).locator('.badge')).toHaveText('succeeded');
  await expect(attempts.nth(1).locator('.attempt-error')).toHaveCount(0);
  await page.locator('.table-scroll').last().screenshot({ path: join(SCREENSHOTS, 'attempts-list.png') });
  await expectNoAxeViolations(page, "a run's items with an item's attempts open");
  // Space closes it again.
  await page.keyboard.press('Space');
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await expect(list).toHaveCount(0);

  // A tenant that failed for good: one attempt, with its SQLSTATE; on a phone the list stays on
  // the screen, however wide the table it sits in.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${server.baseUrl}/system/ops/runs/${mainRun}?item_search=tenant-042`);
  await rows.first().getByRole('button', { name: 'Attempts (1)' }).click();
  const failed = page.getByRole('list', { name: /^Attempts of .*\(tenant-042\), oldest first$/ });
  await expect(failed.getByRole('listitem')).toHaveCount(1);
  await expect(failed).toContainText('(SQLSTATE 23505)');
  const box = await failed.boundingBox();
  expect(box).not.toBeNull();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(390);
  expect(Number(await page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(390);
  await page.setViewportSize({ width: 1280, height: 900 });
});

test('the runs list filters by outcome in the URL, shows failed, changed and duration, exports CSV', async ({ page }) => {
  await signIn(page);
  await page.goto(`${server.baseUrl}/system/ops/runs`);
  const table = page.getByRole('table', { name: 'Runs, newest first' });
  await expect(table.locator('tbody tr')).toHaveCount(2);
  await page.getByLabel('Outcome').selectOption('partially_succeeded');
  await expect(page).toHaveURL(/outcome=partially_succeeded/);
  await expect(table.locator('tbody tr')).toHaveCount(1);
  const row = table.locator('tbody tr').first();
  await expect(row).toContainText(`#${mainRun}`);
  // On a 1,280 px screen every column of the runs list is in view, Created included.
  const [scrollWidth, clientWidth] = await page.locator('.table-scroll').first().evaluate((box) => {
    const element = box as unknown as { scrollWidth: number; clientWidth: number };
    return [element.scrollWidth, element.clientWidth];
  });
  expect(scrollWidth, 'the runs table fits its box').toBeLessThanOrEqual(clientWidth);
  const headers = await table.locator('thead th').allInnerTexts();
  const failedAt = headers.indexOf('Failed');
  expect(failedAt).toBeGreaterThan(0);
  await expect(row.locator('td').nth(failedAt)).toHaveText(String(BROKEN.length));
  await expect(row.locator('td').nth(headers.indexOf('Duration'))).toHaveText(/\d+s|\d+m/);

  const exportRuns = page.getByRole('link', { name: 'Export CSV' });
  await expect(exportRuns).toHaveAttribute('href', '/system/api/ops/runs.csv?outcome=partially_succeeded');
  const runsCsv = (await download(page, exportRuns)).trim().split(/\r?\n/);
  expect(runsCsv[0]).toContain('counts.total');
  expect(runsCsv).toHaveLength(2);

  await expectNoAxeViolations(page, 'the runs list, filtered');
  await page.getByLabel('Outcome').selectOption('cancelled');
  await expect(table.locator('tbody tr')).toHaveCount(1);
  await expect(table.locator('tbody tr').first()).toContainText(`#${cancelledRun}`);
  // A reload keeps the filter.
  await page.reload();
  await expect(page.getByLabel('Outcome')).toHaveValue('cancelled');
});

test('the audit log filters by date in the URL and exports CSV with the filter', async ({ page }) => {
  await signIn(page);
  await page.goto(`${server.baseUrl}/system/audit`);
  const today = new Date().toISOString().slice(0, 10);
  await page.getByLabel('Created from (UTC day)').fill(today);
  await expect(page).toHaveURL(new RegExp(`created_after=${today}`));
  const exportAudit = page.getByRole('link', { name: 'Export CSV' });
  await expect(exportAudit).toHaveAttribute('href', `/system/api/audit-events.csv?created_after=${today}T00%3A00%3A00Z`);
  const auditCsv = (await download(page, exportAudit)).trim().split(/\r?\n/);
  expect(auditCsv[0]).toContain('action');
  expect(auditCsv.length).toBeGreaterThan(2);
  await expectNoAxeViolations(page, 'the audit log, filtered by date');
});

test('notifications are marked read at once', async ({ page }) => {
  await signIn(page);
  const bell = page.getByRole('button', { name: /^Notifications, [1-9]\d* unread$/ });
  await bell.click();
  await page.getByRole('region', { name: 'Notifications' }).getByRole('button', { name: 'Mark all as read' }).click();
  await expect(page.getByRole('button', { name: 'Notifications, 0 unread' })).toBeVisible();
  await expect(page.getByTestId('unread-count')).toHaveCount(0);
});

test('a preflight that found nothing to change starts only through "Start anyway"', async ({ page }) => {
  await signIn(page);
  // The catalogue names each runbook's latest run (docs/spec.md §21).
  await expect(page.getByTestId('last-run').first()).toContainText(/Last run #\d+ · /);
  await expectNoAxeViolations(page, 'the runbook catalogue');
  await page.goto(`${server.baseUrl}/system/ops/runbooks/${RUNBOOK}`);
  await page.getByRole('radio', { name: 'One tenant' }).check();
  await page.getByRole('combobox', { name: 'Tenant' }).fill('tenant-500');
  await page.getByRole('option', { name: /tenant-500/ }).click();
  await page.getByRole('button', { name: 'Preflight' }).click();
  await expect(page.getByText('The preflight found nothing to change; Start… asks whether to start anyway.')).toBeVisible();
  await expectNoAxeViolations(page, 'a runbook page with a preflight result');
  await page.getByRole('button', { name: 'Start…' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Reason code').selectOption('data_repair');
  await dialog.getByLabel('Reason', { exact: true }).fill('A run for the record, nothing to change');
  await expect(dialog.getByRole('button', { name: 'Start run' })).toBeDisabled();
  const [start] = await Promise.all([
    page.waitForRequest((request) => request.method() === 'POST' && request.url().endsWith(`/runbooks/${RUNBOOK}/runs`)),
    (async () => {
      await dialog.getByRole('checkbox', { name: 'Start anyway — the preflight found nothing to change' }).check();
      await dialog.getByRole('button', { name: 'Start run' }).click();
    })(),
  ]);
  expect(start.postDataJSON().allow_no_changes).toBe(true);
  await expect(page.getByTestId('toast')).toContainText('Run queued');
});

test('a pasted list of tenants: the unknown id is listed and removed, every tenant reported, the run reads "60 listed tenants"', async ({ page }) => {
  test.setTimeout(180_000);
  await signIn(page);
  // Sixty tenants, none of them broken; every other one gets work again (R1 fills first_seen_at
  // back in), so the report has tenants with and without changes.
  const listed = Array.from({ length: 60 }, (_, index) => `tenant-${101 + index}`);
  const withWork = listed.filter((_, index) => index % 2 === 0);
  execFileSync('sqlite3', [
    '-cmd',
    '.timeout 15000',
    server.databasePath,
    `UPDATE findings SET first_seen_at = NULL WHERE tenant_id IN ` +
      `(SELECT id FROM tenants WHERE external_id IN (${withWork.map((id) => `'${id}'`).join(', ')}));`,
  ]);

  await page.goto(`${server.baseUrl}/system/ops/runbooks/${RUNBOOK}`);
  await page.getByRole('radio', { name: 'Listed tenants' }).check();
  // Pasted as an operator would: lines, then a comma-separated run, and one id that names no tenant.
  const ids = page.getByLabel('External ids');
  await ids.fill(`${listed.slice(0, 30).join('\n')}\n${listed.slice(30).join(', ')}\nno-such-tenant`);
  await expect(page.getByText('61 external ids.')).toBeVisible();
  await page.getByRole('button', { name: 'Preflight' }).click();

  // The list is looked up first: the unknown id is listed, and nothing is preflighted yet.
  const refused = page.getByRole('alert').filter({ hasText: 'not a tenant a runbook can target' });
  await expect(refused).toContainText('1 of the 61 external ids is not a tenant a runbook can target.');
  await expect(refused.getByRole('listitem')).toHaveText(['no-such-tenant — not found']);
  await expect(refused).toBeFocused();
  await expect(ids).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByRole('region', { name: 'Preflight result' })).toHaveCount(0);
  await page.locator('form.panel').screenshot({ path: join(SCREENSHOTS, 'list-scope-not-found.png') });
  await expectNoAxeViolations(page, 'a pasted list with an id not found');
  const preflighted = page.waitForRequest((request) => request.method() === 'POST' && request.url().endsWith('/preflight'));
  await refused.getByRole('button', { name: 'Remove the 1 not found and continue' }).click();
  expect((await preflighted).postDataJSON().scope).toMatchObject({ kind: 'tenants' });

  const result = page.getByRole('region', { name: 'Preflight result' });
  await expect(result).toBeVisible();
  await expect(page.getByText('60 tenants found.')).toBeVisible();
  await expect(ids).not.toHaveValue(/no-such-tenant/);
  await expect(result.getByTestId('preflight-scope')).toHaveText('Scope: 60 listed tenants');
  const counts = result.locator('dl.counts');
  await expect(counts.locator('div', { hasText: 'Tenants in scope' }).locator('dd')).toHaveText('60');
  await expect(counts.locator('div', { hasText: 'Tenants with changes' }).locator('dd')).toHaveText(String(withWork.length));
  const toChange = Number(await counts.locator('div', { hasText: 'Findings to change' }).locator('dd').innerText());
  expect(toChange).toBeGreaterThan(0);
  await expect(result).toContainText('Starting needs the typed confirmation REBUILD 60 TENANTS.');

  // Every tenant: 50 a page, then the rest; the tenants with changes alone; the CSV.
  await result.getByRole('button', { name: 'Every tenant (60)' }).click();
  const pages = result.getByRole('navigation', { name: 'Pages of every tenant' });
  const reportRows = result.locator('.report-table tbody tr');
  await expect(pages).toContainText('1–50 of 60');
  await expect(reportRows).toHaveCount(50);
  await expect(reportRows.first()).toContainText('(tenant-101)');
  await pages.getByRole('button', { name: 'Next' }).click();
  await expect(pages).toContainText('51–60 of 60');
  await expect(reportRows).toHaveCount(10);
  await expect(pages.getByRole('button', { name: 'Next' })).toHaveAttribute('aria-disabled', 'true');
  await page.screenshot({ path: join(SCREENSHOTS, 'list-scope-preflight.png'), fullPage: true });
  await expectNoAxeViolations(page, "a list's preflight with every tenant open");
  await result.getByRole('checkbox', { name: `Only tenants with changes (${withWork.length})` }).check();
  await expect(pages).toContainText(`1–${withWork.length} of ${withWork.length}`);
  await expect(reportRows).toHaveCount(withWork.length);
  const report = (await download(page, result.getByRole('link', { name: 'Download CSV' }))).trim().split(/\r?\n/);
  expect(report[0]).toContain('tenant_external_id');
  expect(report).toHaveLength(withWork.length + 1);

  // Start with the preflight's phrase; the run names its scope by its count.
  await result.getByRole('button', { name: 'Start…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Start Rebuild Findings Lifecycle' });
  await expect(dialog).toContainText('over 60 listed tenants:');
  await expect(dialog.locator('code.phrase')).toHaveText('REBUILD 60 TENANTS');
  await dialog.getByLabel('Reason code').selectOption('data_repair');
  await dialog.getByLabel('Reason', { exact: true }).fill('Repair the tenants support listed');
  await dialog.getByLabel(/to confirm/).fill('REBUILD 60 TENANTS');
  await dialog.getByRole('button', { name: 'Start run' }).click();
  await page.getByTestId('toast').getByRole('link', { name: /^View run #\d+$/ }).click();
  await expect(page.getByTestId('run-scope')).toHaveText('60 listed tenants');
  await expect(page.locator('.run-status .badge')).toHaveText('Succeeded', { timeout: 120_000 });
  const changed = page.locator('.counts > div').filter({ hasText: 'Findings changed' }).locator('dd');
  await expect(changed).toHaveText(String(toChange));
  await page.goto(`${server.baseUrl}/system/ops/runs`);
  await expect(page.getByRole('table', { name: 'Runs, newest first' }).locator('tbody tr').first()).toContainText('60 listed tenants');
});

/** Starts Close Stale over all tenants through the API, closing every open finding seen until now. */
async function startCloseStale(page: Page): Promise<number> {
  const started = await startOverAllTenants(page, server.baseUrl, 'findings.stale.close', {
    reason: 'Close findings nobody has seen for a while',
    parameters: { last_seen_before: new Date(Date.now() - 60_000).toISOString() },
    allowNoChanges: true,
  });
  return started.id;
}

async function completed(page: Page, id: number) {
  await expect.poll(async () => (await runView(page, id)).status, { timeout: 120_000, intervals: [500] }).toBe('completed');
  return runView(page, id);
}

/**
 * On the run's page: "Retry failed tenants…", a reason and the phrase the dialog shows (the
 * server's `retry_confirmation`), then the toast's "View run #N"; returns N. Focus lands on the
 * new run's heading.
 */
async function retryFromConsole(page: Page, runId: number, phrase: string, screenshot?: string): Promise<number> {
  await page.goto(`${server.baseUrl}/system/ops/runs/${runId}`);
  await page.getByRole('button', { name: 'Retry failed tenants…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Retry failed tenants' });
  await dialog.getByLabel('Reason code').selectOption('incident');
  await dialog.getByLabel('Reason', { exact: true }).fill('Retry the tenants that failed');
  const confirm = dialog.getByRole('button', { name: 'Retry failed tenants' });
  await expect(confirm).toBeDisabled();
  await expect(dialog.locator('code.phrase')).toHaveText(phrase);
  await dialog.getByLabel(/to confirm/).fill(phrase);
  await expect(confirm).toBeEnabled();
  if (screenshot) await page.screenshot({ path: join(SCREENSHOTS, `${screenshot}.png`) });
  await confirm.click();
  const view = page.getByTestId('toast').getByRole('link', { name: /^View run #\d+$/ });
  const retry = Number((await view.innerText()).replace('View run #', ''));
  await view.click();
  const heading = page.getByRole('heading', { name: `Run #${retry}`, exact: true, level: 1 });
  await expect(heading).toBeFocused();
  return retry;
}

test('a Close Stale run with failed tenants is retried from the console, and so is that retry', async ({ page }) => {
  test.setTimeout(300_000);
  slow.fast();
  await signIn(page);
  const first = await completed(page, await startCloseStale(page));
  expect(first.counts.failed).toBeGreaterThan(0);
  const phrase = `CLOSE STALE IN ${first.retryable_tenants} TENANTS`;
  expect(first.retry_confirmation).toEqual({ required: true, phrase });

  // The broken tenants stay broken: the retry fails again, and its own retry needs its phrase.
  const second = await completed(page, await retryFromConsole(page, first.id, phrase, 'retry-dialog-close-stale'));
  expect(second.retry_of_run_id).toBe(first.id);
  expect(second.scope.kind).toBe('tenants');
  expect(second.counts.failed).toBeGreaterThan(0);
  const again = `CLOSE STALE IN ${second.retryable_tenants} TENANTS`;
  expect(second.retry_confirmation).toEqual({ required: true, phrase: again });
  const third = await completed(page, await retryFromConsole(page, second.id, again, 'retry-dialog-retry-of-retry'));
  expect(third.retry_of_run_id).toBe(second.id);
  expect(third.counts.total).toBe(second.retryable_tenants);
});

test('"Clear" clears every filter of the items table and of the audit log, and the export follows', async ({ page }) => {
  await signIn(page);
  await page.goto(`${server.baseUrl}/system/ops/runs/${mainRun}?item_status=failed&item_search=tenant-042`);
  const rows = page.locator('table').last().locator('tbody tr');
  await expect(rows).toHaveCount(1);
  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  await expect(page).not.toHaveURL(/item_status|item_search/);
  await expect(rows).toHaveCount(100);
  await expect(page.getByLabel('Tenant', { exact: true })).toHaveValue('');
  await expect(page.getByLabel('Item status')).toHaveValue('');

  const today = new Date().toISOString().slice(0, 10);
  await page.goto(`${server.baseUrl}/system/audit?action=auth.login.succeeded&actor=demo&created_after=${today}`);
  await expect(page.getByLabel('Action')).toHaveValue('auth.login.succeeded');
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await expect(page).toHaveURL(`${server.baseUrl}/system/audit`);
  await expect(page.getByLabel('Action')).toHaveValue('');
  await expect(page.getByLabel('Actor')).toHaveValue('');
  await expect(page.getByLabel('Created from (UTC day)')).toHaveValue('');
  const exportAudit = page.getByRole('link', { name: 'Export CSV' });
  await expect(exportAudit).toHaveAttribute('href', '/system/api/audit-events.csv');
  expect((await download(page, exportAudit)).trim().split(/\r?\n/).length).toBeGreaterThan(3);
});

test('following a run link puts focus on the run\'s heading; at 390 px the first run shows above the fold', async ({ page }) => {
  await signIn(page);
  await page.getByRole('link', { name: 'Runs', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Runs', level: 1 })).toBeFocused();
  await page.getByRole('link', { name: `#${mainRun}`, exact: true }).first().click();
  await expect(page.getByRole('heading', { name: `Run #${mainRun}`, exact: true, level: 1 })).toBeFocused();

  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${server.baseUrl}/system/ops/runs?tenant_id=${await tenantId(page, 'tenant-042')}`);
  const toggle = page.getByRole('button', { name: 'Filters (1 active)' });
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  const firstRow = page.locator('table tbody tr').first();
  await expect(firstRow).toBeVisible();
  expect((await firstRow.boundingBox())!.y, 'the first run is on the first screen').toBeLessThan(844);
  await page.screenshot({ path: join(SCREENSHOTS, 'runs-list-390.png'), fullPage: false });
  await toggle.click();
  // After a reload the tenant filter names the tenant, in the box and below it.
  await expect(page.getByRole('combobox', { name: 'Tenant' })).toHaveValue(/\S/);
  await expect(page.getByTestId('tenant-filter')).toContainText('(tenant-042)');
  await page.screenshot({ path: join(SCREENSHOTS, 'runs-list-390-filters.png'), fullPage: false });
  await page.setViewportSize({ width: 1280, height: 900 });
});

test('the runs list and a runbook page pick up a run started elsewhere within one poll', async ({ page }) => {
  // One sign-in (the login limit is 10 a minute): these pages watch, and the run is started
  // beside them through the API, as another operator's script would.
  await signIn(page);
  await page.goto(`${server.baseUrl}/system/ops/runs`);
  await expect(page.locator('table tbody tr').first()).toBeVisible();
  const runbook = await page.context().newPage();
  await runbook.goto(`${server.baseUrl}/system/ops/runbooks/${RUNBOOK}`);
  await runbook.getByRole('radio', { name: 'All tenants' }).check();
  await runbook.getByRole('button', { name: 'Preflight' }).click();
  const start = runbook.getByRole('button', { name: 'Start…' });
  await expect(start).toBeEnabled();

  // Work for a run again (R1 fills first_seen_at back in), slowly, so the run is still active
  // when the pages next poll.
  execFileSync('sqlite3', [
    '-cmd',
    '.timeout 15000',
    server.databasePath,
    'UPDATE findings SET first_seen_at = NULL WHERE tenant_id NOT IN (SELECT tenant_id FROM e2e_broken_tenants);',
  ]);
  slow = slowFindingUpdates(server);
  const id = await startAllTenants(page, 'Started while another operator watches');
  // One poll: 5 s for the runs list, 3 s for the runbook page (issue 22, item 4).
  await expect(page.getByRole('link', { name: `#${id}`, exact: true })).toBeVisible({ timeout: 6_000 });
  await expect(runbook.getByTestId('active-runs')).toContainText(`Run #${id}`, { timeout: 4_000 });
  await expect(start).toBeDisabled();
});

async function tenantId(page: Page, externalId: string): Promise<number> {
  const found = await (await page.request.get(`${server.baseUrl}/system/api/ops/tenants?search=${externalId}`)).json();
  return found.items[0].id;
}
