// The API's types, taken from the files generated out of the committed OpenAPI contracts
// (src/api/schema.ts, src/api/customer-schema.ts; `npm run gen:api`). Object types are aliases
// of `components['schemas'][...]` (or of an operation's response where the contract inlines the
// shape); statuses, outcomes and sources are the contract's own string enums. What remains
// hand-written is the capability set, which the contract carries as plain strings.
// `unwrap` (client.ts) reads a response as one of these views only where it is a subtype of the
// generated response type, so a contract change that breaks one fails `npm run typecheck`.

import type { components as customerComponents, operations as customerOperations } from './customer-schema';
import type { components, operations, paths } from './schema';

type Schemas = components['schemas'];
type CustomerSchemas = customerComponents['schemas'];

/** The JSON body of an operation's 200 response. */
type Ok<Op> = Op extends { responses: { 200: { content: { 'application/json': infer B } } } } ? B : never;
/** One item of a paginated 200 response. */
type ItemOf<Op> = Ok<Op> extends { items: (infer I)[] } ? I : never;
/** The operation of a path's GET or POST, whatever id the contract gives it. */
type GetOf<P extends keyof paths> = paths[P] extends { get: infer Op } ? Op : never;
type PostOf<P extends keyof paths> = paths[P] extends { post: infer Op } ? Op : never;
/** Rust `Option` fields are optional-or-null in the contract but always sent (as null). */
type Present<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };
/** `T` with the fields `N` narrowed to closed value sets. */
type Narrow<T, N> = Omit<Present<T>, keyof N> & N;

/** Capability names, stable strings from the backend's registry (docs/spec.md §3). */
export type Capability =
  | 'ops.runbooks.view'
  | 'ops.runbooks.run'
  | 'ops.runbooks.run_all_tenants'
  | 'ops.runs.view'
  | 'ops.runs.cancel'
  | 'ops.runs.control'
  | 'audit.view'
  | 'operators.manage';

export type LoginRequest = Schemas['LoginRequest'];
export type Operator = Narrow<Schemas['OperatorView'], { capabilities: Capability[] }>;
/** Response of the operator plane's login and `/auth/me` (the console always has a session,
 * hence a CSRF token; only bearer-token callers get null). */
export type OperatorSession = Narrow<Schemas['OperatorSession'], { operator: Operator; csrf_token: string }>;

/** `GET /auth/session`: the operator and CSRF token, or both null when signed out (docs/spec.md §18). */
export type SessionState = Narrow<Schemas['SessionState'], { operator: Operator | null }>;

export type CustomerUser = Present<CustomerSchemas['UserView']>;
/** Response of the customer plane's login and `/auth/me`. */
export type CustomerSession = Narrow<CustomerSchemas['UserSession'], { user: CustomerUser }>;

/** Every list endpoint answers with this envelope (each use is checked against its endpoint's). */
export interface Page<T> {
  items: T[];
  page: number;
  per_page: number;
  total: number;
}

/** RFC 9457 problem document (partial: a proxy's error page yields an empty one). */
export type Problem = Partial<Schemas['Problem']>;

export type Scope = Schemas['Scope'];
export type ScopeKind = Schemas['ScopeKind'];

export type RunStatus = Schemas['RunStatus'];
export type RunOutcome = Schemas['Outcome'];
export type RunSource = Schemas['Source'];
export type ReasonCode = Schemas['ReasonCode'];

/** One rule of a runbook (`rule_details`): its key as counted in `changes_by_rule`, name and
 * one-line description. Rule keys are the runbook's own (`R1`…, `S1`), so they stay strings. */
export type RuleDetail = Schemas['RuleDetail'];

export type Reason = Schemas['ReasonView'];
/** Counters; `processed = succeeded + failed + skipped`, `retrying` and `cancelled` beside it. */
export type RunCounts = Schemas['Counts'];
/** A tenant as a person reads it: `name (external_id)` (docs/spec.md §18). */
export type TenantRef = Schemas['TenantRef'];
/** A run's scope as the run view gives it: the tenant named, or a retry run's `tenants`. */
export type ScopeView = Schemas['ScopeView'];
/** The run stopped making progress (docs/spec.md §18): since when, and the tenant it waits on. */
export type Stall = Schemas['Stall'];
/** A later run derived from this one: a retry of its failed tenants (`retried_by`), or a revert of
 * its changes (`reverted_by`, docs/spec.md §15). */
export type RetryRef = Narrow<Schemas['RetryRef'], { outcome: RunOutcome | null }>;
/** What a run (or a preflight) does: `run`, a runbook's repair (or a retry of one), or `revert`,
 * putting back what a completed run changed, from its change log (docs/spec.md §15). */
export type RunKind = Schemas['RunKind'];
/** Run control's options (docs/spec.md §13): concurrency cap, failure budget, waves, canary
 * tenants. Each field is null (or left out) when not set. */
export type RunOptions = Schemas['RunOptions'];
export type PauseReason = Schemas['PauseReason'];
/** Why a paused run is paused, by whom (null: the run paused itself) and since when. */
export type PauseView = Narrow<Schemas['PauseView'], { by: Present<Schemas['InitiatorView']> | null }>;
export type WaitReason = Schemas['WaitReason'];
/** Why an active run's unstarted items are not starting; `jobs_ahead` only for `workers`. */
export type WaitingFor = Present<Schemas['WaitingFor']>;
/** The last released wave (1-based) of a run with waves, and how many there are. */
export type WaveView = Schemas['WaveView'];
/** The database health gate holding an active run (docs/spec.md §14): the indicator over its
 * threshold when the episode reached the run, and since when. */
export type Throttle = Present<Schemas['ThrottleView']>;

/** The database health gate's state (docs/spec.md §14). */
export type GateState = Schemas['GateState'];
/** One indicator of the health gate: its value (null when the service's role cannot read it),
 * threshold, whether it is readable and whether it is over. */
export type HealthReading = Present<Schemas['Reading']>;
/** `GET /ops/health`: the gate, why it is throttled, every indicator as last sampled, and the
 * sampler's settings. */
export type HealthView = Narrow<Schemas['HealthView'], { reason: HealthReading | null; indicators: HealthReading[] }>;
/** One indicator's sample (`GET /ops/health/samples`). */
export type HealthSample = Present<Schemas['Sample']>;
/** A throttled episode of the gate; `ended_at` is null while it lasts. */
export type HealthEpisode = Present<Schemas['Episode']>;
/** `GET /ops/health/samples`: the last hour's samples and episodes, oldest first. */
export type HealthSamples = Narrow<Schemas['SampleList'], { items: HealthSample[]; episodes: HealthEpisode[] }>;
export type Run = Narrow<
  Schemas['RunView'],
  {
    outcome: RunOutcome | null;
    initiator: Present<Schemas['InitiatorView']> | null;
    scope: ScopeView;
    stalled: Stall | null;
    retried_by: RetryRef[];
    reverted_by: RetryRef[];
    pause: PauseView | null;
    waiting_for: WaitingFor | null;
    wave: WaveView | null;
    throttle: Throttle | null;
  }
>;
/** The items of a run that finished in one minute (`GET /ops/runs/{id}/timeline`). */
export type TimelineBucket = Schemas['MinuteBucket'];
/** Start response: the run, and whether an identical active run was returned instead (200). */
export type StartedRun = Run & Pick<Schemas['StartedRun'], 'deduplicated'>;

export type ItemStatus = Schemas['ItemStatus'];
/** One tenant of a run (`GET /ops/runs/{id}/items`, failed first). */
export type RunItem = Narrow<ItemOf<operations['items']>, { changes_by_rule: Record<string, number> | null }>;

/** One attempt of a run's item (`GET /ops/runs/{id}/items/{item_id}/attempts`, oldest first). */
export type ItemAttempt = Present<Schemas['AttemptView']>;
/** An item's attempts: a plain list, not a paginated envelope. */
export type ItemAttemptList = Narrow<Schemas['AttemptList'], { items: ItemAttempt[] }>;

/** One row a run changed, from its change log (`GET /ops/runs/{id}/changes`, docs/spec.md §15): the
 * finding, its tenant, the rules that changed it, and only the columns it changed, each with the
 * value it overwrote (`before`) and the value it wrote (`after`). */
export type RunChange = ItemOf<operations['changes']>;

/** A runbook's latest run, as its catalogue entry names it (docs/spec.md §21). */
export type LastRun = Narrow<Schemas['LastRun'], { outcome: RunOutcome | null }>;
/** Runbook catalogue entry (`GET /ops/runbooks`, `GET /ops/runbooks/{key}`). */
export type Runbook = Narrow<
  Schemas['RunbookView'],
  { active_run: Run | null; active_runs: Run[]; last_run: LastRun | null }
>;
/** The catalogue is a plain list, not a paginated envelope. */
export type RunbookList = Narrow<Schemas['RunbookList'], { items: Runbook[] }>;
/** A targetable tenant (`GET /ops/tenants`); the API never lists the platform tenant. */
export type OpsTenant = Present<ItemOf<operations['tenants_list']>>;

/** `POST /ops/tenants/lookup`: which tenants of a pasted list can be targeted, which ids name
 * none, and the platform tenant when the list names it (docs/spec.md §21). */
export type TenantLookup = Narrow<Ok<PostOf<'/system/api/ops/tenants/lookup'>>, { found: OpsTenant[] }>;
/** A workspace a `workspace` scope may name, with its targetable tenants (`GET /ops/workspaces`). */
export type Workspace = Present<ItemOf<GetOf<'/system/api/ops/workspaces'>>>;
/** One tenant of a preflight's full plan (`GET /ops/preflights/{preflight_id}/tenants`); its name and
 * external id are null when the tenant was deleted since. */
export type PreflightTenant = Narrow<
  ItemOf<GetOf<'/system/api/ops/preflights/{preflight_id}/tenants'>>,
  { changes_by_rule: Record<string, number> }
>;

export type PreflightRequest = Schemas['PreflightBody'];
/** One would-be change. Hand-written: the contract types `sample` as free-form objects (the
 * backend builds it as JSON); give it a schema there and alias it here. A type, not an interface:
 * only an object type is assignable to the contract's `Record<string, unknown>`. */
export type PreflightSample = {
  finding_id: number;
  tenant_id: number;
  /** The tenant's name and external id, which the server adds (docs/spec.md §18). */
  tenant_name?: string;
  tenant_external_id?: string;
  rules: string[];
  /** Unchanged fields that made the rule apply (Close Stale: severity and the last-seen dates). */
  context?: string[];
  before: Record<string, unknown>;
  after: Record<string, unknown>;
};

export type PreflightResult = Narrow<
  Schemas['PreflightResult'],
  {
    confirmation: Present<Schemas['Confirmation']>;
    sample: PreflightSample[];
  }
>;
export type StartRunRequest = Schemas['StartBody'];

/** One row a revert would restore (`RevertPreflight.sample`), whole, as it is now (`before`) and
 * as the revert would leave it (`after`); `reverts_rules` are the rules of the reverted run that
 * changed it. Hand-written: the contract types the sample as free-form objects. */
export type RevertSample = {
  finding_id: number;
  tenant_id: number;
  tenant_name?: string;
  tenant_external_id?: string;
  /** Always `["restore"]`. */
  rules: string[];
  reverts_rules?: string[];
  before: Record<string, unknown>;
  after: Record<string, unknown>;
};

/** One row a revert would leave alone (`RevertPreflight.conflict_sample`): the columns the run
 * changed, with the value it overwrote (`before`), the value it wrote (`written`) and the value
 * the row holds now (`after`; null when the row was deleted since). Hand-written, as above. */
export type RevertConflict = {
  finding_id: number;
  tenant_id: number;
  tenant_name?: string;
  tenant_external_id?: string;
  rules: string[];
  before: Record<string, unknown>;
  written: Record<string, unknown>;
  after: Record<string, unknown> | null;
};

/** `POST /ops/runs/{id}/revert/preflight` (docs/spec.md §15): what a revert would restore, what is
 * restored already, and what the application changed since (the conflicts, left alone). */
export type RevertPreflight = Narrow<
  Schemas['RevertPreflight'],
  {
    confirmation: Present<Schemas['Confirmation']>;
    scope: ScopeView;
    sample: RevertSample[];
    conflict_sample: RevertConflict[];
  }
>;
/** `POST /ops/runs/{id}/revert`; answers 201 with a `StartedRun`. */
export type RevertRequest = Schemas['RevertBody'];
/** The body of `POST /ops/runs/{id}/cancel`, `/pause` and `/resume`: why, 10–500 characters. */
export type RunActionRequest = Schemas['RunActionBody'];
/** `PATCH /ops/runs/{id}/options`: the new concurrency cap (null: none) and why. */
export type RunOptionsChange = Schemas['OptionsBody'];
/** `POST /ops/runs/{id}/retry-failed`; answers 201 with a `StartedRun`. */
export type RetryFailedRequest = Schemas['RetryBody'];

/** `POST /auth/password` (204): the signed-in operator's current and new password. */
export type PasswordChangeRequest = Schemas['PasswordChangeRequest'];

/** API token as listed (never the secret). */
export type ApiToken = Narrow<ItemOf<operations['list_tokens']>, { capabilities: Capability[] }>;
export type CreateTokenRequest = Narrow<Schemas['CreateTokenRequest'], { capabilities: Capability[] }>;
/** Token create response: the JWT is in `token`, shown exactly once. */
export type CreatedToken = Narrow<Schemas['CreatedTokenView'], { capabilities: Capability[] }>;

/** Notification (`GET /notifications`). */
export type Notification = Present<Schemas['NotificationView']>;
/** The notification list adds the caller's unread count to the usual envelope. */
export type NotificationPage = Narrow<Schemas['NotificationPage'], { items: Notification[] }>;
/** Audit event (`GET /audit-events`). */
export type AuditEvent = Present<ItemOf<operations['audit_events']>>;

export type Tenant = Present<ItemOf<customerOperations['list_tenants']>>;
export type Severity = 'low' | 'medium' | 'high' | 'critical';
export type Finding = Narrow<ItemOf<customerOperations['list_findings']>, { severity: Severity }>;
