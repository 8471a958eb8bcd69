import type { PauseView, Run } from '../../api/types';
import { inFlightSentence, nextWave, pauseHeadline, pauseNextStep } from '../../lib/control';
import { formatTimestamp } from '../../lib/format';
import { timeAgo } from '../../lib/runs';

/**
 * A paused run (docs/spec.md §13) in words an operator at 1,000 tenants can act on: why it is
 * paused (an operator, its failure budget, the end of a wave), the server's or operator's own
 * sentence, since when and by whom, the tenants still finishing, and what to do next — with the
 * buttons to do it (each shown only with its capability).
 */
export function PauseBanner({
  run,
  pause,
  now,
  onResume,
  onCancel,
  onShowItems,
}: {
  run: Pick<Run, 'wave' | 'counts' | 'pause'>;
  pause: PauseView;
  now: Date;
  onResume: (() => void) | null;
  onCancel: (() => void) | null;
  /** Filters the items table to one status and scrolls it into view. */
  onShowItems: (status: 'failed' | 'succeeded') => void;
}) {
  const next = nextWave(run.wave);
  const inFlight = inFlightSentence(run.counts.running);
  const byOperator = pause.reason === 'operator';
  const { processed, total, succeeded, failed } = run.counts;
  // What to look at before resuming, filtered out of the items table (at 1,000 tenants the few
  // a wave processed are far apart in it).
  const shows: { status: 'failed' | 'succeeded'; count: number }[] =
    pause.reason === 'failure_budget'
      ? [{ status: 'failed', count: failed }]
      : pause.reason === 'wave_gate'
        ? [
            { status: 'failed', count: failed },
            { status: 'succeeded', count: succeeded },
          ]
        : [];
  return (
    <div className={`notice paused paused-${pause.reason}`} role="status" data-testid="pause-banner">
      <p className="paused-headline">
        <strong>{pauseHeadline(pause, run.wave)}</strong>
      </p>
      {pause.text && (
        <p className="paused-text">
          {byOperator ? (
            <>
              <span className="muted">Reason:</span> “{pause.text}”
            </>
          ) : (
            <>{capitalized(pause.text)}.</>
          )}
        </p>
      )}
      <p className="paused-since">
        Since {formatTimestamp(pause.since)} ({timeAgo(pause.since, now)}),{' '}
        {processed === 0
          ? `before any of its ${total} tenants finished.`
          : `after ${processed} of ${total} tenants: ${succeeded} succeeded, ${failed} failed.`}
      </p>
      {inFlight && <p className="paused-inflight">{inFlight}</p>}
      <p className="paused-next">
        <strong>Next:</strong> {pauseNextStep(run, { canResume: onResume !== null, canCancel: onCancel !== null })}
      </p>
      <p className="paused-actions">
        {onResume && (
          <button type="button" onClick={onResume}>
            {pause.reason === 'wave_gate' && next ? `Resume with ${next}…` : 'Resume…'}
          </button>
        )}
        {shows
          .filter(({ count }) => count > 0)
          .map(({ status, count }) => (
            <button key={status} type="button" className="button-secondary" onClick={() => onShowItems(status)}>
              Show the {count} {status} {count === 1 ? 'tenant' : 'tenants'}
            </button>
          ))}
        {onCancel && (
          <button type="button" className="button-danger" onClick={onCancel}>
            Cancel run…
          </button>
        )}
      </p>
    </div>
  );
}

/** The server's sentence, "2 tenant(s) failed since…", as the start of one of ours. */
function capitalized(text: string): string {
  const trimmed = text.trim().replace(/\.$/, '');
  return trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
}
