import type { Run } from '../api/types';
import { formatPercent, runState } from './format';

/** Progress milestones a screen reader hears about, in percent. */
export const MILESTONES = [25, 50, 75] as const;

type Watched = Pick<Run, 'id' | 'status' | 'outcome' | 'progress_percent' | 'counts'>;

function milestone(percent: number): number {
  return MILESTONES.filter((step) => percent >= step).length;
}

/**
 * What the run detail page's polite live region says when a poll brings `next` after `previous`
 * (issue 16, obs. 11): a change of status, the completion with its outcome and counts, and the
 * 25/50/75 % milestones — not every poll. Nothing on the first load (the page itself says it).
 */
export function runAnnouncement(previous: Watched | undefined, next: Watched): string | null {
  if (previous === undefined || previous.id !== next.id) return null;
  const { processed, total, failed } = next.counts;
  if (next.status === 'completed' && previous.status !== 'completed') {
    return `Run #${next.id} completed: ${runState(next).label}. ${processed} of ${total} tenants processed, ${failed} failed.`;
  }
  if (next.status === 'running' && previous.status === 'queued') {
    return `Run #${next.id} is running.`;
  }
  if (next.status === 'running' && milestone(next.progress_percent) > milestone(previous.progress_percent)) {
    return `Run #${next.id} is ${formatPercent(next.progress_percent)} done: ${processed} of ${total} tenants processed.`;
  }
  return null;
}
