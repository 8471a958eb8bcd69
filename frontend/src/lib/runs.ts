// Helpers for reading a run at 1,000 tenants (docs/spec.md §18): the stall banner's words, an item's
// duration, retry lineage, the CSV links and the per-minute chart's geometry.

import { formatDuration, secondsBetween, tenantLabel } from './format';

/** `HH:MM:SS` of an RFC 3339 instant, in UTC like every time in the console. */
export function clockTime(value: string): string {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString().slice(11, 19);
}

/**
 * The stall banner's sentence: "No tenant has finished since 12:03:04 UTC — Acme Tenant 7
 * (tenant-007) has been running for 4m 30s." `runningSince` is the stuck item's `started_at` when
 * the page has it; otherwise the stall's own start stands in for it.
 */
export function stallSentence(
  stall: { since: string; tenant_external_id: string },
  tenant: string,
  runningSince: string | null,
  now: Date,
): string {
  // The same clock as the item's Duration cell, so the banner and the table agree.
  const running = secondsBetween(runningSince ?? stall.since, now.toISOString()) ?? 0;
  return `No tenant has finished since ${clockTime(stall.since)} UTC — ${tenant} has been running for ${formatDuration(running)}.`;
}

/** The other tenants a stalled run waits on (docs/spec.md §18), or "" when it waits on one. */
export function stallOthers(stall: { running: number; others: string[] }): string {
  if (stall.others.length === 0) return '';
  const unnamed = stall.running - 1 - stall.others.length;
  const more = unnamed > 0 ? ` and ${unnamed} more` : '';
  return `Also running without finishing: ${stall.others.join(', ')}${more}.`;
}

/**
 * An item's duration: its last attempt's, as the server measured it when the table was fetched
 * (`asOf`, ms), plus the time since for an item still running; "—" before its first attempt.
 * A retried item's time does not include the wait for its retry (docs/spec.md §21).
 */
export function itemDuration(
  item: { status: string; duration_seconds: number | null },
  now: Date,
  asOf: number,
): string {
  if (item.duration_seconds === null) return '—';
  const since = item.status === 'running' ? Math.max(0, (now.getTime() - asOf) / 1000) : 0;
  return formatDuration(item.duration_seconds + since);
}

/** An attempt's duration: from its start to its end, or to `now` while it runs. */
export function attemptDuration(attempt: { started_at: string; finished_at: string | null }, now: Date): string {
  const seconds = secondsBetween(attempt.started_at, attempt.finished_at ?? now.toISOString());
  return seconds === null ? '—' : formatDuration(seconds);
}

/** How an attempt ended, in a word: `running` while open, `failed` with an error, else `succeeded`. */
export function attemptOutcome(attempt: { finished_at: string | null; error: string | null }): 'running' | 'failed' | 'succeeded' {
  if (attempt.finished_at === null) return 'running';
  return attempt.error ? 'failed' : 'succeeded';
}

/**
 * A runbook's latest run in words for its catalogue card: `succeeded · 5 min ago` for a
 * completed run, `running` (or `queued`) for an active one.
 */
export function lastRunWords(run: { status: string; outcome: string | null; completed_at: string | null }, now: Date): string {
  if (run.status !== 'completed') return run.status;
  const outcome = outcomeWord(run.outcome);
  return run.completed_at === null ? outcome : `${outcome} · ${timeAgo(run.completed_at, now)}`;
}

/** How long ago an instant was, coarsely: `just now`, `5 min ago`, `3 h ago`, `2 days ago`. */
export function timeAgo(value: string, now: Date): string {
  const seconds = secondsBetween(value, now.toISOString());
  if (seconds === null) return value;
  if (seconds < 60) return 'just now';
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} days ago`;
}

/** A run's item's tenant as a person reads it: `Acme Tenant 5 (tenant-005)`; one deleted since
 * (no name) by its external id alone. */
export function itemTenantLabel(item: { tenant_name: string; tenant_external_id: string }): string {
  return item.tenant_name ? tenantLabel({ name: item.tenant_name, external_id: item.tenant_external_id }) : item.tenant_external_id;
}

/** An error as stored, with its SQLSTATE when the database gave one: `… (SQLSTATE 23514)`. */
export function itemError(item: { error: string | null; error_sqlstate: string | null }): string {
  if (item.error === null || item.error === '') return '';
  // The backend stores the text with its SQLSTATE already (docs/spec.md §18); older rows may lack it.
  if (!item.error_sqlstate || item.error.includes(`SQLSTATE ${item.error_sqlstate}`)) return item.error;
  return `${item.error} (SQLSTATE ${item.error_sqlstate})`;
}

/** Words for a retry's outcome in the lineage line. */
export function outcomeWord(outcome: string | null): string {
  return outcome === null ? 'running' : outcome.replace(/_/g, ' ');
}

/**
 * A CSV export's address with the list's current filters (empty ones left out), the same query
 * the table asks the JSON endpoint with.
 */
export function csvHref(path: string, filters: Record<string, string | number | null | undefined>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) {
    if (value !== null && value !== undefined && value !== '') query.set(name, String(value));
  }
  const text = query.toString();
  return text === '' ? path : `${path}?${text}`;
}

/** A `YYYY-MM-DD` from a date input as the API's instant: that day's 00:00 UTC. */
export function dayStart(day: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(day) ? `${day}T00:00:00Z` : day;
}

export interface TimelineBar {
  minute: string;
  x: number;
  width: number;
  succeeded: { y: number; height: number };
  failed: { y: number; height: number };
}

/**
 * Bars for the per-minute chart: one per bucket across `width`, succeeded stacked under failed,
 * scaled so the busiest minute fills `height`. `max` is that busiest minute's total (at least 1).
 */
export function timelineBars(
  buckets: { minute: string; succeeded: number; failed: number }[],
  width: number,
  height: number,
): { bars: TimelineBar[]; max: number } {
  const max = Math.max(1, ...buckets.map((b) => b.succeeded + b.failed));
  // A short run keeps narrow bars from the left (its first minutes), not one bar as wide as the chart.
  const slot = buckets.length === 0 ? width : Math.min(width / buckets.length, width / 30);
  const gap = slot > 4 ? Math.min(2, slot * 0.2) : 0;
  const bars = buckets.map((bucket, index) => {
    const ok = (bucket.succeeded / max) * height;
    // A few failures among many successes still show: at least 4 % of the height.
    const bad = bucket.failed > 0 ? Math.max((bucket.failed / max) * height, height * 0.04) : 0;
    const okShown = Math.min(ok, height - bad);
    return {
      minute: bucket.minute,
      x: index * slot + gap / 2,
      width: Math.max(0.5, slot - gap),
      succeeded: { y: height - okShown, height: okShown },
      failed: { y: height - okShown - bad, height: bad },
    };
  });
  return { bars, max };
}
