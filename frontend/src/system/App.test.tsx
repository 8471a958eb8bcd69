// @vitest-environment jsdom
import { QueryClientProvider } from '@tanstack/react-query';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Capability, OperatorSession } from '../api/types';
import { createQueryClient } from '../shared/session';
import { deferred, fakeBackend, json, problem } from '../test/fakeBackend';
import { App } from './App';
import { api } from './session';

function operatorSession(capabilities: Capability[]): OperatorSession {
  return {
    operator: { id: 1, username: 'ada', display_name: 'Ada Lovelace', capabilities },
    csrf_token: 'csrf-1',
  };
}

/** `GET /auth/session` without a session: 200, no identity, no token (docs/spec.md §18, no 401). */
const SIGNED_OUT = { operator: null, csrf_token: null };

const ALL_VIEW: Capability[] = ['ops.runbooks.view', 'ops.runs.view', 'audit.view'];
const EMPTY_PAGE = { items: [], page: 1, per_page: 25, total: 0 };
const NO_NOTIFICATIONS = { ...EMPTY_PAGE, unread: 0 };

function renderAt(path: string) {
  render(
    <QueryClientProvider client={createQueryClient(api)}>
      <MemoryRouter initialEntries={[path]}>
        <App />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

function navLabels(): string[] {
  const nav = screen.getByRole('navigation', { name: 'Main' });
  return within(nav)
    .getAllByRole('link')
    .map((link) => link.textContent ?? '');
}

async function signIn(username: string, password: string) {
  fireEvent.change(await screen.findByLabelText('Username'), { target: { value: username } });
  fireEvent.change(screen.getByLabelText('Password'), { target: { value: password } });
  fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
}

afterEach(() => {
  cleanup();
  api.setCsrfToken(null);
  vi.unstubAllGlobals();
});

describe('session bootstrap', () => {
  it('renders nothing protected until /auth/session has answered', async () => {
    const me = deferred<Response>();
    fakeBackend({
      'GET /system/api/auth/session': () => me.promise,
      'GET /system/api/ops/runbooks': () => json(200, EMPTY_PAGE),
    });
    renderAt('/ops/runbooks');

    expect(screen.getByRole('status').textContent).toBe('Checking your session…');
    expect(screen.queryByRole('navigation')).toBeNull();
    expect(screen.queryByRole('heading')).toBeNull();

    me.resolve(json(200, operatorSession(ALL_VIEW)));
    expect(await screen.findByRole('heading', { name: 'Runbooks' })).toBeTruthy();
    expect(navLabels()).toEqual(['Runbooks', 'Runs', 'Database health', 'Audit log', 'Tokens', 'API docs']);
    // A plain link out of the SPA router to the static Swagger UI page.
    expect(screen.getByRole('link', { name: 'API docs' }).getAttribute('href')).toBe('/system/api-docs/');
  });

  it('sends a signed-out visitor to the login page', async () => {
    const backend = fakeBackend({
      'GET /system/api/auth/session': () => json(200, SIGNED_OUT),
    });
    renderAt('/ops/runs');

    expect(await screen.findByLabelText('Username')).toBeTruthy();
    expect(screen.getByLabelText('Password')).toBeTruthy();
    expect(screen.queryByRole('navigation')).toBeNull();
    expect(backend.calls.map((call) => call.path)).toEqual(['/system/api/auth/session']);
  });

  it('ends the session when any later request gets 401', async () => {
    fakeBackend({
      'GET /system/api/auth/session': () => json(200, operatorSession(ALL_VIEW)),
      'GET /system/api/ops/runbooks': () => problem(401, 'Unauthorized'),
    });
    renderAt('/ops/runbooks');

    expect(await screen.findByLabelText('Username')).toBeTruthy();
    expect(screen.queryByRole('navigation')).toBeNull();
  });
});

describe('login', () => {
  it('shows one message for rejected credentials', async () => {
    const backend = fakeBackend({
      'GET /system/api/auth/session': () => json(200, SIGNED_OUT),
      'POST /system/api/auth/login': () => problem(401, 'Unauthorized'),
    });
    renderAt('/login');
    await signIn('ada', 'wrong');

    expect((await screen.findByRole('alert')).textContent).toBe('Invalid username or password');
    const login = backend.calls.find((call) => call.path === '/system/api/auth/login');
    expect(login?.body).toEqual({ username: 'ada', password: 'wrong' });
    expect(screen.getByLabelText('Username')).toBeTruthy();
  });

  it('says how long to wait when throttled', async () => {
    fakeBackend({
      'GET /system/api/auth/session': () => json(200, SIGNED_OUT),
      'POST /system/api/auth/login': () =>
        problem(429, 'Too Many Requests', { 'Retry-After': '30' }),
    });
    renderAt('/login');
    await signIn('ada', 'pw');

    expect((await screen.findByRole('alert')).textContent).toBe(
      'Too many sign-in attempts. Try again in 30s.',
    );
  });

  it('says the server is busy and when to retry (503)', async () => {
    fakeBackend({
      'GET /system/api/auth/session': () => json(200, SIGNED_OUT),
      'POST /system/api/auth/login': () =>
        problem(503, 'Service Unavailable', { 'Retry-After': '2' }),
    });
    renderAt('/login');
    await signIn('ada', 'pw');

    expect((await screen.findByRole('alert')).textContent).toBe(
      'The server is busy. Try again in 2s.',
    );
  });

  it("shows a rejected request's detail (422)", async () => {
    fakeBackend({
      'GET /system/api/auth/session': () => json(200, SIGNED_OUT),
      'POST /system/api/auth/login': () =>
        new Response(
          JSON.stringify({
            type: 'about:blank',
            title: 'Unprocessable Entity',
            status: 422,
            detail: 'username must be at most 64 characters',
          }),
          { status: 422, headers: { 'Content-Type': 'application/problem+json' } },
        ),
    });
    renderAt('/login');
    await signIn('a'.repeat(65), 'pw');

    expect((await screen.findByRole('alert')).textContent).toBe(
      'username must be at most 64 characters',
    );
  });

  it('signs in, keeps the CSRF token and lands on the runbooks', async () => {
    const backend = fakeBackend({
      'GET /system/api/auth/session': () => json(200, SIGNED_OUT),
      'POST /system/api/auth/login': () => json(200, operatorSession(['ops.runbooks.view'])),
      'GET /system/api/ops/runbooks': () => json(200, EMPTY_PAGE),
      'GET /system/api/notifications': () => json(200, NO_NOTIFICATIONS),
      'POST /system/api/auth/logout': () => new Response(null, { status: 204 }),
    });
    renderAt('/login');
    await signIn('ada', 'correct horse');

    expect(await screen.findByRole('heading', { name: 'Runbooks' })).toBeTruthy();
    expect(await screen.findByText('No runbooks available')).toBeTruthy();
    expect(navLabels()).toEqual(['Runbooks', 'Tokens', 'API docs']);
    // Focus lands on the page's heading, not on <body> (issue 16, obs. 11).
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Runbooks', level: 1 })));

    fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(await screen.findByLabelText('Username')).toBeTruthy();
    const logout = backend.calls.find((call) => call.path === '/system/api/auth/logout');
    expect(logout?.headers.get('X-CSRF-Token')).toBe('csrf-1');
    expect(backend.unexpected).toEqual([]);
  });

  it('returns to the page that required signing in', async () => {
    fakeBackend({
      'GET /system/api/auth/session': () => json(200, SIGNED_OUT),
      'POST /system/api/auth/login': () => json(200, operatorSession(ALL_VIEW)),
      'GET /system/api/ops/runs': () => json(200, EMPTY_PAGE),
    });
    renderAt('/ops/runs');
    await signIn('ada', 'correct horse');

    expect(await screen.findByRole('heading', { name: 'Runs' })).toBeTruthy();
    expect(await screen.findByText('No runs yet')).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Runs', level: 1 })));
  });

  it('does not move focus on a page load with a session (only after signing in)', async () => {
    fakeBackend({
      'GET /system/api/auth/session': () => json(200, operatorSession(ALL_VIEW)),
      'GET /system/api/ops/runs': () => json(200, EMPTY_PAGE),
      'GET /system/api/notifications': () => json(200, NO_NOTIFICATIONS),
    });
    renderAt('/ops/runs');
    expect(await screen.findByText('No runs yet')).toBeTruthy();
    expect(document.activeElement).toBe(document.body);
  });
});

describe('focus after an in-page navigation (issue 22, item 8)', () => {
  it('lands on the new page\'s heading after following a link, not after a filter change', async () => {
    fakeBackend({
      'GET /system/api/auth/session': () => json(200, operatorSession(ALL_VIEW)),
      'GET /system/api/ops/runs': () => json(200, EMPTY_PAGE),
      'GET /system/api/audit-events': () => json(200, EMPTY_PAGE),
      'GET /system/api/notifications': () => json(200, NO_NOTIFICATIONS),
    });
    renderAt('/ops/runs');
    expect(await screen.findByText('No runs yet')).toBeTruthy();
    expect(document.activeElement).toBe(document.body);

    fireEvent.click(screen.getByRole('link', { name: 'Audit log' }));
    const heading = await screen.findByRole('heading', { name: 'Audit log', level: 1 });
    await waitFor(() => expect(document.activeElement).toBe(heading));

    // A filter changes the query, not the page: focus stays in the filter.
    const action = screen.getByLabelText('Action');
    action.focus();
    fireEvent.change(action, { target: { value: 'auth.logout' } });
    await new Promise((wait) => setTimeout(wait, 50));
    expect(document.activeElement).toBe(action);

    fireEvent.click(screen.getByRole('link', { name: 'Runs' }));
    const runs = await screen.findByRole('heading', { name: 'Runs', level: 1 });
    await waitFor(() => expect(document.activeElement).toBe(runs));
  });
});

describe('account', () => {
  it("leads from the operator's name in the header to the account page", async () => {
    fakeBackend({
      'GET /system/api/auth/session': () => json(200, operatorSession(['ops.runs.view'])),
      'GET /system/api/ops/runs': () => json(200, EMPTY_PAGE),
      'GET /system/api/notifications': () => json(200, NO_NOTIFICATIONS),
    });
    renderAt('/ops/runs');

    const link = await screen.findByRole('link', { name: 'Account: Ada Lovelace' });
    fireEvent.click(link);
    expect(await screen.findByRole('heading', { name: 'Account', level: 1 })).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Change password' })).toBeTruthy();
    expect(link.getAttribute('aria-current')).toBe('page');
  });
});

describe('capabilities', () => {
  it('shows only the pages the operator may see and starts on the first', async () => {
    fakeBackend({
      'GET /system/api/auth/session': () => json(200, operatorSession(['ops.runs.view'])),
      'GET /system/api/ops/runs': () => json(200, EMPTY_PAGE),
    });
    renderAt('/');

    expect(await screen.findByRole('heading', { name: 'Runs' })).toBeTruthy();
    expect(navLabels()).toEqual(['Runs', 'Database health', 'Tokens', 'API docs']);
  });

  it('denies a page without its capability and does not call its API', async () => {
    const backend = fakeBackend({
      'GET /system/api/auth/session': () => json(200, operatorSession(['ops.runs.view'])),
    });
    renderAt('/audit');

    expect(await screen.findByRole('heading', { name: 'Access denied' })).toBeTruthy();
    // The header's notification bell is not the page's API; the audit log was never asked for.
    expect(
      backend.calls
        .map((call) => call.path)
        .filter((path) => path !== '/system/api/notifications'),
    ).toEqual(['/system/api/auth/session']);
  });

  it('denies the Database health page without ops.runs.view and does not ask for the gate', async () => {
    const backend = fakeBackend({
      'GET /system/api/auth/session': () => json(200, operatorSession(['audit.view'])),
    });
    renderAt('/ops/health');

    expect(await screen.findByRole('heading', { name: 'Access denied' })).toBeTruthy();
    expect(screen.getByText('ops.runs.view', { selector: 'code' })).toBeTruthy();
    expect(navLabels()).toEqual(['Audit log', 'Tokens', 'API docs']);
    expect(backend.calls.some((call) => call.path.startsWith('/system/api/ops/health'))).toBe(false);
  });
});
