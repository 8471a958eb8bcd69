import { describe, expect, it } from 'vitest';
import {
  byTenant,
  changeLines,
  changeLineText,
  changeSummary,
  changeValue,
  changedFields,
  conflictLines,
  inColumnOrder,
  pickTenant,
  rowCount,
  rowsChanged,
  sameValue,
} from './changes';

describe('change values', () => {
  it('reads null as empty, an instant in UTC, and other values as they are', () => {
    expect(changeValue(null)).toEqual({ text: 'empty', empty: true });
    expect(changeValue(undefined)).toEqual({ text: 'empty', empty: true });
    expect(changeValue('2026-03-02T10:00:00Z')).toEqual({ text: '2026-03-02 10:00:00 UTC', empty: false });
    // SQLite's offset form and fractions read the same way.
    expect(changeValue('2026-03-02T11:00:00.123456+01:00').text).toBe('2026-03-02 10:00:00 UTC');
    expect(changeValue('acknowledged')).toEqual({ text: 'acknowledged', empty: false });
    expect(changeValue('')).toEqual({ text: '""', empty: false });
    expect(changeValue(3)).toEqual({ text: '3', empty: false });
    expect(changeValue(0).text).toBe('0');
    expect(changeValue(false).text).toBe('false');
    expect(changeValue({ a: [1] }).text).toBe('{"a":[1]}');
    // A date-like text that is not an instant stays as it is.
    expect(changeValue('2026-03-02').text).toBe('2026-03-02');
  });
});

describe('changed rows', () => {
  const change = {
    before: { triaged_at: null, status: 'acknowledged', closed_reason: null, legacy: 1 },
    after: { triaged_at: '2026-03-02T10:00:00Z', status: 'triaged', closed_reason: 'stale', legacy: 2 },
  };

  it('lists each changed column as before → after, status first and lifecycle in life order', () => {
    const lines = changeLines(change);
    expect(lines.map(changeLineText)).toEqual([
      'status: acknowledged → triaged',
      'triaged_at: empty → 2026-03-02 10:00:00 UTC',
      'closed_reason: empty → stale',
      'legacy: 1 → 2',
    ]);
    expect(lines[1]?.before.empty).toBe(true);
    expect(lines[1]?.after.empty).toBe(false);
    expect(changeSummary(change)).toBe(
      'status: acknowledged → triaged; triaged_at: empty → 2026-03-02 10:00:00 UTC; closed_reason: empty → stale; legacy: 1 → 2',
    );
  });

  it('shows instants to the millisecond where whole seconds would read as no change', () => {
    const lines = changeLines({
      before: { last_seen_at: '2026-03-02T10:00:00.250Z' },
      after: { last_seen_at: '2026-03-02T10:00:00Z' },
    });
    expect(changeLineText(lines[0]!)).toBe('last_seen_at: 2026-03-02 10:00:00.250 UTC → 2026-03-02 10:00:00.000 UTC');
  });

  it('orders columns the runbooks change first, others after as sent', () => {
    expect(inColumnOrder(['closed_at', 'zeta', 'status', 'alpha', 'first_seen_at'])).toEqual([
      'status',
      'first_seen_at',
      'closed_at',
      'zeta',
      'alpha',
    ]);
  });

  it('finds the fields that differ, or all of them when none does', () => {
    expect(changedFields({ a: 1, b: 2 }, { a: 1, b: 3 })).toEqual(['b']);
    expect(changedFields({ a: 1 }, { a: 1 })).toEqual(['a']);
    expect(changedFields({}, {})).toEqual(['—']);
    expect(changedFields(undefined, { a: null })).toEqual(['a']);
  });

  it('counts rows in words', () => {
    expect(rowsChanged(0)).toBe('0 rows changed');
    expect(rowsChanged(1)).toBe('1 row changed');
    expect(rowsChanged(1234)).toBe('1,234 rows changed');
  });

  it('groups a page by tenant in the order sent', () => {
    const rows = [
      { tenant_id: 3, finding_id: 1 },
      { tenant_id: 3, finding_id: 2 },
      { tenant_id: 7, finding_id: 3 },
    ];
    expect(byTenant(rows)).toEqual([
      { tenantId: 3, rows: [rows[0], rows[1]] },
      { tenantId: 7, rows: [rows[2]] },
    ]);
    expect(byTenant([])).toEqual([]);
  });
});

describe('tenant filter', () => {
  const item = (id: number, name: string, changed: number) => ({
    tenant_id: id,
    tenant_name: name,
    tenant_external_id: `tenant-${String(id).padStart(3, '0')}`,
    findings_changed: changed,
  });
  const items = [item(5, 'Acme Tenant 5', 12), item(50, 'Acme Tenant 50', 3), item(51, 'Acme Tenant 51', 0)];

  it('picks the tenant named exactly, by external id or name, whatever the case', () => {
    expect(pickTenant('tenant-005', items)).toEqual({ pick: items[0] });
    expect(pickTenant(' ACME TENANT 50 ', items)).toEqual({ pick: items[1] });
  });

  it('picks the only matching tenant that changed something, else offers those that did', () => {
    expect(pickTenant('Tenant 5', [items[0]!, items[2]!])).toEqual({ pick: items[0] });
    expect(pickTenant('Acme', items)).toEqual({ choices: [items[0], items[1]] });
    // A tenant that changed nothing has no rows to show, even named exactly.
    expect(pickTenant('tenant-051', [items[2]!])).toEqual({ choices: [] });
  });
});

describe('revert conflicts (docs/spec.md §15)', () => {
  it('compares instants by the moment they name, never as text, and other values by their JSON', () => {
    expect(sameValue('2026-03-02T10:00:00Z', '2026-03-02T10:00:00+00:00')).toBe(true);
    expect(sameValue('2026-03-02T10:00:00Z', '2026-03-02T11:00:00+01:00')).toBe(true);
    expect(sameValue('2026-03-02T10:00:00Z', '2026-03-02T10:00:01Z')).toBe(false);
    expect(sameValue(null, undefined)).toBe(true);
    expect(sameValue(26, 30)).toBe(false);
    expect(sameValue('open', 'open')).toBe(true);
  });

  it('lists the columns that no longer hold what the run wrote, with what they hold now', () => {
    const lines = conflictLines({
      before: { due_at: null, first_seen_at: null, times_seen: 8 },
      written: { due_at: '2025-01-04T01:19:00Z', first_seen_at: '2025-01-01T01:19:00Z', times_seen: 26 },
      // The row as stored now: the same instants in SQLite's offset form, a new count.
      after: { due_at: '2025-01-04T01:19:00+00:00', first_seen_at: '2025-01-01T01:19:00+00:00', times_seen: 30 },
    });
    expect(lines).toEqual([
      {
        column: 'times_seen',
        before: { text: '8', empty: false },
        written: { text: '26', empty: false },
        now: { text: '30', empty: false },
      },
    ]);
  });

  it('lists every written column when none reads different, and says null for a deleted row', () => {
    const same = conflictLines({ before: { status: 'open' }, written: { status: 'triaged' }, after: { status: 'triaged' } });
    expect(same?.map((line) => line.column)).toEqual(['status']);
    expect(conflictLines({ before: { resolved_at: null }, written: { resolved_at: '2025-01-31T18:14:00Z' }, after: null })).toBeNull();
  });

  it('counts rows', () => {
    expect(rowCount(1)).toBe('1 row');
    expect(rowCount(17944)).toBe('17,944 rows');
  });
});
