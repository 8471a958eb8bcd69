// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeBackend, json } from '../../test/fakeBackend';
import { renderSystem } from '../../test/renderSystem';
import { AuditPage } from './AuditPage';

function event(id: number, action: string, target: [string, string] | null, metadata: Record<string, unknown>) {
  return {
    id,
    action,
    actor_kind: 'system',
    actor_id: null,
    actor_label: null,
    target_type: target?.[0] ?? null,
    target_id: target?.[1] ?? null,
    source: 'worker',
    ip: null,
    metadata,
    request_id: null,
    created_at: '2026-11-30T20:12:51Z',
  };
}

const EVENTS = {
  items: [
    event(3, 'runbook.tenant.failed', ['operation_run', '32'], { item_id: 9, tenant_id: 43, error: 'constraint violated' }),
    event(2, 'runbook.preflighted', ['runbook', 'findings.stale.close'], { scope: { kind: 'all_tenants' } }),
    event(1, 'auth.logout', null, {}),
  ],
  page: 1,
  per_page: 50,
  total: 3,
};

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('AuditPage (issue 16, obs. 10)', () => {
  it('links targets, shows a failed tenant in its row and keeps details below the row', async () => {
    fakeBackend({ 'GET /system/api/audit-events': () => json(200, EVENTS) });
    renderSystem(<AuditPage />, { path: '/audit' });

    const run = await screen.findByRole('link', { name: 'Run #32' });
    expect(run.getAttribute('href')).toBe('/ops/runs/32');
    expect(screen.getByRole('link', { name: 'Runbook findings.stale.close' }).getAttribute('href')).toBe(
      '/ops/runbooks/findings.stale.close',
    );
    const failedRow = run.closest('tr')!;
    expect(within(failedRow).getByText('Tenant #43')).toBeTruthy();

    // The time cell stays on one line; details open as a full-width row of their own.
    expect(failedRow.cells[0]!.className).toBe('nowrap');
    const toggle = within(failedRow).getByRole('button', { name: /Show details of event 3/ });
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    const details = document.getElementById(toggle.getAttribute('aria-controls')!)!;
    expect(details.tagName).toBe('TR');
    expect(details.previousElementSibling).toBe(failedRow);
    expect((details.firstElementChild as HTMLTableCellElement).colSpan).toBe(7);
    expect(details.textContent).toContain('constraint violated');
    expect(failedRow.cells).toHaveLength(7);
  });

  it('offers every action in the filter, alert.delivered included', async () => {
    fakeBackend({ 'GET /system/api/audit-events': () => json(200, EVENTS) });
    renderSystem(<AuditPage />, { path: '/audit' });
    const filter = (await screen.findByLabelText('Action')) as HTMLSelectElement;
    const options = [...filter.options].map((option) => option.value);
    for (const action of ['alert.delivered', 'alert.failed', 'alert.retrying', 'auth.password.changed', 'auth.login.refused']) {
      expect(options).toContain(action);
    }
  });

  it('does not link a run for an operator who may not view runs', async () => {
    fakeBackend({ 'GET /system/api/audit-events': () => json(200, EVENTS) });
    renderSystem(<AuditPage />, { path: '/audit', capabilities: ['audit.view'] });
    expect(await screen.findByText('Run #32')).toBeTruthy();
    expect(screen.queryByRole('link', { name: 'Run #32' })).toBeNull();
  });
});

describe('AuditPage created after/before and CSV (docs/spec.md §18)', () => {
  it('keeps the dates in the URL, sends them as UTC instants and exports CSV with the same filters', async () => {
    const backend = fakeBackend({ 'GET /system/api/audit-events': () => json(200, EVENTS) });
    renderSystem(<AuditPage />, { path: '/audit?action=auth.logout&created_after=2026-11-01' });
    await screen.findByRole('link', { name: 'Run #32' });
    const asked = () => backend.calls.filter((call) => call.path === '/system/api/audit-events').at(-1)!.url.searchParams;
    expect(asked().get('created_after')).toBe('2026-11-01T00:00:00Z');
    expect(asked().get('action')).toBe('auth.logout');
    expect((screen.getByLabelText('Created from (UTC day)') as HTMLInputElement).value).toBe('2026-11-01');

    fireEvent.change(screen.getByLabelText('Created before (UTC day)'), { target: { value: '2026-12-01' } });
    await waitFor(() => expect(asked().get('created_before')).toBe('2026-12-01T00:00:00Z'));
    expect(screen.getByRole('link', { name: 'Export CSV' }).getAttribute('href')).toBe(
      '/system/api/audit-events.csv?action=auth.logout&created_after=2026-11-01T00%3A00%3A00Z&created_before=2026-12-01T00%3A00%3A00Z',
    );
  });

  it('"Clear filters" clears every filter at once, and the CSV export follows (issue 22, item 5)', async () => {
    const backend = fakeBackend({ 'GET /system/api/audit-events': () => json(200, EVENTS) });
    renderSystem(<AuditPage />, {
      path: '/audit?action=auth.logout&actor=ada&created_after=2026-11-01&created_before=2026-12-01',
    });
    await screen.findByRole('link', { name: 'Run #32' });
    fireEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    const asked = () => backend.calls.filter((call) => call.path === '/system/api/audit-events').at(-1)!.url.searchParams;
    await waitFor(() => expect([...asked().keys()].sort()).toEqual(['page', 'per_page']));
    expect((screen.getByLabelText('Action') as HTMLSelectElement).value).toBe('');
    expect((screen.getByLabelText('Actor') as HTMLInputElement).value).toBe('');
    expect((screen.getByLabelText('Created from (UTC day)') as HTMLInputElement).value).toBe('');
    expect((screen.getByLabelText('Created before (UTC day)') as HTMLInputElement).value).toBe('');
    expect(screen.getByRole('link', { name: 'Export CSV' }).getAttribute('href')).toBe('/system/api/audit-events.csv');
    expect(screen.queryByRole('button', { name: 'Clear filters' })).toBeNull();
  });

  it('shows an unknown action from the URL in the select rather than "Any action" (issue 22, item 10)', async () => {
    const backend = fakeBackend({ 'GET /system/api/audit-events': () => json(200, EVENTS) });
    renderSystem(<AuditPage />, { path: '/audit?action=no.such.action' });
    await screen.findByRole('link', { name: 'Run #32' });
    const select = screen.getByLabelText('Action') as HTMLSelectElement;
    expect(select.value).toBe('no.such.action');
    expect(select.selectedOptions[0]?.textContent).toBe('no.such.action (unknown)');
    expect(backend.calls.at(-1)!.url.searchParams.get('action')).toBe('no.such.action');
  });
});
