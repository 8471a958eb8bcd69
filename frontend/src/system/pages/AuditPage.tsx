import { useQuery } from '@tanstack/react-query';
import type { AuditEvent, Page } from '../../api/types';
import { formatTimestamp } from '../../lib/format';
import { Pagination, usePageParam } from '../../shared/Pagination';
import { EmptyState, ErrorState, LoadingState } from '../../shared/states';
import { api } from '../session';

const PER_PAGE = 50;

/** The append-only audit trail, newest first as the server orders it. */
export function AuditPage() {
  const page = usePageParam();
  const events = useQuery({
    queryKey: ['audit-events', { page }],
    queryFn: ({ signal }) =>
      api.get<Page<AuditEvent>>('/system/api/audit-events', {
        query: { page, per_page: PER_PAGE },
        signal,
      }),
  });

  return (
    <section>
      <title>Audit log · TenantAtlas Ops</title>
      <h1>Audit log</h1>
      {events.isPending ? (
        <LoadingState label="Loading audit events…" />
      ) : events.isError ? (
        <ErrorState error={events.error} onRetry={() => void events.refetch()} />
      ) : events.data.items.length === 0 ? (
        <EmptyState title="No audit events yet" />
      ) : (
        <>
          <table>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Action</th>
                <th scope="col">Actor</th>
                <th scope="col">Source</th>
                <th scope="col">IP address</th>
              </tr>
            </thead>
            <tbody>
              {events.data.items.map((event) => (
                <tr key={event.id}>
                  <td>{formatTimestamp(event.created_at)}</td>
                  <td>
                    <code>{event.action}</code>
                  </td>
                  <td>{event.actor?.username ?? '—'}</td>
                  <td>{event.source}</td>
                  <td>{event.ip ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pagination page={page} perPage={events.data.per_page} total={events.data.total} />
        </>
      )}
    </section>
  );
}
