import type { RunOutcome, RunStatus, ScopeView } from '../api/types';

/** Clamps a progress value into 0–100; anything that is not a finite number counts as 0. */
export function clampPercent(value: number | null | undefined): number {
  if (value === null || value === undefined || !Number.isFinite(value)) return 0;
  return Math.min(100, Math.max(0, value));
}

/**
 * Whole percent for display. Rounds down so a run at 99.6 % does not read "100%" before it is
 * done.
 */
export function formatPercent(value: number | null | undefined): string {
  return `${Math.floor(clampPercent(value))}%`;
}

/**
 * Human duration with the two most significant units: `45s`, `2m 5s`, `1h 2m`, `3d 4h`.
 * Negative or non-finite input reads as `0s`.
 */
export function formatDuration(seconds: number): string {
  const total = Number.isFinite(seconds) ? Math.max(0, Math.round(seconds)) : 0;
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = total % 60;
  if (days > 0) return hours > 0 ? `${days}d ${hours}h` : `${days}d`;
  if (hours > 0) return minutes > 0 ? `${hours}h ${minutes}m` : `${hours}h`;
  if (minutes > 0) return secs > 0 ? `${minutes}m ${secs}s` : `${minutes}m`;
  return `${secs}s`;
}

/** Remaining time as the server estimates it; `null` means no estimate yet. */
export function formatEta(etaSeconds: number | null): string {
  if (etaSeconds === null) return 'Estimating…';
  if (etaSeconds < 1) return 'Less than a second';
  return `About ${formatDuration(etaSeconds)}`;
}

/** Quiet seconds after which a growing estimate says why. */
export const QUIET_SECONDS = 10;

/**
 * The "Remaining" line of an active run. While no tenant finishes the estimate grows (the
 * elapsed time rises, the processed count does not): after {@link QUIET_SECONDS} it says so,
 * before a stall is detected; a stalled run has no estimate, nor has a paused one (the server
 * sends none: the time it stays paused is the operator's), nor one the database health gate holds
 * (the time it is held is the database's, docs/spec.md §14).
 */
export function remainingLabel(
  run: {
    status?: RunStatus;
    eta_seconds: number | null;
    last_progress_at?: string | null;
    started_at: string | null;
    stalled: unknown;
    throttle?: unknown;
  },
  nowMs: number,
): string {
  if (run.status === 'paused') return 'Remaining: paused';
  if (run.throttle != null && run.status !== 'completed') return 'Remaining: unknown while the health gate holds it';
  if (run.stalled) return 'Remaining: unknown while stalled';
  const base = `Remaining: ${formatEta(run.eta_seconds)}`;
  const since = run.last_progress_at ?? run.started_at;
  const quiet = since === null ? null : secondsBetween(since, new Date(nowMs).toISOString());
  if (run.eta_seconds === null || quiet === null || quiet < QUIET_SECONDS) return base;
  return `${base}, rising: no tenant has finished for ${formatDuration(Math.floor(quiet))}`;
}

/** Seconds between two RFC 3339 timestamps, or null when either is missing or unreadable. */
export function secondsBetween(start: string | null, end: string | null): number | null {
  if (start === null || end === null) return null;
  const from = Date.parse(start);
  const to = Date.parse(end);
  if (Number.isNaN(from) || Number.isNaN(to)) return null;
  return Math.max(0, (to - from) / 1000);
}

/**
 * An RFC 3339 timestamp as `YYYY-MM-DD HH:MM:SS UTC`. Operators read UTC, the same clock as the
 * server logs and the audit trail, whatever their browser's time zone. Unreadable input is
 * returned unchanged rather than hidden.
 */
export function formatTimestamp(value: string | null): string {
  if (value === null) return '—';
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return value;
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** A tenant as a person reads it (docs/spec.md §18): `Hidden Tenant 42 (hx-tenant-42)`. */
export function tenantLabel(tenant: { name: string; external_id: string }): string {
  return `${tenant.name} (${tenant.external_id})`;
}

/** "1 tenant", "12 tenants". */
export function tenantCount(n: number): string {
  return `${n} ${n === 1 ? 'tenant' : 'tenants'}`;
}

/**
 * A scope as the run view and the preflight give it (`ScopeView`, docs/spec.md §15, §18, §21), in
 * the words the server uses for it: `all tenants`, `Acme (acme-001)`, `3 listed tenants`,
 * `2 tenants (retry of #32)`, `3 tenants (revert of #32)`, `workspace Acme (12 tenants)`. A list
 * scope is a retry only when it says `retry_of` (a retry of a revert run reads as a retry, as on
 * the server), a revert when it says `reverts_run_id`; its `tenant_ids` are the first 100 only,
 * so the size is `count`. Where the
 * view does not name the tenant or the workspace, its internal id is shown as `#43`, so it does
 * not read as a name.
 */
export function scopeLabel(scope: ScopeView): string {
  switch (scope.kind) {
    case 'all_tenants':
      return 'all tenants';
    case 'tenant':
      return scope.tenant ? tenantLabel(scope.tenant) : `tenant #${scope.tenant_id}`;
    case 'tenants':
      if (scope.retry_of != null) return `${tenantCount(scope.count)} (retry of #${scope.retry_of})`;
      if (scope.reverts_run_id != null) return `${tenantCount(scope.count)} (revert of #${scope.reverts_run_id})`;
      return `${scope.count} listed ${scope.count === 1 ? 'tenant' : 'tenants'}`;
    case 'workspace':
      return `workspace ${scope.workspace ? scope.workspace.name : `#${scope.workspace_id}`} (${tenantCount(scope.count)})`;
  }
}

/**
 * `scopeLabel` where it starts a cell or a sentence: `All tenants`, `Tenant Acme (acme-001)`,
 * `Tenant #43`, `3 listed tenants`, `2 tenants (retry of #32)`, `3 tenants (revert of #32)`,
 * `Workspace Acme (12 tenants)`.
 */
export function formatScope(scope: ScopeView): string {
  const label = scopeLabel(scope);
  if (scope.kind === 'tenant' && scope.tenant) return `Tenant ${label}`;
  return label.charAt(0).toUpperCase() + label.slice(1);
}

const RUN_STATE_LABELS: Record<RunStatus | RunOutcome, string> = {
  queued: 'Queued',
  running: 'Running',
  paused: 'Paused',
  completed: 'Completed',
  succeeded: 'Succeeded',
  partially_succeeded: 'Partially succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** The one word a badge shows: the outcome once completed, else the status. */
export function runState(run: { status: RunStatus; outcome: RunOutcome | null }): {
  key: RunStatus | RunOutcome;
  label: string;
} {
  const key = run.status === 'completed' && run.outcome !== null ? run.outcome : run.status;
  return { key, label: RUN_STATE_LABELS[key] };
}
