import { describe, expect, it } from 'vitest';
import {
  chartSpan,
  chartSummary,
  everyWords,
  formatIndicatorValue,
  formatNumber,
  heldSentence,
  indicatorChart,
  indicatorLabel,
  indicatorOff,
  mergeSamples,
  niceCeiling,
  readingWords,
  recoveryWords,
  samplesByIndicator,
  thresholdPhrase,
  thresholdWords,
  throttleAdvice,
  valueWords,
} from './health';

const reading = (name: string, value: number | null, threshold: number | null, extra: { available?: boolean; over?: boolean } = {}) => ({
  name,
  value,
  threshold,
  available: value !== null,
  over: false,
  ...extra,
});

describe('indicator words (docs/spec.md §14)', () => {
  it('names each indicator in plain words, and an external check’s own indicator as the check’s', () => {
    expect(indicatorLabel('oldest_transaction_seconds')).toBe('Oldest transaction of another client');
    expect(indicatorLabel('replication_lag_seconds')).toBe('Replication lag of a replica');
    expect(indicatorLabel('lock_waiters')).toBe('Sessions waiting on a lock for over 1 s');
    expect(indicatorLabel('wraparound_autovacuum')).toBe('Anti-wraparound autovacuum on a table the runbooks write');
    expect(indicatorLabel('external_check')).toBe('External health check');
    expect(indicatorLabel('patroni_lag')).toBe('External health check “patroni_lag”');
  });

  it('says a throttle’s reading as the banner does', () => {
    expect(readingWords({ name: 'oldest_transaction_seconds', value: 312.4, threshold: 300 })).toBe(
      'Oldest transaction of another client: 312 s, threshold 300 s',
    );
    expect(readingWords({ name: 'replication_lag_seconds', value: 42, threshold: 30 })).toBe(
      'Replication lag of a replica: 42 s, threshold 30 s',
    );
    expect(readingWords({ name: 'lock_waiters', value: 14, threshold: 10 })).toBe(
      'Sessions waiting on a lock for over 1 s: 14, threshold 10',
    );
    expect(readingWords({ name: 'wraparound_autovacuum', value: 1, threshold: 0 })).toBe(
      'Anti-wraparound autovacuum running on a table the runbooks write',
    );
    expect(readingWords({ name: 'wraparound_autovacuum', value: 2, threshold: 0 })).toBe(
      'Anti-wraparound autovacuum running on a table the runbooks write (2)',
    );
    // The service's own reading of the check: 1 over 0 while it fails.
    expect(readingWords({ name: 'external_check', value: 1, threshold: 0 })).toBe('External health check failing');
    expect(readingWords({ name: 'external_check', value: 0, threshold: 0, over: false })).toBe('External health check passing');
    // The check's answer carried numbers, or an indicator, of its own.
    expect(readingWords({ name: 'external_check', value: 12, threshold: 10 })).toBe(
      'External health check failing: 12, threshold 10',
    );
    expect(readingWords({ name: 'patroni_lag', value: 45.25, threshold: 30 })).toBe(
      'External health check “patroni_lag” failing: 45, threshold 30',
    );
    expect(readingWords({ name: 'oldest_transaction_seconds', value: null, threshold: 300 })).toBe(
      'Oldest transaction of another client: not readable, threshold 300 s',
    );
  });

  it('reads values in their unit, numbers whole above 10 and with one decimal below', () => {
    expect(formatNumber(312.6)).toBe('313');
    expect(formatNumber(0.44)).toBe('0.4');
    expect(formatNumber(3)).toBe('3');
    expect(formatIndicatorValue('oldest_transaction_seconds', 0.44)).toBe('0.4 s');
    expect(formatIndicatorValue('lock_waiters', 1)).toBe('1 session');
    expect(formatIndicatorValue('wraparound_autovacuum', 0)).toBe('none running');
    expect(formatIndicatorValue('external_check', 1)).toBe('1');
  });

  it('says a threshold, and "off" only where 0 turns the indicator off', () => {
    expect(thresholdWords(reading('oldest_transaction_seconds', 5, 300))).toBe('300 s');
    expect(thresholdWords(reading('lock_waiters', 0, 10))).toBe('10 sessions');
    expect(thresholdWords(reading('replication_lag_seconds', 0, 0))).toBe('off');
    expect(thresholdWords(reading('replication_lag_seconds', 0, null))).toBe('off');
    // 0 means "any" for the autovacuum, and "failing" for the external check.
    expect(thresholdWords(reading('wraparound_autovacuum', 0, 0))).toBe('any running');
    expect(thresholdWords(reading('external_check', 1, 0))).toBe('fails on a non-2xx answer or none within 2 s');
    expect(thresholdWords(reading('external_check', 12, 10))).toBe('10');
    expect(thresholdPhrase(reading('oldest_transaction_seconds', 5, 300))).toBe('threshold 300 s');
    expect(thresholdPhrase(reading('lock_waiters', 0, 0))).toBe('threshold off');
    expect(thresholdPhrase(reading('wraparound_autovacuum', 0, 0))).toBe('any running gates');
    expect(thresholdPhrase(reading('external_check', 0, 0))).toBe('gates on a non-2xx answer, or none within 2 s');
    expect(thresholdPhrase(reading('external_check', 12, 10))).toBe('threshold 10');
    expect(indicatorOff({ name: 'lock_waiters', threshold: 0 })).toBe(true);
    expect(indicatorOff({ name: 'wraparound_autovacuum', threshold: 0 })).toBe(false);
    expect(indicatorOff({ name: 'external_check', threshold: null })).toBe(true);
  });

  it('says the current value, or that the service’s role cannot read it', () => {
    expect(valueWords(reading('oldest_transaction_seconds', 12, 300))).toBe('12 s');
    expect(valueWords(reading('oldest_transaction_seconds', null, 300))).toBe('not readable: grant pg_monitor');
    expect(valueWords(reading('replication_lag_seconds', 3, 30, { available: false }))).toBe('not readable: grant pg_monitor');
    expect(valueWords(reading('external_check', 1, 0, { over: true }))).toBe('failing');
    expect(valueWords(reading('external_check', 0, 0))).toBe('passing');
    expect(valueWords(reading('external_check', 12, 10, { over: true }))).toBe('12');
  });

  it('says what to do about each indicator', () => {
    expect(throttleAdvice('oldest_transaction_seconds')).toMatch(/^Find the long transaction in pg_stat_activity/);
    expect(throttleAdvice('replication_lag_seconds')).toContain('pg_stat_replication');
    expect(throttleAdvice('lock_waiters')).toContain('pg_blocking_pids()');
    expect(throttleAdvice('wraparound_autovacuum')).toContain('do not cancel it');
    expect(throttleAdvice('external_check')).toContain('HEALTH_CHECK_URL');
    expect(throttleAdvice('patroni_lag')).toContain('HEALTH_CHECK_URL');
  });

  it('says what the gate does to a held run', () => {
    expect(heldSentence({ total: 30, processed: 0, running: 0 })).toBe(
      'None of its 30 tenants has started: no tenant of this run, or of any other, starts until the database is healthy again.',
    );
    expect(heldSentence({ total: 30, processed: 4, running: 2 })).toBe(
      '2 tenants already running will finish; no other tenant of this run, or of any other, starts until the database is healthy again.',
    );
    expect(heldSentence({ total: 30, processed: 12, running: 0 })).toBe(
      '12 of 30 tenants are done; no tenant of this run, or of any other, starts until the database is healthy again.',
    );
  });

  it('says how the gate recovers, and how often it samples', () => {
    expect(recoveryWords({ recovery_samples: 3, sample_every_seconds: 5 })).toBe('after 3 healthy samples in a row (about 15s)');
    expect(recoveryWords({ recovery_samples: 1, sample_every_seconds: 60 })).toBe('after 1 healthy sample in a row (about 1m)');
    expect(recoveryWords({ recovery_samples: 2, sample_every_seconds: 0.3 })).toBe(
      'after 2 healthy samples in a row (less than a second)',
    );
    expect(recoveryWords(undefined)).toBeNull();
    expect(everyWords(5)).toBe('every 5s');
    expect(everyWords(0.3)).toBe('every 0.3 s');
  });
});

const sample = (at: string, name: string, value: number | null, over = false) => ({
  sampled_at: at,
  name,
  value,
  threshold: 300,
  available: value !== null,
  over,
});

describe('mergeSamples', () => {
  it('adds new samples once (the query’s since is inclusive), in time order', () => {
    const first = {
      items: [sample('2030-01-01T12:00:00Z', 'a', 1), sample('2030-01-01T12:00:05Z', 'a', 2)],
      episodes: [],
    };
    const next = {
      items: [sample('2030-01-01T12:00:05Z', 'a', 2), sample('2030-01-01T12:00:10Z', 'a', 3)],
      episodes: [],
    };
    const merged = mergeSamples(first, next);
    expect(merged.items.map((s) => s.value)).toEqual([1, 2, 3]);
    expect(mergeSamples(undefined, next)).toBe(next);
  });

  it('updates an episode that ended, and trims both to the hour before the newest sample', () => {
    const lasting = { started_at: '2030-01-01T11:00:00Z', ended_at: null, indicator: 'external_check' };
    const old = { started_at: '2030-01-01T10:00:00Z', ended_at: '2030-01-01T10:30:00Z', indicator: 'external_check' };
    const first = { items: [sample('2030-01-01T11:40:00Z', 'a', 1)], episodes: [old, lasting] };
    const ended = { ...lasting, ended_at: '2030-01-01T12:29:00Z' };
    const merged = mergeSamples(first, { items: [sample('2030-01-01T12:31:00Z', 'a', 2)], episodes: [ended] });
    expect(merged.episodes).toEqual([ended]);
    expect(merged.items.map((s) => s.sampled_at)).toEqual(['2030-01-01T11:40:00Z', '2030-01-01T12:31:00Z']);
    const later = mergeSamples(merged, { items: [sample('2030-01-01T12:30:01Z', 'a', 3), sample('2030-01-01T12:31:00.5Z', 'a', 4)], episodes: [] });
    expect(later.items.map((s) => s.value)).toEqual([1, 3, 2, 4]);
    const much = mergeSamples(later, { items: [sample('2030-01-01T13:30:30Z', 'a', 5)], episodes: [] });
    expect(much.items.map((s) => s.value)).toEqual([2, 4, 5]);
    expect(much.episodes).toEqual([]);
  });
});

describe('the charts', () => {
  const items = [
    sample('2030-01-01T12:00:00Z', 'oldest_transaction_seconds', 0),
    sample('2030-01-01T12:00:00Z', 'external_check', 1, true),
    sample('2030-01-01T12:00:10Z', 'oldest_transaction_seconds', 100),
    sample('2030-01-01T12:00:20Z', 'oldest_transaction_seconds', null),
    sample('2030-01-01T12:00:30Z', 'oldest_transaction_seconds', 200),
    sample('2030-01-01T12:00:40Z', 'oldest_transaction_seconds', null),
  ];

  it('groups the samples by indicator, and spans them all, at most the last hour', () => {
    const grouped = samplesByIndicator(items);
    expect([...grouped.keys()]).toEqual(['oldest_transaction_seconds', 'external_check']);
    expect(grouped.get('oldest_transaction_seconds')).toHaveLength(5);
    expect(chartSpan(items)).toEqual({ from: Date.parse('2030-01-01T12:00:00Z'), to: Date.parse('2030-01-01T12:00:40Z') });
    expect(chartSpan([])).toBeNull();
    const one = chartSpan([items[0]!]);
    expect(one!.to - one!.from).toBe(1000);
    const long = chartSpan([sample('2030-01-01T10:00:00Z', 'a', 1), sample('2030-01-01T12:00:00Z', 'a', 1)]);
    expect(long).toEqual({ from: Date.parse('2030-01-01T11:00:00Z'), to: Date.parse('2030-01-01T12:00:00Z') });
  });

  it('rounds the scale up to 1, 2 or 5 times a power of ten', () => {
    expect(niceCeiling(330)).toBe(500);
    expect(niceCeiling(1.1)).toBe(2);
    expect(niceCeiling(100)).toBe(100);
    expect(niceCeiling(0)).toBe(1);
    expect(niceCeiling(0.03)).toBe(0.05);
  });

  it('draws the line broken where a sample is unreadable, the threshold dashed and the episodes shaded', () => {
    const span = chartSpan(items)!;
    const chart = indicatorChart({
      name: 'oldest_transaction_seconds',
      samples: samplesByIndicator(items).get('oldest_transaction_seconds')!,
      threshold: 300,
      episodes: [
        { started_at: '2030-01-01T12:00:10Z', ended_at: '2030-01-01T12:00:20Z', indicator: 'oldest_transaction_seconds' },
        { started_at: '2030-01-01T12:00:30Z', ended_at: null, indicator: 'external_check' },
      ],
      span,
      width: 400,
      height: 100,
    });
    // 300 s × 1.1 rounds up to 500: 100 s is 20 % of the height.
    expect(chart.top).toBe(500);
    expect(chart.line).toBe('M0 100 L100 80');
    expect(chart.dots).toEqual([{ x: 300, y: 60 }]);
    expect(chart.thresholdY).toBe(40);
    expect([chart.topLabel, chart.bottomLabel]).toEqual(['500 s', '0 s']);
    expect(chart.episodes).toEqual([
      { x: 100, width: 100, lasting: false },
      { x: 300, width: 100, lasting: true },
    ]);
  });

  it('draws no threshold for an indicator turned off, and the external check as failing or passing', () => {
    const span = { from: 0, to: 10_000 };
    const off = indicatorChart({ name: 'lock_waiters', samples: [], threshold: 0, episodes: [], span, width: 10, height: 10 });
    expect(off.thresholdY).toBeNull();
    expect(off.top).toBe(1);
    const check = indicatorChart({
      name: 'external_check',
      samples: [sample('1970-01-01T00:00:00Z', 'external_check', 1, true), sample('1970-01-01T00:00:10Z', 'external_check', 0)].map(
        (s) => ({ ...s, threshold: 0 }),
      ),
      threshold: 0,
      episodes: [],
      span,
      width: 10,
      height: 10,
    });
    // Failing or passing, in steps: no threshold line on the floor.
    expect(check.thresholdY).toBeNull();
    expect(check.top).toBe(1.05);
    expect(check.line).toBe('M0 0.48 H10 V10');
    expect([check.topLabel, check.bottomLabel]).toEqual(['failing', 'passing']);
    // An answer with numbers of its own is drawn against its threshold.
    const numbers = indicatorChart({
      name: 'external_check',
      samples: [{ ...sample('1970-01-01T00:00:00Z', 'external_check', 12, true), threshold: 10 }],
      threshold: 10,
      episodes: [],
      span,
      width: 10,
      height: 10,
    });
    expect(numbers.thresholdY).toBe(5);
    expect([numbers.topLabel, numbers.bottomLabel]).toEqual(['20', '0']);
  });

  it('summarises a chart for a screen reader', () => {
    const own = samplesByIndicator(items).get('oldest_transaction_seconds')!;
    expect(chartSummary('oldest_transaction_seconds', own, 300, [])).toBe(
      '5 samples from 12:00:00 to 12:00:40 UTC, 2 not readable, between 0 s and 200 s, last not readable; threshold 300 s, over it in 0 of them; no throttled episode.',
    );
    const check = [sample('2030-01-01T12:00:00Z', 'external_check', 1, true), sample('2030-01-01T12:00:01Z', 'external_check', 0)].map(
      (s) => ({ ...s, threshold: 0 }),
    );
    expect(
      chartSummary('external_check', check, 0, [
        { started_at: '2030-01-01T12:00:00Z', ended_at: '2030-01-01T12:00:01Z', indicator: 'external_check' },
      ]),
    ).toBe('2 samples from 12:00:00 to 12:00:01 UTC, last passing; failing in 1 of them; 1 throttled episode, ended.');
    expect(chartSummary('external_check', [], 0, [])).toBe('No samples in the last hour.');
  });
});
