import type { OpsTenant, PreflightResult, ReasonCode, RuleDetail, Run, ScopeView } from '../api/types';

/** One row of a rule table: a rule of the runbook and, after a preflight, its count. */
export interface RuleRow extends RuleDetail {
  /** Findings the rule would change (or changed); null before a preflight. */
  count: number | null;
}

/**
 * The rule table from the runbook's `rule_details` (its order), with `changes_by_rule` counted
 * against it: a rule without a count is 0. A counted key the runbook does not describe (a newer
 * server) is appended rather than dropped, so the counts always add up.
 */
export function ruleRows(
  details: readonly RuleDetail[],
  changesByRule?: Readonly<Record<string, number | undefined>> | null,
): RuleRow[] {
  const rows: RuleRow[] = details.map((rule) => ({
    ...rule,
    count: changesByRule ? (changesByRule[rule.key] ?? 0) : null,
  }));
  if (changesByRule) {
    const known = new Set(details.map((rule) => rule.key));
    for (const [key, count] of Object.entries(changesByRule)) {
      if (!known.has(key)) rows.push({ key, name: '', description: '', count: count ?? 0 });
    }
  }
  return rows;
}

/** `R4 legacy_status` from the runbook's `rule_details`, or the bare key for one it does not name. */
export function ruleLabel(details: readonly RuleDetail[] | undefined, key: string): string {
  const rule = details?.find((candidate) => candidate.key === key);
  return rule ? `${rule.key} ${rule.name}` : key;
}

export const REASON_CODES: readonly { code: ReasonCode; label: string }[] = [
  { code: 'data_repair', label: 'Data repair' },
  { code: 'incident', label: 'Incident' },
  { code: 'migration', label: 'Migration' },
  { code: 'support_request', label: 'Support request' },
  { code: 'other', label: 'Other' },
];

export const REASON_MIN_CHARS = 10;
export const REASON_MAX_CHARS = 500;

/** Characters the server counts: it trims the text first and counts Unicode scalar values. */
export function reasonLength(text: string): number {
  return [...text.trim()].length;
}

/** Why a reason text would be refused, or null when it is acceptable (10–500 characters). */
export function reasonTextError(text: string): string | null {
  const length = reasonLength(text);
  if (length < REASON_MIN_CHARS) {
    return `Enter at least ${REASON_MIN_CHARS} characters (${length} so far).`;
  }
  if (length > REASON_MAX_CHARS) {
    return `Use at most ${REASON_MAX_CHARS} characters (${length} now).`;
  }
  return null;
}

/** Above this many tenants a list or workspace scope needs `ops.runbooks.run_all_tenants`, as all
 * tenants does (docs/spec.md §21). */
export const MAX_TENANTS_WITHOUT_ALL_TENANTS = 100;

/** External id of the platform tenant, which no runbook may target (docs/spec.md §1). */
export const PLATFORM_EXTERNAL_ID = 'platform';

/**
 * Tenants the scope picker may offer. The API never returns the platform tenant; this filter is
 * defence in depth so that a server regression cannot make the UI offer it.
 */
export function targetableTenants<T extends Pick<OpsTenant, 'external_id'>>(tenants: readonly T[]): T[] {
  return tenants.filter((tenant) => tenant.external_id.trim().toLowerCase() !== PLATFORM_EXTERNAL_ID);
}

const NATURAL = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Tenants in the order a person reads names: "Tenant 6" before "Tenant 11" (issue 22, item 12). */
export function byName<T extends Pick<OpsTenant, 'name' | 'id'>>(tenants: readonly T[]): T[] {
  return [...tenants].sort((a, b) => NATURAL.compare(a.name, b.name) || a.id - b.id);
}

/** Tenant ids a scope view is known to cover: all of a one-tenant scope, the first 100 of a list. */
function tenantsShown(scope: ScopeView): readonly number[] {
  if (scope.kind === 'tenant') return [scope.tenant_id];
  if (scope.kind === 'tenants') return scope.tenant_ids;
  return [];
}

/**
 * Whether two scopes of one runbook overlap, as far as the views show it: all tenants overlaps
 * everything, a workspace the same workspace, and scopes that name a common tenant overlap (a
 * list view names its first 100 tenants only). An overlap the views cannot show (a tenant of a
 * workspace, the 101st tenant of a list) is left to the server, whose 409 the Start dialog
 * shows: blocking Start on a guess would stop a run that may start.
 */
export function scopesOverlap(a: ScopeView, b: ScopeView): boolean {
  if (a.kind === 'all_tenants' || b.kind === 'all_tenants') return true;
  if (a.kind === 'workspace' && b.kind === 'workspace') return a.workspace_id === b.workspace_id;
  const shown = new Set(tenantsShown(a));
  return tenantsShown(b).some((id) => shown.has(id));
}

/**
 * The first active run of the runbook whose scope overlaps `scope`: a start over `scope` would be
 * refused with 409 (or, for an identical run, answered with that run), so the console blocks it
 * up front and links the run instead. Null when nothing is in the way.
 */
export function overlappingRun<R extends Pick<Run, 'status' | 'scope'>>(
  activeRuns: readonly R[],
  scope: ScopeView,
): R | null {
  return activeRuns.find((run) => run.status !== 'completed' && scopesOverlap(run.scope, scope)) ?? null;
}

/** The intent toast of a start: "Run queued", or for a deduplicated start the run's real state. */
export function startedToastTitle(run: Pick<Run, 'id' | 'status'> & { deduplicated: boolean }): string {
  if (!run.deduplicated) return 'Run queued';
  return `Run #${run.id} is already ${run.status}`;
}

/** Whether a preflight found nothing to change (a start would do no work). */
export function preflightFoundNothing(result: Pick<PreflightResult, 'findings_to_change'>): boolean {
  return result.findings_to_change === 0;
}
