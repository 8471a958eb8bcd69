import { Link } from 'react-router';
import type { Run, Throttle } from '../../api/types';
import { formatTimestamp } from '../../lib/format';
import { heldSentence, readingWords, recoveryWords, throttleAdvice } from '../../lib/health';
import { timeAgo } from '../../lib/runs';
import { useHealth } from '../health';

/**
 * An active run held by the database health gate (docs/spec.md §14): which indicator is over its
 * threshold and since when, what the hold does (tenants running finish, no other starts, in any
 * run), when it ends by itself (the gate's recovery samples, from `GET /ops/health`), and what the
 * operator can do — look at the Database health page, deal with the cause, or wait; pausing and
 * cancelling still work, with the buttons for them (each shown only with its capability).
 */
export function ThrottleBanner({
  run,
  throttle,
  now,
  onPause,
  onCancel,
}: {
  run: Pick<Run, 'status' | 'counts'>;
  throttle: Throttle;
  now: Date;
  onPause: (() => void) | null;
  onCancel: (() => void) | null;
}) {
  const health = useHealth({ poll: true });
  const gate = health.data;
  const recovery = recoveryWords(gate);
  const paused = run.status === 'paused';
  const streak =
    gate?.state === 'throttled' && gate.healthy_streak > 0
      ? ` (${gate.healthy_streak} of ${gate.recovery_samples} so far)`
      : '';
  const pause = onPause !== null && !paused ? onPause : null;
  const actions = [pause ? 'pause' : null, onCancel ? 'cancel' : null].filter((action) => action !== null);
  return (
    <div className="notice throttled" role="status" data-testid="throttle-banner">
      <p className="throttled-headline">
        <strong>
          Held by the database health gate:{' '}
          {readingWords({ name: throttle.indicator, value: throttle.value, threshold: throttle.threshold })}.
        </strong>
      </p>
      <p className="throttled-since">
        Since {formatTimestamp(throttle.since)} ({timeAgo(throttle.since, now)}).{' '}
        {paused ? 'Once resumed, it starts no tenant until the database is healthy again.' : heldSentence(run.counts)}
      </p>
      <p className="throttled-recovery">
        {gate?.state === 'healthy'
          ? 'The database is healthy again: tenants start again within a few seconds.'
          : gate?.state === 'stale'
            ? 'No worker is sampling the database any more, so the gate holds nothing: tenants start again.'
            : recovery
              ? `${paused ? 'The gate opens' : 'It resumes'} by itself ${recovery}${streak}.`
              : `${paused ? 'The gate opens' : 'It resumes'} by itself once the database has been healthy for a few samples in a row.`}
      </p>
      <p className="throttled-next">
        <strong>What to do:</strong> {throttleAdvice(throttle.indicator)}. Database health shows every
        indicator against its threshold over the last hour.{' '}
        {actions.length > 0
          ? `You can still ${actions.join(' or ')} the run.`
          : paused
            ? ''
            : 'An operator who may control or cancel runs can still pause or cancel it.'}
      </p>
      <p className="throttled-actions">
        <Link className="link-button" to="/ops/health">
          Open Database health
        </Link>
        {pause && (
          <button type="button" className="button-secondary" onClick={pause}>
            Pause…
          </button>
        )}
        {onCancel && (
          <button type="button" className="button-danger" onClick={onCancel}>
            Cancel run…
          </button>
        )}
      </p>
    </div>
  );
}

