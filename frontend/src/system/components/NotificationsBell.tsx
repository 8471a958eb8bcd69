import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState } from 'react';
import { Link } from 'react-router';
import { unwrap } from '../../api/client';
import type { Notification, NotificationPage } from '../../api/types';
import { errorMessage } from '../../lib/errors';
import { formatTimestamp } from '../../lib/format';
import { api } from '../session';

/** The bell polls every 15 s; run detail also refreshes it the moment a watched run completes. */
export const NOTIFICATIONS_POLL_MS = 15_000;

/** Header bell: unread count, a dropdown of the latest notifications, mark as read. */
/** Notification kinds the bell marks with a word of their own (any other kind reads by its title). */
const KIND_BADGES: Record<string, { label: string; className: string }> = {
  OperationRunPaused: { label: 'Paused', className: 'badge badge-paused' },
};

/**
 * The console page a notification is about: its run (`run_id`), else the `data.link` the server
 * gives (`/system/ops/runs/7`: the console's own path under its base), else none.
 */
export function notificationTarget(notification: Pick<Notification, 'run_id' | 'data'>): { to: string; label: string } | null {
  if (notification.run_id !== null) {
    return { to: `/ops/runs/${notification.run_id}`, label: `View run #${notification.run_id}` };
  }
  const link = notification.data.link;
  if (typeof link === 'string' && link.startsWith('/system/')) {
    const to = link.slice('/system'.length);
    const run = /^\/ops\/runs\/(\d+)$/.exec(to);
    return { to, label: run ? `View run #${run[1]}` : 'View' };
  }
  return null;
}

export function NotificationsBell() {
  const ids = useId();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const wrapper = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const title = useRef<HTMLHeadingElement>(null);

  const notifications = useQuery({
    queryKey: ['notifications'],
    queryFn: ({ signal }): Promise<NotificationPage> =>
      unwrap(api.GET('/system/api/notifications', { params: { query: { per_page: 20 } }, signal })),
    refetchInterval: NOTIFICATIONS_POLL_MS,
  });
  const markRead = useMutation({
    mutationFn: (id: number) =>
      unwrap(api.POST('/system/api/notifications/{id}/read', { params: { path: { id } } })),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: ['notifications'] }),
  });
  // Up to the newest notification the operator has been shown: one that arrives between the
  // last poll and the click stays unread.
  const markAllRead = useMutation({
    mutationFn: (upToId: number | undefined) =>
      unwrap(
        api.POST('/system/api/notifications/read-all', {
          params: { query: upToId === undefined ? {} : { up_to_id: upToId } },
        }),
      ),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: ['notifications'] }),
    // The button goes away with the last unread notification: focus goes to the panel's heading
    // rather than falling to <body> (issue 22, item 8).
    onSuccess: () => title.current?.focus(),
  });

  // Close on Escape (focus back to the bell) and on a click or focus outside.
  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        setOpen(false);
        button.current?.focus();
      }
    };
    const onOutside = (event: Event) => {
      if (wrapper.current && !wrapper.current.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('mousedown', onOutside);
    document.addEventListener('focusin', onOutside);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('mousedown', onOutside);
      document.removeEventListener('focusin', onOutside);
    };
  }, [open]);

  const unread = notifications.data?.unread ?? 0;
  const label = notifications.data
    ? `Notifications, ${unread} unread`
    : 'Notifications';

  const read = (notification: Notification) => {
    if (notification.read_at === null) markRead.mutate(notification.id);
  };

  return (
    <div className="bell" ref={wrapper}>
      <button
        ref={button}
        type="button"
        className="button-secondary bell-button"
        aria-label={label}
        aria-expanded={open}
        aria-controls={`${ids}-panel`}
        onClick={() => setOpen((value) => !value)}
      >
        {/* An inline SVG, not an emoji: it renders the same without any emoji font installed. */}
        <svg aria-hidden="true" width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
          <path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9" />
          <path d="M13.7 21a2 2 0 0 1-3.4 0" />
        </svg>
        {unread > 0 && (
          <span className="bell-count" aria-hidden="true" data-testid="unread-count">
            {unread > 99 ? '99+' : unread}
          </span>
        )}
      </button>
      {open && (
        <div id={`${ids}-panel`} className="bell-panel" role="region" aria-label="Notifications">
          <div className="bell-head">
            <h2 className="bell-title" ref={title} tabIndex={-1}>
              Notifications
            </h2>
            {unread > 0 && (
              <button
                type="button"
                className="button-link"
                onClick={() => markAllRead.mutate(notifications.data?.items[0]?.id)}
                disabled={markAllRead.isPending}
              >
                Mark all as read
              </button>
            )}
          </div>
          {markAllRead.isError && (
            <p className="form-error" role="alert">
              {errorMessage(markAllRead.error)}
            </p>
          )}
          {notifications.isPending ? (
            <p role="status">Loading…</p>
          ) : notifications.isError ? (
            <p className="form-error" role="alert">
              {errorMessage(notifications.error)}
            </p>
          ) : notifications.data.items.length === 0 ? (
            <p className="muted">No notifications yet.</p>
          ) : (
            <ul className="bell-list">
              {notifications.data.items.map((notification) => {
                const badge = KIND_BADGES[notification.kind];
                const target = notificationTarget(notification);
                return (
                  <li
                    key={notification.id}
                    className={notification.read_at === null ? 'unread' : undefined}
                  >
                    <p>
                      {badge && <><span className={badge.className}>{badge.label}</span>{' '}</>}
                      <strong>{notification.title}</strong>
                      {notification.read_at === null && <span className="visually-hidden"> (unread)</span>}
                    </p>
                    <p>{notification.body}</p>
                    <p className="muted">{formatTimestamp(notification.created_at)}</p>
                    <p className="bell-actions">
                      {target && (
                        <Link
                          to={target.to}
                          onClick={() => {
                            read(notification);
                            setOpen(false);
                          }}
                        >
                          {target.label}
                        </Link>
                      )}
                      {notification.read_at === null && (
                        <button
                          type="button"
                          className="button-link"
                          onClick={() => read(notification)}
                          disabled={markRead.isPending}
                        >
                          Mark as read
                        </button>
                      )}
                    </p>
                  </li>
                );
              })}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
