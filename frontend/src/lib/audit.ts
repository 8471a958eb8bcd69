import type { AuditEvent, Capability } from '../api/types';
import { tenantLabel } from './format';

/**
 * Every audit action the backend records (its `backend/src`: the names given to `Event::new`,
 * `meta.event`, `audit_start` and the alert worker), in one list the action filter offers.
 * `audit.test.ts` reads the backend's source and fails when an action is missing here.
 */
export const AUDIT_ACTIONS = [
  'auth.login.succeeded',
  'auth.login.failed',
  'auth.login.throttled',
  'auth.login.refused',
  'auth.logout',
  'auth.password.changed',
  'auth.token.created',
  'auth.token.revoked',
  'operator.capabilities.revoked',
  'runbook.preflighted',
  'runbook.run.started',
  'runbook.run.deduplicated',
  'runbook.run.completed',
  'runbook.run.cancelled',
  'runbook.run.paused',
  'runbook.run.resumed',
  'runbook.run.options_changed',
  'runbook.run.throttled',
  'runbook.run.unthrottled',
  'runbook.run.reconciled',
  'runbook.tenant.failed',
  'alert.delivered',
  'alert.retrying',
  'alert.failed',
] as const;

/** What an audit event's target links to, when the console has a page for it. */
export interface AuditTarget {
  label: string;
  /** Router path, or null when there is no page (or the operator may not open it). */
  to: string | null;
}

/**
 * An event's target in words and, where the console has a page the operator may open, a link:
 * `operation_run 32` → "Run #32" (run page), `runbook <key>` → the runbook, `api_token 5` → the
 * tokens page. Other kinds stay plain text.
 */
export function auditTarget(
  event: Pick<AuditEvent, 'target_type' | 'target_id'>,
  capabilities: readonly Capability[],
): AuditTarget | null {
  const { target_type: type, target_id: id } = event;
  if (!type) return null;
  if (id === null) return { label: type, to: null };
  switch (type) {
    case 'operation_run':
      return {
        label: `Run #${id}`,
        to: capabilities.includes('ops.runs.view') ? `/ops/runs/${encodeURIComponent(id)}` : null,
      };
    case 'runbook':
      return {
        label: `Runbook ${id}`,
        to: capabilities.includes('ops.runbooks.view') ? `/ops/runbooks/${encodeURIComponent(id)}` : null,
      };
    case 'api_token':
      return { label: `API token #${id}`, to: '/tokens' };
    case 'operator':
      return { label: `Operator #${id}`, to: null };
    default:
      return { label: `${type} ${id}`, to: null };
  }
}

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

function named(value: unknown): { name: string; external_id: string } | null {
  const tenant = record(value);
  return tenant && typeof tenant.name === 'string' && typeof tenant.external_id === 'string'
    ? { name: tenant.name, external_id: tenant.external_id }
    : null;
}

/**
 * The tenant an event is about, from its metadata, for the row itself (a failed tenant should not
 * hide until the row is expanded): `name (external_id)` when the event names it, else the
 * internal id as `Tenant #43` — never an invented name. Null for events about no single tenant.
 */
export function auditTenant(metadata: unknown): string | null {
  const meta = record(metadata);
  if (!meta) return null;
  const scope = record(meta.scope);
  const tenant =
    named(meta.tenant) ??
    named(scope?.tenant) ??
    (typeof meta.tenant_name === 'string' && typeof meta.tenant_external_id === 'string'
      ? { name: meta.tenant_name, external_id: meta.tenant_external_id }
      : null);
  if (tenant) return `Tenant ${tenantLabel(tenant)}`;
  const id = typeof meta.tenant_id === 'number' ? meta.tenant_id : scope?.kind === 'tenant' ? scope.tenant_id : null;
  if (typeof id === 'number') {
    return typeof meta.tenant_external_id === 'string'
      ? `Tenant ${meta.tenant_external_id} (#${id})`
      : `Tenant #${id}`;
  }
  return null;
}
