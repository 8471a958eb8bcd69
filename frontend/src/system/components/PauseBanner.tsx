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
  onShowFailed,
}: {
  run: Pick<Run, 'wave' | 'counts' | 'pause'>;
  pause: PauseView;
  now: Date;
  onResume: (() => void) | null;
  onCancel: (() => void) | null;
  onShowFailed: () => void;
}) {
  const next = nextWave(run.wave);
  const inFlight = inFlightSentence(run.counts.running);
  const byOperator = pause.reason === 'operator';
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
        Paused since {formatTimestamp(pause.since)} ({timeAgo(pause.since, now)}) by{' '}
        {pause.by ? <strong>{pause.by.username}</strong> : 'the run itself'}.
        {run.counts.failed > 0 && ` ${run.counts.failed} failed so far, ${run.counts.processed} of ${run.counts.total} processed.`}
        {run.counts.failed === 0 && ` ${run.counts.processed} of ${run.counts.total} tenants processed.`}
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
        {pause.reason === 'failure_budget' && run.counts.failed > 0 && (
          <button type="button" className="button-secondary" onClick={onShowFailed}>
            Show the {run.counts.failed} failed {run.counts.failed === 1 ? 'tenant' : 'tenants'}
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

/** The server's sentence, "2 tenant(s) failed since…", as the start of one of ours. */
function capitalized(text: string): string {
  const trimmed = text.trim().replace(/\.$/, '');
  return trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
}
