import { describe, expect, it } from 'vitest';
import {
  attemptDuration,
  attemptOutcome,
  clockTime,
  csvHref,
  dayStart,
  itemDuration,
  itemError,
  itemTenantLabel,
  lastRunWords,
  outcomeWord,
  stallSentence,
  timeAgo,
  timelineBars,
} from './runs';

const NOW = new Date('2030-01-01T12:10:30Z');

describe('stall banner words', () => {
  it('names the last finish in UTC and how long the tenant has been running', () => {
    const stall = { since: '2030-01-01T12:03:04Z', tenant_external_id: 'tenant-007' };
    expect(clockTime(stall.since)).toBe('12:03:04');
    expect(stallSentence(stall, 'Acme Tenant 7 (tenant-007)', '2030-01-01T12:06:00Z', NOW)).toBe(
      'No tenant has finished since 12:03:04 UTC — Acme Tenant 7 (tenant-007) has been running for 4m 30s.',
    );
    // Without the item's start, the stall's start stands in.
    expect(stallSentence(stall, 'tenant-007', null, NOW)).toContain('has been running for 7m 26s');
  });

  it('says seconds under a minute, as the item duration does', () => {
    const stall = { since: '2030-01-01T12:10:00Z', tenant_external_id: 'tenant-007' };
    expect(stallSentence(stall, 'tenant-007', null, NOW)).toContain('has been running for 30s.');
  });
});

describe('items', () => {
  it('shows its last attempt\'s duration, ticking on while it runs', () => {
    // The last attempt's, as the server measured it; a running item's ticks on from then.
    const asOf = NOW.getTime() - 10_000;
    expect(itemDuration({ status: 'succeeded', duration_seconds: 42 }, NOW, asOf)).toBe('42s');
    expect(itemDuration({ status: 'retrying', duration_seconds: 3 }, NOW, asOf)).toBe('3s');
    expect(itemDuration({ status: 'running', duration_seconds: 140 }, NOW, asOf)).toBe('2m 30s');
    expect(itemDuration({ status: 'pending', duration_seconds: null }, NOW, asOf)).toBe('—');
  });

  it('adds the SQLSTATE to the error text', () => {
    expect(itemError({ error: 'CHECK constraint failed', error_sqlstate: '23514' })).toBe(
      'CHECK constraint failed (SQLSTATE 23514)',
    );
    expect(itemError({ error: 'lease expired', error_sqlstate: null })).toBe('lease expired');
    // Never twice: the stored text usually carries it already.
    expect(itemError({ error: 'UNIQUE constraint failed: t.id (SQLSTATE 23505)', error_sqlstate: '23505' })).toBe(
      'UNIQUE constraint failed: t.id (SQLSTATE 23505)',
    );
    expect(itemError({ error: null, error_sqlstate: null })).toBe('');
  });

  it("names an item's tenant, one deleted since by its external id", () => {
    expect(itemTenantLabel({ tenant_name: 'Acme Tenant 5', tenant_external_id: 'tenant-005' })).toBe('Acme Tenant 5 (tenant-005)');
    expect(itemTenantLabel({ tenant_name: '', tenant_external_id: 'tenant-009' })).toBe('tenant-009');
  });

  it('words an attempt: its outcome and its duration', () => {
    const failed = { started_at: '2030-01-01T12:00:00Z', finished_at: '2030-01-01T12:00:03Z', error: 'boom' };
    expect(attemptOutcome(failed)).toBe('failed');
    expect(attemptDuration(failed, NOW)).toBe('3s');
    const succeeded = { ...failed, error: null };
    expect(attemptOutcome(succeeded)).toBe('succeeded');
    const running = { started_at: '2030-01-01T12:10:00Z', finished_at: null, error: null };
    expect(attemptOutcome(running)).toBe('running');
    expect(attemptDuration(running, NOW)).toBe('30s');
  });

  it('words a retry outcome', () => {
    expect(outcomeWord('partially_succeeded')).toBe('partially succeeded');
    expect(outcomeWord(null)).toBe('running');
  });
});

describe('a runbook\'s last run', () => {
  it('says a completed run\'s outcome and how long ago it ended, an active one\'s status', () => {
    const completed = { status: 'completed', outcome: 'partially_succeeded', completed_at: '2030-01-01T12:05:30Z' };
    expect(lastRunWords(completed, NOW)).toBe('partially succeeded · 5 min ago');
    expect(lastRunWords({ status: 'running', outcome: null, completed_at: null }, NOW)).toBe('running');
    expect(lastRunWords({ status: 'queued', outcome: null, completed_at: null }, NOW)).toBe('queued');
  });

  it('rounds the time ago down to a coarse unit', () => {
    expect(timeAgo('2030-01-01T12:10:00Z', NOW)).toBe('just now');
    expect(timeAgo('2030-01-01T12:09:30Z', NOW)).toBe('1 min ago');
    expect(timeAgo('2030-01-01T09:00:00Z', NOW)).toBe('3 h ago');
    expect(timeAgo('2029-12-29T12:00:00Z', NOW)).toBe('3 days ago');
    expect(timeAgo('not a time', NOW)).toBe('not a time');
  });
});

describe('csvHref', () => {
  it('carries the current filters and leaves empty ones out', () => {
    expect(csvHref('/system/api/ops/runs/9/items.csv', { status: 'failed', search: 'acme 7' })).toBe(
      '/system/api/ops/runs/9/items.csv?status=failed&search=acme+7',
    );
    expect(csvHref('/system/api/ops/runs.csv', { status: '', outcome: null })).toBe('/system/api/ops/runs.csv');
  });

  it('reads a date input as the start of that UTC day', () => {
    expect(dayStart('2030-01-02')).toBe('2030-01-02T00:00:00Z');
    expect(dayStart('')).toBe('');
  });
});

describe('timelineBars', () => {
  it('scales the busiest minute to the full height and stacks failed on succeeded', () => {
    const { bars, max } = timelineBars(
      [
        { minute: '2030-01-01T12:00:00Z', succeeded: 30, failed: 10 },
        { minute: '2030-01-01T12:01:00Z', succeeded: 5, failed: 0 },
      ],
      20,
      100,
    );
    expect(max).toBe(40);
    expect(bars).toHaveLength(2);
    expect(bars[0]!.succeeded).toEqual({ y: 25, height: 75 });
    expect(bars[0]!.failed).toEqual({ y: 0, height: 25 });
    expect(bars[1]!.x).toBeGreaterThanOrEqual(0.66);
    expect(bars[1]!.succeeded.height).toBeCloseTo(12.5);
  });

  it('keeps bars narrow for a run of a minute or two', () => {
    const { bars } = timelineBars([{ minute: '2030-01-01T12:00:00Z', succeeded: 997, failed: 3 }], 600, 100);
    expect(bars[0]!.width).toBeLessThanOrEqual(20);
    // 3 failures among 997 successes still show (4 % of the height), the successes make room.
    expect(bars[0]!.failed.height).toBeCloseTo(4);
    expect(bars[0]!.succeeded.height + bars[0]!.failed.height).toBeCloseTo(100);
  });

  it('has a scale of at least 1 for an empty run', () => {
    expect(timelineBars([], 200, 100)).toEqual({ bars: [], max: 1 });
  });
});
