import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { Link } from 'react-router';
import { ProblemError, unwrap } from '../../api/client';
import type { AuditEvent, Page } from '../../api/types';
import { AUDIT_ACTIONS, auditTarget, auditTenant } from '../../lib/audit';
import { formatTimestamp } from '../../lib/format';
import { csvHref, dayStart } from '../../lib/runs';
import { cleared, useUrlFilters } from '../../shared/filters';
import { BeyondLastPage, Pagination, usePageParam } from '../../shared/Pagination';
import { EmptyState, ErrorState, LoadingState } from '../../shared/states';
import { UnknownOption } from '../../shared/UnknownOption';
import { api, useOperator } from '../session';

const PER_PAGE = 50;
const AUDIT_FILTERS = ['action', 'actor', 'created_after', 'created_before'] as const;

/** The append-only audit trail, newest first as the server orders it, filtered by action/actor. */
export function AuditPage() {
  const ids = useId();
  const page = usePageParam();
  const [filters, setFilters] = useUrlFilters(AUDIT_FILTERS);
  const { action, actor, created_after: after, created_before: before } = filters;
  // The URL holds the UTC days as typed; the API gets instants (00:00 UTC of each day).
  const query = {
    action,
    actor,
    created_after: after === '' ? '' : dayStart(after),
    created_before: before === '' ? '' : dayStart(before),
  };
  const events = useQuery({
    queryKey: ['audit-events', { page, ...query }],
    queryFn: ({ signal }): Promise<Page<AuditEvent>> =>
      unwrap(
        api.GET('/system/api/audit-events', {
          params: { query: { page, per_page: PER_PAGE, ...query } },
          signal,
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const filtered = action !== '' || actor !== '' || after !== '' || before !== '';
  const refused = events.error instanceof ProblemError && events.error.status === 422 ? events.error : null;

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
          setFilters({ actor: String(data.get('actor') ?? '').trim() });
        }}
      >
        <div>
          <label htmlFor={`${ids}-action`}>Action</label>
          <select id={`${ids}-action`} value={action} onChange={(e) => setFilters({ action: e.target.value })}>
            <option value="">Any action</option>
            {AUDIT_ACTIONS.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
            <UnknownOption value={action} known={AUDIT_ACTIONS} />
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
        <div>
          <label htmlFor={`${ids}-after`}>Created from (UTC day)</label>
          <input
            id={`${ids}-after`}
            type="date"
            value={after}
            aria-invalid={refused?.errors.created_after ? true : undefined}
            onChange={(e) => setFilters({ created_after: e.target.value })}
          />
          {refused?.errors.created_after && <p className="field-error">{refused.errors.created_after.join(' ')}</p>}
        </div>
        <div>
          <label htmlFor={`${ids}-before`}>Created before (UTC day)</label>
          <input
            id={`${ids}-before`}
            type="date"
            value={before}
            aria-invalid={refused?.errors.created_before ? true : undefined}
            onChange={(e) => setFilters({ created_before: e.target.value })}
          />
          {refused?.errors.created_before && <p className="field-error">{refused.errors.created_before.join(' ')}</p>}
        </div>
        <button type="submit">Apply</button>
        {filtered && (
          <button
            type="button"
            className="button-secondary"
            onClick={() => setFilters(cleared(AUDIT_FILTERS))}
          >
            Clear filters
          </button>
        )}
        <a className="export-link" href={csvHref('/system/api/audit-events.csv', query)} download>
          Export CSV
        </a>
      </form>
      {events.isPending ? (
        <LoadingState label="Loading audit events…" />
      ) : events.isError && events.error instanceof ProblemError && events.error.status === 404 ? (
        <div className="state state-error" role="alert">
          <p>The audit log is not available on this server yet (the API answered 404).</p>
        </div>
      ) : events.isError ? (
        <ErrorState error={events.error} onRetry={() => void events.refetch()} />
      ) : events.data.items.length === 0 && page > 1 && events.data.total > 0 ? (
        <BeyondLastPage what="audit events" page={page} perPage={events.data.per_page} total={events.data.total} />
      ) : events.data.items.length === 0 ? (
        <EmptyState title={filtered ? 'No audit events match these filters' : 'No audit events yet'} />
      ) : (
        <>
          <div className="table-scroll" id={`${ids}-table`}>
            <table>
              <thead>
                <tr>
                  <th scope="col" className="nowrap">
                    Time
                  </th>
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
                  <AuditRow key={event.id} event={event} />
                ))}
              </tbody>
            </table>
          </div>
          <Pagination
            page={page}
            perPage={events.data.per_page}
            total={events.data.total}
            scrollTargetId={`${ids}-table`}
          />
        </>
      )}
    </section>
  );
}

function hasDetails(event: AuditEvent): boolean {
  return (event.metadata !== null && Object.keys(event.metadata).length > 0) || event.request_id !== null;
}

/**
 * One event: the target linked to its page, the tenant it concerns (for a failed tenant, without
 * expanding), and a toggle whose details open in a full-width row below, so the time column
 * keeps its one line (issue 16, obs. 10).
 */
function AuditRow({ event }: { event: AuditEvent }) {
  const ids = useId();
  const { capabilities } = useOperator();
  const [open, setOpen] = useState(false);
  const target = auditTarget(event, capabilities);
  const tenant = auditTenant(event.metadata);
  return (
    <>
      <tr>
        <td className="nowrap">{formatTimestamp(event.created_at)}</td>
        <td>
          <code>{event.action}</code>
        </td>
        <td>
          {event.actor_label ?? event.actor_id ?? '—'} <span className="muted">({event.actor_kind})</span>
        </td>
        <td>
          {target === null ? '—' : target.to ? <Link to={target.to}>{target.label}</Link> : target.label}
          {tenant && <div className="audit-tenant">{tenant}</div>}
        </td>
        <td>{event.source ?? '—'}</td>
        <td>{event.ip ?? '—'}</td>
        <td>
          {hasDetails(event) ? (
            <button
              type="button"
              className="button-link"
              aria-expanded={open}
              aria-controls={`${ids}-details`}
              onClick={() => setOpen((value) => !value)}
            >
              {open ? 'Hide' : 'Show'}
              <span className="visually-hidden"> details of event {event.id}</span>
            </button>
          ) : (
            '—'
          )}
        </td>
      </tr>
      {open && (
        <tr id={`${ids}-details`} className="audit-details">
          <td colSpan={7}>
            {event.request_id && (
              <p>
                Request <code>{event.request_id}</code>
              </p>
            )}
            {event.metadata && Object.keys(event.metadata).length > 0 && (
              <pre className="metadata">{JSON.stringify(event.metadata, null, 2)}</pre>
            )}
          </td>
        </tr>
      )}
    </>
  );
}
