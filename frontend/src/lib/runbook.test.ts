import { describe, expect, it } from 'vitest';
import { RULES, reasonTextError, ruleLabel, targetableTenants } from './runbook';

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

describe('rules', () => {
  it('names R1–R7 in order', () => {
    expect(RULES.map((rule) => ruleLabel(rule.key))).toEqual([
      'R1 first_seen',
      'R2 last_seen',
      'R3 times_seen',
      'R4 legacy_status',
      'R5 duplicates',
      'R6 due_date',
      'R7 terminal_timestamps',
    ]);
    expect(ruleLabel('R9')).toBe('R9');
  });
});
