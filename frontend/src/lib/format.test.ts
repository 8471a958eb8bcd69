import { describe, expect, it } from 'vitest';
import {
  clampPercent,
  formatDuration,
  formatEta,
  formatPercent,
  formatScope,
  tenantLabel,
  formatTimestamp,
  remainingLabel,
  runState,
  scopeLabel,
  secondsBetween,
} from './format';

describe('clampPercent', () => {
  it('keeps values inside 0–100', () => {
    expect(clampPercent(0)).toBe(0);
    expect(clampPercent(42.5)).toBe(42.5);
    expect(clampPercent(100)).toBe(100);
  });

  it('clamps values outside 0–100', () => {
    expect(clampPercent(-3)).toBe(0);
    expect(clampPercent(140)).toBe(100);
  });

  it('treats missing and non-finite values as 0', () => {
    expect(clampPercent(null)).toBe(0);
    expect(clampPercent(undefined)).toBe(0);
    expect(clampPercent(Number.NaN)).toBe(0);
    expect(clampPercent(Number.POSITIVE_INFINITY)).toBe(0);
  });
});

describe('formatPercent', () => {
  it('rounds down so an unfinished run never shows 100%', () => {
    expect(formatPercent(99.6)).toBe('99%');
    expect(formatPercent(100)).toBe('100%');
    expect(formatPercent(150)).toBe('100%');
    expect(formatPercent(null)).toBe('0%');
  });
});

describe('formatDuration', () => {
  it('shows seconds below a minute', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(45)).toBe('45s');
    expect(formatDuration(44.6)).toBe('45s');
  });

  it('shows the two most significant units', () => {
    expect(formatDuration(125)).toBe('2m 5s');
    expect(formatDuration(120)).toBe('2m');
    expect(formatDuration(3725)).toBe('1h 2m');
    expect(formatDuration(7200)).toBe('2h');
    expect(formatDuration(3 * 86_400 + 4 * 3600 + 59)).toBe('3d 4h');
    expect(formatDuration(86_400)).toBe('1d');
  });

  it('reads negative and non-finite input as 0s', () => {
    expect(formatDuration(-5)).toBe('0s');
    expect(formatDuration(Number.NaN)).toBe('0s');
  });
});

describe('formatEta', () => {
  it('says when there is no estimate yet', () => {
    expect(formatEta(null)).toBe('Estimating…');
  });

  it('formats the remaining time', () => {
    expect(formatEta(0)).toBe('Less than a second');
    expect(formatEta(90)).toBe('About 1m 30s');
  });
});

describe('remainingLabel', () => {
  const now = Date.parse('2026-12-07T10:00:30Z');
  const run = {
    eta_seconds: 53,
    started_at: '2026-12-07T09:59:00Z',
    last_progress_at: '2026-12-07T10:00:25Z',
    stalled: null,
  };

  it('gives the estimate while tenants finish', () => {
    expect(remainingLabel(run, now)).toBe('Remaining: About 53s');
  });

  it('says why a growing estimate grows once no tenant has finished for 10 s', () => {
    expect(remainingLabel({ ...run, last_progress_at: '2026-12-07T10:00:16Z' }, now)).toBe(
      'Remaining: About 53s, rising: no tenant has finished for 14s',
    );
    // Before the first tenant finishes, from the start.
    expect(remainingLabel({ ...run, last_progress_at: null }, now)).toBe(
      'Remaining: About 53s, rising: no tenant has finished for 1m 30s',
    );
  });

  it('has no estimate while stalled or before one exists', () => {
    expect(remainingLabel({ ...run, stalled: { since: 'x' } }, now)).toBe('Remaining: unknown while stalled');
    expect(remainingLabel({ ...run, eta_seconds: null, last_progress_at: null }, now)).toBe(
      'Remaining: Estimating…',
    );
  });

  it('says "paused", not a number or "Estimating…", while the run is paused', () => {
    expect(remainingLabel({ ...run, status: 'paused', eta_seconds: null }, now)).toBe('Remaining: paused');
    // Held by the database health gate (docs/spec.md §14): the server sends no estimate either.
    const held = { ...run, status: 'running' as const, eta_seconds: null, throttle: { indicator: 'external_check' } };
    expect(remainingLabel(held, now)).toBe('Remaining: unknown while the health gate holds it');
    expect(remainingLabel({ ...held, throttle: null, eta_seconds: 53 }, now)).toBe('Remaining: About 53s');
    expect(remainingLabel({ ...run, status: 'running' }, now)).toBe('Remaining: About 53s');
  });
});

describe('secondsBetween', () => {
  it('measures the time between two timestamps', () => {
    expect(secondsBetween('2025-01-01T10:00:00Z', '2025-01-01T10:02:30Z')).toBe(150);
  });

  it('returns null when either end is missing or unreadable', () => {
    expect(secondsBetween(null, '2025-01-01T10:00:00Z')).toBeNull();
    expect(secondsBetween('2025-01-01T10:00:00Z', null)).toBeNull();
    expect(secondsBetween('yesterday', '2025-01-01T10:00:00Z')).toBeNull();
  });
});

describe('formatTimestamp', () => {
  it('renders UTC regardless of the offset in the input', () => {
    expect(formatTimestamp('2025-03-04T05:06:07Z')).toBe('2025-03-04 05:06:07 UTC');
    expect(formatTimestamp('2025-03-04T07:06:07+02:00')).toBe('2025-03-04 05:06:07 UTC');
  });

  it('shows a dash for null and leaves unreadable input as it is', () => {
    expect(formatTimestamp(null)).toBe('—');
    expect(formatTimestamp('not a date')).toBe('not a date');
  });
});

describe('formatScope', () => {
  it('names the scope', () => {
    expect(formatScope({ kind: 'all_tenants' })).toBe('All tenants');
    // Only the internal id is known: it must not read as a tenant's name (issue 16, obs. 2).
    expect(formatScope({ kind: 'tenant', tenant_id: 12 })).toBe('Tenant #12');
  });

  it('names the tenant "name (external_id)" once the view carries it', () => {
    const tenant = { id: 43, name: 'Hidden Tenant 42', external_id: 'hx-tenant-42' };
    expect(formatScope({ kind: 'tenant', tenant_id: 43, tenant })).toBe(
      'Tenant Hidden Tenant 42 (hx-tenant-42)',
    );
    expect(tenantLabel(tenant)).toBe('Hidden Tenant 42 (hx-tenant-42)');
  });

  it('reads a retry run\'s scope as "2 tenants (retry of #32)"', () => {
    expect(formatScope({ kind: 'tenants', tenant_ids: [4, 9], count: 2, retry_of: 32 })).toBe('2 tenants (retry of #32)');
  });

  it('reads a list scope by its count, not by the ids shown, and never as a retry without retry_of', () => {
    expect(formatScope({ kind: 'tenants', tenant_ids: [4], count: 1, retry_of: null })).toBe('1 listed tenant');
    const first100 = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(formatScope({ kind: 'tenants', tenant_ids: first100, count: 1000, retry_of: null })).toBe('1000 listed tenants');
  });

  it('names a workspace scope with its tenant count', () => {
    expect(formatScope({ kind: 'workspace', workspace_id: 3, workspace: { id: 3, name: 'Acme' }, count: 12 })).toBe(
      'Workspace Acme (12 tenants)',
    );
  });
});

describe('scopeLabel (the server\'s words for a ScopeView)', () => {
  it('labels every kind', () => {
    expect(scopeLabel({ kind: 'all_tenants' })).toBe('all tenants');
    expect(
      scopeLabel({ kind: 'tenant', tenant_id: 43, tenant: { id: 43, name: 'Hidden Tenant 42', external_id: 'hx-tenant-42' } }),
    ).toBe('Hidden Tenant 42 (hx-tenant-42)');
    expect(scopeLabel({ kind: 'tenants', tenant_ids: [1, 2, 3], count: 3, retry_of: null })).toBe('3 listed tenants');
    expect(scopeLabel({ kind: 'tenants', tenant_ids: [4, 9], count: 2, retry_of: 32 })).toBe('2 tenants (retry of #32)');
    expect(scopeLabel({ kind: 'tenants', tenant_ids: [4], count: 1, retry_of: 32 })).toBe('1 tenant (retry of #32)');
    expect(scopeLabel({ kind: 'workspace', workspace_id: 3, workspace: { id: 3, name: 'Acme' }, count: 12 })).toBe(
      'workspace Acme (12 tenants)',
    );
  });

  it('says "(revert of #N)" for a revert run\'s tenants, as the server does (docs/spec.md §15)', () => {
    expect(scopeLabel({ kind: 'tenants', tenant_ids: [4, 9, 11], count: 3, retry_of: null, reverts_run_id: 32 })).toBe(
      '3 tenants (revert of #32)',
    );
    expect(scopeLabel({ kind: 'tenants', tenant_ids: [4], count: 1, retry_of: null, reverts_run_id: 32 })).toBe(
      '1 tenant (revert of #32)',
    );
    expect(formatScope({ kind: 'tenants', tenant_ids: [4, 9], count: 2, retry_of: null, reverts_run_id: 32 })).toBe(
      '2 tenants (revert of #32)',
    );
    // A list without either is the operator's list; a retry of a revert run reads as a retry.
    expect(scopeLabel({ kind: 'tenants', tenant_ids: [4], count: 1, retry_of: null, reverts_run_id: null })).toBe(
      '1 listed tenant',
    );
    expect(scopeLabel({ kind: 'tenants', tenant_ids: [4], count: 1, retry_of: 40, reverts_run_id: 32 })).toBe(
      '1 tenant (retry of #40)',
    );
  });

  it('shows an internal id as "#n" where the view names nothing, never as a name', () => {
    expect(scopeLabel({ kind: 'tenant', tenant_id: 12 })).toBe('tenant #12');
    expect(scopeLabel({ kind: 'tenant', tenant_id: 12, tenant: null })).toBe('tenant #12');
    expect(scopeLabel({ kind: 'workspace', workspace_id: 7, workspace: null, count: 1 })).toBe('workspace #7 (1 tenant)');
  });
});

describe('runState', () => {
  it('shows the status while the run is active', () => {
    expect(runState({ status: 'queued', outcome: null })).toEqual({
      key: 'queued',
      label: 'Queued',
    });
    expect(runState({ status: 'running', outcome: null }).label).toBe('Running');
  });

  it('shows the outcome once completed', () => {
    expect(runState({ status: 'completed', outcome: 'partially_succeeded' })).toEqual({
      key: 'partially_succeeded',
      label: 'Partially succeeded',
    });
    expect(runState({ status: 'completed', outcome: 'cancelled' }).label).toBe('Cancelled');
  });

  it('falls back to the status when a completed run has no outcome', () => {
    expect(runState({ status: 'completed', outcome: null }).label).toBe('Completed');
  });
});
