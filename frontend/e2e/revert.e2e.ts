import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Locator, type Page, test } from '@playwright/test';
import { expectNoAxeViolations } from './axe';
import { DEMO_PASSWORD, REPO_ROOT, type RunningServer, startOverAllTenants, startServer } from './server';

// Undo in the console (docs/spec.md §15): a completed Rebuild Findings Lifecycle run is reverted
// from its page. The Revert dialog runs the revert preflight — rows to restore, and the conflicts:
// rows the application changed (or deleted) since the run wrote them, which the revert leaves
// alone — asks for the reason (and, for an all-tenants run, the typed phrase) and starts a revert
// run, whose page links the run it reverts and counts its conflicts, while the original links its
// revert. A one-tenant run's revert needs no phrase, takes its options (the drift guard off), and
// a second revert of the same run finds nothing left to restore.

const SCREENSHOTS = join(REPO_ROOT, 'docs/screenshots');
const RUNBOOK = 'findings.lifecycle.rebuild';

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

/** A dialog taller than the e2e's 900 px window, whole: the window made tall enough for it. */
async function dialogShot(page: Page, name: string, height = 1900) {
  const size = page.viewportSize() ?? { width: 1280, height: 900 };
  await page.setViewportSize({ width: size.width, height });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  await page.setViewportSize(size);
}

/**
 * The application writes a finding, behind the runbook's back: SQL on the server's database, through
 * the `sqlite3` shell (waiting for the write lock), or `psql` with E2E_POSTGRES_URL.
 */
function applicationWrites(running: RunningServer, sql: string) {
  if (running.databaseUrl.startsWith('postgres')) {
    execFileSync('psql', [running.databaseUrl, '-v', 'ON_ERROR_STOP=1', '-c', sql]);
  } else {
    execFileSync('sqlite3', ['-cmd', '.timeout 15000', running.databasePath, sql]);
  }
}

/** The run as the API has it, read in the page's session. */
async function runView(page: Page, baseUrl: string, id: number) {
  const response = await page.request.get(`${baseUrl}/system/api/ops/runs/${id}`);
  expect(response.ok()).toBe(true);
  return response.json();
}

async function waitCompleted(page: Page, baseUrl: string, id: number) {
  await expect.poll(async () => (await runView(page, baseUrl, id)).status, { timeout: 90_000 }).toBe('completed');
}

interface Change {
  finding_id: number;
  tenant_id: number;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}

/** Fills the Revert dialog's reason. */
async function giveReason(dialog: Locator, text: string) {
  await dialog.getByLabel('Reason code').selectOption('data_repair');
  await dialog.getByLabel('Reason', { exact: true }).fill(text);
}

test('reverting an all-tenants run restores its rows, leaves the rows changed since alone, and links both runs', async ({ page }) => {
  test.setTimeout(180_000);
  server = await startServer();
  const { baseUrl } = server;
  await signIn(page, baseUrl);

  const { id } = await startOverAllTenants(page, baseUrl, RUNBOOK, { reason: 'Rebuild lifecycle fields, to be undone' });
  await page.goto(`${baseUrl}/system/ops/runs/${id}`);
  await expect(page.locator('.run-status .badge')).toHaveText(/Succeeded|Partially succeeded/, { timeout: 90_000 });
  const view = await runView(page, baseUrl, id);
  expect(view.kind).toBe('run');
  expect(view.changes_available).toBe(true);
  const changed: number = view.counts.findings_changed;
  expect(changed).toBeGreaterThan(50);
  const items: { tenant_id: number; findings_changed: number }[] = (
    await (await page.request.get(`${baseUrl}/system/api/ops/runs/${id}/items?per_page=100`)).json()
  ).items;
  const tenantsWithChanges = items.filter((item) => item.findings_changed > 0).length;

  // The application changes one row the run wrote (a count it wrote moves on) and deletes another.
  const rows: Change[] = (await (await page.request.get(`${baseUrl}/system/api/ops/runs/${id}/changes?per_page=50`)).json()).items;
  const edited = rows.find((row) => typeof row.after.times_seen === 'number');
  expect(edited, 'a row whose times_seen the run wrote').toBeDefined();
  const written = edited!.after.times_seen as number;
  const deleted = rows.find((row) => row.finding_id !== edited!.finding_id)!;
  applicationWrites(server, `UPDATE findings SET times_seen = ${written + 100} WHERE id = ${edited!.finding_id};`);
  applicationWrites(server, `DELETE FROM findings WHERE id = ${deleted.finding_id};`);

  // Revert…: the preflight's counts, and both conflicts listed.
  await page.getByRole('button', { name: 'Revert…' }).click();
  const dialog = page.getByRole('dialog', { name: `Revert run #${id}` });
  await expect(dialog.getByRole('heading', { name: 'What a revert would do' })).toBeFocused({ timeout: 30_000 });
  const counts = dialog.getByTestId('revert-counts');
  const count = (term: string) => counts.locator('div').filter({ has: page.getByText(term, { exact: true }) }).locator('dd');
  await expect(count('Tenants')).toHaveText(String(tenantsWithChanges));
  await expect(count('Rows logged')).toHaveText(changed.toLocaleString('en-US'));
  await expect(count('Rows to restore')).toHaveText((changed - 2).toLocaleString('en-US'));
  await expect(count('Already restored')).toHaveText('0');
  await expect(count('Conflicts')).toHaveText('2');
  const conflicts = dialog.getByRole('table', { name: 'Conflicts — left alone' });
  const conflictOf = (finding: number) =>
    conflicts.getByRole('row').filter({ has: page.getByRole('cell', { name: `#${finding}`, exact: true }) });
  const editedRow = conflictOf(edited!.finding_id);
  await expect(editedRow).toContainText(/\(tenant-\d+\)/);
  await expect(editedRow.getByRole('listitem')).toHaveText(
    `times_seen: run wrote ${written} → now ${written + 100} (before the run: ${edited!.before.times_seen ?? 'empty'})`,
  );
  await expect(conflictOf(deleted.finding_id)).toContainText('Deleted since the run');
  await expect(dialog.getByRole('table', { name: 'Sample of rows to restore' }).getByRole('row')).not.toHaveCount(1);

  // An all-tenants run's revert asks for the phrase, which names the tenants it changes.
  const start = dialog.getByRole('button', { name: 'Start revert' });
  await giveReason(dialog, 'The rebuild used the wrong rules: undo it');
  await expect(start).toBeDisabled();
  const phrase = `REVERT ${tenantsWithChanges} TENANTS`;
  await expect(dialog.locator('label code.phrase')).toHaveText(phrase);
  await dialog.getByLabel(/to confirm/).fill(phrase);
  await expect(start).toBeEnabled();
  await dialog.getByRole('heading', { name: 'What a revert would do' }).scrollIntoViewIfNeeded();
  await dialogShot(page, 'revert-preflight');
  await expectNoAxeViolations(page, 'the Revert dialog');

  // Start: the revert run's page opens.
  await start.click();
  await expect(page.getByTestId('toast')).toContainText('Revert queued');
  await expect(page).toHaveURL(/\/system\/ops\/runs\/\d+$/);
  const revertId = Number(page.url().split('/').pop());
  expect(revertId).not.toBe(id);
  await expect(page.getByRole('heading', { name: `Run #${revertId}`, level: 1 })).toBeVisible();
  await expect(page.locator('.run-status .badge')).toHaveText('Succeeded', { timeout: 90_000 });
  const revertOf = page.getByTestId('revert-of');
  await expect(revertOf.getByRole('link', { name: `Revert of run #${id}` })).toHaveAttribute('href', `/system/ops/runs/${id}`);
  await expect(page.getByTestId('run-scope')).toHaveText(`${tenantsWithChanges} tenants (revert of #${id})`);
  await expect(page.getByTestId('run-conflicts')).toHaveText(
    `2 conflicts — rows the application changed since run #${id} wrote them; left alone.`,
  );
  const runCounts = page.getByRole('heading', { name: 'Tenants' }).locator('xpath=following-sibling::dl[1]');
  await expect(runCounts.locator('div').filter({ hasText: 'Findings restored' }).locator('dd')).toHaveText(String(changed - 2));
  await expect(runCounts.locator('div').filter({ hasText: 'Conflicts' }).locator('dd')).toHaveText('2');
  // The items of the tenants whose rows conflicted say how many each.
  const itemConflicts = page.getByTestId('item-conflicts');
  await expect(itemConflicts.first()).toBeVisible();
  const perItem = await itemConflicts.allTextContents();
  expect(perItem.reduce((sum, text) => sum + Number(/^(\d+)/.exec(text)?.[1] ?? 0), 0)).toBe(2);
  const reverted = await runView(page, baseUrl, revertId);
  expect(reverted).toMatchObject({ kind: 'revert', reverts_run_id: id, counts: { conflicts: 2, findings_changed: changed - 2 } });
  // The revert has its own change log: every row it restored.
  const log = await (await page.request.get(`${baseUrl}/system/api/ops/runs/${revertId}/changes?per_page=1`)).json();
  expect(log.total).toBe(changed - 2);
  // The toast has been read: out of the picture.
  await page.getByRole('button', { name: 'Dismiss: Revert queued' }).click();
  await page.evaluate(() => (globalThis as unknown as { scrollTo: (x: number, y: number) => void }).scrollTo(0, 0));
  await page.screenshot({ path: join(SCREENSHOTS, 'run-revert.png'), fullPage: true });
  await expectNoAxeViolations(page, 'a revert run');

  // The original links its revert.
  await revertOf.getByRole('link', { name: `Revert of run #${id}` }).click();
  await expect(page.getByRole('heading', { name: `Run #${id}`, level: 1 })).toBeVisible();
  const revertedBy = page.getByTestId('reverted-by');
  await expect(revertedBy).toHaveText(`Reverted by #${revertId} (succeeded).`);
  await expect(revertedBy.getByRole('link', { name: `#${revertId}` })).toHaveAttribute('href', `/system/ops/runs/${revertId}`);
  await expectNoAxeViolations(page, 'a reverted run');

  // The runs list marks the revert run.
  await page.goto(`${baseUrl}/system/ops/runs`);
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: `#${revertId}`, exact: true }) });
  await expect(row.getByTestId('revert-tag')).toHaveText(`Revert of #${id}`);
  await expect(row).toContainText(`${tenantsWithChanges} tenants (revert of #${id})`);
});

test("a one-tenant run's revert asks no phrase and takes the drift guard off; a second revert finds nothing to restore", async ({ page }) => {
  test.setTimeout(150_000);
  server = await startServer();
  const { baseUrl } = server;
  await signIn(page, baseUrl);

  // A run over one tenant, started as a script would.
  const session = await (await page.request.get(`${baseUrl}/system/api/auth/me`)).json();
  const headers = { 'X-CSRF-Token': session.csrf_token, Origin: baseUrl };
  const tenant = (await (await page.request.get(`${baseUrl}/system/api/ops/tenants?per_page=1`)).json()).items[0];
  const scope = { kind: 'tenant', tenant_id: tenant.id };
  const base = `${baseUrl}/system/api/ops/runbooks/${RUNBOOK}`;
  const preflight = await (await page.request.post(`${base}/preflight`, { headers, data: { scope, parameters: {} } })).json();
  const started = await page.request.post(`${base}/runs`, {
    headers,
    data: {
      scope,
      reason: { code: 'data_repair', text: 'Rebuild one tenant, to be undone' },
      preflight_id: preflight.preflight_id,
      confirmation: null,
      parameters: preflight.parameters,
    },
  });
  expect(started.status(), await started.text()).toBe(201);
  const id: number = (await started.json()).id;
  await waitCompleted(page, baseUrl, id);
  const changed: number = (await runView(page, baseUrl, id)).counts.findings_changed;
  expect(changed).toBeGreaterThan(0);

  await page.goto(`${baseUrl}/system/ops/runs/${id}`);
  await page.getByRole('button', { name: 'Revert…' }).click();
  const dialog = page.getByRole('dialog', { name: `Revert run #${id}` });
  await expect(dialog.getByRole('heading', { name: 'What a revert would do' })).toBeVisible({ timeout: 30_000 });
  await expect(dialog.getByTestId('revert-sentence')).toHaveText(
    `${changed.toLocaleString('en-US')} ${changed === 1 ? 'row' : 'rows'} of run #${id}'s ${changed.toLocaleString('en-US')} ${changed === 1 ? 'row' : 'rows'} would get back the values it overwrote.`,
  );
  await expect(dialog.getByRole('table', { name: 'Conflicts — left alone' })).toHaveCount(0);
  await expect(dialog.getByLabel(/to confirm/)).toHaveCount(0);
  await giveReason(dialog, 'Undo the one-tenant rebuild, unguarded');
  await dialog.getByRole('button', { name: /^Advanced: concurrency, failure budget, waves, drift guard/ }).click();
  const guard = dialog.getByRole('checkbox', { name: 'Drift guard' });
  await expect(guard).toBeChecked();
  await guard.uncheck();
  await expect(dialog.getByText(/^Off for this run: every tenant is written/)).toBeVisible();
  await expectNoAxeViolations(page, 'the Revert dialog with its Advanced options');
  await dialog.getByRole('button', { name: 'Start revert' }).click();

  await expect(page.getByTestId('revert-of')).toBeVisible();
  const revertId = Number(page.url().split('/').pop());
  await expect(page.locator('.run-status .badge')).toHaveText('Succeeded', { timeout: 90_000 });
  await expect(page.getByTestId('run-options')).toContainText('Off (turned off at the start)');
  await expect(page.getByTestId('run-conflicts')).toHaveText(`0 conflicts — rows the application changed since run #${id} wrote them; left alone.`);
  expect((await runView(page, baseUrl, revertId)).options.drift_guard).toBe(false);

  // Reverting the same run again: every row holds its old values already.
  await page.goto(`${baseUrl}/system/ops/runs/${id}`);
  await expect(page.getByTestId('reverted-by')).toHaveText(`Reverted by #${revertId} (succeeded).`);
  await page.getByRole('button', { name: 'Revert…' }).click();
  const again = page.getByRole('dialog', { name: `Revert run #${id}` });
  await expect(again.getByTestId('revert-sentence')).toHaveText(
    new RegExp(`^Nothing to restore: no row of run #${id} still holds what it wrote; ${changed} rows? holds? them again already\\.$`),
    { timeout: 30_000 },
  );
  await giveReason(again, 'Try the same revert a second time');
  const start = again.getByRole('button', { name: 'Start revert' });
  await expect(start).toBeDisabled();
  await expect(again.getByRole('checkbox', { name: /^Start anyway/ })).not.toBeChecked();
  await again.getByRole('button', { name: 'Cancel' }).click();
  await expect(again).toBeHidden();
  await expect(page.getByRole('button', { name: 'Revert…' })).toBeFocused();
});
