import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import {
  DEMO_PASSWORD,
  REPO_ROOT,
  type RunningServer,
  slowFindingUpdates,
  startOverAllTenants,
  startServer,
} from './server';

// Issue 16, the console's part: what a new operator saw go wrong, checked in the browser —
// focus after sign-in and preflight, the runbook page's active runs staying true, Start blocked
// by an overlapping run, bars coloured by outcome, linked audit targets, the 390 px phone layout
// and no favicon 404; and a run whose only tenant hangs says it is stalled, on which tenant, and
// what to do.

const SCREENSHOTS = join(REPO_ROOT, 'docs/screenshots');
const RUNBOOK = 'findings.lifecycle.rebuild';

let server: RunningServer;
/** The file's server runs no workers of its own: this process runs its jobs, and a test that
 * needs a run to stay active stops it (gracefully) for as long as it needs. */
let worker: ChildProcess;

test.beforeAll(async () => {
  server = await startServer(undefined, { WORKERS: '0' });
  worker = server.worker();
  mkdirSync(SCREENSHOTS, { recursive: true });
});

/** Stops the worker after the job in hand, if any. */
async function stopWorker() {
  if (worker.exitCode !== null) return;
  const exited = new Promise((done) => worker.once('exit', done));
  worker.kill('SIGTERM');
  await exited;
}

test.afterAll(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) console.log(server?.output());
  await server?.stop();
});

async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

async function signIn(page: Page, baseUrl = server.baseUrl) {
  await page.goto(`${baseUrl}/system/`);
  await page.getByLabel('Username').fill('demo');
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Starts a run over all tenants through the API, as another operator's script would (one that
 * means to start even when the preflight found nothing, docs/spec.md §18). */
async function startAllTenants(page: Page): Promise<number> {
  const started = await startOverAllTenants(page, server.baseUrl, RUNBOOK, {
    reason: 'Started by a script during the e2e',
    allowNoChanges: true,
  });
  return started.id;
}

/** The outcome colours of styles.css, as the bar's `--bar` resolves them. */
const BAR_COLOURS: Record<string, string> = {
  succeeded: '#1a7f37',
  partially_succeeded: '#bf8700',
  failed: '#b42318',
  cancelled: '#6e7781',
  running: '#0b5cad',
  queued: '#0b5cad',
};

async function expectBarColouredByState(page: Page, progress: ReturnType<Page['locator']>) {
  const state = await progress.getAttribute('data-state');
  expect(state).not.toBeNull();
  // e2e code is compiled without the DOM library: the window's function is typed here.
  const colour = await progress.evaluate((element) =>
    (globalThis as unknown as { getComputedStyle: (e: unknown) => { getPropertyValue: (n: string) => string } })
      .getComputedStyle(element)
      .getPropertyValue('--bar')
      .trim(),
  );
  expect(colour.toLowerCase(), `bar colour of a ${state} run`).toBe(BAR_COLOURS[state!]);
  return state!;
}

test('the runbook page stays true: focus, a used preflight, active runs, an overlapping run, outcome colours, audit links', async ({ page }) => {
  // Focus lands on the page heading after signing in, not on <body>.
  await signIn(page);
  await expect(page.getByRole('heading', { name: 'Runbooks', level: 1 })).toBeFocused();

  await page.getByRole('link', { name: 'Rebuild Findings Lifecycle' }).click();
  await expect(page.getByRole('heading', { name: 'Rebuild Findings Lifecycle', level: 1 })).toBeVisible();

  // One tenant, picked by name: the result and the Start dialog name it "name (external_id)".
  await page.getByRole('radio', { name: 'One tenant' }).check();
  await page.getByRole('combobox', { name: 'Tenant' }).click();
  const option = page.getByRole('option').first();
  const name = (await option.locator('span').first().textContent()) ?? '';
  const externalId = (await option.locator('code').textContent()) ?? '';
  await option.click();
  await page.getByRole('button', { name: 'Preflight' }).click();
  const result = page.getByRole('region', { name: 'Preflight result' });
  await expect(page.getByRole('heading', { name: 'Preflight result' })).toBeFocused();
  await expect(result).toContainText(`Scope: tenant ${name} (${externalId})`);

  await result.getByRole('button', { name: 'Start…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Start Rebuild Findings Lifecycle' });
  await expect(dialog).toContainText(`over tenant ${name} (${externalId}):`);
  await dialog.getByLabel('Reason code').selectOption('data_repair');
  await dialog.getByLabel('Reason', { exact: true }).fill('Repair one tenant after a support ticket');
  await dialog.getByRole('button', { name: 'Start run' }).click();
  await expect(dialog).toBeHidden();

  // The start used the preflight up: no result, no Start…, a notice with the run.
  await expect(result).toBeHidden();
  await expect(page.getByRole('button', { name: 'Start…' })).toHaveCount(0);
  await expect(page.getByText('Its preflight is used up')).toBeFocused();
  // The toast carries a link, so it stays until dismissed.
  const toast = page.getByTestId('toast');
  await expect(toast).toContainText('Run queued');

  // A run over all tenants, started elsewhere while no worker runs (so it is still active when
  // the page looks, however fast the machine), shows up among the active runs; a preflight for
  // one tenant is then blocked up front, with a link to that run.
  const active = page.getByTestId('active-runs');
  await expect(active).toHaveCount(0, { timeout: 30_000 });
  await stopWorker();
  const allRun = await startAllTenants(page);
  await page.reload();
  await page.getByRole('radio', { name: 'One tenant' }).check();
  await page.getByRole('combobox', { name: 'Tenant' }).click();
  await page.getByRole('option').first().click();
  await page.getByRole('button', { name: 'Preflight' }).click();
  await expect(result).toBeVisible();
  const blocked = result.getByRole('button', { name: 'Start…' });
  await expect(active).toContainText(`Run #${allRun}`);
  await expect(blocked).toBeDisabled();
  await expect(result).toContainText(`Run #${allRun} (All tenants) is`);
  await expect(result.getByRole('link', { name: `View run #${allRun}` })).toHaveAttribute(
    'href',
    `/system/ops/runs/${allRun}`,
  );
  await shot(page, 'runbook-blocked-by-active-run');
  worker = server.worker();

  // Without a reload, "Active now" lets go of the run soon after it completes.
  await expect(active.getByText(`Run #${allRun}`)).toHaveCount(0, { timeout: 60_000 });
  await expect(page.getByTestId('active-runs')).toHaveCount(0);
  await expect(result).not.toContainText('overlaps this scope');
  // Both runs repaired the tenant: a preflight that finds nothing to change still offers Start…,
  // and the dialog asks explicitly (docs/spec.md §18: "the SPA asks"); Start run waits for the box.
  await expect(blocked).toBeEnabled();
  await expect(result).toContainText('The preflight found nothing to change; Start… asks whether to start anyway.');
  await blocked.click();
  const asked = page.getByRole('dialog');
  await asked.getByLabel('Reason code').selectOption('data_repair');
  await asked.getByLabel('Reason', { exact: true }).fill('Nothing to change, asked anyway');
  await expect(asked.getByRole('button', { name: 'Start run' })).toBeDisabled();
  await asked.getByRole('checkbox', { name: 'Start anyway — the preflight found nothing to change' }).check();
  await expect(asked.getByRole('button', { name: 'Start run' })).toBeEnabled();
  await asked.getByRole('button', { name: 'Cancel' }).click();

  // Run detail and the runs list colour the bar by the outcome and say it in text.
  await page.goto(`${server.baseUrl}/system/ops/runs/${allRun}`);
  const detailBar = page.locator('.run-status .progress');
  await expect(page.locator('.run-status .badge')).toHaveText(/Succeeded|Partially succeeded|Failed/);
  const state = await expectBarColouredByState(page, detailBar);
  await expect(detailBar).toContainText(await page.locator('.run-status .badge').innerText());
  await shot(page, 'run-detail-outcome');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Runs' }).click();
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: `#${allRun}`, exact: true }) });
  expect(await expectBarColouredByState(page, row.locator('.progress'))).toBe(state);

  // The audit log links the run; the link opens it.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
  await page.getByLabel('Action').selectOption('runbook.run.started');
  const runLink = page.getByRole('link', { name: `Run #${allRun}`, exact: true }).first();
  await expect(runLink).toBeVisible();
  await shot(page, 'audit-log-linked');
  await runLink.click();
  await expect(page).toHaveURL(new RegExp(`/system/ops/runs/${allRun}$`));
  await expect(page.getByRole('heading', { name: `Run #${allRun}`, level: 1 })).toBeVisible();
});

test('a 390 px phone: no page wider than the screen, the bell panel on screen, the status visible', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page);
  await expect(page.getByRole('heading', { name: 'Runbooks', level: 1 })).toBeVisible();

  // A token, so the tokens table has a row.
  await page.goto(`${server.baseUrl}/system/tokens`);
  await page.getByLabel('Name').fill('phone-check');
  await page.getByRole('checkbox').first().check();
  await page.getByRole('button', { name: 'Create token' }).click();
  await page.getByRole('button', { name: 'I have stored it' }).click();
  await expect(page.getByRole('cell', { name: 'phone-check', exact: true })).toBeVisible();

  // A run of its own (the file's first test may have run on another server).
  const runId = await startAllTenants(page);
  const pages: [string, string, string][] = [
    ['/system/ops/runbooks', 'Runbooks', 'phone-runbooks'],
    [`/system/ops/runbooks/${RUNBOOK}`, 'Rebuild Findings Lifecycle', 'phone-runbook'],
    ['/system/ops/runs', 'Runs', 'phone-runs'],
    [`/system/ops/runs/${runId}`, `Run #${runId}`, 'phone-run-detail'],
    ['/system/tokens', 'API tokens', 'phone-tokens'],
    ['/system/audit', 'Audit log', 'phone-audit'],
    ['/system/account', 'Account', 'phone-account'],
  ];
  for (const [path, heading, name] of pages) {
    await page.goto(`${server.baseUrl}${path}`);
    await expect(page.getByRole('heading', { name: heading, level: 1 })).toBeVisible();
    await page.waitForLoadState('networkidle');
    const width = Number(await page.evaluate('document.documentElement.scrollWidth'));
    expect(width, `page width of ${path}`).toBeLessThanOrEqual(390);
    await shot(page, name);
  }

  // The runs list: each row's status is on screen without scrolling sideways.
  await page.goto(`${server.baseUrl}/system/ops/runs`);
  const badge = page.locator('table tbody tr').first().locator('.badge');
  await expect(badge).toBeVisible();
  const box = await badge.boundingBox();
  expect(box).not.toBeNull();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(390);

  // The notifications panel opens inside the viewport.
  await page.getByRole('button', { name: /^Notifications/ }).click();
  const panel = page.getByRole('region', { name: 'Notifications' });
  await expect(panel).toBeVisible();
  const panelBox = await panel.boundingBox();
  expect(panelBox).not.toBeNull();
  expect(panelBox!.x).toBeGreaterThanOrEqual(0);
  expect(panelBox!.y).toBeGreaterThanOrEqual(0);
  expect(panelBox!.x + panelBox!.width).toBeLessThanOrEqual(390);
  expect(panelBox!.y + panelBox!.height).toBeLessThanOrEqual(844);
  expect(Number(await page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(390);
  await shot(page, 'phone-notifications');
});

test('no page asks for a favicon it does not have', async ({ page }) => {
  const failed: string[] = [];
  page.on('response', (response) => {
    if (response.status() >= 400 && /favicon/.test(response.url())) failed.push(`${response.status()} ${response.url()}`);
  });
  page.on('requestfailed', (request) => {
    if (/favicon/.test(request.url())) failed.push(`failed ${request.url()}`);
  });
  for (const plane of ['system', 'admin']) {
    await page.goto(`${server.baseUrl}/${plane}/`);
    await expect(page.getByLabel('Username')).toBeVisible();
    const href = await page.locator('link[rel="icon"]').getAttribute('href');
    expect(href).toBe(`/${plane}/favicon.svg`);
    const icon = await page.request.get(`${server.baseUrl}${href}`);
    expect(icon.status()).toBe(200);
    expect(icon.headers()['content-type']).toContain('image/svg+xml');
    await page.waitForLoadState('networkidle');
  }
  expect(failed).toEqual([]);
});

test('a worker dies inside a tenant: the run says it is stalled on that tenant, then recovers', async ({ page }) => {
  // A server whose jobs a separate worker process runs. The worker is killed while it rebuilds
  // the run's one tenant: the item stays running, its job leased to a dead worker, and no item
  // finishes, so after 30 s the run is stalled (docs/spec.md §18). A new worker takes the job over when
  // the lease runs out, and the run completes.
  test.setTimeout(180_000);
  const lease = { JOB_LEASE_SECONDS: '40' };
  const own = await startServer(undefined, { WORKERS: '0' });
  try {
    await signIn(page, own.baseUrl);
    await expect(page.getByRole('heading', { name: 'Runbooks', level: 1 })).toBeVisible();
    await page.goto(`${own.baseUrl}/system/ops/runbooks/${RUNBOOK}`);
    await page.getByRole('radio', { name: 'One tenant' }).check();
    await page.getByRole('combobox', { name: 'Tenant' }).click();
    const option = page.getByRole('option').first();
    const externalId = (await option.locator('code').textContent()) ?? '';
    await option.click();
    await page.getByRole('button', { name: 'Preflight' }).click();
    const result = page.getByRole('region', { name: 'Preflight result' });
    await result.getByRole('button', { name: 'Start…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Start Rebuild Findings Lifecycle' });
    await dialog.getByLabel('Reason code').selectOption('data_repair');
    await dialog.getByLabel('Reason', { exact: true }).fill('Repair one tenant; its worker will die');
    await dialog.getByRole('button', { name: 'Start run' }).click();
    await page.getByTestId('toast').getByRole('link').first().click();
    await expect(page.getByRole('heading', { name: /^Run #\d+$/, level: 1 })).toBeVisible();
    const runId = Number(/\/runs\/(\d+)/.exec(page.url())?.[1]);

    // The worker takes the tenant (slowed down, so it is still inside it) and dies there.
    const slow = slowFindingUpdates(own, 500_000_000);
    const doomed = own.worker(lease);
    await expect
      .poll(async () => {
        const items = await page.request.get(`${own.baseUrl}/system/api/ops/runs/${runId}/items`);
        return items.ok() ? (await items.json()).items[0]?.status : undefined;
      }, { timeout: 30_000, intervals: [200] })
      .toBe('running');
    doomed.kill('SIGKILL');
    slow.fast();

    // Running, and stalled once 30 s pass without an item finishing: the banner names the
    // tenant and says what to do.
    await expect(page.locator('.run-status .badge')).toHaveText('Running');
    const banner = page.getByTestId('stall-banner');
    await expect(banner).toBeVisible({ timeout: 60_000 });
    await expect(banner).toContainText('Stalled.');
    await expect(banner).toContainText(`(${externalId}) has been running for`);
    await expect(banner).toContainText('What to do: open its item to see its attempts and last error, or cancel the run');
    await expect(banner.getByRole('button', { name: 'Cancel run…' })).toBeVisible();
    await shot(page, 'run-detail-stalled');

    // "Open its item" filters the items table to the stuck tenant: running, one attempt.
    await banner.getByRole('button', { name: `Open ${externalId}’s item` }).click();
    await expect(page).toHaveURL(new RegExp(`item_search=${externalId}`));
    const rows = page.locator('table').last().locator('tbody tr');
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText(externalId);
    await expect(rows.first().locator('.badge')).toHaveText('running');

    // A new worker takes the job over once the dead one's lease ends; the stall is over.
    own.worker(lease);
    await expect(page.locator('.run-status .badge')).toHaveText('Succeeded', { timeout: 90_000 });
    await expect(banner).toHaveCount(0);
    await expect(rows.first().locator('.badge')).toHaveText('succeeded');
  } catch (error) {
    console.log(own.output());
    throw error;
  } finally {
    await own.stop();
  }
});
