import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS, auditTarget, auditTenant } from './audit';

const BACKEND_SRC = fileURLToPath(new URL('../../../backend/src/', import.meta.url));

function rustFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return rustFiles(path);
    return name.endsWith('.rs') ? [path] : [];
  });
}

/** The action names the backend hands to the audit recorder (outside its test modules). */
function backendActions(): Set<string> {
  const patterns = [
    /(?:Event::new|\.event)\(\s*"([a-z_.]+)"/g,
    /audit_start\(\s*\w+,\s*"([a-z_.]+)"/g,
    // The alert worker picks its action from a (status, action) pair.
    /\(\s*"[a-z_]+"\s*,\s*"([a-z_]+\.[a-z_.]+)"\s*\)/g,
  ];
  const found = new Set<string>();
  for (const file of rustFiles(BACKEND_SRC)) {
    const text = readFileSync(file, 'utf8');
    if (!text.includes('audit::record(')) continue;
    const code = text.split('#[cfg(test)]')[0]!;
    for (const pattern of patterns) for (const match of code.matchAll(pattern)) found.add(match[1]!);
  }
  return found;
}

describe.skipIf(!existsSync(BACKEND_SRC))('AUDIT_ACTIONS (issue 16, obs. 10)', () => {
  it("lists every action the backend records, alert.delivered included", () => {
    const actions = backendActions();
    expect(actions.size).toBeGreaterThanOrEqual(15);
    expect(actions.has('alert.delivered')).toBe(true);
    const missing = [...actions].filter((action) => !(AUDIT_ACTIONS as readonly string[]).includes(action));
    expect(missing).toEqual([]);
  });
});

describe('auditTarget', () => {
  const all = ['ops.runs.view', 'ops.runbooks.view'] as const;
  it('links a run to its page and a runbook to its page', () => {
    expect(auditTarget({ target_type: 'operation_run', target_id: '32' }, all)).toEqual({ label: 'Run #32', to: '/ops/runs/32' });
    expect(auditTarget({ target_type: 'runbook', target_id: 'findings.stale.close' }, all)).toEqual({
      label: 'Runbook findings.stale.close',
      to: '/ops/runbooks/findings.stale.close',
    });
    expect(auditTarget({ target_type: 'api_token', target_id: '5' }, all)?.to).toBe('/tokens');
  });

  it('does not link pages the operator may not open, and keeps unknown kinds as text', () => {
    expect(auditTarget({ target_type: 'operation_run', target_id: '32' }, [])).toEqual({ label: 'Run #32', to: null });
    expect(auditTarget({ target_type: 'widget', target_id: '1' }, all)).toEqual({ label: 'widget 1', to: null });
    expect(auditTarget({ target_type: null, target_id: null }, all)).toBeNull();
  });
});

describe('auditTenant', () => {
  it("shows a failed tenant's id from the metadata, and its name once the event carries it", () => {
    expect(auditTenant({ item_id: 9, tenant_id: 43, error: 'boom' })).toBe('Tenant #43');
    expect(auditTenant({ tenant_id: 43, tenant_external_id: 'hx-tenant-42' })).toBe('Tenant hx-tenant-42 (#43)');
    expect(auditTenant({ tenant: { id: 43, name: 'Hidden Tenant 42', external_id: 'hx-tenant-42' } })).toBe(
      'Tenant Hidden Tenant 42 (hx-tenant-42)',
    );
    expect(auditTenant({ scope: { kind: 'tenant', tenant_id: 7 } })).toBe('Tenant #7');
    expect(auditTenant({ scope: { kind: 'all_tenants' } })).toBeNull();
    expect(auditTenant(null)).toBeNull();
  });
});
