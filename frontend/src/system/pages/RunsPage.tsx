import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { Link } from 'react-router';
import { unwrap } from '../../api/client';
import type { Page, Run, RunbookList } from '../../api/types';
import { formatScope, formatTimestamp } from '../../lib/format';
import { useUrlFilter } from '../../shared/filters';
import { Pagination, usePageParam } from '../../shared/Pagination';
import { EmptyState, ErrorState, LoadingState } from '../../shared/states';
import { RunProgress, RunStateBadge } from '../RunState';
import { api, useOperator } from '../session';

const PER_PAGE = 25;
/** The list refreshes while a run on it can still change; slower than run detail's 2 s. */
const LIST_POLL_MS = 5000;

const STATUSES = [
  { value: '', label: 'Any status' },
  { value: 'queued', label: 'Queued' },
  { value: 'running', label: 'Running' },
  { value: 'completed', label: 'Completed' },
];

/** Operation runs, newest first as the server orders them, filtered by status and runbook. */
export function RunsPage() {
  const ids = useId();
  const page = usePageParam();
  const [status, setStatus] = useUrlFilter('status');
  const [runbook, setRunbook] = useUrlFilter('runbook');
  const operator = useOperator();
  const canSeeRunbooks = operator.capabilities.includes('ops.runbooks.view');

  const runs = useQuery({
    queryKey: ['runs', { page, status, runbook }],
    queryFn: ({ signal }): Promise<Page<Run>> =>
      unwrap(
        api.GET('/system/api/ops/runs', {
          params: { query: { page, per_page: PER_PAGE, status, runbook } },
          signal,
        }),
      ),
    refetchInterval: (query) =>
      query.state.data?.items.some((run) => run.status !== 'completed') ? LIST_POLL_MS : false,
  });
  const runbooks = useQuery({
    queryKey: ['runbooks'],
    queryFn: ({ signal }): Promise<RunbookList> =>
      unwrap(api.GET('/system/api/ops/runbooks', { signal })),
    enabled: canSeeRunbooks,
  });
  const filtered = status !== '' || runbook !== '';

  return (
    <section>
      <title>Runs · TenantAtlas Ops</title>
      <h1>Runs</h1>
      <form className="filters" role="search" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
        <div>
          <label htmlFor={`${ids}-status`}>Status</label>
          <select id={`${ids}-status`} value={status} onChange={(e) => setStatus(e.target.value)}>
            {STATUSES.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={`${ids}-runbook`}>Runbook</label>
          {canSeeRunbooks && runbooks.data ? (
            <select
              id={`${ids}-runbook`}
              value={runbook}
              onChange={(e) => setRunbook(e.target.value)}
            >
              <option value="">Any runbook</option>
              {runbooks.data.items.map((item) => (
                <option key={item.key} value={item.key}>
                  {item.title}
                </option>
              ))}
            </select>
          ) : (
            <input
              id={`${ids}-runbook`}
              placeholder="Runbook key"
              defaultValue={runbook}
              onBlur={(e) => setRunbook(e.target.value.trim())}
              onKeyDown={(e) => {
                if (e.key === 'Enter') setRunbook(e.currentTarget.value.trim());
              }}
            />
          )}
        </div>
        {filtered && (
          <button
            type="button"
            className="button-secondary"
            onClick={() => {
              setStatus('');
              setRunbook('');
            }}
          >
            Clear filters
          </button>
        )}
      </form>
      {runs.isPending ? (
        <LoadingState label="Loading runs…" />
      ) : runs.isError ? (
        <ErrorState error={runs.error} onRetry={() => void runs.refetch()} />
      ) : runs.data.items.length === 0 ? (
        filtered ? (
          <EmptyState title="No runs match these filters" />
        ) : (
          <EmptyState title="No runs yet">Runs appear here once a runbook is started.</EmptyState>
        )
      ) : (
        <>
          <div className="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Runbook</th>
                  <th scope="col">Scope</th>
                  <th scope="col">Status</th>
                  <th scope="col">Progress</th>
                  <th scope="col">Started by</th>
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
                    <td>
                      {run.initiator?.username ?? 'System'} <span className="muted">({run.source})</span>
                    </td>
                    <td>{formatTimestamp(run.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pagination page={page} perPage={runs.data.per_page} total={runs.data.total} />
        </>
      )}
    </section>
  );
}
