import { expect, type Page, test } from '@playwright/test';
import { DEMO_PASSWORD, type RunningServer, startServer } from './server';

let server: RunningServer;

test.beforeAll(async () => {
  server = await startServer();
});

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

test('operator runs a runbook over all tenants and sees it complete', async ({ page }) => {
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

  // Start dialog: Start stays disabled until reason and the exact phrase are given.
  await page.getByRole('button', { name: 'Start…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Start run' });
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
  await expect(page.locator('table tbody tr').first()).toBeVisible();

  // Exactly one notification for the initiator.
  const bell = page.getByRole('button', { name: 'Notifications, 1 unread' });
  await expect(bell).toBeVisible({ timeout: 20_000 });
  await bell.click();
  const panel = page.getByRole('region', { name: 'Notifications' });
  await expect(panel.getByRole('link', { name: /View run #\d+/ })).toHaveAttribute('href', href!);
  await panel.getByRole('button', { name: 'Mark as read' }).click();
  await expect(page.getByRole('button', { name: 'Notifications, 0 unread' })).toBeVisible();

  // The run shows up in the list with its outcome.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Runs' }).click();
  await expect(page.getByRole('link', { name: `#${href!.split('/').pop()}` })).toBeVisible();
});

test('a customer has no operator plane', async ({ page }) => {
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
});
