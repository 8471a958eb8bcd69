import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import type { Page, Run } from '../../api/types';
import { formatScope, formatTimestamp } from '../../lib/format';
import { Pagination, usePageParam } from '../../shared/Pagination';
import { EmptyState, ErrorState, LoadingState } from '../../shared/states';
import { RunProgress, RunStateBadge } from '../RunState';
import { api } from '../session';

const PER_PAGE = 25;

/** Operation runs, newest first as the server orders them. */
export function RunsPage() {
  const page = usePageParam();
  const runs = useQuery({
    queryKey: ['runs', { page }],
    queryFn: ({ signal }) =>
      api.get<Page<Run>>('/system/api/ops/runs', { query: { page, per_page: PER_PAGE }, signal }),
  });

  return (
    <section>
      <title>Runs · TenantAtlas Ops</title>
      <h1>Runs</h1>
      {runs.isPending ? (
        <LoadingState label="Loading runs…" />
      ) : runs.isError ? (
        <ErrorState error={runs.error} onRetry={() => void runs.refetch()} />
      ) : runs.data.items.length === 0 ? (
        <EmptyState title="No runs yet">Runs appear here once a runbook is started.</EmptyState>
      ) : (
        <>
          <table>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Runbook</th>
                <th scope="col">Scope</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {runs.data.items.map((run) => (
                <tr key={run.id}>
                  <td>
                    <Link to={`/ops/runs/${run.id}`}>#{run.id}</Link>
                  </td>
                  <td>
                    <code>{run.runbook}</code>
                  </td>
                  <td>{formatScope(run.scope)}</td>
                  <td>
                    <RunStateBadge run={run} />
                  </td>
                  <td>
                    <RunProgress percent={run.progress_percent} label={`Run ${run.id} progress`} />
                  </td>
                  <td>{formatTimestamp(run.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pagination page={page} perPage={runs.data.per_page} total={runs.data.total} />
        </>
      )}
    </section>
  );
}
