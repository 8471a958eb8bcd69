import { describe, expect, it } from 'vitest';
import {
  clockTime,
  csvHref,
  dayStart,
  itemDuration,
  itemError,
  outcomeWord,
  stallSentence,
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
  it('shows a duration from start to completion, or to now while running', () => {
    expect(itemDuration({ started_at: '2030-01-01T12:00:00Z', completed_at: '2030-01-01T12:00:42Z' }, NOW)).toBe('42s');
    expect(itemDuration({ started_at: '2030-01-01T12:08:00Z', completed_at: null }, NOW)).toBe('2m 30s');
    expect(itemDuration({ started_at: null, completed_at: null }, NOW)).toBe('—');
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

  it('words a retry outcome', () => {
    expect(outcomeWord('partially_succeeded')).toBe('partially succeeded');
    expect(outcomeWord(null)).toBe('running');
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
