import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { unwrap } from '../../api/client';
import type { RunbookList } from '../../api/types';
import { formatTimestamp } from '../../lib/format';
import { lastRunWords } from '../../lib/runs';
import { EmptyState, ErrorState, LoadingState } from '../../shared/states';
import { RunStateBadge } from '../RunState';
import { api } from '../session';

/**
 * Runbook catalogue: each runbook links to its page (scope, preflight, start), and names its
 * latest run ("Last run #12 · succeeded · 5 min ago", or "Never run"; docs/spec.md §21).
 */
export function RunbooksPage() {
  const runbooks = useQuery({
    queryKey: ['runbooks'],
    queryFn: ({ signal }): Promise<RunbookList> =>
      unwrap(api.GET('/system/api/ops/runbooks', { signal })),
  });
  const now = new Date(runbooks.dataUpdatedAt || Date.now());

  return (
    <section>
      <title>Runbooks · TenantAtlas Ops</title>
      <h1>Runbooks</h1>
      <p className="lead">Safe backfills and data repairs, run across one tenant or all of them.</p>
      {runbooks.isPending ? (
        <LoadingState label="Loading runbooks…" />
      ) : runbooks.isError ? (
        <ErrorState error={runbooks.error} onRetry={() => void runbooks.refetch()} />
      ) : runbooks.data.items.length === 0 ? (
        <EmptyState title="No runbooks available" />
      ) : (
        <ul className="card-list">
          {runbooks.data.items.map((runbook) => (
            <li key={runbook.key} className="card">
              <h2>
                <Link to={`/ops/runbooks/${encodeURIComponent(runbook.key)}`}>{runbook.title}</Link>
              </h2>
              <p>
                <code>{runbook.key}</code> · version {runbook.version}
                {runbook.run_on_deploy && ' · runs on deploy'}
              </p>
              <p>{runbook.description}</p>
              {runbook.rule_details.length > 0 && (
                <p className="muted">
                  Rules:{' '}
                  {runbook.rule_details.map((rule, index) => (
                    <span key={rule.key} title={rule.description}>
                      {index > 0 && ', '}
                      {rule.key} <code>{rule.name}</code>
                    </span>
                  ))}
                </p>
              )}
              <p className="last-run" data-testid="last-run">
                {runbook.last_run ? (
                  <>
                    <Link to={`/ops/runs/${runbook.last_run.id}`}>Last run #{runbook.last_run.id}</Link>
                    {' · '}
                    <span
                      title={runbook.last_run.completed_at ? formatTimestamp(runbook.last_run.completed_at) : undefined}
                    >
                      {lastRunWords(runbook.last_run, now)}
                    </span>
                  </>
                ) : (
                  'Never run'
                )}
              </p>
              {runbook.active_runs.length > 0 && (
                <p>
                  Active:{' '}
                  {runbook.active_runs.map((run) => (
                    <Link key={run.id} to={`/ops/runs/${run.id}`} className="inline-run">
                      Run #{run.id} <RunStateBadge run={run} />
                    </Link>
                  ))}
                </p>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
