import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { DEMO_PASSWORD, REPO_ROOT, type RunningServer, startServer } from './server';

let server: RunningServer;

const VIEWER_PASSWORD = 'read-only-password-123';
const SCREENSHOTS = join(REPO_ROOT, 'docs/screenshots');

test.beforeAll(async () => {
  server = await startServer();
  // An operator who may look at runbooks and runs but not start them.
  server.cli(
    ['operator', 'create', 'viewer', '--password-stdin', '--capabilities', 'ops.runbooks.view,ops.runs.view'],
    `${VIEWER_PASSWORD}\n`,
  );
  mkdirSync(SCREENSHOTS, { recursive: true });
});

/** Full-page screenshot for the README, at docs/screenshots/<name>.png. */
async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** The bell's unread count (0 when the label carries no count yet). */
async function unreadCount(page: Page): Promise<number> {
  const bell = page.getByRole('button', { name: /^Notifications, \d+ unread$/ });
  await expect(bell).toBeVisible();
  const label = (await bell.getAttribute('aria-label')) ?? '';
  return Number(/(\d+) unread/.exec(label)?.[1] ?? 0);
}

test.afterAll(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) console.log(server?.output());
  await server?.stop();
});

async function signIn(page: Page, username: string, password: string) {
  await page.goto(`${server.baseUrl}/system/`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

// First the one-tenant run: the run over all tenants below repairs every tenant, after which a
// preflight finds nothing to change (and Start… asks whether to start anyway, docs/spec.md §18).
test('operator runs a runbook for one tenant without a phrase', async ({ page }) => {
  await signIn(page, 'demo', DEMO_PASSWORD);
  await expect(page.getByRole('heading', { name: 'Runbooks', level: 1 })).toBeVisible();
  const unreadBefore = await unreadCount(page);
  await page.getByRole('link', { name: 'Rebuild Findings Lifecycle' }).click();
  await expect(
    page.getByRole('heading', { name: 'Rebuild Findings Lifecycle', level: 1 }),
  ).toBeVisible();

  // One tenant, chosen in the picker.
  await page.getByRole('radio', { name: 'One tenant' }).check();
  const picker = page.getByRole('combobox', { name: 'Tenant' });
  await picker.click();
  const option = page.getByRole('option').first();
  await expect(option).toBeVisible();
  const tenantName = (await option.locator('span').first().textContent()) ?? '';
  await option.click();
  await expect(picker).toHaveValue(tenantName);
  await page.getByRole('button', { name: 'Preflight' }).click();
  const result = page.getByRole('region', { name: 'Preflight result' });
  await expect(result).toBeVisible();
  await expect(result.getByText('Starting needs the typed confirmation')).toHaveCount(0);

  // Start: reason code and text, no phrase for a single tenant.
  await page.getByRole('button', { name: 'Start…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Start Rebuild Findings Lifecycle' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel(/to confirm/)).toHaveCount(0);
  const start = dialog.getByRole('button', { name: 'Start run' });
  await expect(start).toBeDisabled();
  await dialog.getByLabel('Reason code').selectOption('data_repair');
  await dialog.getByLabel('Reason', { exact: true }).fill('Repair one tenant after a support ticket');
  await expect(start).toBeEnabled();
  await start.click();

  await expect(dialog).toBeHidden();
  const toast = page.getByTestId('toast');
  await expect(toast).toContainText('Run queued');
  const link = toast.getByRole('link', { name: /View run #\d+/ });
  const href = await link.getAttribute('href');
  expect(href).toMatch(/^\/system\/ops\/runs\/\d+$/);
  await link.click();

  await expect(page).toHaveURL(new RegExp(`${href}$`));
  await expect(page.getByRole('heading', { name: /^Run #\d+$/ })).toBeVisible();
  await expect(page.locator('.run-status .badge')).toHaveText(/Succeeded|Partially succeeded|Failed/, {
    timeout: 60_000,
  });
  await expect(page.getByRole('progressbar', { name: 'Run progress' })).toHaveAttribute('value', '100');

  // The initiator gets a notification: the unread count goes up by one.
  const bell = page.getByRole('button', { name: `Notifications, ${unreadBefore + 1} unread` });
  await expect(bell).toBeVisible({ timeout: 20_000 });
  await bell.click();
  const panel = page.getByRole('region', { name: 'Notifications' });
  await expect(panel.getByRole('link', { name: /View run #\d+/ }).first()).toHaveAttribute('href', href!);
  await panel.getByRole('button', { name: 'Mark as read' }).first().click();
  await expect(page.getByRole('button', { name: `Notifications, ${unreadBefore} unread` })).toBeVisible();
});

test('operator runs a runbook over all tenants and sees it complete', async ({ page }) => {
  await page.goto(`${server.baseUrl}/system/`);
  await expect(page.getByLabel('Username')).toBeVisible();
  await shot(page, 'login');
  await signIn(page, 'demo', DEMO_PASSWORD);

  // Catalogue → runbook page.
  await expect(page.getByRole('heading', { name: 'Runbooks', level: 1 })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Notifications, 0 unread' })).toBeVisible();
  await page.getByRole('link', { name: 'Rebuild Findings Lifecycle' }).click();
  await expect(
    page.getByRole('heading', { name: 'Rebuild Findings Lifecycle', level: 1 }),
  ).toBeVisible();

  // The tenant picker never offers the platform tenant.
  await page.getByRole('combobox', { name: 'Tenant' }).fill('platform');
  await expect(page.getByRole('listbox', { name: 'Tenants' })).toContainText('No tenant matches');
  await page.getByRole('combobox', { name: 'Tenant' }).fill('');
  await expect(page.getByRole('option').first()).toBeVisible();
  await expect(page.getByRole('option').filter({ hasText: /^platform$/ })).toHaveCount(0);

  // All tenants → preflight (read-only result with R1–R7).
  await page.getByRole('radio', { name: 'All tenants' }).check();
  await page.getByRole('button', { name: 'Preflight' }).click();
  const result = page.getByRole('region', { name: 'Preflight result' });
  await expect(result).toBeVisible();
  for (const rule of ['first_seen', 'last_seen', 'times_seen', 'legacy_status', 'duplicates', 'due_date', 'terminal_timestamps']) {
    await expect(result.locator('.rule-table').getByRole('cell', { name: rule, exact: true })).toBeVisible();
  }
  await shot(page, 'runbook-preflight');

  // Start dialog: Start stays disabled until reason and the exact phrase are given.
  await page.getByRole('button', { name: 'Start…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Start Rebuild Findings Lifecycle' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel('Reason code')).toBeFocused();
  const start = dialog.getByRole('button', { name: 'Start run' });
  await expect(start).toBeDisabled();
  await dialog.getByLabel('Reason code').selectOption('data_repair');
  await dialog.getByLabel('Reason', { exact: true }).fill('Backfill lifecycle fields after the legacy import');
  const phrase = (await dialog.locator('code.phrase').textContent()) ?? '';
  expect(phrase).toMatch(/^REBUILD \d+ TENANTS$/);
  const phraseInput = dialog.getByLabel(/to confirm/);
  await phraseInput.fill(phrase.toLowerCase());
  await expect(start).toBeDisabled();
  await phraseInput.fill(`${phrase} `);
  await expect(start).toBeDisabled();
  await phraseInput.fill(phrase);
  await expect(start).toBeEnabled();
  await shot(page, 'start-dialog');
  await start.click();

  // Intent-only toast with a link to the run.
  await expect(dialog).toBeHidden();
  const toast = page.getByTestId('toast');
  await expect(toast).toContainText('Run queued');
  await expect(toast.locator('progress')).toHaveCount(0);
  const link = toast.getByRole('link', { name: /View run #\d+/ });
  const href = await link.getAttribute('href');
  expect(href).toMatch(/^\/system\/ops\/runs\/\d+$/);
  await link.click();

  // Run detail polls until completed.
  await expect(page).toHaveURL(new RegExp(`${href}$`));
  await expect(page.getByRole('heading', { name: /^Run #\d+$/ })).toBeVisible();
  await expect(page.locator('.run-status .badge')).toHaveText(/Succeeded|Partially succeeded|Failed/, {
    timeout: 60_000,
  });
  await expect(page.getByRole('progressbar', { name: 'Run progress' })).toHaveAttribute('value', '100');
  // The items table (the last table; the chart's table alternative sits folded above it).
  await expect(page.locator('table').last().locator('tbody tr').first()).toBeVisible();
  await shot(page, 'run-detail-completed');

  // Exactly one notification for the initiator.
  const bell = page.getByRole('button', { name: 'Notifications, 1 unread' });
  await expect(bell).toBeVisible({ timeout: 20_000 });
  await bell.click();
  const panel = page.getByRole('region', { name: 'Notifications' });
  // Newest first (the one-tenant run's notification, already read, is below).
  await expect(panel.getByRole('link', { name: /View run #\d+/ }).first()).toHaveAttribute('href', href!);
  await panel.getByRole('button', { name: 'Mark as read' }).click();
  await expect(page.getByRole('button', { name: 'Notifications, 0 unread' })).toBeVisible();

  // The run shows up in the list with its outcome.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Runs' }).click();
  await expect(page.getByRole('link', { name: `#${href!.split('/').pop()}` })).toBeVisible();
  await shot(page, 'runs-list');

  // The audit log records it.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
  await expect(page.getByRole('heading', { name: 'Audit log', level: 1 })).toBeVisible();
  await expect(page.locator('table tbody tr').first()).toBeVisible();
  await shot(page, 'audit-log');
});

test('a customer has no operator plane', async ({ page, request }) => {
  // Customer credentials do not open the operator console.
  await signIn(page, 'customer', DEMO_PASSWORD);
  await expect(page.getByRole('alert')).toHaveText('Invalid username or password');

  // Signed in on the customer plane: no operator navigation, and the operator API is not there.
  await page.goto(`${server.baseUrl}/admin/`);
  await page.getByLabel('Username').fill('customer');
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Tenants', level: 1 })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Runbooks' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Audit log' })).toHaveCount(0);
  const response = await page.request.get(`${server.baseUrl}/system/api/ops/runbooks`);
  expect([401, 404]).toContain(response.status());

  // A script carrying the customer's session cookie explicitly gets the not-found answer.
  const cookie = (await page.context().cookies()).find((c) => c.name === 'tp_admin_session');
  expect(cookie, 'tp_admin_session cookie after the customer login').toBeDefined();
  for (const path of ['/system/api/auth/me', '/system/api/ops/runbooks']) {
    const scripted = await request.get(`${server.baseUrl}${path}`, {
      headers: { Cookie: `tp_admin_session=${cookie!.value}` },
    });
    expect(scripted.status(), path).toBe(404);
  }
});

test('an operator without ops.runbooks.run can preflight but not start', async ({ page }) => {
  await signIn(page, 'viewer', VIEWER_PASSWORD);
  await expect(page.getByRole('heading', { name: 'Runbooks', level: 1 })).toBeVisible();
  await page.getByRole('link', { name: 'Rebuild Findings Lifecycle' }).click();
  await expect(
    page.getByRole('heading', { name: 'Rebuild Findings Lifecycle', level: 1 }),
  ).toBeVisible();

  await page.getByRole('radio', { name: 'One tenant' }).check();
  await page.getByRole('combobox', { name: 'Tenant' }).click();
  await page.getByRole('option').first().click();
  const preflightResponse = page.waitForResponse(
    (r) => r.url().endsWith('/preflight') && r.request().method() === 'POST',
  );
  await page.getByRole('button', { name: 'Preflight' }).click();
  const preflight = await (await preflightResponse).json();
  const result = page.getByRole('region', { name: 'Preflight result' });
  await expect(result).toBeVisible();
  await expect(page.getByRole('button', { name: /^Start/ })).toHaveCount(0);
  await expect(result).toContainText('Starting runs needs the ops.runbooks.run capability.');

  // The API refuses too, even with a valid session and CSRF token.
  const me = await page.request.get(`${server.baseUrl}/system/api/auth/me`);
  expect(me.status()).toBe(200);
  const { csrf_token: csrf } = await me.json();
  expect(typeof csrf).toBe('string');
  const post = await page.request.post(
    `${server.baseUrl}/system/api/ops/runbooks/findings.lifecycle.rebuild/runs`,
    {
      headers: { 'X-CSRF-Token': csrf, Origin: server.baseUrl },
      data: {
        // The request's scope, not the preflight's view of it (which names the tenant).
        scope: { kind: 'tenant', tenant_id: preflight.scope.tenant_id },
        reason: { code: 'data_repair', text: 'Trying to start without the capability' },
        preflight_id: preflight.preflight_id,
        confirmation: null,
      },
    },
  );
  const body = await post.text();
  expect(post.status(), body).toBe(403);
  // Refused for the capability, not for the CSRF token.
  expect(body).toContain('ops.runbooks.run');
});
