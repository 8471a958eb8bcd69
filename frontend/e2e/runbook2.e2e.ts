import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { DEMO_PASSWORD, REPO_ROOT, type RunningServer, startServer } from './server';

// Runbook 2, Close Stale Findings, through the console: the catalogue lists both runbooks, the
// parameter form comes from the runbook's JSON Schema, the server's refusal shows beside its
// field, and a run with "older than 30 days" + two severities closes exactly what its preflight
// counted. The demo seed's findings date from early 2025, so 30 days back finds stale ones.

let server: RunningServer;
const SCREENSHOTS = join(REPO_ROOT, 'docs/screenshots');
const DAYS = 30;

test.beforeAll(async () => {
  server = await startServer();
  mkdirSync(SCREENSHOTS, { recursive: true });
});

test.afterAll(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) console.log(server?.output());
  await server?.stop();
});

async function signIn(page: Page) {
  await page.goto(`${server.baseUrl}/system/`);
  await page.getByLabel('Username').fill('demo');
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Runbooks', level: 1 })).toBeVisible();
}

/** The cutoff "older than N days" stands for, as the page computes it: N days ago, 00:00 UTC. */
function cutoffText(days: number): string {
  const now = new Date();
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return `${new Date(midnight - days * 86_400_000).toISOString().slice(0, 10)} 00:00:00 UTC`;
}

test('the catalogue lists both runbooks with title, key, version, description and rules', async ({ page }) => {
  await signIn(page);
  const cards = page.locator('.card-list > li');
  await expect(cards).toHaveCount(2);

  const lifecycle = cards.filter({ has: page.getByRole('link', { name: 'Rebuild Findings Lifecycle' }) });
  await expect(lifecycle).toContainText('findings.lifecycle.rebuild · version 1 · runs on deploy');
  await expect(lifecycle).toContainText('Brings every finding of a tenant to a consistent lifecycle state');
  await expect(lifecycle).toContainText('Rules: R1 first_seen, R2 last_seen, R3 times_seen');
  await expect(lifecycle).toContainText('R7 terminal_timestamps');

  const stale = cards.filter({ has: page.getByRole('link', { name: 'Close Stale Findings' }) });
  await expect(stale).toContainText('findings.stale.close · version 1');
  await expect(stale).not.toContainText('runs on deploy');
  await expect(stale).toContainText('Closes open findings of the chosen severities');
  await expect(stale).toContainText('Rules: S1 close_stale');
});

test('operator closes stale findings with parameters from the schema form', async ({ page }) => {
  await signIn(page);
  await page.getByRole('link', { name: 'Close Stale Findings' }).click();
  await expect(page.getByRole('heading', { name: 'Close Stale Findings', level: 1 })).toBeVisible();

  // The rule table is the runbook's rule_details.
  const rules = page.getByRole('table', { name: 'Rules of Close Stale Findings' });
  await expect(rules.getByRole('row')).toHaveCount(2);
  await expect(rules.getByRole('row').nth(1)).toContainText('S1');
  await expect(rules.getByRole('row').nth(1)).toContainText('close_stale');
  await expect(rules.getByRole('row').nth(1)).toContainText('closed as stale');

  // The form from the schema: the required cutoff, four severities, all checked.
  const parameters = page.getByRole('group', { name: 'Parameters' });
  await expect(parameters.getByRole('group', { name: 'Last seen before (required)' })).toBeVisible();
  const severities = parameters.getByRole('group', { name: 'Severities (required)' });
  for (const severity of ['low', 'medium', 'high', 'critical']) {
    await expect(severities.getByRole('checkbox', { name: severity })).toBeChecked();
  }
  await page.getByRole('radio', { name: 'All tenants' }).check();

  // Negative path 1 (client): a cutoff left empty is obviously incomplete; no request is made.
  const days = page.getByLabel('Last seen before: older than this many days');
  const preflight = page.getByRole('button', { name: 'Preflight' });
  await preflight.click();
  await expect(parameters.getByText('Enter a number of days.')).toBeVisible();
  await expect(days).toBeFocused();

  // Negative path 2 (server): a date in the future is refused by the server (422,
  // errors["parameters.last_seen_before"]) and the message shows beside the date, which takes focus.
  await parameters.getByRole('radio', { name: 'Before the date' }).check();
  const date = page.getByLabel('Last seen before: date (00:00 UTC)');
  await date.fill('2099-01-01');
  const refused = page.waitForResponse(
    (response) => response.url().endsWith('/preflight') && response.status() === 422,
  );
  await preflight.click();
  await refused;
  const cutoffField = parameters.locator('.parameter').filter({ has: date });
  await expect(cutoffField.locator('.field-error')).toHaveText('must be in the past');
  await expect(date).toHaveAttribute('aria-invalid', 'true');
  await expect(date).toBeFocused();
  await expect(page.getByRole('alert').filter({ hasText: 'The server refused the parameters' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Preflight result' })).toHaveCount(0);

  // The real preflight: older than 30 days, high and critical only.
  await date.fill('');
  await parameters.getByRole('radio', { name: 'Older than' }).check();
  await days.fill(String(DAYS));
  await expect(parameters).toContainText(`Cutoff: ${cutoffText(DAYS)}.`);
  await severities.getByRole('checkbox', { name: 'low' }).uncheck();
  await severities.getByRole('checkbox', { name: 'medium' }).uncheck();
  await expect(cutoffField.locator('.field-error')).toHaveCount(0);
  await preflight.click();

  const result = page.getByRole('region', { name: 'Preflight result' });
  await expect(result).toBeVisible();
  const s1Row = result.getByRole('table', { name: /Findings each rule/ }).getByRole('row').nth(1);
  await expect(s1Row).toContainText('close_stale');
  const s1 = Number(await s1Row.locator('td.numeric').textContent());
  expect(s1).toBeGreaterThan(0);
  await expect(result.locator('dl.counts')).toContainText(`Findings to change${s1}`);
  await expect(result.locator('.preflight-parameters')).toContainText(`Last seen before${cutoffText(DAYS)}`);
  await expect(result.locator('.preflight-parameters')).toContainText('Severitieshigh, critical');
  await page.screenshot({ path: join(SCREENSHOTS, 'runbook2-preflight.png'), fullPage: true });

  // Start: named after the runbook, the parameters being confirmed, the phrase from the preflight.
  await result.getByRole('button', { name: 'Start…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Start Close Stale Findings' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText(
    `Parameters: Last seen before ${cutoffText(DAYS)}; severities high, critical.`,
  );
  const phrase = (await dialog.locator('code.phrase').textContent()) ?? '';
  expect(phrase).toMatch(/^CLOSE STALE IN \d+ TENANTS$/);
  const start = dialog.getByRole('button', { name: 'Start run' });
  await dialog.getByLabel('Reason code').selectOption('data_repair');
  await dialog.getByLabel('Reason', { exact: true }).fill('Close high and critical findings unseen for 30 days');
  await dialog.getByLabel(/to confirm/).fill(phrase.replace('CLOSE STALE IN', 'REBUILD'));
  await expect(start).toBeDisabled();
  await dialog.getByLabel(/to confirm/).fill(phrase);
  await expect(start).toBeEnabled();
  const started = page.waitForRequest(
    (request) => request.method() === 'POST' && request.url().endsWith('/findings.stale.close/runs'),
  );
  await start.click();
  const body = (await started).postDataJSON() as Record<string, unknown>;
  expect(body.parameters).toEqual({
    last_seen_before: `${cutoffText(DAYS).slice(0, 10)}T00:00:00Z`,
    severities: ['high', 'critical'],
  });
  expect(body.confirmation).toBe(phrase);

  // Follow the run to completion: it changes exactly what the preflight counted.
  await expect(dialog).toBeHidden();
  await page.getByTestId('toast').getByRole('link', { name: /View run #\d+/ }).click();
  await expect(page.getByRole('heading', { name: /^Run #\d+$/ })).toBeVisible();
  await expect(page.locator('.run-status .badge')).toHaveText('Succeeded', { timeout: 60_000 });
  const changed = page.locator('.counts > div').filter({ hasText: 'Findings changed' }).locator('dd');
  await expect(changed).toHaveText(String(s1));

  // The run detail shows its parameters and the preflight's instant.
  const details = page.locator('dl.details');
  await expect(details).toContainText('Close Stale Findings');
  const parameterList = details.locator('.parameter-list');
  await expect(parameterList.locator('dt', { hasText: 'Last seen before' }).locator('+ dd')).toHaveText(cutoffText(DAYS));
  await expect(parameterList.locator('dt', { hasText: 'Severities' }).locator('+ dd')).toHaveText('high, critical');
  await expect(details.locator('dt', { hasText: 'Planned at' }).locator('+ dd')).toHaveText(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
  await expect(page.locator('table tbody .tag').first()).toHaveAttribute('title', 'S1 close_stale');
});
