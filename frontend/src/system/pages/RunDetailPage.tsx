import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { ProblemError } from '../../api/client';
import type { Run } from '../../api/types';
import { errorMessage } from '../../lib/errors';
import {
  formatDuration,
  formatEta,
  formatScope,
  formatTimestamp,
  secondsBetween,
} from '../../lib/format';
import { refetchIntervalFor } from '../../lib/polling';
import { EmptyState, ErrorState, LoadingState } from '../../shared/states';
import { RunProgress, RunStateBadge } from '../RunState';
import { api } from '../session';

function parseRunId(value: string | undefined): number | null {
  const id = Number(value);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

function RunNotFound() {
  return (
    <EmptyState title="Run not found">
      <Link to="/ops/runs">Back to all runs</Link>
    </EmptyState>
  );
}

/** One run: progress, counts and timing, polled every 2 s until it completes. */
export function RunDetailPage() {
  const runId = parseRunId(useParams().id);
  const run = useQuery({
    queryKey: ['run', runId],
    queryFn: ({ signal }) => api.get<Run>(`/system/api/ops/runs/${runId}`, { signal }),
    enabled: runId !== null,
    refetchInterval: (query) => refetchIntervalFor(query.state.data),
  });

  return (
    <section>
      <title>{`Run #${runId ?? ''} · TenantAtlas Ops`}</title>
      <p className="breadcrumb">
        <Link to="/ops/runs">Runs</Link>
      </p>
      <h1>Run #{runId ?? '—'}</h1>
      {runId === null ? (
        <RunNotFound />
      ) : run.isPending ? (
        <LoadingState label="Loading run…" />
      ) : run.isError && run.error instanceof ProblemError && run.error.status === 404 ? (
        <RunNotFound />
      ) : run.isError && run.data === undefined ? (
        <ErrorState error={run.error} onRetry={() => void run.refetch()} />
      ) : (
        <RunSummary run={run.data} refreshError={run.isError ? run.error : null} />
      )}
    </section>
  );
}

function RunSummary({ run, refreshError }: { run: Run; refreshError: Error | null }) {
  const completed = run.status === 'completed';
  const duration = secondsBetween(run.started_at, run.completed_at);
  return (
    <>
      {refreshError && (
        <p className="form-error" role="alert">
          Live updates paused: {errorMessage(refreshError)}
        </p>
      )}
      <div className="run-status">
        <RunStateBadge run={run} />
        <RunProgress percent={run.progress_percent} label="Run progress" />
        <span>
          {completed
            ? `Took ${duration === null ? '—' : formatDuration(duration)}`
            : `Remaining: ${formatEta(run.eta_seconds)}`}
        </span>
      </div>

      <h2>Tenants</h2>
      <dl className="counts">
        <div>
          <dt>Processed</dt>
          <dd>
            {run.counts.processed} of {run.counts.total}
          </dd>
        </div>
        <div>
          <dt>Succeeded</dt>
          <dd>{run.counts.succeeded}</dd>
        </div>
        <div>
          <dt>Failed</dt>
          <dd>{run.counts.failed}</dd>
        </div>
        <div>
          <dt>Skipped</dt>
          <dd>{run.counts.skipped}</dd>
        </div>
        <div>
          <dt>Findings changed</dt>
          <dd>{run.counts.findings_changed}</dd>
        </div>
      </dl>

      <h2>Details</h2>
      <dl className="details">
        <dt>Runbook</dt>
        <dd>
          <code>{run.runbook}</code>
        </dd>
        <dt>Scope</dt>
        <dd>{formatScope(run.scope)}</dd>
        <dt>Reason</dt>
        <dd>
          <code>{run.reason.code}</code> — {run.reason.text}
        </dd>
        <dt>Started by</dt>
        <dd>
          {run.initiator?.username ?? 'System'} via <code>{run.source}</code>
        </dd>
        <dt>Created</dt>
        <dd>{formatTimestamp(run.created_at)}</dd>
        <dt>Started</dt>
        <dd>{formatTimestamp(run.started_at)}</dd>
        <dt>Completed</dt>
        <dd>{formatTimestamp(run.completed_at)}</dd>
      </dl>
    </>
  );
}
