// A run's change log as the console reads it (docs/spec.md §15): each changed row's columns as
// `column: before → after` lines, the rows grouped by tenant, and the words around them. Also the
// preflight's sample, whose would-be changes read the same way.

import { formatTimestamp } from './format';

/**
 * The columns the runbooks change, in the order a change reads best: the rebuild's status and
 * lifecycle instants in their life order, then Close Stale's reason. A column not listed (a newer
 * runbook's) comes after them, in the order the server sent it.
 */
export const CHANGE_COLUMNS: readonly string[] = [
  'status',
  'first_seen_at',
  'last_seen_at',
  'times_seen',
  'due_at',
  'triaged_at',
  'resolved_at',
  'closed_at',
  'closed_reason',
];

/** An RFC 3339 instant as the API writes one (`Z` or an offset, with or without fractions). */
const INSTANT = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** A column's value as shown: its text, and whether it is empty (null), which reads muted. */
export interface ShownValue {
  text: string;
  empty: boolean;
}

/**
 * One value of a changed column in words: null (or missing) is "empty", an instant is read in UTC
 * like every time in the console (`2026-03-02 10:00:00 UTC`), an empty text is `""` so it does not
 * read as nothing, and anything else as it is (an object as JSON).
 */
export function changeValue(value: unknown): ShownValue {
  if (value === null || value === undefined) return { text: 'empty', empty: true };
  if (typeof value === 'string') {
    if (value === '') return { text: '""', empty: false };
    return { text: INSTANT.test(value) ? formatTimestamp(value) : value, empty: false };
  }
  if (typeof value === 'object') return { text: JSON.stringify(value), empty: false };
  return { text: String(value), empty: false };
}

/**
 * An instant to the millisecond (`2026-03-02 10:00:00.250 UTC`), for the rare change that moved an
 * instant by less than a second, which {@link changeValue}'s whole seconds would show as no change.
 */
function preciseInstant(value: unknown): ShownValue | null {
  if (typeof value !== 'string' || !INSTANT.test(value)) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return null;
  return { text: `${new Date(ms).toISOString().replace('T', ' ').replace('Z', '')} UTC`, empty: false };
}

/**
 * Fields whose value differs between before and after (all fields when none differ, `—` when
 * there are none): a change-log row holds only the columns it changed; a preflight's sample holds
 * whole rows.
 */
export function changedFields(
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown> | undefined,
): string[] {
  const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])];
  const changed = keys.filter((key) => JSON.stringify(before?.[key]) !== JSON.stringify(after?.[key]));
  return changed.length > 0 ? changed : keys.length > 0 ? keys : ['—'];
}

/** `columns` in {@link CHANGE_COLUMNS} order, the others after them as given. */
export function inColumnOrder(columns: readonly string[]): string[] {
  const rank = (column: string) => {
    const index = CHANGE_COLUMNS.indexOf(column);
    return index === -1 ? CHANGE_COLUMNS.length : index;
  };
  return columns
    .map((column, index) => ({ column, index }))
    .sort((a, b) => rank(a.column) - rank(b.column) || a.index - b.index)
    .map(({ column }) => column);
}

/** One changed column of a row: `status: acknowledged → triaged`. */
export interface ChangeLine {
  column: string;
  before: ShownValue;
  after: ShownValue;
}

/**
 * A changed row in words, one line per column it changed, in {@link CHANGE_COLUMNS} order. Where
 * two different instants read the same to the second, both are shown to the millisecond.
 */
export function changeLines(change: { before: Record<string, unknown>; after: Record<string, unknown> }): ChangeLine[] {
  return inColumnOrder(changedFields(change.before, change.after)).map((column) => {
    const rawBefore = change.before[column];
    const rawAfter = change.after[column];
    let before = changeValue(rawBefore);
    let after = changeValue(rawAfter);
    if (before.text === after.text && rawBefore !== rawAfter) {
      before = preciseInstant(rawBefore) ?? before;
      after = preciseInstant(rawAfter) ?? after;
    }
    return { column, before, after };
  });
}

/** A line as text: `status: acknowledged → triaged`, `triaged_at: empty → 2026-03-02 10:00:00 UTC`. */
export function changeLineText(line: ChangeLine): string {
  return `${line.column}: ${line.before.text} → ${line.after.text}`;
}

/** A changed row summed up on one line: its lines joined with `; `. */
export function changeSummary(change: { before: Record<string, unknown>; after: Record<string, unknown> }): string {
  return changeLines(change).map(changeLineText).join('; ');
}

/** "1 row changed", "1,234 rows changed". */
export function rowsChanged(total: number): string {
  return `${total.toLocaleString('en-US')} ${total === 1 ? 'row' : 'rows'} changed`;
}

/**
 * The rows of a page by tenant, in the server's order (by tenant, then as written): one group
 * per run of the same tenant.
 */
export function byTenant<R extends { tenant_id: number }>(rows: readonly R[]): { tenantId: number; rows: R[] }[] {
  const groups: { tenantId: number; rows: R[] }[] = [];
  for (const row of rows) {
    const last = groups.at(-1);
    if (last && last.tenantId === row.tenant_id) last.rows.push(row);
    else groups.push({ tenantId: row.tenant_id, rows: [row] });
  }
  return groups;
}

/** A run's item as the tenant filter reads it. */
export interface TenantItem {
  tenant_id: number;
  tenant_name: string;
  tenant_external_id: string;
  findings_changed: number;
}

/**
 * The tenant the Changes filter means by `text`, from the run's items that match it (the items
 * search: name or external id): the tenant whose external id or name is `text` exactly, else the
 * only matching tenant that changed something; otherwise the tenants to choose from (those that
 * changed something: another has no rows to show).
 */
export function pickTenant<T extends TenantItem>(text: string, items: readonly T[]): { pick: T } | { choices: T[] } {
  const wanted = text.trim().toLowerCase();
  const changed = items.filter((item) => item.findings_changed > 0);
  const exact = changed.find(
    (item) => item.tenant_external_id.toLowerCase() === wanted || item.tenant_name.toLowerCase() === wanted,
  );
  if (exact) return { pick: exact };
  const [only, ...others] = changed;
  if (only && others.length === 0) return { pick: only };
  return { choices: changed };
}

/**
 * Whether two values of a column are the same, as the server compares them (docs/spec.md §15):
 * decoded, so an instant is compared by the moment it names, never as text (`+00:00` and `Z`
 * forms alike), and anything else by its JSON.
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string' && INSTANT.test(a) && INSTANT.test(b)) {
    const left = Date.parse(a);
    const right = Date.parse(b);
    if (!Number.isNaN(left) && !Number.isNaN(right)) return left === right;
  }
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** One column of a conflict: what the run overwrote, what it wrote, and what the row holds now. */
export interface ConflictLine {
  column: string;
  before: ShownValue;
  written: ShownValue;
  now: ShownValue;
}

/**
 * A conflict of a revert preflight (a row the application changed since the run wrote it) in
 * words: the columns the run wrote that no longer hold what it wrote, in {@link CHANGE_COLUMNS}
 * order — all of them when none reads different here — or null when the row was deleted since.
 */
export function conflictLines(conflict: {
  before: Record<string, unknown>;
  written: Record<string, unknown>;
  after: Record<string, unknown> | null;
}): ConflictLine[] | null {
  const now = conflict.after;
  if (now === null) return null;
  const columns = inColumnOrder(Object.keys(conflict.written));
  const moved = columns.filter((column) => !sameValue(conflict.written[column], now[column]));
  return (moved.length > 0 ? moved : columns).map((column) => ({
    column,
    before: changeValue(conflict.before[column]),
    written: changeValue(conflict.written[column]),
    now: changeValue(now[column]),
  }));
}

/** "1 row", "1,234 rows". */
export function rowCount(total: number): string {
  return `${total.toLocaleString('en-US')} ${total === 1 ? 'row' : 'rows'}`;
}
