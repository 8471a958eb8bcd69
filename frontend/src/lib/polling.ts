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

/** How often a runbook page refreshes its active runs while any is queued or running. */
export const ACTIVE_RUNS_POLL_INTERVAL_MS = 3000;

/**
 * TanStack Query `refetchInterval` for a runbook view: poll while it lists an active run, so a
 * run that completes leaves "Active now" within seconds (issue 16, obs. 5); no polling otherwise.
 */
export function activeRunsRefetchInterval(
  runbook: { active_runs: readonly { status: RunStatus }[] } | undefined,
): number | false {
  return runbook?.active_runs.some((run) => run.status !== 'completed')
    ? ACTIVE_RUNS_POLL_INTERVAL_MS
    : false;
}
