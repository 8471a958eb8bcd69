import type { RunStatus } from '../api/types';

/** How often run detail is polled while the run can still change (docs/spec.md §8: every 2 s). */
export const RUN_POLL_INTERVAL_MS = 2000;

/**
 * TanStack Query `refetchInterval` for a run: poll while it is queued or running, stop once it
 * is completed (runs never leave `completed`), and do not poll before the first response.
 */
export function refetchIntervalFor(run: { status: RunStatus } | undefined): number | false {
  if (run === undefined) return false;
  return run.status === 'completed' ? false : RUN_POLL_INTERVAL_MS;
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
