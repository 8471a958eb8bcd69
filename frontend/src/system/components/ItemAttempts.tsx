import { useQuery } from '@tanstack/react-query';
import { unwrap } from '../../api/client';
import type { ItemAttempt, ItemAttemptList, RunItem } from '../../api/types';
import { formatTimestamp } from '../../lib/format';
import { attemptDuration, attemptOutcome, clockTime, itemError, itemTenantLabel } from '../../lib/runs';
import { ErrorState, LoadingState } from '../../shared/states';
import { api } from '../session';

/**
 * Every attempt of one tenant's item, oldest first (docs/spec.md §21): its number and how it
 * ended, when it started, how long it took, the worker that ran it, and its error with the
 * SQLSTATE. Loaded when shown, and again whenever the item's attempts or status change (the
 * items table is fetched after each poll of the run).
 */
export function ItemAttempts({
  runId,
  item,
  now,
  id,
}: {
  runId: number;
  item: Pick<RunItem, 'id' | 'attempts' | 'status' | 'tenant_name' | 'tenant_external_id'>;
  now: Date;
  /** The element id the disclosure button's `aria-controls` names. */
  id: string;
}) {
  const attempts = useQuery({
    queryKey: ['run-item-attempts', runId, item.id, { attempts: item.attempts, status: item.status }],
    queryFn: ({ signal }): Promise<ItemAttemptList> =>
      unwrap(
        api.GET('/system/api/ops/runs/{id}/items/{item_id}/attempts', {
          params: { path: { id: runId, item_id: item.id } },
          signal,
        }),
      ),
  });
  const tenant = itemTenantLabel(item);
  return (
    <div className="attempts-panel" id={id}>
      {attempts.isPending ? (
        <LoadingState label="Loading attempts…" />
      ) : attempts.isError ? (
        <ErrorState error={attempts.error} onRetry={() => void attempts.refetch()} />
      ) : attempts.data.items.length === 0 ? (
        <p className="muted">No attempt recorded.</p>
      ) : (
        <ol className="attempt-list" aria-label={`Attempts of ${tenant}, oldest first`}>
          {attempts.data.items.map((attempt, index) => (
            <AttemptEntry key={`${attempt.attempt}-${attempt.started_at}-${index}`} attempt={attempt} now={now} />
          ))}
        </ol>
      )}
    </div>
  );
}

function AttemptEntry({ attempt, now }: { attempt: ItemAttempt; now: Date }) {
  const outcome = attemptOutcome(attempt);
  const error = itemError(attempt);
  return (
    <li className="attempt">
      <p className="attempt-head">
        <strong>Attempt {attempt.attempt}</strong>{' '}
        <span className={`badge badge-${outcome}`}>{outcome}</span>
      </p>
      <dl className="attempt-facts">
        <div>
          <dt>Started</dt>
          <dd title={formatTimestamp(attempt.started_at)}>{clockTime(attempt.started_at)} UTC</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{attemptDuration(attempt, now)}</dd>
        </div>
        <div>
          <dt>Worker</dt>
          <dd>{attempt.worker ? <code>{attempt.worker}</code> : 'unknown'}</dd>
        </div>
      </dl>
      {error && <p className="attempt-error">{error}</p>}
    </li>
  );
}
