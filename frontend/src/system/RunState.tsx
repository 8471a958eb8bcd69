import type { Run } from '../api/types';
import { clampPercent, formatPercent, runState } from '../lib/format';

/** Status, or outcome once completed, as a badge whose colour is backed by its text. */
export function RunStateBadge({ run }: { run: Pick<Run, 'status' | 'outcome'> }) {
  const { key, label } = runState(run);
  return <span className={`badge badge-${key}`}>{label}</span>;
}

/**
 * "Throttled" beside an active run's status while the database health gate holds it (docs/spec.md
 * §14): its status stays queued or running, but no tenant of it starts.
 */
export function ThrottledTag({ run }: { run: Pick<Run, 'status' | 'throttle'> }) {
  if (run.throttle == null || run.status === 'completed') return null;
  return (
    <span className="throttle-tag" title="Held by the database health gate: no tenant starts">
      Throttled
    </span>
  );
}

/**
 * Native progress bar plus its percentage in text, coloured by what the run came to (issue 16,
 * obs. 3): running blue, succeeded green, partially succeeded amber, failed red, cancelled grey.
 * The colour is never alone: the state is written beside the percentage, and the bar's name
 * carries it too.
 */
export function RunProgress({
  run,
  label,
}: {
  run: Pick<Run, 'status' | 'outcome' | 'progress_percent'>;
  label: string;
}) {
  const { key, label: state } = runState(run);
  return (
    <span className={`progress progress-${key}`} data-state={key}>
      <progress
        max={100}
        value={clampPercent(run.progress_percent)}
        aria-label={label}
        aria-valuetext={`${formatPercent(run.progress_percent)}, ${state}`}
      />
      <span>
        {formatPercent(run.progress_percent)} <span className="progress-state">{state}</span>
      </span>
    </span>
  );
}
