// The database health gate (docs/spec.md §14) in words and shapes: each indicator named in plain
// words with its value and threshold, what an operator can do about a throttle, the gate's
// recovery, and the geometry of the health page's per-indicator charts. Pure: the banner and the
// page render what these return.

import { formatDuration, tenantCount } from './format';
import { clockTime } from './runs';

/** One indicator's reading, as `GET /ops/health` and its samples give it. */
export interface ReadingLike {
  name: string;
  value: number | null;
  threshold: number | null;
  available?: boolean;
  over?: boolean;
}

/** One sample of one indicator (`GET /ops/health/samples`). */
export interface SampleLike extends ReadingLike {
  sampled_at: string;
}

/** A throttled episode of the gate: `ended_at` is null while it lasts. */
export interface EpisodeLike {
  started_at: string;
  ended_at: string | null;
  indicator: string;
}

/**
 * How an indicator's value reads: seconds (`312 s`), a count of sessions, the number of
 * anti-wraparound autovacuums running (any gates), or the external check (1 while failing, unless
 * its answer carried a value and threshold of its own).
 */
type Kind = 'seconds' | 'sessions' | 'vacuums' | 'check';

const INDICATORS: Record<string, { kind: Kind; label: string }> = {
  oldest_transaction_seconds: { kind: 'seconds', label: 'Oldest transaction of another client' },
  replication_lag_seconds: { kind: 'seconds', label: 'Replication lag of a replica' },
  lock_waiters: { kind: 'sessions', label: 'Sessions waiting on a lock for over 1 s' },
  wraparound_autovacuum: { kind: 'vacuums', label: 'Anti-wraparound autovacuum on a table the runbooks write' },
  external_check: { kind: 'check', label: 'External health check' },
};

/**
 * What an indicator is. A name the service does not define is the external check's own (its
 * answer's `indicator`, docs/spec.md §14).
 */
function indicatorOf(name: string): { kind: Kind; label: string; known: boolean } {
  const known = INDICATORS[name];
  return known ? { ...known, known: true } : { kind: 'check', label: `External health check “${name}”`, known: false };
}

/** The indicator's name in plain words: "Oldest transaction of another client". */
export function indicatorLabel(name: string): string {
  return indicatorOf(name).label;
}

/** A number as an operator reads it: whole above 10, one decimal below ("0.4", "312"). */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) || Math.abs(value) >= 10) return String(Math.round(value));
  return String(Math.round(value * 10) / 10);
}

/** A value in the indicator's unit: "312 s", "14 sessions", "1 running", or the bare number. */
export function formatIndicatorValue(name: string, value: number): string {
  switch (indicatorOf(name).kind) {
    case 'seconds':
      return `${formatNumber(value)} s`;
    case 'sessions':
      return `${formatNumber(value)} ${value === 1 ? 'session' : 'sessions'}`;
    case 'vacuums':
      return value === 0 ? 'none running' : `${formatNumber(value)} running`;
    case 'check':
      return formatNumber(value);
  }
}

/**
 * Whether the external check reads as the service reads it by itself: 1 (failing) or 0 (passing)
 * over a threshold of 0, with no numbers of its own.
 */
function plainCheck(reading: Pick<ReadingLike, 'name' | 'value' | 'threshold'>): boolean {
  return (
    indicatorOf(reading.name).known &&
    (reading.threshold === null || reading.threshold === 0) &&
    (reading.value === null || reading.value === 0 || reading.value === 1)
  );
}

/**
 * Whether the indicator is turned off: a threshold of 0 (or none) for those held against a
 * number. Not for the autovacuum one nor the external check, whose threshold of 0 means "any" and
 * "failing".
 */
export function indicatorOff(reading: Pick<ReadingLike, 'name' | 'threshold'>): boolean {
  if (reading.threshold === null) return true;
  const { kind } = indicatorOf(reading.name);
  return (kind === 'seconds' || kind === 'sessions') && reading.threshold <= 0;
}

/** The threshold in words: "300 s", "10 sessions", "any running", "off". */
export function thresholdWords(reading: Pick<ReadingLike, 'name' | 'value' | 'threshold'>): string {
  if (indicatorOff(reading) || reading.threshold === null) return 'off';
  switch (indicatorOf(reading.name).kind) {
    case 'vacuums':
      return 'any running';
    case 'check':
      return plainCheck(reading) ? 'fails on a non-2xx answer or none within 2 s' : formatNumber(reading.threshold);
    default:
      return formatIndicatorValue(reading.name, reading.threshold);
  }
}

/**
 * The threshold as the indicator's line says it after its value: "threshold 300 s", "threshold
 * off", "any running gates", "gates on a non-2xx answer, or none within 2 s".
 */
export function thresholdPhrase(reading: Pick<ReadingLike, 'name' | 'value' | 'threshold'>): string {
  if (indicatorOff(reading)) return 'threshold off';
  const { kind } = indicatorOf(reading.name);
  if (kind === 'vacuums') return 'any running gates';
  if (kind === 'check' && plainCheck(reading)) return 'gates on a non-2xx answer, or none within 2 s';
  return `threshold ${thresholdWords(reading)}`;
}

/** Whether the external check's samples are all its plain failing (1) / passing (0). */
export function plainCheckSamples(name: string, samples: readonly Pick<ReadingLike, 'value' | 'threshold'>[]): boolean {
  return (
    indicatorOf(name).kind === 'check' &&
    samples.length > 0 &&
    samples.every((sample) => plainCheck({ name, value: sample.value, threshold: sample.threshold }))
  );
}

/** The current value in words: "312 s", "failing", "not readable: grant pg_monitor". */
export function valueWords(reading: ReadingLike): string {
  if (reading.available === false || reading.value === null) return 'not readable: grant pg_monitor';
  if (indicatorOf(reading.name).kind === 'check' && plainCheck(reading)) {
    return (reading.over ?? reading.value > 0) ? 'failing' : 'passing';
  }
  return formatIndicatorValue(reading.name, reading.value);
}

/**
 * One reading as a sentence's worth, for the throttle banner and the gate's reason: "Oldest
 * transaction of another client: 312 s, threshold 300 s"; "External health check failing";
 * "Anti-wraparound autovacuum running on a table the runbooks write". `over` defaults to true:
 * a throttle's reading is the one over its threshold.
 */
export function readingWords(reading: Pick<ReadingLike, 'name' | 'value' | 'threshold' | 'over'>): string {
  const over = reading.over ?? true;
  const { kind, label } = indicatorOf(reading.name);
  const threshold = reading.threshold;
  if (kind === 'vacuums') {
    const count = reading.value ?? 0;
    if (!over && count === 0) return 'No anti-wraparound autovacuum on a table the runbooks write';
    return `Anti-wraparound autovacuum running on a table the runbooks write${count > 1 ? ` (${formatNumber(count)})` : ''}`;
  }
  if (kind === 'check' && plainCheck(reading)) {
    return `${label} ${over ? 'failing' : 'passing'}`;
  }
  // "14, threshold 10": the label already says they are sessions.
  const unit = (value: number) => (kind === 'sessions' ? formatNumber(value) : formatIndicatorValue(reading.name, value));
  const value = reading.value === null ? 'not readable' : unit(reading.value);
  const against =
    threshold === null || indicatorOff({ name: reading.name, threshold }) ? '' : `, threshold ${unit(threshold)}`;
  if (kind === 'check') return `${label} ${over ? 'failing' : 'passing'}: ${value}${against}`;
  return `${label}: ${value}${against}`;
}

/** What an operator can do about the indicator holding the gate, as a sentence without its full stop. */
export function throttleAdvice(name: string): string {
  switch (name) {
    case 'oldest_transaction_seconds':
      return 'Find the long transaction in pg_stat_activity (the oldest xact_start of a client other than atlas-ops) and have it committed or ended, or wait for it to finish';
    case 'replication_lag_seconds':
      return 'Look at the replicas’ replay_lag in pg_stat_replication and wait for them to catch up';
    case 'lock_waiters':
      return 'Find the blocking sessions (pg_blocking_pids() of the waiters in pg_stat_activity) and wait for them, or end them';
    case 'wraparound_autovacuum':
      return 'Let the anti-wraparound autovacuum finish (pg_stat_progress_vacuum shows how far it is); do not cancel it';
    default:
      return 'Find out why the external health check (HEALTH_CHECK_URL) fails and fix it, or wait for it to pass';
  }
}

/**
 * How the gate ends an episode by itself: "after 3 healthy samples in a row (about 15s)". Null
 * when the settings are not known yet.
 */
export function recoveryWords(settings: { recovery_samples: number; sample_every_seconds: number } | undefined): string | null {
  if (settings === undefined) return null;
  const { recovery_samples: samples, sample_every_seconds: every } = settings;
  const total = samples * every;
  const about = total < 1 ? 'less than a second' : `about ${formatDuration(total)}`;
  return `after ${samples} healthy ${samples === 1 ? 'sample' : 'samples'} in a row (${about})`;
}

/**
 * What the gate does to a held run, from its counts: the tenants already running finish, no other
 * starts. The gate holds every run, not only this one.
 */
export function heldSentence(counts: { total: number; processed: number; running: number }): string {
  const none = 'no tenant of this run, or of any other, starts until the database is healthy again';
  if (counts.running > 0) {
    return `${tenantCount(counts.running)} already running will finish; ${none.replace('no tenant of this run', 'no other tenant of this run')}.`;
  }
  if (counts.processed === 0) return `None of its ${tenantCount(counts.total)} has started: ${none}.`;
  return `${counts.processed} of ${tenantCount(counts.total)} are done; ${none}.`;
}

/** The sampling interval in words: "every 5s", "every 0.3 s". */
export function everyWords(seconds: number): string {
  return seconds < 1 ? `every ${formatNumber(seconds)} s` : `every ${formatDuration(seconds)}`;
}

// The health page's data: the last hour, fetched once, then only what is new.

/** How long the sampler keeps samples, and the page shows them. */
export const HOUR_MS = 60 * 60 * 1000;

export interface SampleHistory<S extends SampleLike = SampleLike, E extends EpisodeLike = EpisodeLike> {
  items: S[];
  episodes: E[];
}

/**
 * Adds what `GET /ops/health/samples?since=<last sample>` answered to what the page has: samples
 * deduplicated (the query's `since` is inclusive) and kept in time order, episodes updated by their
 * start (one that was lasting may have ended), and both trimmed to the hour before the newest
 * sample, on the server's clock.
 */
export function mergeSamples<S extends SampleLike, E extends EpisodeLike>(
  previous: SampleHistory<S, E> | undefined,
  next: SampleHistory<S, E>,
): SampleHistory<S, E> {
  if (previous === undefined) return next;
  const seen = new Set(previous.items.map((sample) => `${sample.sampled_at}|${sample.name}`));
  const items = [...previous.items, ...next.items.filter((sample) => !seen.has(`${sample.sampled_at}|${sample.name}`))];
  items.sort((a, b) => Date.parse(a.sampled_at) - Date.parse(b.sampled_at));
  const newest = items.length > 0 ? Date.parse(items[items.length - 1]!.sampled_at) : null;
  const cutoff = newest === null ? -Infinity : newest - HOUR_MS;
  const byStart = new Map(previous.episodes.map((episode) => [episode.started_at, episode]));
  for (const episode of next.episodes) byStart.set(episode.started_at, episode);
  const episodes = [...byStart.values()]
    .filter((episode) => episode.ended_at === null || Date.parse(episode.ended_at) >= cutoff)
    .sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at));
  return { items: items.filter((sample) => Date.parse(sample.sampled_at) >= cutoff), episodes };
}

/** The samples of each indicator, in time order, keyed by its name in order of first appearance. */
export function samplesByIndicator<S extends SampleLike>(items: readonly S[]): Map<string, S[]> {
  const byName = new Map<string, S[]>();
  for (const sample of items) {
    const list = byName.get(sample.name);
    if (list) list.push(sample);
    else byName.set(sample.name, [sample]);
  }
  return byName;
}

/** The time the charts span (ms): the first sample, or an hour before the last, to the last. */
export function chartSpan(items: readonly SampleLike[], minimumMs = 1000): { from: number; to: number } | null {
  if (items.length === 0) return null;
  const times = items.map((sample) => Date.parse(sample.sampled_at)).filter((ms) => !Number.isNaN(ms));
  if (times.length === 0) return null;
  const to = Math.max(...times);
  const from = Math.max(Math.min(...times), to - HOUR_MS);
  return { from, to: Math.max(to, from + minimumMs) };
}

/** 1, 2 or 5 times a power of ten, at least `value`: the top of a chart's scale. */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) {
    if (step * power >= value - 1e-9 * power) return step * power;
  }
  return 10 * power;
}

export interface IndicatorChart {
  /** SVG path data of the samples' line, broken where a sample could not be read. */
  line: string;
  /** Points read on their own (between two unreadable samples), drawn as dots. */
  dots: { x: number; y: number }[];
  /** Where the dashed threshold line is, or null when it is off. */
  thresholdY: number | null;
  /** The shaded throttled episodes, clipped to the span. */
  episodes: { x: number; width: number; lasting: boolean }[];
  /** The value at the top of the chart. */
  top: number;
  /** What the top and the bottom of the scale read: "500 s" and "0 s", or "failing" and "passing". */
  topLabel: string;
  bottomLabel: string;
}

/**
 * One indicator's chart over `span` in a `width` × `height` box: its samples as a line (y grows
 * downwards; the top is a round number above both the largest value and the threshold), its
 * threshold dashed, the gate's episodes shaded across the whole height.
 */
export function indicatorChart({
  name,
  samples,
  threshold,
  episodes,
  span,
  width,
  height,
}: {
  name: string;
  samples: readonly SampleLike[];
  threshold: number | null;
  episodes: readonly EpisodeLike[];
  span: { from: number; to: number };
  width: number;
  height: number;
}): IndicatorChart {
  // The external check as the service reads it is up (failing) or down (passing): no threshold
  // line on the floor, a scale that says so, and steps rather than slopes between samples — as
  // for the count of autovacuums.
  const check = plainCheckSamples(name, samples);
  const step = check || indicatorOf(name).kind === 'vacuums';
  const off = check || threshold === null || indicatorOff({ name, threshold });
  const values = samples.flatMap((sample) => (sample.value === null ? [] : [sample.value]));
  const top = check ? 1.05 : niceCeiling(Math.max(...values, off ? 0 : (threshold ?? 0), 0) * 1.1);
  const duration = Math.max(1, span.to - span.from);
  const x = (ms: number) => round(((Math.min(Math.max(ms, span.from), span.to) - span.from) / duration) * width);
  const y = (value: number) => round(height - (Math.min(Math.max(value, 0), top) / top) * height);

  const segments: { x: number; y: number }[][] = [];
  let current: { x: number; y: number }[] | null = null;
  for (const sample of samples) {
    const at = Date.parse(sample.sampled_at);
    if (sample.value === null || Number.isNaN(at) || at < span.from) {
      current = null;
      continue;
    }
    if (current === null) {
      current = [];
      segments.push(current);
    }
    current.push({ x: x(at), y: y(sample.value) });
  }
  const line = segments
    .filter((points) => points.length > 1)
    .map((points) =>
      points
        .map((point, index) => (index === 0 ? `M${point.x} ${point.y}` : step ? `H${point.x} V${point.y}` : `L${point.x} ${point.y}`))
        .join(' '),
    )
    .join(' ');
  const dots = segments.filter((points) => points.length === 1).map((points) => points[0]!);

  const shaded = episodes.flatMap((episode) => {
    const start = Date.parse(episode.started_at);
    const end = episode.ended_at === null ? span.to : Date.parse(episode.ended_at);
    if (Number.isNaN(start) || Number.isNaN(end) || end < span.from || start > span.to) return [];
    const left = x(start);
    return [{ x: left, width: Math.max(1, round(x(end) - left)), lasting: episode.ended_at === null }];
  });

  return {
    line,
    dots,
    thresholdY: off ? null : y(threshold ?? 0),
    episodes: shaded,
    top,
    topLabel: check ? 'failing' : formatIndicatorValue(name, top),
    bottomLabel: check ? 'passing' : formatIndicatorValue(name, 0),
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/**
 * The chart's summary for a screen reader (its `aria-label`) and the caption: "120 samples from
 * 14:02:05 to 15:02:00 UTC, between 0 s and 312 s, last 312 s; threshold 300 s, over it in 12
 * samples; 1 throttled episode, still lasting."
 */
export function chartSummary(
  name: string,
  samples: readonly SampleLike[],
  threshold: number | null,
  episodes: readonly EpisodeLike[],
): string {
  if (samples.length === 0) return 'No samples in the last hour.';
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  const values = samples.flatMap((sample) => (sample.value === null ? [] : [sample.value]));
  const unreadable = samples.length - values.length;
  const count = `${samples.length} ${samples.length === 1 ? 'sample' : 'samples'}`;
  const when =
    samples.length === 1
      ? `at ${clockTime(first.sampled_at)} UTC`
      : `from ${clockTime(first.sampled_at)} to ${clockTime(last.sampled_at)} UTC`;
  const check = indicatorOf(name).kind === 'check' && plainCheck({ name, value: null, threshold });
  const lastWords = last.value === null ? 'not readable' : valueWords(last);
  const range =
    values.length === 0
      ? 'none of them readable'
      : `${unreadable > 0 ? `${unreadable} not readable, ` : ''}${
          check
            ? ''
            : Math.min(...values) === Math.max(...values)
              ? `all ${formatIndicatorValue(name, values[0]!)}, `
              : `between ${formatIndicatorValue(name, Math.min(...values))} and ${formatIndicatorValue(name, Math.max(...values))}, `
        }last ${lastWords}`;
  const overCount = samples.filter((sample) => sample.over).length;
  const against =
    threshold === null || indicatorOff({ name, threshold })
      ? 'threshold off'
      : check
        ? `failing in ${overCount} of them`
        : `threshold ${thresholdWords({ name, value: null, threshold })}, over it in ${overCount} of them`;
  const lasting = episodes.filter((episode) => episode.ended_at === null).length;
  const shaded =
    episodes.length === 0
      ? 'no throttled episode'
      : `${episodes.length} throttled ${episodes.length === 1 ? 'episode' : 'episodes'}${
          lasting > 0 ? (episodes.length === 1 ? ', still lasting' : `, ${lasting} still lasting`) : episodes.length === 1 ? ', ended' : ', all ended'
        }`;
  return `${count} ${when}, ${range}; ${against}; ${shaded}.`;
}
