// Temporary until src/api/schema.ts is generated from the committed OpenAPI contract
// (`npm run gen:api`); then these types give way to `components['schemas'][...]`.
// Field names follow SPEC §6 "Wire format". Shapes the spec does not fix are marked "assumed".

/** Capability names, stable strings from the backend's registry (SPEC §3). */
export type Capability =
  | 'ops.runbooks.view'
  | 'ops.runbooks.run'
  | 'ops.runbooks.run_all_tenants'
  | 'ops.runs.view'
  | 'ops.runs.cancel'
  | 'audit.view'
  | 'operators.manage';

export interface LoginRequest {
  username: string;
  password: string;
}

export interface Operator {
  id: number;
  username: string;
  display_name: string;
  capabilities: Capability[];
}

/** Response of the operator plane's login and `/auth/me`. */
export interface OperatorSession {
  operator: Operator;
  csrf_token: string;
}

/** Customer-plane user; assumed to mirror `Operator` without capabilities. */
export interface CustomerUser {
  id: number;
  username: string;
  display_name: string;
}

/** Response of the customer plane's login and `/auth/me`. */
export interface CustomerSession {
  user: CustomerUser;
  csrf_token: string;
}

/** Every list endpoint answers with this envelope. */
export interface Page<T> {
  items: T[];
  page: number;
  per_page: number;
  total: number;
}

/** RFC 9457 problem document. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: Record<string, string[]>;
  active_run_id?: number;
}

export type Scope = { kind: 'tenant'; tenant_id: number } | { kind: 'all_tenants' };

export type RunStatus = 'queued' | 'running' | 'completed';
export type RunOutcome = 'succeeded' | 'partially_succeeded' | 'failed' | 'cancelled';

export interface RunCounts {
  total: number;
  processed: number;
  succeeded: number;
  failed: number;
  skipped: number;
  findings_changed: number;
}

export interface Run {
  id: number;
  runbook: string;
  scope: Scope;
  status: RunStatus;
  outcome: RunOutcome | null;
  source: 'system_ui' | 'api' | 'cli' | 'deploy_hook';
  initiator: { id: number; username: string } | null;
  reason: { code: string; text: string };
  counts: RunCounts;
  progress_percent: number;
  eta_seconds: number | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
}

/** Runbook catalogue entry (assumed beyond `key`). */
export interface Runbook {
  key: string;
  name: string;
  description: string;
}

/** API token as listed: the create response without the one-time `token`. */
export interface ApiToken {
  id: number;
  name: string;
  expires_at: string;
  capabilities: Capability[];
}

/** Audit event (assumed names for SPEC §4's actor, source, IP, request id and time). */
export interface AuditEvent {
  id: number;
  action: string;
  actor: { id: number; username: string } | null;
  source: string;
  ip: string | null;
  request_id: string | null;
  created_at: string;
}

export interface Tenant {
  id: number;
  external_id: string;
  name: string;
}

export type Severity = 'low' | 'medium' | 'high' | 'critical';

export interface Finding {
  id: number;
  tenant_id: number;
  recurrence_key: string;
  severity: Severity;
  status: string;
  first_seen_at: string | null;
  last_seen_at: string | null;
  times_seen: number | null;
  due_at: string | null;
}
