import { skipToken, useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { ProblemError, unwrap } from '../../api/client';
import type { Finding, Page } from '../../api/types';
import { formatTimestamp } from '../../lib/format';
import { Pagination, usePageParam } from '../../shared/Pagination';
import { EmptyState, ErrorState, LoadingState } from '../../shared/states';
import { api } from '../session';

const PER_PAGE = 50;

function parseTenantId(value: string | undefined): number | null {
  const id = Number(value);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

function TenantNotFound() {
  return (
    <EmptyState title="Tenant not found">
      <Link to="/tenants">Back to tenants</Link>
    </EmptyState>
  );
}

/** One tenant's findings, a page at a time. */
export function FindingsPage() {
  const tenantId = parseTenantId(useParams().id);
  const page = usePageParam();
  const findings = useQuery({
    queryKey: ['findings', tenantId, { page }],
    queryFn:
      tenantId === null
        ? skipToken
        : ({ signal }): Promise<Page<Finding>> =>
            unwrap(
              api.GET('/admin/api/tenants/{id}/findings', {
                params: { path: { id: tenantId }, query: { page, per_page: PER_PAGE } },
                signal,
              }),
            ),
  });

  return (
    <section>
      <title>Findings · TenantAtlas</title>
      <p className="breadcrumb">
        <Link to="/tenants">Tenants</Link>
      </p>
      <h1>Findings</h1>
      {tenantId === null ? (
        <TenantNotFound />
      ) : findings.isPending ? (
        <LoadingState label="Loading findings…" />
      ) : findings.isError ? (
        findings.error instanceof ProblemError && findings.error.status === 404 ? (
          <TenantNotFound />
        ) : (
          <ErrorState error={findings.error} onRetry={() => void findings.refetch()} />
        )
      ) : findings.data.items.length === 0 ? (
        <EmptyState title="No findings for this tenant" />
      ) : (
        <>
          <table>
            <thead>
              <tr>
                <th scope="col">ID</th>
                <th scope="col">Recurrence key</th>
                <th scope="col">Severity</th>
                <th scope="col">Status</th>
                <th scope="col">First seen</th>
                <th scope="col">Last seen</th>
                <th scope="col">Times seen</th>
                <th scope="col">Due</th>
              </tr>
            </thead>
            <tbody>
              {findings.data.items.map((finding) => (
                <tr key={finding.id}>
                  <td>{finding.id}</td>
                  <td>
                    <code>{finding.recurrence_key}</code>
                  </td>
                  <td>
                    <span className={`badge badge-severity-${finding.severity}`}>
                      {finding.severity}
                    </span>
                  </td>
                  <td>{finding.status.replaceAll('_', ' ')}</td>
                  <td>{formatTimestamp(finding.first_seen_at)}</td>
                  <td>{formatTimestamp(finding.last_seen_at)}</td>
                  <td>{finding.times_seen ?? '—'}</td>
                  <td>{formatTimestamp(finding.due_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pagination page={page} perPage={findings.data.per_page} total={findings.data.total} />
        </>
      )}
    </section>
  );
}
