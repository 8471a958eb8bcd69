// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeBackend, json } from '../../test/fakeBackend';
import { renderSystem } from '../../test/renderSystem';
import { NotificationsBell, notificationTarget } from './NotificationsBell';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function notification(id: number, read: boolean) {
  return {
    id,
    kind: 'run.completed',
    title: `Run #${id} completed`,
    body: 'Succeeded: 25 of 25 tenants processed.',
    run_id: id,
    read_at: read ? '2030-01-01T00:00:00Z' : null,
    created_at: '2030-01-01T00:00:00Z',
  };
}

describe('NotificationsBell', () => {
  it('marks read up to the newest notification shown, with one POST /notifications/read-all, and refreshes the count', async () => {
    let unread = 2;
    const backend = fakeBackend({
      'GET /system/api/notifications': () =>
        json(200, {
          items: [notification(2, unread === 0), notification(1, unread === 0)],
          page: 1,
          per_page: 20,
          total: 2,
          unread,
        }),
      'POST /system/api/notifications/read-all': () => {
        const marked = unread;
        unread = 0;
        return json(200, { marked, unread });
      },
    });
    renderSystem(<NotificationsBell />);
    fireEvent.click(await screen.findByRole('button', { name: 'Notifications, 2 unread' }));
    const panel = screen.getByRole('region', { name: 'Notifications' });
    fireEvent.click(within(panel).getByRole('button', { name: 'Mark all as read' }));
    await screen.findByRole('button', { name: 'Notifications, 0 unread' });
    const posts = backend.calls.filter((call) => call.method === 'POST');
    expect(posts.map((call) => call.path)).toEqual(['/system/api/notifications/read-all']);
    expect(posts[0]?.url.searchParams.get('up_to_id')).toBe('2');
    await waitFor(() => expect(within(panel).queryByRole('button', { name: 'Mark all as read' })).toBeNull());
    // Focus does not fall to <body> with the button (issue 22, item 8).
    expect(document.activeElement).toBe(within(panel).getByRole('heading', { name: 'Notifications' }));
  });
});

describe('NotificationsBell paused runs (docs/spec.md §13)', () => {
  it('marks a paused run\'s notification "Paused" and links the run', async () => {
    const paused = {
      ...notification(9, false),
      kind: 'OperationRunPaused',
      title: 'Run #9 paused',
      body: 'findings.lifecycle.rebuild paused after 5 of 25 tenant(s) (0 failed): wave 1 of 3 finished (5 tenants); resume to start wave 2. Resume or cancel it.',
      data: { run_id: 9, link: '/system/ops/runs/9' },
    };
    fakeBackend({
      'GET /system/api/notifications': () =>
        json(200, { items: [paused, { ...notification(8, true), kind: 'OperationRunCompleted' }], page: 1, per_page: 20, total: 2, unread: 1 }),
    });
    renderSystem(<NotificationsBell />);
    fireEvent.click(await screen.findByRole('button', { name: 'Notifications, 1 unread' }));
    const items = within(screen.getByRole('region', { name: 'Notifications' })).getAllByRole('listitem');
    expect(within(items[0]!).getByText('Paused', { selector: '.badge' })).toBeTruthy();
    expect(items[0]!.textContent).toContain('Run #9 paused');
    expect(within(items[0]!).getByRole('link', { name: 'View run #9' }).getAttribute('href')).toBe('/ops/runs/9');
    expect(within(items[1]!).queryByText('Paused')).toBeNull();
  });

  it("links the run from data.link when the notification names no run_id", () => {
    expect(notificationTarget({ run_id: null, data: { link: '/system/ops/runs/12' } })).toEqual({ to: '/ops/runs/12', label: 'View run #12' });
    expect(notificationTarget({ run_id: null, data: {} })).toBeNull();
    expect(notificationTarget({ run_id: 3, data: { link: '/system/ops/runs/12' } })).toEqual({ to: '/ops/runs/3', label: 'View run #3' });
  });
});
