// Run control (docs/spec.md §13) in words and rules: why a run is paused and what to do next,
// what its unstarted items wait for, its options as a summary, and the Start dialog's
// "Advanced" options checked the way the server checks them.

import type {
  OpsTenant,
  PauseView,
  Run,
  RunActionRequest,
  RunOptions,
  Scope,
  WaitingFor,
  WaveView,
} from '../api/types';
import { tenantCount } from './format';

/** The largest concurrency cap the server accepts. */
export const MAX_CONCURRENCY = 256;

/** The body of `POST /ops/runs/{id}/cancel`, `/pause` and `/resume`: the reason, trimmed. */
export function runActionBody(reason: string): RunActionRequest {
  return { reason: reason.trim() };
}

/** Whether a run can still be paused: queued or running, and not being cancelled. */
export function mayPause(run: Pick<Run, 'status' | 'cancel_reason'>): boolean {
  return (run.status === 'queued' || run.status === 'running') && run.cancel_reason === null;
}

/** Whether a run can be resumed: paused, and not being cancelled. */
export function mayResume(run: Pick<Run, 'status' | 'cancel_reason'>): boolean {
  return run.status === 'paused' && run.cancel_reason === null;
}

/** The pause banner's headline: why the run is paused, in plain words. */
export function pauseHeadline(pause: Pick<PauseView, 'reason' | 'by'>, wave: WaveView | null): string {
  switch (pause.reason) {
    case 'operator':
      return pause.by ? `Paused by ${pause.by.username}.` : 'Paused by an operator.';
    case 'failure_budget':
      return 'Paused by the run itself: more tenants failed than its failure budget allows.';
    case 'wave_gate':
      return wave
        ? `Paused by the run itself after wave ${wave.current} of ${wave.of}, for you to check it.`
        : 'Paused by the run itself at the end of a wave, for you to check it.';
  }
}

/** The wave a resume starts, "wave 2 of 3", or null when the run has no wave left to release. */
export function nextWave(wave: WaveView | null): string | null {
  if (wave === null || wave.current >= wave.of) return null;
  return `wave ${wave.current + 1} of ${wave.of}`;
}

/**
 * What the operator can do about a paused run, in one sentence per reason. `canResume` and
 * `canCancel` are the operator's capabilities: the sentence offers only what they may do.
 */
export function pauseNextStep(
  run: Pick<Run, 'pause' | 'wave'>,
  { canResume, canCancel }: { canResume: boolean; canCancel: boolean },
): string {
  const next = nextWave(run.wave);
  const resume = next ? `resume to continue with ${next}` : 'resume to continue';
  const others = canResume ? '' : ' Only an operator who may control runs can resume it.';
  if (!canResume && !canCancel) {
    return `An operator who may control runs can ${resume}, or cancel it.`;
  }
  const action = canResume && canCancel ? `${resume}, or cancel the run` : canResume ? resume : 'cancel the run if it should not go on';
  switch (run.pause?.reason) {
    case 'wave_gate':
      return `Check the tenants processed so far, then ${action}.${others}`;
    case 'failure_budget':
      return `Look at the failed tenants, then ${action}.${canResume ? ' A resume counts the failure budget afresh.' : others}`;
    default:
      return `${action.charAt(0).toUpperCase()}${action.slice(1)}.${others}`;
  }
}

/** Items still finishing in a paused run: "2 tenants already running will finish." or null. */
export function inFlightSentence(running: number): string | null {
  if (running <= 0) return null;
  return `${tenantCount(running)} already running will finish; no other tenant starts until the run is resumed.`;
}

/**
 * Why an active run's unstarted items are not starting, in one line; null when nothing waits or
 * the pause banner says it (`paused`, `wave_gate`).
 */
export function waitingSentence(waiting: WaitingFor | null, running: number): string | null {
  if (waiting === null) return null;
  switch (waiting.reason) {
    case 'workers': {
      const ahead = waiting.jobs_ahead ?? 0;
      return ahead > 0
        ? `Waiting for a free worker (${ahead} ${ahead === 1 ? 'job' : 'jobs'} of other runs ahead)`
        : 'Waiting for a free worker';
    }
    case 'capped':
      return `At its concurrency cap (${running} running)`;
    case 'throttled':
      return 'Held by the database health gate: no tenant starts until the database is healthy again';
    case 'paused':
    case 'wave_gate':
      return null;
  }
}

/** Whether a run was started with any option set (the drift guard turned off counts). */
export function hasOptions(options: RunOptions | null | undefined): boolean {
  if (!options) return false;
  return (
    options.max_concurrency != null ||
    options.failure_budget != null ||
    (options.waves != null && options.waves.length > 0) ||
    (options.canary_tenant_ids != null && options.canary_tenant_ids.length > 0) ||
    options.drift_guard === false
  );
}

/** The drift guard of a run (docs/spec.md §15) in words: on unless its start turned it off. */
export function driftGuardWords(on: boolean | null | undefined): string {
  return on === false
    ? 'Off (turned off at the start): every tenant was written, however many rows it changed'
    : 'On: a tenant that would change far more rows than its preflight predicted fails, untouched';
}

/** The concurrency cap in words. */
export function capWords(max: number | null | undefined): string {
  return max == null ? 'No limit' : `At most ${max} ${max === 1 ? 'tenant' : 'tenants'} at a time`;
}

/** The failure budget in words. */
export function budgetWords(budget: RunOptions['failure_budget']): string {
  if (budget == null) return 'None';
  return budget.max_failed === 0
    ? 'Pauses at the first failed tenant'
    : `Pauses when more than ${tenantCount(budget.max_failed)} have failed`;
}

/** The waves in words: "5, 50, then the rest (3 waves)". */
export function wavesWords(waves: readonly number[] | null | undefined): string {
  if (waves == null || waves.length === 0) return 'None';
  return `First ${waves.join(', then up to ')}, then the rest (${waves.length + 1} waves)`;
}

// The Start dialog's "Advanced" options, as typed.

/** The four options as the operator types them (empty: not set). */
export interface OptionsDraft {
  maxConcurrency: string;
  maxFailed: string;
  waves: string;
  canary: string;
}

export const EMPTY_OPTIONS: OptionsDraft = { maxConcurrency: '', maxFailed: '', waves: '', canary: '' };

/** The request fields the server names in a 422, one per option. */
export const OPTION_FIELDS = {
  maxConcurrency: 'options.max_concurrency',
  maxFailed: 'options.failure_budget.max_failed',
  waves: 'options.waves',
  canary: 'options.canary_tenant_ids',
} as const satisfies Record<keyof OptionsDraft, string>;

export type OptionErrors = Partial<Record<keyof OptionsDraft, string>>;

/** The request field of the drift guard (docs/spec.md §15), as a 422 would name it. */
export const DRIFT_GUARD_FIELD = 'options.drift_guard';

/** Every request field of the "Advanced" options: a 422 on one is said beside it. */
export const ALL_OPTION_FIELDS: readonly string[] = [...Object.values(OPTION_FIELDS), DRIFT_GUARD_FIELD];

/**
 * The options a start, retry or revert sends: those set (`checkOptions`), and the drift guard
 * only when it is turned off (`drift_guard: false`; on is the API's default, so the key is left
 * out). Null when there is nothing to send.
 */
export function optionsToSend(options: RunOptions | null, driftGuard: boolean): RunOptions | null {
  const all: RunOptions = { ...(options ?? {}), ...(driftGuard ? {} : { drift_guard: false }) };
  return Object.keys(all).length > 0 ? all : null;
}

/** A whole number as typed (digits only), else null. */
function wholeNumber(text: string): number | null {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return null;
  const n = Number(trimmed);
  return Number.isSafeInteger(n) ? n : null;
}

/** The pieces of a list typed with commas, semicolons or spaces. */
function pieces(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((piece) => piece.trim())
    .filter((piece) => piece !== '');
}

/** The canary tenants' external ids as typed, in order, repeats kept (the check names them). */
export function canaryExternalIds(text: string): string[] {
  return pieces(text).map((id) => id.replace(/^"(.*)"$/, '$1'));
}

/** Whether a scope of this size takes waves and canary tenants (more than one tenant). */
export function takesStages(scope: Pick<Scope, 'kind'>, tenantsInScope: number): boolean {
  return scope.kind !== 'tenant' && tenantsInScope > 1;
}

/**
 * The options as the server would check them against a scope of `tenantsInScope` tenants, field by
 * field (the message shown at the field), and the options to send: only those set, or null when
 * none is. The canary tenants are checked for repeats and count here; whether each names a tenant
 * in scope needs their lookup (`canaryProblems`).
 */
export function checkOptions(
  draft: OptionsDraft,
  { tenantsInScope, stages }: { tenantsInScope: number; stages: boolean },
): { errors: OptionErrors; options: Omit<RunOptions, 'canary_tenant_ids'> | null } {
  const errors: OptionErrors = {};
  const options: Omit<RunOptions, 'canary_tenant_ids'> = {};

  if (draft.maxConcurrency.trim() !== '') {
    const max = wholeNumber(draft.maxConcurrency);
    if (max === null || max < 1 || max > MAX_CONCURRENCY) {
      errors.maxConcurrency = `Give a whole number from 1 to ${MAX_CONCURRENCY}, or leave it empty for no limit.`;
    } else {
      options.max_concurrency = max;
    }
  }

  if (draft.maxFailed.trim() !== '') {
    const max = wholeNumber(draft.maxFailed);
    if (max === null) {
      errors.maxFailed = 'Give a whole number, 0 or more (0 pauses at the first failure), or leave it empty.';
    } else {
      options.failure_budget = { max_failed: max };
    }
  }

  if (stages && draft.waves.trim() !== '') {
    const typed = pieces(draft.waves);
    const waves = typed.map(wholeNumber);
    if (waves.some((n) => n === null)) {
      errors.waves = 'Give whole numbers of tenants separated by commas, e.g. 5, 50.';
    } else {
      const boundaries = waves as number[];
      let before = 0;
      for (const end of boundaries) {
        if (end <= before) {
          errors.waves =
            end === 0
              ? 'Each wave must have at least one tenant: start above 0.'
              : 'Each number must be larger than the one before it: they count tenants from the start (5, 50).';
          break;
        }
        if (end >= tenantsInScope) {
          errors.waves = `Each number must be below the ${tenantsInScope} tenants in scope (the last wave is the rest).`;
          break;
        }
        before = end;
      }
      if (errors.waves === undefined) options.waves = boundaries;
    }
  }

  if (stages && draft.canary.trim() !== '') {
    const ids = canaryExternalIds(draft.canary);
    const seen = new Set<string>();
    const repeated = ids.find((id) => (seen.has(id) ? true : (seen.add(id), false)));
    if (repeated !== undefined) {
      errors.canary = `${repeated} is named twice.`;
    } else if (ids.length > tenantsInScope) {
      errors.canary = `More canary tenants than the ${tenantsInScope} tenants in scope.`;
    }
  }

  return { errors, options: Object.keys(options).length > 0 ? options : null };
}

/**
 * What keeps looked-up canary tenants out of the run: ids that name no tenant (or the platform
 * tenant), and tenants outside the start's scope (a list's or a workspace's; all tenants holds
 * every one). Null when every id is a tenant in scope.
 */
export function canaryProblems(
  ids: readonly string[],
  lookup: { found: readonly Pick<OpsTenant, 'id' | 'external_id' | 'workspace_id'>[]; missing: readonly string[]; platform: string | null },
  scope: Scope,
): string | null {
  const missing = ids.filter((id) => lookup.missing.includes(id) || id === lookup.platform);
  if (missing.length > 0) {
    return `Not a tenant a runbook can target: ${missing.join(', ')}.`;
  }
  const byExternal = new Map(lookup.found.map((tenant) => [tenant.external_id, tenant]));
  const outside = ids.filter((id) => {
    const tenant = byExternal.get(id);
    if (tenant === undefined) return false;
    if (scope.kind === 'workspace') return tenant.workspace_id !== scope.workspace_id;
    if (scope.kind === 'tenants') {
      if (scope.tenant_ids) return !scope.tenant_ids.includes(tenant.id);
      if (scope.external_ids) return !scope.external_ids.includes(tenant.external_id);
    }
    return false;
  });
  if (outside.length > 0) {
    return `Not in this run's scope: ${outside.join(', ')}. Canary tenants must be among the tenants the run covers.`;
  }
  return null;
}

/** The canary tenants' ids in the order their external ids were given. */
export function canaryTenantIds(
  ids: readonly string[],
  found: readonly Pick<OpsTenant, 'id' | 'external_id'>[],
): number[] {
  const byExternal = new Map(found.map((tenant) => [tenant.external_id, tenant.id]));
  return ids.flatMap((id) => {
    const tenantId = byExternal.get(id);
    return tenantId === undefined ? [] : [tenantId];
  });
}
