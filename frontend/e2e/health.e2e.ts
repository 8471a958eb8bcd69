import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { expectNoAxeViolations } from './axe';
import { DEMO_PASSWORD, REPO_ROOT, type RunningServer, startOverAllTenants, startServer } from './server';

// The database health gate in the console (docs/spec.md §14): with an external check that fails
// (HEALTH_CHECK_URL answering 503), a run over all tenants starts no tenant; its page says why
// (a banner naming the check, what happens and what to do) and the Database health page shows the
// gate throttled with the check's chart. Once the check answers 200, the gate opens after
// HEALTH_RECOVERY_SAMPLES healthy samples, the run completes, and the page shows the episode ended.

const SCREENSHOTS = join(REPO_ROOT, 'docs/screenshots');
const RUNBOOK = 'findings.lifecycle.rebuild';

let server: RunningServer | undefined;
let check: Server | undefined;

test.beforeAll(() => {
  mkdirSync(SCREENSHOTS, { recursive: true });
});

test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) console.log(server?.output());
  await server?.stop();
  server = undefined;
  await new Promise((done) => (check ? check.close(done) : done(undefined)));
  check = undefined;
});

async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

async function signIn(page: Page, baseUrl: string) {
  await page.goto(`${baseUrl}/system/`);
  await page.getByLabel('Username').fill('demo');
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Runbooks', level: 1 })).toBeVisible();
}

/** An external health check on a free port: 503 until `heal()`, then 200. */
async function startCheck(): Promise<{ url: string; heal: () => void }> {
  let healthy = false;
  check = createServer((_request, response) => {
    response.writeHead(healthy ? 200 : 503, { 'Content-Type': 'text/plain' });
    response.end(healthy ? 'ok' : 'primary overloaded');
  });
  await new Promise<void>((listening) => check!.listen(0, '127.0.0.1', listening));
  const { port } = check.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, heal: () => (healthy = true) };
}

/** The API's view of a run, or of the gate, in the page's session. */
async function apiGet(page: Page, url: string) {
  const response = await page.request.get(url);
  expect(response.ok(), await response.text()).toBe(true);
  return response.json();
}

test('a failing external check holds a run with a banner that says why, and it completes once the check passes', async ({ page }) => {
  test.setTimeout(150_000);
  const external = await startCheck();
  server = await startServer(undefined, {
    HEALTH_CHECK_URL: external.url,
    HEALTH_SAMPLE_MS: '300',
    HEALTH_RECOVERY_SAMPLES: '2',
  });
  const { baseUrl } = server;
  await signIn(page, baseUrl);
  // The sampler has seen the check fail: the gate is closed before the run is started.
  await expect
    .poll(async () => (await apiGet(page, `${baseUrl}/system/api/ops/health`)).state, { timeout: 20_000 })
    .toBe('throttled');

  const { id, tenantsInScope } = await startOverAllTenants(page, baseUrl, RUNBOOK, {
    reason: 'Rebuild while the primary is overloaded',
  });
  await page.goto(`${baseUrl}/system/ops/runs/${id}`);
  await expect(page.getByRole('heading', { name: `Run #${id}`, level: 1 })).toBeVisible();

  // The banner: why (the external check), since when, what happens, when it resumes, what to do.
  const banner = page.getByTestId('throttle-banner');
  await expect(banner).toContainText('Held by the database health gate: External health check failing.', { timeout: 20_000 });
  await expect(banner).toContainText(`None of its ${tenantsInScope} tenants has started`);
  await expect(banner).toContainText('It resumes by itself after 2 healthy samples in a row (less than a second).');
  await expect(banner).toContainText('What to do: Find out why the external health check (HEALTH_CHECK_URL) fails and fix it');
  await expect(banner.getByRole('link', { name: 'Open Database health' })).toHaveAttribute('href', '/system/ops/health');
  await expect(banner.getByRole('button', { name: 'Pause…' })).toBeVisible();
  await expect(banner.getByRole('button', { name: 'Cancel run…' })).toBeVisible();
  await expect(page.locator('.run-status .throttle-tag')).toHaveText('Throttled');
  await expect(page.locator('.run-status .badge')).toHaveText('Queued');
  await expect(page.getByTestId('run-waiting')).toHaveCount(0);
  // No tenant starts while the gate is closed, with both workers free.
  await page.waitForTimeout(2000);
  const held = await apiGet(page, `${baseUrl}/system/api/ops/runs/${id}`);
  expect(held.throttle).toMatchObject({ indicator: 'external_check', value: 1, threshold: 0 });
  expect(held.waiting_for?.reason).toBe('throttled');
  expect(held.counts.processed).toBe(0);
  expect(held.counts.running).toBe(0);
  expect(held.started_at).toBeNull();
  await expect(page.getByRole('progressbar', { name: 'Run progress' })).toHaveAttribute('value', '0');
  await shot(page, 'run-throttled');
  await expectNoAxeViolations(page, 'a run held by the health gate');

  // The runs list marks it.
  await page.goto(`${baseUrl}/system/ops/runs`);
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: `#${id}`, exact: true }) });
  await expect(row.locator('.throttle-tag')).toHaveText('Throttled');

  // The Database health page, from the main navigation.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Database health' }).click();
  await expect(page.getByRole('heading', { name: 'Database health', level: 1 })).toBeVisible();
  const gate = page.getByTestId('gate-state');
  await expect(gate.locator('.badge')).toHaveText('Throttled');
  await expect(gate).toContainText('No tenant starts: External health check failing.');
  await expect(gate).toContainText('The gate opens by itself after 2 healthy samples in a row');
  const indicator = page.getByRole('article', { name: 'External health check external_check' });
  await expect(indicator.locator('.badge')).toHaveText('over');
  await expect(indicator).toContainText('Now failing');
  const chart = indicator.getByRole('img', { name: /^Line chart of External health check: \d+ samples from/ });
  await expect(chart).toBeVisible();
  await expect(chart).toHaveAttribute('aria-label', /failing in \d+ of them; 1 throttled episode, still lasting\.$/);
  await expect(chart.locator('rect.health-episode-lasting')).toHaveCount(1);
  await expect(chart.locator('path.health-line')).toHaveCount(1);
  await expect(page.getByTestId('episodes').getByRole('row')).toHaveCount(2);
  await expect(page.getByTestId('episodes')).toContainText('lasting');
  await shot(page, 'health-panel-throttled');
  await expectNoAxeViolations(page, 'the Database health page, throttled');

  // The check passes: two healthy samples open the gate, and the run completes.
  external.heal();
  await expect(gate.locator('.badge')).toHaveText('Healthy', { timeout: 20_000 });
  await expect(gate).toContainText('Tenants start: every indicator is within its threshold.');
  await expect(indicator.locator('.badge')).toHaveText('ok');
  await expect(indicator).toContainText('Now passing');
  await expect(chart.locator('rect.health-episode')).toHaveCount(1, { timeout: 10_000 });
  await expect(chart.locator('rect.health-episode-lasting')).toHaveCount(0);
  await expect(chart).toHaveAttribute('aria-label', /last passing; failing in \d+ of them; 1 throttled episode, ended\.$/);
  const episodes = page.getByTestId('episodes').getByRole('row');
  await expect(episodes).toHaveCount(2);
  await expect(episodes.nth(1)).not.toContainText('lasting');
  await expect(episodes.nth(1).getByRole('cell').nth(1)).toHaveText(/^\d\d:\d\d:\d\d$/);
  await expect
    .poll(async () => (await apiGet(page, `${baseUrl}/system/api/ops/runs/${id}`)).status, { timeout: 60_000 })
    .toBe('completed');
  const done = await apiGet(page, `${baseUrl}/system/api/ops/runs/${id}`);
  expect(done.counts.processed).toBe(tenantsInScope);
  expect(done.throttle).toBeNull();
  // A few seconds of healthy samples after the episode, for the screenshot to show them.
  await page.waitForTimeout(4000);
  await expect(page.getByTestId('gate-state').locator('.badge')).toHaveText('Healthy');
  await shot(page, 'health-panel-recovered');
  await expectNoAxeViolations(page, 'the Database health page, recovered');

  // On a phone the page fits its width.
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(chart).toBeVisible();
  expect(Number(await page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(390);
  await page.setViewportSize({ width: 1280, height: 900 });

  // The run's page: completed, no banner.
  await page.goto(`${baseUrl}/system/ops/runs/${id}`);
  await expect(page.locator('.run-status .badge')).toHaveText(/Succeeded|Partially succeeded/);
  await expect(page.getByTestId('throttle-banner')).toHaveCount(0);
  await expect(page.locator('.throttle-tag')).toHaveCount(0);
});
