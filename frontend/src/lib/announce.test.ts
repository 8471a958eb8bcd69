import { describe, expect, it } from 'vitest';
import { runAnnouncement } from './announce';

function run(status: 'queued' | 'running' | 'paused' | 'completed', processed: number, outcome: 'succeeded' | 'failed' | null = null) {
  return {
    id: 7,
    status,
    outcome,
    progress_percent: (processed / 8) * 100,
    counts: { total: 8, processed, succeeded: processed, failed: outcome === 'failed' ? 1 : 0, skipped: 0, retrying: 0, cancelled: 0, running: 0, findings_changed: 0, conflicts: 0 },
  };
}

describe('runAnnouncement (issue 16, obs. 11)', () => {
  it('says a pause once, with how far the run got, and a resume', () => {
    expect(runAnnouncement(run('running', 3), run('paused', 3))).toBe('Run #7 paused after 3 of 8 tenants, 0 failed.');
    expect(runAnnouncement(run('paused', 3), run('paused', 4))).toBeNull();
    expect(runAnnouncement(run('paused', 4), run('running', 4))).toBe('Run #7 resumed.');
    expect(runAnnouncement(run('queued', 0), run('paused', 0))).toBe('Run #7 paused after 0 of 8 tenants, 0 failed.');
    expect(runAnnouncement(run('paused', 0), run('queued', 0))).toBe('Run #7 resumed.');
  });

  it('says nothing on the first load or on a poll without news', () => {
    expect(runAnnouncement(undefined, run('running', 1))).toBeNull();
    expect(runAnnouncement(run('running', 1), run('running', 1))).toBeNull();
    expect(runAnnouncement(run('running', 2), run('running', 3))).toBeNull();
  });

  it('says a start, each milestone once, and the completion with the outcome', () => {
    expect(runAnnouncement(run('queued', 0), run('running', 0))).toBe('Run #7 is running.');
    expect(runAnnouncement(run('running', 1), run('running', 2))).toBe('Run #7 is 25% done: 2 of 8 tenants processed.');
    expect(runAnnouncement(run('running', 3), run('running', 4))).toBe('Run #7 is 50% done: 4 of 8 tenants processed.');
    expect(runAnnouncement(run('running', 4), run('running', 5))).toBeNull();
    expect(runAnnouncement(run('running', 7), run('completed', 8, 'failed'))).toBe(
      'Run #7 completed: Failed. 8 of 8 tenants processed, 1 failed.',
    );
    expect(runAnnouncement(run('completed', 8, 'failed'), run('completed', 8, 'failed'))).toBeNull();
  });
});

describe('runAnnouncement while a run goes on (issue 22, item 8)', () => {
  const at = (processed: number, failed: number, retrying: number) => {
    const base = run('running', processed);
    return { ...base, counts: { ...base.counts, failed, retrying } };
  };

  it('says new failures and new retries, with the totals', () => {
    expect(runAnnouncement(at(1, 0, 0), at(1, 1, 0))).toBe('1 tenant failed, 1 in all.');
    expect(runAnnouncement(at(1, 1, 0), at(1, 1, 2))).toBe('2 tenants waiting for a retry, 2 in all.');
    expect(runAnnouncement(at(1, 1, 2), at(2, 3, 2))).toBe(
      'Run #7 is 25% done: 2 of 8 tenants processed. 2 tenants failed, 3 in all.',
    );
  });

  it('says nothing when retries end or nothing new failed', () => {
    expect(runAnnouncement(at(1, 1, 2), at(1, 1, 1))).toBeNull();
    expect(runAnnouncement(at(2, 1, 0), at(3, 1, 0))).toBeNull();
  });
});
