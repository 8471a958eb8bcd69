import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { ProblemError, unwrap } from '../../api/client';
import type { AuditEvent, Page } from '../../api/types';
import { formatTimestamp } from '../../lib/format';
import { useUrlFilter } from '../../shared/filters';
import { Pagination, usePageParam } from '../../shared/Pagination';
import { EmptyState, ErrorState, LoadingState } from '../../shared/states';
import { api } from '../session';

const PER_PAGE = 50;

/** The audit actions of SPEC §4, offered in the action filter. */
export const AUDIT_ACTIONS = [
  'auth.login.succeeded',
  'auth.login.failed',
  'auth.login.throttled',
  'auth.logout',
  'auth.token.created',
  'auth.token.revoked',
  'runbook.preflighted',
  'runbook.run.started',
  'runbook.run.deduplicated',
  'runbook.run.completed',
  'runbook.run.cancelled',
  'runbook.tenant.failed',
] as const;

function target(event: AuditEvent): string {
  if (!event.target_type) return '—';
  return event.target_id === null ? event.target_type : `${event.target_type} ${event.target_id}`;
}

/** The append-only audit trail, newest first as the server orders it, filtered by action/actor. */
export function AuditPage() {
  const ids = useId();
  const page = usePageParam();
  const [action, setAction] = useUrlFilter('action');
  const [actor, setActor] = useUrlFilter('actor');
  const events = useQuery({
    queryKey: ['audit-events', { page, action, actor }],
    queryFn: ({ signal }): Promise<Page<AuditEvent>> =>
      unwrap(
        api.GET('/system/api/audit-events', {
          params: { query: { page, per_page: PER_PAGE, action, actor } },
          signal,
        }),
      ),
  });
  const filtered = action !== '' || actor !== '';

  return (
    <section>
      <title>Audit log · TenantAtlas Ops</title>
      <h1>Audit log</h1>
      <form
        className="filters"
        role="search"
        aria-label="Filter audit events"
        onSubmit={(event) => {
          event.preventDefault();
          const data = new FormData(event.currentTarget);
          setActor(String(data.get('actor') ?? '').trim());
        }}
      >
        <div>
          <label htmlFor={`${ids}-action`}>Action</label>
          <select id={`${ids}-action`} value={action} onChange={(e) => setAction(e.target.value)}>
            <option value="">Any action</option>
            {AUDIT_ACTIONS.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={`${ids}-actor`}>Actor</label>
          <input
            id={`${ids}-actor`}
            name="actor"
            key={actor}
            defaultValue={actor}
            placeholder="Username or id"
          />
        </div>
        <button type="submit">Apply</button>
        {filtered && (
          <button
            type="button"
            className="button-secondary"
            onClick={() => {
              setAction('');
              setActor('');
            }}
          >
            Clear filters
          </button>
        )}
      </form>
      {events.isPending ? (
        <LoadingState label="Loading audit events…" />
      ) : events.isError && events.error instanceof ProblemError && events.error.status === 404 ? (
        <div className="state state-error" role="alert">
          <p>The audit log is not available on this server yet (the API answered 404).</p>
        </div>
      ) : events.isError ? (
        <ErrorState error={events.error} onRetry={() => void events.refetch()} />
      ) : events.data.items.length === 0 ? (
        <EmptyState title={filtered ? 'No audit events match these filters' : 'No audit events yet'} />
      ) : (
        <>
          <div className="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Action</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Target</th>
                  <th scope="col">Source</th>
                  <th scope="col">IP address</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {events.data.items.map((event) => (
                  <tr key={event.id}>
                    <td>{formatTimestamp(event.created_at)}</td>
                    <td>
                      <code>{event.action}</code>
                    </td>
                    <td>
                      {event.actor_label ?? event.actor_id ?? '—'}{' '}
                      <span className="muted">({event.actor_kind})</span>
                    </td>
                    <td>{target(event)}</td>
                    <td>{event.source}</td>
                    <td>{event.ip ?? '—'}</td>
                    <td>
                      {(event.metadata && Object.keys(event.metadata).length > 0) ||
                      event.request_id ? (
                        <details>
                          <summary>Show</summary>
                          {event.request_id && (
                            <p>
                              Request <code>{event.request_id}</code>
                            </p>
                          )}
                          {event.metadata && (
                            <pre className="metadata">{JSON.stringify(event.metadata, null, 2)}</pre>
                          )}
                        </details>
                      ) : (
                        '—'
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pagination page={page} perPage={events.data.per_page} total={events.data.total} />
        </>
      )}
    </section>
  );
}
