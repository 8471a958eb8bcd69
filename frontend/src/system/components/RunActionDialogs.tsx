import { useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { ProblemError, unwrap } from '../../api/client';
import type { Run, RunOptionsChange } from '../../api/types';
import { MAX_CONCURRENCY, capWords, nextWave, runActionBody } from '../../lib/control';
import { tenantCount } from '../../lib/format';
import { api } from '../session';
import { ReasonDialog } from './ReasonDialog';

/**
 * What follows a run action: the run as the server answered it, shown at once, then its query
 * invalidated once (the next poll's view, e.g. the items a pause left running) and the runs list
 * refreshed. A refused action (409: the run moved on meanwhile) refreshes the run too.
 */
function useRunActionResult(runId: number) {
  const queryClient = useQueryClient();
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ['run', runId], exact: true });
    void queryClient.invalidateQueries({ queryKey: ['runs'] });
  };
  return {
    onDone: (updated: Run) => {
      queryClient.setQueryData(['run', runId], updated);
      refresh();
    },
    onFailed: (error: Error) => {
      if (error instanceof ProblemError && error.status === 409) refresh();
    },
  };
}

type DialogProps = { run: Run; onClose: () => void };

/** Confirms a cancel and asks why (10–500 characters, as the server requires). */
export function CancelRunDialog({ run, onClose }: DialogProps) {
  const result = useRunActionResult(run.id);
  return (
    <ReasonDialog
      title={`Cancel run #${run.id}?`}
      description={
        <p>
          Pending tenants will not be processed; tenants already running finish first.
          {run.status === 'paused' && ' The run is paused: cancelling ends it without resuming.'}
        </p>
      }
      label="Reason for cancelling"
      submitLabel="Cancel run"
      pendingLabel="Cancelling…"
      dismissLabel={run.status === 'paused' ? 'Keep paused' : 'Keep running'}
      danger
      submit={(reason): Promise<Run> =>
        unwrap(
          api.POST('/system/api/ops/runs/{id}/cancel', {
            params: { path: { id: run.id } },
            body: runActionBody(reason),
          }),
        )
      }
      onClose={onClose}
      {...result}
    />
  );
}

/** Pauses a queued or running run, with a reason; tenants already running finish. */
export function PauseRunDialog({ run, onClose }: DialogProps) {
  const result = useRunActionResult(run.id);
  const running = run.counts.running;
  return (
    <ReasonDialog
      title={`Pause run #${run.id}?`}
      description={
        <p>
          No further tenant starts, on any worker, until the run is resumed
          {running > 0 ? `; the ${tenantCount(running)} already running will finish` : ''}. The run
          keeps its place: no other run over these tenants can start meanwhile.
        </p>
      }
      label="Reason for pausing"
      submitLabel="Pause run"
      pendingLabel="Pausing…"
      dismissLabel="Keep running"
      submit={(reason): Promise<Run> =>
        unwrap(
          api.POST('/system/api/ops/runs/{id}/pause', {
            params: { path: { id: run.id } },
            body: runActionBody(reason),
          }),
        )
      }
      onClose={onClose}
      {...result}
    />
  );
}

/** Resumes a paused run, with a reason: the next wave, or the rest of the tenants. */
export function ResumeRunDialog({ run, onClose }: DialogProps) {
  const result = useRunActionResult(run.id);
  const next = run.pause?.reason === 'wave_gate' ? nextWave(run.wave) : null;
  return (
    <ReasonDialog
      title={`Resume run #${run.id}?`}
      description={
        <p>
          {next
            ? `Its tenants start again with ${next}.`
            : 'Its remaining tenants start again.'}
          {run.options.failure_budget != null && ' The failure budget counts afresh from now.'}
          {run.counts.running > 0 &&
            ` ${tenantCount(run.counts.running)} from before the pause ${run.counts.running === 1 ? 'is' : 'are'} still finishing.`}
        </p>
      }
      label="Reason for resuming"
      submitLabel={next ? `Resume with ${next}` : 'Resume run'}
      pendingLabel="Resuming…"
      dismissLabel="Keep paused"
      submit={(reason): Promise<Run> =>
        unwrap(
          api.POST('/system/api/ops/runs/{id}/resume', {
            params: { path: { id: run.id } },
            body: runActionBody(reason),
          }),
        )
      }
      onClose={onClose}
      {...result}
    />
  );
}

/** A cap as typed: a whole number 1–256, `null` for none (empty), or `undefined` when invalid. */
export function parseCap(text: string): number | null | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  if (!/^\d+$/.test(trimmed)) return undefined;
  const n = Number(trimmed);
  return n >= 1 && n <= MAX_CONCURRENCY ? n : undefined;
}

/** Changes an active run's concurrency cap, with a reason; tenants already running finish. */
export function ConcurrencyDialog({ run, onClose }: DialogProps) {
  const ids = useId();
  const result = useRunActionResult(run.id);
  const current = run.options.max_concurrency ?? null;
  const [cap, setCap] = useState(current === null ? '' : String(current));
  const parsed = parseCap(cap);
  const invalid = parsed === undefined;
  return (
    <ReasonDialog
      title={`Change the concurrency of run #${run.id}`}
      description={
        <p>
          Now: {capWords(current).toLowerCase()}. The new cap applies from the next tenant that
          starts; tenants already running finish.
        </p>
      }
      label="Reason for the change"
      submitLabel="Change concurrency"
      pendingLabel="Changing…"
      dismissLabel="Keep it"
      fieldNames={['max_concurrency', 'options.max_concurrency']}
      fieldsValid={!invalid}
      fields={(errors) => {
        const server = errors['options.max_concurrency'] ?? errors.max_concurrency;
        return (
          <>
            <label htmlFor={`${ids}-cap`}>Max concurrency</label>
            <input
              id={`${ids}-cap`}
              className="input-short"
              inputMode="numeric"
              data-autofocus
              value={cap}
              aria-invalid={invalid || server ? true : undefined}
              aria-describedby={`${ids}-cap-help${server ? ` ${ids}-cap-error` : ''}`}
              onChange={(event) => setCap(event.target.value)}
            />
            <p id={`${ids}-cap-help`} className={invalid ? 'field-error' : 'field-help'}>
              {invalid
                ? `Give a whole number from 1 to ${MAX_CONCURRENCY}, or leave it empty for no limit.`
                : 'At most this many tenants are repaired at the same time, across all workers. Leave empty for no limit.'}
            </p>
            {server && (
              <p id={`${ids}-cap-error`} className="field-error">
                {server.join(' ')}
              </p>
            )}
          </>
        );
      }}
      submit={(reason): Promise<Run> => {
        const body: RunOptionsChange = { max_concurrency: parsed ?? null, reason };
        return unwrap(api.PATCH('/system/api/ops/runs/{id}/options', { params: { path: { id: run.id } }, body }));
      }}
      onClose={onClose}
      {...result}
    />
  );
}
