// Temporary until src/api/schema.ts is generated from the committed OpenAPI contract
// (`npm run gen:api`); then these types give way to `components['schemas'][...]`.
// Field names follow SPEC §6 "Wire format" and the backend's responses; the customer-plane
// shapes the spec does not fix are marked "assumed".

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
export type ScopeKind = Scope['kind'];

export type RunStatus = 'queued' | 'running' | 'completed';
export type RunOutcome = 'succeeded' | 'partially_succeeded' | 'failed' | 'cancelled';
export type RunSource = 'system_ui' | 'api' | 'cli' | 'deploy_hook';
export type ReasonCode = 'data_repair' | 'incident' | 'migration' | 'support_request' | 'other';

/** Lifecycle rules of `findings.lifecycle.rebuild`, keyed as in `changes_by_rule`. */
export type RuleKey = 'R1' | 'R2' | 'R3' | 'R4' | 'R5' | 'R6' | 'R7';

export interface Reason {
  code: ReasonCode;
  text: string;
}

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
  runbook_version: number;
  scope: Scope;
  workspace_id: number | null;
  status: RunStatus;
  outcome: RunOutcome | null;
  source: RunSource;
  initiator: { id: number; username: string } | null;
  reason: Reason;
  preflight_id: string | null;
  counts: RunCounts;
  progress_percent: number;
  eta_seconds: number | null;
  error_summary: string | null;
  cancel_reason: string | null;
  retry_of_run_id: number | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  updated_at: string;
}

/** Start response: the run, and whether an identical active run was returned instead (200). */
export interface StartedRun extends Run {
  deduplicated: boolean;
}

export type ItemStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

/** One tenant of a run (`GET /ops/runs/{id}/items`, failed first). */
export interface RunItem {
  id: number;
  tenant_id: number;
  tenant_external_id: string;
  status: ItemStatus;
  attempts: number;
  findings_examined: number;
  findings_changed: number;
  changes_by_rule: Partial<Record<RuleKey, number>> | null;
  error: string | null;
  started_at: string | null;
  completed_at: string | null;
}

/** Runbook catalogue entry (`GET /ops/runbooks`, `GET /ops/runbooks/{key}`). */
export interface Runbook {
  key: string;
  title: string;
  description: string;
  version: number;
  allowed_scopes: ScopeKind[];
  run_on_deploy: boolean;
  rules: RuleKey[];
  active_run: Run | null;
  active_runs: Run[];
}

/** The catalogue is a plain list, not a paginated envelope. */
export interface RunbookList {
  items: Runbook[];
}

/** A targetable tenant (`GET /ops/tenants`); the API never lists the platform tenant. */
export interface OpsTenant {
  id: number;
  external_id: string;
  name: string;
  workspace_id: number;
}

export interface PreflightRequest {
  scope: Scope;
}

/** One would-be change; `before`/`after` hold the finding's lifecycle fields. */
export interface PreflightSample {
  finding_id: number;
  tenant_id: number;
  rules: RuleKey[];
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}

export interface PreflightResult {
  preflight_id: string;
  runbook: string;
  scope: Scope;
  tenants_in_scope: number;
  tenants_with_changes: number;
  findings_examined: number;
  findings_to_change: number;
  changes_by_rule: Partial<Record<RuleKey, number>>;
  sample: PreflightSample[];
  estimated_seconds: number;
  confirmation: { required: boolean; phrase: string | null };
  expires_at: string;
}

export interface StartRunRequest {
  scope: Scope;
  reason: Reason;
  preflight_id: string;
  confirmation: string | null;
}

export interface CancelRunRequest {
  reason: string;
}

/** API token as listed (never the secret). */
export interface ApiToken {
  id: number;
  name: string;
  capabilities: Capability[];
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface CreateTokenRequest {
  name: string;
  expires_in_days: number;
  capabilities: Capability[];
}

/** Token create response: the JWT is in `token`, shown exactly once. */
export interface CreatedToken {
  id: number;
  name: string;
  token: string;
  expires_at: string;
  capabilities: Capability[];
}

/** Notification (`GET /notifications`); today only `OperationRunCompleted`. */
export interface Notification {
  id: number;
  kind: string;
  title: string;
  body: string;
  run_id: number | null;
  data: Record<string, unknown>;
  read_at: string | null;
  created_at: string;
}

/** The notification list adds the caller's unread count to the usual envelope. */
export interface NotificationPage extends Page<Notification> {
  unread: number;
}

/** Audit event (`GET /audit-events`). */
export interface AuditEvent {
  id: number;
  action: string;
  actor_kind: string;
  actor_id: number | null;
  actor_label: string | null;
  source: string;
  ip: string | null;
  target_type: string | null;
  target_id: string | number | null;
  metadata: Record<string, unknown> | null;
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
