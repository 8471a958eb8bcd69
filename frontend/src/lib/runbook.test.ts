import { describe, expect, it } from 'vitest';
import {
  overlappingRun,
  preflightFoundNothing,
  reasonTextError,
  ruleLabel,
  ruleRows,
  scopesOverlap,
  startedToastTitle,
  targetableTenants,
} from './runbook';

describe('targetableTenants', () => {
  it('drops the platform tenant even if the API returned it', () => {
    const tenants = [
      { id: 1, external_id: 'platform', name: 'Platform' },
      { id: 2, external_id: 'tenant-001', name: 'Acme 1' },
      { id: 3, external_id: 'PLATFORM ', name: 'Platform (odd spelling)' },
    ];
    expect(targetableTenants(tenants).map((tenant) => tenant.id)).toEqual([2]);
  });

  it('keeps tenants whose id merely contains the word', () => {
    const tenants = [{ id: 4, external_id: 'platform-team-sandbox', name: 'Sandbox' }];
    expect(targetableTenants(tenants)).toHaveLength(1);
  });
});

describe('reasonTextError', () => {
  it('needs 10 to 500 characters after trimming, as the server counts them', () => {
    expect(reasonTextError('too short')).toMatch(/at least 10/);
    expect(reasonTextError('   short    ')).toMatch(/at least 10/);
    expect(reasonTextError('0123456789')).toBeNull();
    expect(reasonTextError('x'.repeat(500))).toBeNull();
    expect(reasonTextError('x'.repeat(501))).toMatch(/at most 500/);
  });

  it('counts characters, not UTF-16 units', () => {
    expect(reasonTextError('🙂'.repeat(10))).toBeNull();
    expect(reasonTextError('🙂'.repeat(9))).toMatch(/at least 10/);
  });
});

// As `GET /ops/runbooks/findings.stale.close` serves them; the SPA names no rule of its own.
const STALE_RULES = [
  {
    key: 'S1',
    name: 'close_stale',
    description: 'open findings of the chosen severities last seen before the cutoff are closed as stale',
  },
];
const LIFECYCLE_RULES = [
  { key: 'R1', name: 'first_seen', description: 'first_seen_at := coalesce(first_seen_at, created_at)' },
  { key: 'R2', name: 'last_seen', description: 'last_seen_at is set and never before first_seen_at' },
];

describe('ruleRows', () => {
  it("lists the runbook's rule_details in its order, without counts before a preflight", () => {
    expect(ruleRows(LIFECYCLE_RULES)).toEqual([
      { ...LIFECYCLE_RULES[0], count: null },
      { ...LIFECYCLE_RULES[1], count: null },
    ]);
  });

  it('counts changes_by_rule against the table; a rule without a count is 0', () => {
    expect(ruleRows(LIFECYCLE_RULES, { R2: 4 }).map((row) => [row.key, row.count])).toEqual([
      ['R1', 0],
      ['R2', 4],
    ]);
    expect(ruleRows(STALE_RULES, { S1: 6543 })).toEqual([{ ...STALE_RULES[0], count: 6543 }]);
  });

  it('keeps a counted rule the runbook does not describe, so the counts add up', () => {
    expect(ruleRows(STALE_RULES, { S1: 1, S2: 2 })).toEqual([
      { ...STALE_RULES[0], count: 1 },
      { key: 'S2', name: '', description: '', count: 2 },
    ]);
  });
});

describe('ruleLabel', () => {
  it("names a rule from the runbook's rule_details, else shows its key", () => {
    expect(ruleLabel(LIFECYCLE_RULES, 'R2')).toBe('R2 last_seen');
    expect(ruleLabel(STALE_RULES, 'S1')).toBe('S1 close_stale');
    expect(ruleLabel(STALE_RULES, 'R1')).toBe('R1');
    expect(ruleLabel(undefined, 'S1')).toBe('S1');
  });
});

describe('scopesOverlap / overlappingRun (issue 16, obs. 5)', () => {
  const all = { kind: 'all_tenants' } as const;
  const t = (id: number) => ({ kind: 'tenant', tenant_id: id }) as const;

  it('all tenants overlaps everything, a tenant only the same tenant', () => {
    expect(scopesOverlap(all, all)).toBe(true);
    expect(scopesOverlap(all, t(3))).toBe(true);
    expect(scopesOverlap(t(3), all)).toBe(true);
    expect(scopesOverlap(t(3), t(3))).toBe(true);
    expect(scopesOverlap(t(3), t(4))).toBe(false);
  });

  it("a retry run's tenants overlap those tenants and all tenants (docs/spec.md §18)", () => {
    const retry = { kind: 'tenants', tenant_ids: [3, 9], count: 2, retry_of: 32 } as const;
    expect(scopesOverlap({ ...retry, tenant_ids: [3, 9] }, t(9))).toBe(true);
    expect(scopesOverlap({ ...retry, tenant_ids: [3, 9] }, t(4))).toBe(false);
    expect(scopesOverlap({ ...retry, tenant_ids: [3, 9] }, all)).toBe(true);
  });

  it('list and workspace scopes overlap where the views show a common tenant or workspace (docs/spec.md §21)', () => {
    const list = (ids: number[], count = ids.length) => ({ kind: 'tenants', tenant_ids: ids, count, retry_of: null }) as const;
    const ws = (id: number) => ({ kind: 'workspace', workspace_id: id, workspace: null, count: 12 }) as const;
    expect(scopesOverlap(list([1, 2, 3]), list([3, 4]))).toBe(true);
    expect(scopesOverlap(list([1, 2, 3]), list([4, 5]))).toBe(false);
    expect(scopesOverlap(t(2), list([1, 2, 3]))).toBe(true);
    expect(scopesOverlap(ws(1), ws(1))).toBe(true);
    expect(scopesOverlap(ws(1), ws(2))).toBe(false);
    expect(scopesOverlap(ws(1), all)).toBe(true);
    // What the views cannot show (a workspace's tenants, a list's 101st) is the server's to say (409).
    expect(scopesOverlap(ws(1), t(3))).toBe(false);
    expect(scopesOverlap(list([1, 2], 500), t(300))).toBe(false);
  });

  it('finds the active run in the way, ignoring completed ones', () => {
    const runs = [
      { id: 1, status: 'completed', scope: all },
      { id: 2, status: 'running', scope: t(4) },
      { id: 3, status: 'queued', scope: t(5) },
    ] as const;
    expect(overlappingRun(runs, t(5))?.id).toBe(3);
    expect(overlappingRun(runs, all)?.id).toBe(2);
    expect(overlappingRun(runs, t(6))).toBeNull();
    expect(overlappingRun([], all)).toBeNull();
  });
});

describe('startedToastTitle (issue 16, obs. 7)', () => {
  it('says "Run queued" for a new run', () => {
    expect(startedToastTitle({ id: 9, status: 'queued', deduplicated: false })).toBe('Run queued');
  });

  it("words a deduplicated start from the run's actual status", () => {
    expect(startedToastTitle({ id: 38, status: 'running', deduplicated: true })).toBe(
      'Run #38 is already running',
    );
    expect(startedToastTitle({ id: 38, status: 'queued', deduplicated: true })).toBe(
      'Run #38 is already queued',
    );
    // Options are part of a run's identity: the same start returns the paused run it matches.
    expect(startedToastTitle({ id: 38, status: 'paused', deduplicated: true })).toBe(
      'Run #38 is already paused',
    );
  });
});

describe('preflightFoundNothing', () => {
  it('is true only when no finding would change', () => {
    expect(preflightFoundNothing({ findings_to_change: 0 })).toBe(true);
    expect(preflightFoundNothing({ findings_to_change: 1 })).toBe(false);
  });
});
