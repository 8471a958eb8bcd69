import type { OpsTenant, ReasonCode, RuleKey } from '../api/types';

/** The rules of `findings.lifecycle.rebuild` in order, with the field each one repairs. */
export const RULES: readonly { key: RuleKey; name: string }[] = [
  { key: 'R1', name: 'first_seen' },
  { key: 'R2', name: 'last_seen' },
  { key: 'R3', name: 'times_seen' },
  { key: 'R4', name: 'legacy_status' },
  { key: 'R5', name: 'duplicates' },
  { key: 'R6', name: 'due_date' },
  { key: 'R7', name: 'terminal_timestamps' },
];

/** `R4 legacy_status`, or the bare key for a rule this build does not know. */
export function ruleLabel(key: string): string {
  const rule = RULES.find((candidate) => candidate.key === key);
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

/** External id of the platform tenant, which no runbook may target (SPEC §1). */
export const PLATFORM_EXTERNAL_ID = 'platform';

/**
 * Tenants the scope picker may offer. The API never returns the platform tenant; this filter is
 * defence in depth so that a server regression cannot make the UI offer it.
 */
export function targetableTenants<T extends Pick<OpsTenant, 'external_id'>>(tenants: readonly T[]): T[] {
  return tenants.filter((tenant) => tenant.external_id.trim().toLowerCase() !== PLATFORM_EXTERNAL_ID);
}
