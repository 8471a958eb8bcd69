import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { expectNoAxeViolations } from './axe';
import { DEMO_PASSWORD, REPO_ROOT, type RunningServer, startOverAllTenants, startServer } from './server';

// Run control in the console (docs/spec.md §13): a run started with waves and canary tenants from
// the Start dialog's "Advanced" section pauses itself at each wave gate, says so in its banner,
// and completes once resumed; and a run an operator pauses from the console starts nothing while
// paused — even with a worker free and busy with another run — until it is resumed.

const SCREENSHOTS = join(REPO_ROOT, 'docs/screenshots');
const RUNBOOK = 'findings.lifecycle.rebuild';

/** Each test's own server, stopped after it. */
let server: RunningServer | undefined;

test.beforeAll(() => {
  mkdirSync(SCREENSHOTS, { recursive: true });
});

test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) console.log(server?.output());
  await server?.stop();
  server = undefined;
});

async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** A dialog taller than the e2e's 900 px window, whole: the window made tall enough for it. */
async function dialogShot(page: Page, name: string) {
  const size = page.viewportSize() ?? { width: 1280, height: 900 };
  await page.setViewportSize({ width: size.width, height: 1500 });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  await page.setViewportSize(size);
}

async function signIn(page: Page, baseUrl: string) {
  await page.goto(`${baseUrl}/system/`);
  await page.getByLabel('Username').fill('demo');
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Runbooks', level: 1 })).toBeVisible();
}

/** The run as the API has it, read in the page's session. */
async function runView(page: Page, baseUrl: string, id: number) {
  const response = await page.request.get(`${baseUrl}/system/api/ops/runs/${id}`);
  expect(response.ok()).toBe(true);
  return response.json();
}

/** The status of a run's item for one tenant, by its external id. */
async function itemStatus(page: Page, baseUrl: string, id: number, externalId: string): Promise<string> {
  const response = await page.request.get(`${baseUrl}/system/api/ops/runs/${id}/items?search=${externalId}`);
  expect(response.ok()).toBe(true);
  const items: { tenant_external_id: string; status: string }[] = (await response.json()).items;
  return items.find((item) => item.tenant_external_id === externalId)?.status ?? 'missing';
}

/** Fills and confirms a run action's reason dialog (pause, resume, cancel). */
async function confirmWithReason(page: Page, dialogName: string, label: string, reason: string, button: string) {
  const dialog = page.getByRole('dialog', { name: dialogName });
  await expect(dialog).toBeVisible();
  const confirm = dialog.getByRole('button', { name: button, exact: true });
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel(label).fill(reason);
  await expect(confirm).toBeEnabled();
  return { dialog, confirm };
}

test('a run started with waves and canary tenants pauses at each wave gate and completes once resumed', async ({ page }) => {
  test.setTimeout(150_000);
  server = await startServer();
  const { baseUrl } = server;
  await signIn(page, baseUrl);

  await page.getByRole('link', { name: 'Rebuild Findings Lifecycle' }).click();
  await page.getByRole('radio', { name: 'All tenants' }).check();
  await page.getByRole('button', { name: 'Preflight' }).click();
  await expect(page.getByRole('region', { name: 'Preflight result' })).toBeVisible();
  await page.getByRole('button', { name: 'Start…' }).click();

  const dialog = page.getByRole('dialog', { name: 'Start Rebuild Findings Lifecycle' });
  await dialog.getByLabel('Reason code').selectOption('data_repair');
  await dialog.getByLabel('Reason', { exact: true }).fill('Rebuild in stages, canaries first');
  const phrase = (await dialog.locator('code.phrase').textContent()) ?? '';
  await dialog.getByLabel(/to confirm/).fill(phrase);
  const tenants = Number(/^REBUILD (\d+) TENANTS$/.exec(phrase)?.[1]);
  expect(tenants).toBeGreaterThan(10);

  // "Advanced", collapsed until opened: a cap, three waves (3, then up to 10, then the rest) and
  // two canary tenants, which go first.
  const advanced = dialog.getByRole('button', { name: /^Advanced: concurrency, failure budget, waves, canary tenants/ });
  await expect(advanced).toHaveAttribute('aria-expanded', 'false');
  await advanced.click();
  await dialog.getByLabel('Max concurrency').fill('2');
  // A boundary the server would refuse is said at once, beside the field.
  await dialog.getByLabel('Waves').fill(`3, ${tenants}`);
  await expect(dialog.getByText(`Each number must be below the ${tenants} tenants in scope`)).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Start run' })).toBeDisabled();
  await dialog.getByLabel('Waves').fill('3, 10');
  const canary = dialog.getByLabel('Canary tenants');
  await canary.fill('tenant-020, tenant-017');
  await canary.blur();
  await expect(dialog.getByText(/^First, in this order: .*\(tenant-020\), .*\(tenant-017\)\.$/)).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Start run' })).toBeEnabled();
  await dialogShot(page, 'start-advanced-options');
  await expectNoAxeViolations(page, 'the Start dialog with its Advanced options');

  await dialog.getByRole('button', { name: 'Start run' }).click();
  const link = page.getByTestId('toast').getByRole('link', { name: /View run #\d+/ });
  const href = (await link.getAttribute('href')) ?? '';
  const id = Number(href.split('/').pop());
  await link.click();
  await expect(page.getByRole('heading', { name: `Run #${id}` })).toBeVisible();

  // Wave 1 (3 tenants: the two canaries, then the lowest id) finishes, and the run pauses itself.
  const banner = page.getByTestId('pause-banner');
  await expect(banner).toContainText('Paused by the run itself after wave 1 of 3, for you to check it.', { timeout: 60_000 });
  await expect(banner).toContainText('Wave 1 of 3 finished (3 tenants); resume to start wave 2.');
  await expect(banner).toContainText(`after 3 of ${tenants} tenants: 3 succeeded, 0 failed.`);
  await expect(banner).toContainText('Next: Check the tenants processed so far, then resume to continue with wave 2 of 3, or cancel the run.');
  await expect(page.locator('.run-status .badge')).toHaveText('Paused');
  await expect(page.getByTestId('run-remaining')).toHaveText('Remaining: paused');
  await expect(page.getByTestId('run-wave')).toHaveText('Wave 1 of 3');
  await expect(page.getByTestId('run-options')).toContainText('At most 2 tenants at a time');
  await expect(page.getByTestId('run-options')).toContainText('First 3, then up to 10, then the rest (3 waves)');
  await expect(page.getByTestId('run-options')).toContainText(/\(tenant-020\), .*\(tenant-017\) — first, in this order/);
  // The canaries went first; the tenants after the gate wait.
  const view = await runView(page, baseUrl, id);
  expect(view.counts.processed).toBe(3);
  expect(await itemStatus(page, baseUrl, id, 'tenant-020')).toBe('succeeded');
  expect(await itemStatus(page, baseUrl, id, 'tenant-017')).toBe('succeeded');
  expect(await itemStatus(page, baseUrl, id, 'tenant-002')).toBe('pending');
  // The banner shows the wave's tenants: the items table filtered to them.
  await banner.getByRole('button', { name: 'Show the 3 succeeded tenants' }).click();
  await expect(page.getByLabel('Item status')).toHaveValue('succeeded');
  const items = page.locator('table.items-table tbody tr');
  await expect(items).toHaveCount(3);
  await expect(items.nth(0)).toContainText('tenant-001');
  await expect(items.nth(1)).toContainText('tenant-017');
  await expect(items.nth(2)).toContainText('tenant-020');
  await shot(page, 'run-paused-wave-gate');
  await expectNoAxeViolations(page, 'a run paused at its wave gate');

  // The initiator is told: the bell lists "Run #N paused", marked Paused.
  const bell = page.getByRole('button', { name: /^Notifications, [1-9]\d* unread$/ });
  await expect(bell).toBeVisible({ timeout: 20_000 });
  await bell.click();
  const pausedNote = page.getByRole('region', { name: 'Notifications' }).getByRole('listitem').filter({ hasText: `Run #${id} paused` });
  await expect(pausedNote.first().locator('.badge-paused')).toHaveText('Paused');
  await expect(pausedNote.first().getByRole('link', { name: `View run #${id}` })).toHaveAttribute('href', href);
  await page.keyboard.press('Escape');

  // Resume: wave 2 (up to 10 tenants) runs, and the run pauses again at its gate.
  await banner.getByRole('button', { name: 'Resume with wave 2 of 3…' }).click();
  const resume = await confirmWithReason(page, `Resume run #${id}?`, 'Reason for resuming', 'Wave 1 looks right: go on', 'Resume with wave 2 of 3');
  await resume.confirm.click();
  await expect(resume.dialog).toBeHidden();
  await expect(banner).toContainText('Paused by the run itself after wave 2 of 3', { timeout: 60_000 });
  await expect(banner).toContainText('Wave 2 of 3 finished (10 tenants); resume to start wave 3.');
  expect((await runView(page, baseUrl, id)).counts.processed).toBe(10);

  // Resume the last wave: the rest, to completion.
  await banner.getByRole('button', { name: 'Resume with wave 3 of 3…' }).click();
  const last = await confirmWithReason(page, `Resume run #${id}?`, 'Reason for resuming', 'Wave 2 looks right: the rest', 'Resume with wave 3 of 3');
  await last.confirm.click();
  await expect(page.locator('.run-status .badge')).toHaveText(/Succeeded|Partially succeeded/, { timeout: 60_000 });
  await expect(banner).toBeHidden();
  await expect(page.getByRole('progressbar', { name: 'Run progress' })).toHaveAttribute('value', '100');
  const done = await runView(page, baseUrl, id);
  expect(done.counts.processed).toBe(tenants);
  expect(done.wave).toEqual({ current: 3, of: 3 });
});

test('a run paused from the console starts nothing while paused, and completes once resumed', async ({ page }) => {
  test.setTimeout(150_000);
  // No worker yet: the run stays queued until this test starts one.
  server = await startServer(undefined, { WORKERS: '0' });
  const { baseUrl } = server;
  await signIn(page, baseUrl);
  const { id, tenantsInScope } = await startOverAllTenants(page, baseUrl, RUNBOOK, {
    reason: 'Started by a script during the e2e',
  });
  await page.goto(`${baseUrl}/system/ops/runs/${id}`);
  await expect(page.locator('.run-status .badge')).toHaveText('Queued');
  await expect(page.getByTestId('run-waiting')).toHaveText(/^Waiting for a free worker/);

  await page.getByRole('button', { name: 'Pause…' }).click();
  const pause = await confirmWithReason(
    page,
    `Pause run #${id}?`,
    'Reason for pausing',
    'Hold until the support ticket is answered',
    'Pause run',
  );
  await expectNoAxeViolations(page, 'the Pause dialog');
  await pause.confirm.click();
  await expect(pause.dialog).toBeHidden();

  const banner = page.getByTestId('pause-banner');
  await expect(banner).toContainText('Paused by demo.');
  await expect(banner).toContainText('Reason: “Hold until the support ticket is answered”');
  await expect(banner).toContainText('Next: Resume to continue, or cancel the run.');
  await expect(page.locator('.run-status .badge')).toHaveText('Paused');
  await expect(page.getByRole('button', { name: 'Pause…' })).toHaveCount(0);
  await expect(page.getByTestId('run-waiting')).toHaveCount(0);

  // A worker starts, and runs another run to completion meanwhile: it claims jobs, none of the
  // paused run's.
  server.worker();
  const other = await startOverAllTenants(page, baseUrl, 'findings.stale.close', {
    reason: 'Another run while the first is paused',
    parameters: { last_seen_before: new Date(Date.now() - 60_000).toISOString() },
    allowNoChanges: true,
  });
  await expect
    .poll(async () => (await runView(page, baseUrl, other.id)).status, { timeout: 60_000 })
    .toBe('completed');
  const held = await runView(page, baseUrl, id);
  expect(held.status).toBe('paused');
  expect(held.counts.processed).toBe(0);
  expect(held.counts.running).toBe(0);
  expect(held.started_at).toBeNull();
  await expect(page.getByRole('progressbar', { name: 'Run progress' })).toHaveAttribute('value', '0');
  await shot(page, 'run-paused-operator');
  await expectNoAxeViolations(page, 'a run paused by an operator');

  // The runs list shows it paused, and finds it by that status.
  await page.goto(`${baseUrl}/system/ops/runs?status=paused`);
  await expect(page.getByLabel('Status')).toHaveValue('paused');
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: `#${id}`, exact: true }) });
  await expect(row.locator('.badge')).toHaveText('Paused');
  await expect(page.getByRole('link', { name: `#${other.id}`, exact: true })).toHaveCount(0);
  await expectNoAxeViolations(page, 'the runs list filtered to paused runs');
  await row.getByRole('link', { name: `#${id}`, exact: true }).click();

  // Resume: it runs to completion on the worker.
  await banner.getByRole('button', { name: 'Resume…' }).click();
  const resume = await confirmWithReason(page, `Resume run #${id}?`, 'Reason for resuming', 'The ticket is answered, go on', 'Resume run');
  await resume.confirm.click();
  await expect(banner).toBeHidden();
  await expect(page.locator('.run-status .badge')).toHaveText(/Succeeded|Partially succeeded/, { timeout: 60_000 });
  const done = await runView(page, baseUrl, id);
  expect(done.counts.processed).toBe(tenantsInScope);
  // Active time counts the run's running only: never more than its wall-clock time.
  expect(done.active_seconds).toBeLessThanOrEqual(done.duration_seconds ?? Infinity);
});
