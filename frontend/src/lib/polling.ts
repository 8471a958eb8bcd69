import type { RunStatus } from '../api/types';

/** How often run detail is polled while the run can still change (docs/spec.md §8: every 2 s). */
export const RUN_POLL_INTERVAL_MS = 2000;

/** A run derived from the one shown: a retry or a revert of it, with its outcome (null while active). */
type Derived = { outcome: unknown };

/**
 * TanStack Query `refetchInterval` for a run: poll while it is queued or running, stop once it
 * is completed (runs never leave `completed`) — unless a retry or a revert of it (docs/spec.md
 * §15, §21) is still active, whose outcome its "Retried by" or "Reverted by" line shows: then
 * until that one completes too (the server answers an unchanged view with a cheap 304). No polling
 * before the first response.
 */
export function refetchIntervalFor(
  run: { status: RunStatus; retried_by?: Derived[]; reverted_by?: Derived[] } | undefined,
): number | false {
  if (run === undefined) return false;
  if (run.status !== 'completed') return RUN_POLL_INTERVAL_MS;
  const following = [...(run.retried_by ?? []), ...(run.reverted_by ?? [])].some((derived) => derived.outcome == null);
  return following ? RUN_POLL_INTERVAL_MS : false;
}

/**
 * How often a runbook page refreshes its active runs: always, not only while one is active, so a
 * run another operator starts shows as "Active now" (and blocks Start) within one poll, and one
 * that completes leaves within seconds (issue 16, obs. 5; issue 22, item 4).
 */
export const ACTIVE_RUNS_POLL_INTERVAL_MS = 3000;

/**
 * How often the runs list refreshes: always, also when every listed run is completed, so a run
 * another operator starts appears within one poll (issue 22, item 4).
 */
export const RUN_LIST_POLL_INTERVAL_MS = 5000;

/**
 * How often the database health page, and a throttle banner, ask for the gate (docs/spec.md §14):
 * always, since the gate may close or open at any sample. The page asks for the samples as often,
 * but only for those since the last it has.
 */
export const HEALTH_POLL_INTERVAL_MS = 3000;
