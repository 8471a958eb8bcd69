// @vitest-environment jsdom
import { QueryClientProvider } from '@tanstack/react-query';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CustomerSession, Finding, Tenant } from '../api/types';
import { createQueryClient } from '../shared/session';
import { fakeBackend, json, problem } from '../test/fakeBackend';
import { App } from './App';
import { api } from './session';

const SESSION: CustomerSession = {
  user: { id: 7, username: 'grace', display_name: 'Grace Hopper', workspace_id: 1 },
  csrf_token: 'csrf-admin',
};

const TENANT: Tenant = { id: 12, external_id: 'acme', name: 'Acme' };

function finding(id: number): Finding {
  return {
    id,
    tenant_id: 12,
    recurrence_key: `rk-${id}`,
    severity: 'high',
    status: 'in_progress',
    first_seen_at: '2025-01-01T00:00:00Z',
    last_seen_at: '2025-01-02T00:00:00Z',
    times_seen: 3,
    due_at: null,
    triaged_at: null,
    resolved_at: null,
    closed_at: null,
    closed_reason: null,
    created_at: '2025-01-01T00:00:00Z',
    updated_at: '2025-01-02T00:00:00Z',
  };
}

function renderAt(path: string) {
  render(
    <QueryClientProvider client={createQueryClient(api)}>
      <MemoryRouter initialEntries={[path]}>
        <App />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

afterEach(() => {
  cleanup();
  api.setCsrfToken(null);
  vi.unstubAllGlobals();
});

describe('customer view', () => {
  it('signs in through the customer API and lists the tenants', async () => {
    const backend = fakeBackend({
      'GET /admin/api/auth/session': () => json(200, { user: null, csrf_token: null }),
      'POST /admin/api/auth/login': () => json(200, SESSION),
      'GET /admin/api/tenants': () =>
        json(200, { items: [TENANT], page: 1, per_page: 50, total: 1 }),
    });
    renderAt('/');
    fireEvent.change(await screen.findByLabelText('Username'), { target: { value: 'grace' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'pw' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('heading', { name: 'Tenants' })).toBeTruthy();
    // After signing in, focus is on the page's heading (issue 16, obs. 11).
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Tenants', level: 1 })));
    expect(await screen.findByRole('link', { name: 'Findings of Acme' })).toBeTruthy();
    expect(backend.calls.every((call) => call.path.startsWith('/admin/api/'))).toBe(true);
    expect(backend.unexpected).toEqual([]);
  });

  it('pages through a tenant’s findings', async () => {
    const backend = fakeBackend({
      'GET /admin/api/auth/session': () => json(200, SESSION),
      'GET /admin/api/tenants/12/findings': ({ url }) =>
        json(200, {
          items: [finding(1)],
          page: Number(url.searchParams.get('page')),
          per_page: 50,
          total: 120,
        }),
    });
    renderAt('/tenants/12/findings');

    expect(await screen.findByText('rk-1')).toBeTruthy();
    expect(screen.getByText('in progress')).toBeTruthy();
    expect(screen.getByText('1–50 of 120')).toBeTruthy();
    fireEvent.click(screen.getByRole('link', { name: 'Next' }));

    expect(await screen.findByText('51–100 of 120')).toBeTruthy();
    const pages = backend.calls
      .filter((call) => call.path === '/admin/api/tenants/12/findings')
      .map((call) => call.url.searchParams.get('page'));
    expect(pages).toEqual(['1', '2']);
  });

  it('shows another workspace’s tenant as not found', async () => {
    fakeBackend({
      'GET /admin/api/auth/session': () => json(200, SESSION),
      'GET /admin/api/tenants/99/findings': () => problem(404, 'Not Found'),
    });
    renderAt('/tenants/99/findings');

    expect(await screen.findByText('Tenant not found')).toBeTruthy();
  });
});
