import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type APIRequestContext, expect, type Page, test } from '@playwright/test';
import { DEMO_PASSWORD, REPO_ROOT, type RunningServer, startServer } from './server';

// docs/spec.md §11 in the browser: the pages work under the strict Content-Security-Policy without a
// console error or a policy violation, the server sends the security and cache headers, and an
// operator changes their password on the account page.

/** The policy of docs/spec.md §11, exactly as the server sends it. */
const POLICY =
  "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
const SCREENSHOTS = join(REPO_ROOT, 'docs/screenshots');

let server: RunningServer;

test.beforeAll(async () => {
  server = await startServer();
  mkdirSync(SCREENSHOTS, { recursive: true });
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

/** Signs in on a plane through the API (the login's cross-site check wants our Origin). */
async function apiSignIn(request: APIRequestContext, plane: 'system' | 'admin', username: string, password: string) {
  const response = await request.post(`${server.baseUrl}/${plane}/api/auth/login`, {
    headers: { Origin: server.baseUrl },
    data: { username, password },
  });
  expect(response.status(), `${plane} login of ${username}`).toBe(200);
  return (await response.json()) as { csrf_token: string };
}

interface Logged {
  kind: string;
  text: string;
  url: string;
}

/**
 * Records every console error, uncaught page error and `securitypolicyviolation` event of the
 * page, across full navigations. Every document is also served with the contract's (docs/spec.md) policy added
 * (`route.fulfill`), so the pages are held to it even where the server under test sends none or
 * a looser one; the headers test checks what the server itself sends.
 */
async function watchPage(page: Page): Promise<Logged[]> {
  const logged: Logged[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') {
      logged.push({ kind: 'console', text: message.text(), url: message.location().url });
    }
  });
  page.on('pageerror', (error) => logged.push({ kind: 'pageerror', text: error.message, url: page.url() }));
  await page.exposeFunction('reportPolicyViolation', (text: string, url: string) => {
    logged.push({ kind: 'securitypolicyviolation', text, url });
  });
  // A script in the page (text, as e2e code is compiled without the DOM library).
  await page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (event) => {
      window.reportPolicyViolation(
        event.effectiveDirective + ' blocked ' + (event.blockedURI || '(inline)'),
        event.documentURI,
      );
    });`,
  });
  await page.route(
    (url) => url.origin === server.baseUrl,
    async (route) => {
      if (route.request().resourceType() !== 'document') return route.fallback();
      const response = await route.fetch({ maxRedirects: 0 });
      const sent = response.headers()['content-security-policy'];
      await route.fulfill({
        response,
        headers: {
          ...response.headers(),
          // Several policies in one header are all enforced (CSP 3, §3.1).
          'content-security-policy': sent ? `${sent}, ${POLICY}` : POLICY,
        },
      });
    },
  );
  return logged;
}

/** A policy's directives by name, each with its source list as one string. */
function directives(policy: string): Map<string, string> {
  return new Map(
    policy
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...sources]) => [name!.toLowerCase(), sources.join(' ')]),
  );
}

/**
 * The server's policy has every directive of docs/spec.md §11 with exactly its sources. It may add
 * directives that only restrict further (e.g. `form-action 'self'`), never a fetch directive
 * (`*-src`) of its own, which would replace `default-src 'self'` for that kind of resource, and
 * never an `'unsafe-…'` source.
 */
function expectSpecPolicy(sent: string | undefined, what: string) {
  expect(sent, `Content-Security-Policy on ${what}`).toBeDefined();
  const spec = directives(POLICY);
  const actual = directives(sent!);
  for (const [name, sources] of spec) {
    expect(actual.get(name), `${name} in the policy on ${what}: ${sent}`).toBe(sources);
  }
  for (const [name, sources] of actual) {
    if (spec.has(name)) continue;
    expect(name.endsWith('-src'), `extra fetch directive ${name} on ${what}: ${sent}`).toBe(false);
    expect(sources, `extra directive ${name} on ${what}`).not.toContain("'unsafe-");
  }
}

/** Waits until a page has settled (its data loaded, nothing left in flight). */
async function settled(page: Page, heading: string) {
  await expect(page.getByRole('heading', { name: heading, level: 1 })).toBeVisible();
  await page.waitForLoadState('networkidle');
}

test('every page works under the strict CSP without a console error', async ({ page }) => {
  const logged = await watchPage(page);

  // Operator console, signed out: the login page.
  await page.goto(`${server.baseUrl}/system/`);
  await expect(page.getByLabel('Username')).toBeVisible();
  await page.waitForLoadState('networkidle');

  // Signed in: every page of the navigation, a runbook and a run, the account page.
  await page.getByLabel('Username').fill('demo');
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await settled(page, 'Runbooks');
  await page.getByRole('link', { name: 'Rebuild Findings Lifecycle' }).click();
  await settled(page, 'Rebuild Findings Lifecycle');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Runs' }).click();
  await settled(page, 'Runs');
  await page.getByRole('link', { name: 'Audit log' }).click();
  await settled(page, 'Audit log');
  await page.getByRole('link', { name: 'Tokens' }).click();
  await settled(page, 'API tokens');
  await page.getByRole('link', { name: /^Account: / }).click();
  await settled(page, 'Account');

  // A full page load of a deep link (the history-API fallback) works too.
  await page.goto(`${server.baseUrl}/system/ops/runs`);
  await settled(page, 'Runs');

  // The API docs: Swagger UI renders the contract and expands an operation.
  await page.getByRole('link', { name: 'API docs' }).click();
  await expect(page.locator('.swagger-ui .info .title')).toContainText('TenantAtlas');
  const operation = page.locator('.opblock').first();
  await operation.locator('.opblock-summary').first().click();
  await expect(operation.locator('.opblock-body')).toBeVisible();
  await page.waitForLoadState('networkidle');

  // The customer view (signed in through its API, so no signed-out /me on this plane).
  await apiSignIn(page.request, 'admin', 'customer', DEMO_PASSWORD);
  await page.goto(`${server.baseUrl}/admin/`);
  await settled(page, 'Tenants');
  await page.getByRole('table').getByRole('link').first().click();
  await settled(page, 'Findings');

  // Issue 16, observation 13: the login page learns it is signed out from GET /auth/session
  // (200, no identity), not from a 401, so not a single console message is allowed.
  expect(logged).toEqual([]);
});

test('the server sends the security headers and the cache policy', async ({ request }) => {
  const securityHeaders = (headers: Record<string, string>, what: string) => {
    expectSpecPolicy(headers['content-security-policy'], what);
    expect(headers['x-content-type-options'], `nosniff on ${what}`).toBe('nosniff');
    expect(headers['referrer-policy'], `Referrer-Policy on ${what}`).toBe('no-referrer');
    expect(headers['cross-origin-opener-policy'], `COOP on ${what}`).toBe('same-origin');
  };

  // index.html, for the plane root and for a deep link (history-API fallback): never cached stale.
  for (const path of ['/system/', '/system/ops/runs', '/admin/']) {
    const response = await request.get(`${server.baseUrl}${path}`);
    expect(response.status(), path).toBe(200);
    expect(response.headers()['content-type'], path).toContain('text/html');
    securityHeaders(response.headers(), path);
    expect(response.headers()['cache-control'], `Cache-Control on ${path}`).toBe('no-cache');
  }

  // A hashed asset named by index.html: cached for a year, never revalidated.
  const html = await (await request.get(`${server.baseUrl}/system/`)).text();
  const asset = /src="(\/system\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  expect(asset, 'a hashed script in /system/index.html').toBeDefined();
  const assetResponse = await request.get(`${server.baseUrl}${asset}`);
  expect(assetResponse.status()).toBe(200);
  expect(assetResponse.headers()['x-content-type-options']).toBe('nosniff');
  expect(assetResponse.headers()['cache-control']).toBe('public, max-age=31536000, immutable');

  // The API docs page is served under the same policy.
  const docs = await request.get(`${server.baseUrl}/system/api-docs/`);
  expect(docs.status()).toBe(200);
  securityHeaders(docs.headers(), '/system/api-docs/');

  // An API answer carrying the operator's identity: never stored by a browser or a proxy.
  await apiSignIn(request, 'system', 'demo', DEMO_PASSWORD);
  const me = await request.get(`${server.baseUrl}/system/api/auth/me`);
  expect(me.status()).toBe(200);
  securityHeaders(me.headers(), 'GET /system/api/auth/me');
  expect(me.headers()['cache-control']).toBe('no-store');
});

test('an operator changes their password on the account page', async ({ page, browser }) => {
  const oldPassword = 'first-secret-of-the-admiral-7';
  const newPassword = 'Orchid lantern 4 quiet harbour';
  server.cli(
    ['operator', 'create', 'grace', '--password-stdin', '--display-name', 'Grace Hopper', '--capabilities', 'ops.runs.view,audit.view'],
    `${oldPassword}\n`,
  );

  // A second session of the same operator (another browser), to see it end.
  const other = await browser.newContext();
  await apiSignIn(other.request, 'system', 'grace', oldPassword);
  expect((await other.request.get(`${server.baseUrl}/system/api/auth/me`)).status()).toBe(200);

  await signIn(page, 'grace', oldPassword);
  await expect(page.getByRole('heading', { name: 'Runs', level: 1 })).toBeVisible();
  await page.getByRole('link', { name: 'Account: Grace Hopper' }).click();
  await expect(page.getByRole('heading', { name: 'Account', level: 1 })).toBeVisible();
  const details = page.locator('dl.details');
  await expect(details).toContainText('grace');
  await expect(details).toContainText('Grace Hopper');
  await expect(details).toContainText('ops.runs.view');
  await expect(details).toContainText('audit.view');
  const form = page.getByRole('form', { name: 'Change password' });

  const current = page.getByLabel('Current password');
  const next = page.getByLabel('New password', { exact: true });
  const repeat = page.getByLabel('Repeat new password');

  // Typed differently twice: refused in the browser, beside the repeat field.
  await current.fill(oldPassword);
  await next.fill(newPassword);
  await repeat.fill(`${newPassword}!`);
  await form.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText('The two new passwords do not match.')).toBeVisible();
  await expect(repeat).toBeFocused();

  // The server's policy: a new password containing the username is refused beside its field.
  await next.fill('grace-wants-this-one-9');
  await repeat.fill('grace-wants-this-one-9');
  await form.getByRole('button', { name: 'Change password' }).click();
  await expect(next).toHaveAttribute('aria-invalid', 'true');
  await expect(next).toBeFocused();

  // A wrong current password is refused beside its field.
  await current.fill('not-the-current-password');
  await next.fill(newPassword);
  await repeat.fill(newPassword);
  await form.getByRole('button', { name: 'Change password' }).click();
  await expect(current).toHaveAttribute('aria-invalid', 'true');
  await expect(current).toBeFocused();

  // The right one, sent from the keyboard: 204, and the page says what ended.
  await current.fill(oldPassword);
  await current.press('Enter');
  await expect(form.getByRole('status')).toContainText('Your password has been changed.');
  await expect(current).toHaveValue('');
  await expect(current).not.toHaveAttribute('aria-invalid', 'true');
  await current.blur();
  await page.screenshot({ path: join(SCREENSHOTS, 'account.png'), fullPage: true });

  // The other session has ended; this one is still signed in, even after a reload.
  expect((await other.request.get(`${server.baseUrl}/system/api/auth/me`)).status()).toBe(401);
  await other.close();
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Account', level: 1 })).toBeVisible();

  // Signed out: the old password is refused, the new one signs in.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByLabel('Username')).toBeVisible();
  await page.getByLabel('Username').fill('grace');
  await page.getByLabel('Password').fill(oldPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Invalid username or password');
  await page.getByLabel('Password').fill(newPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Signed in: the console's header names Grace (which page it opens on is not the point here).
  await expect(page.getByRole('link', { name: 'Account: Grace Hopper' })).toBeVisible();
  await expect(page.getByLabel('Username')).toHaveCount(0);
});
