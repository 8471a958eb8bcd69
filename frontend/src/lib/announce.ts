import type { Run } from '../api/types';
import { formatPercent, runState } from './format';

/** Progress milestones a screen reader hears about, in percent. */
export const MILESTONES = [25, 50, 75] as const;

type Watched = Pick<Run, 'id' | 'status' | 'outcome' | 'progress_percent' | 'counts'>;

function milestone(percent: number): number {
  return MILESTONES.filter((step) => percent >= step).length;
}

function tenants(n: number): string {
  return n === 1 ? '1 tenant' : `${n} tenants`;
}

/**
 * What the run detail page's polite live region says when a poll brings `next` after `previous`
 * (issue 16, obs. 11): a change of status, the completion with its outcome and counts, and while
 * the run goes on the 25/50/75 % milestones and new failures and retries (issue 22, item 8) —
 * not every poll. Nothing on the first load (the page itself says it).
 */
export function runAnnouncement(previous: Watched | undefined, next: Watched): string | null {
  if (previous === undefined || previous.id !== next.id) return null;
  const { processed, total, failed, retrying } = next.counts;
  if (next.status === 'completed' && previous.status !== 'completed') {
    return `Run #${next.id} completed: ${runState(next).label}. ${processed} of ${total} tenants processed, ${failed} failed.`;
  }
  if (next.status === 'paused' && previous.status !== 'paused') {
    return `Run #${next.id} paused after ${processed} of ${total} tenants, ${failed} failed.`;
  }
  if (previous.status === 'paused' && next.status !== 'paused') {
    return `Run #${next.id} resumed.`;
  }
  if (next.status === 'running' && previous.status === 'queued') {
    return `Run #${next.id} is running.`;
  }
  if (next.status !== 'running') return null;
  const news: string[] = [];
  if (milestone(next.progress_percent) > milestone(previous.progress_percent)) {
    news.push(`Run #${next.id} is ${formatPercent(next.progress_percent)} done: ${processed} of ${total} tenants processed.`);
  }
  if (failed > previous.counts.failed) {
    news.push(`${tenants(failed - previous.counts.failed)} failed, ${failed} in all.`);
  }
  if (retrying > previous.counts.retrying) {
    news.push(`${tenants(retrying - previous.counts.retrying)} waiting for a retry, ${retrying} in all.`);
  }
  return news.length > 0 ? news.join(' ') : null;
}
