import type { Run } from '../api/types';
import { clampPercent, formatPercent, runState } from '../lib/format';

/** Status, or outcome once completed, as a badge whose colour is backed by its text. */
export function RunStateBadge({ run }: { run: Pick<Run, 'status' | 'outcome'> }) {
  const { key, label } = runState(run);
  return <span className={`badge badge-${key}`}>{label}</span>;
}

/** Native progress bar plus its percentage in text. */
export function RunProgress({ percent, label }: { percent: number; label: string }) {
  return (
    <span className="progress">
      <progress max={100} value={clampPercent(percent)} aria-label={label} />
      <span>{formatPercent(percent)}</span>
    </span>
  );
}
