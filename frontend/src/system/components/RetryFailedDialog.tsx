import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useRef, useState } from 'react';
import { Link } from 'react-router';
import { ProblemError, unwrap } from '../../api/client';
import type { Capability, ReasonCode, RetryFailedRequest, Run, StartedRun } from '../../api/types';
import { phraseMatches } from '../../lib/confirmation';
import { ALL_OPTION_FIELDS, EMPTY_OPTIONS, type OptionsDraft, checkOptions, optionsToSend } from '../../lib/control';
import { errorMessage } from '../../lib/errors';
import { scopeLabel, tenantCount } from '../../lib/format';
import { MAX_TENANTS_WITHOUT_ALL_TENANTS, reasonTextError } from '../../lib/runbook';
import { FieldError, ReasonFields, fieldErrors } from './ReasonFields';
import { Dialog } from '../../shared/Dialog';
import { useToasts } from '../../shared/Toasts';
import { api } from '../session';
import { FieldErrorList } from '../../shared/FieldErrorList';
import { RunOptionsFields } from './RunOptionsFields';

/**
 * Whether a retry of `run` needs `ops.runbooks.run_all_tenants`, by the server's rule (docs/spec.md
 * §21, v2 conventions): when the run it retries counts as all tenants (`counts_as_all_tenants`: an
 * all-tenants run, a list or workspace of more than 100, or a retry or revert of such a run) or
 * when it retries more than 100.
 */
export function retryNeedsAllTenants(run: Pick<Run, 'counts_as_all_tenants' | 'retryable_tenants'>): boolean {
  return run.counts_as_all_tenants || run.retryable_tenants > MAX_TENANTS_WITHOUT_ALL_TENANTS;
}

/**
 * Whether to offer "Retry failed tenants": the run is completed, the API says some failed tenants
 * are left to retry (`retryable_tenants`: failed ones no later retry rebuilt, docs/spec.md §18), and the
 * operator may start runs (and all-tenants runs, when the retry counts as one: `retryNeedsAllTenants`).
 * Whether a phrase is needed is the server's `retry_confirmation` (docs/spec.md §21): any run but
 * a single tenant's.
 */
export function mayRetryFailed(
  run: Pick<Run, 'status' | 'counts_as_all_tenants' | 'retryable_tenants' | 'retry_confirmation'>,
  capabilities: readonly Capability[],
): boolean {
  return (
    run.status === 'completed' &&
    run.retryable_tenants > 0 &&
    capabilities.includes('ops.runbooks.run') &&
    (!retryNeedsAllTenants(run) || capabilities.includes('ops.runbooks.run_all_tenants'))
  );
}


/**
 * Starts a new run over the failed tenants of a completed run: reason code and text (10–500
 * characters) and, when the server requires one, the typed phrase — the run view's
 * `retry_confirmation`, never built here (docs/spec.md §21). Confirm stays disabled until all of
 * it is valid. "Advanced" offers run control's options for the retry (docs/spec.md §13; canary
 * tenants are a start's) and the drift guard (§15), sent only when set (the guard: when off).
 * 201 closes the dialog with the intent-only "Run queued" toast; 409 and 422 problem documents
 * are shown in the dialog, each message once.
 */
export function RetryFailedDialog({ run, onClose }: { run: Run; onClose: () => void }) {
  const ids = useId();
  const queryClient = useQueryClient();
  const toasts = useToasts();
  const [code, setCode] = useState<ReasonCode | ''>('');
  const [text, setText] = useState('');
  const [textTouched, setTextTouched] = useState(false);
  const [phrase, setPhrase] = useState('');
  const phraseInput = useRef<HTMLInputElement>(null);
  const failed = run.retryable_tenants;
  // Run control's options and the drift guard ("Advanced", collapsed until opened).
  const [advancedOpen, setAdvancedOpen] = useState(false);
  const [draft, setDraft] = useState<OptionsDraft>(EMPTY_OPTIONS);
  const [driftGuard, setDriftGuard] = useState(true);
  const stages = failed > 1;
  const checked = checkOptions({ ...draft, canary: '' }, { tenantsInScope: failed, stages });
  const optionsValid = Object.keys(checked.errors).length === 0;

  const expected = run.retry_confirmation?.phrase ?? '';
  const required = run.retry_confirmation?.required ?? false;
  const textError = reasonTextError(text);
  const phraseOk = !required || phraseMatches(phrase, expected);
  const canRetry = code !== '' && textError === null && phraseOk && optionsValid;

  const retry = useMutation({
    mutationFn: (body: RetryFailedRequest): Promise<StartedRun> =>
      unwrap(
        api.POST('/system/api/ops/runs/{id}/retry-failed', {
          params: { path: { id: run.id } },
          body,
        }),
      ),
    onSuccess: (created) => {
      void queryClient.invalidateQueries({ queryKey: ['runs'] });
      void queryClient.invalidateQueries({ queryKey: ['runbooks'] });
      toasts.show({
        title: 'Run queued',
        link: { to: `/ops/runs/${created.id}`, label: `View run #${created.id}` },
      });
      onClose();
    },
    // A refused phrase is said beside its field (described by it): focus takes the operator there.
    onError: (error) => {
      if (fieldErrors(error).confirmation) phraseInput.current?.focus();
      // A refused option is said beside its field: open "Advanced" to show it.
      if (ALL_OPTION_FIELDS.some((field) => field in fieldErrors(error))) setAdvancedOpen(true);
    },
  });

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!canRetry || retry.isPending) return;
    const options = optionsToSend(checked.options, driftGuard);
    retry.mutate({
      reason: { code, text: text.trim() },
      confirmation: required ? phrase : null,
      ...(options !== null ? { options } : {}),
    });
  };

  const errors = fieldErrors(retry.error);
  const conflict =
    retry.error instanceof ProblemError && retry.error.status === 409 ? retry.error : null;
  const shown = new Set(['reason.code', 'reason.text', 'reason', ...(required ? ['confirmation'] : []), ...ALL_OPTION_FIELDS]);
  const otherErrors = Object.entries(errors).filter(([field]) => !shown.has(field));
  // A refusal about one field (a wrong phrase: the problem's detail is that field's message) is
  // said beside the field, not a second time above the buttons.
  const message = retry.isError ? errorMessage(retry.error) : '';
  const saidBesideField = Object.entries(errors).some(
    ([field, messages]) => shown.has(field) && messages.join(' ') === message,
  );

  return (
    <Dialog
      title="Retry failed tenants"
      onClose={onClose}
      description={
        <p>
          Starts a new run of <code>{run.runbook}</code> over the {failed} failed{' '}
          {failed === 1 ? 'tenant' : 'tenants'} of run #{run.id}
          {run.retryable_tenants < run.counts.failed && ' that no later retry rebuilt'}.
        </p>
      }
    >
      <form onSubmit={onSubmit} noValidate>
        <ReasonFields
          ids={ids}
          code={code}
          onCode={setCode}
          text={text}
          onText={setText}
          textTouched={textTouched}
          onTextBlur={() => setTextTouched(true)}
          textError={textError}
          errors={errors}
        />

        {required && (
          <>
            <label htmlFor={`${ids}-phrase`}>
              Type <code className="phrase">{expected}</code> to confirm
            </label>
            <input
              id={`${ids}-phrase`}
              ref={phraseInput}
              autoComplete="off"
              spellCheck={false}
              value={phrase}
              aria-invalid={phrase !== '' && !phraseOk ? true : undefined}
              aria-describedby={`${ids}-phrase-help${errors.confirmation ? ` ${ids}-phrase-error` : ''}`}
              onChange={(event) => setPhrase(event.target.value)}
            />
            <p id={`${ids}-phrase-help`} className="field-help">
              This retries {tenantCount(failed)} of a run over {scopeLabel(run.scope)}. The phrase
              must match exactly, including case.
            </p>
            <FieldError id={`${ids}-phrase-error`} messages={errors.confirmation} />
          </>
        )}

        <RunOptionsFields
          ids={ids}
          open={advancedOpen}
          onToggle={() => setAdvancedOpen((isOpen) => !isOpen)}
          draft={draft}
          onChange={setDraft}
          onBlur={() => undefined}
          errors={checked.errors}
          serverErrors={errors}
          stages={stages}
          tenantsInScope={failed}
          driftGuard={driftGuard}
          onDriftGuard={setDriftGuard}
          driftGuardHelp={`Fail a tenant, untouched, when it would change far more rows than run #${run.id}'s preflight predicted for it.`}
        />

        {conflict && (
          <div className="form-error" role="alert">
            <p>{errorMessage(conflict)}</p>
            {typeof conflict.problem.active_run_id === 'number' && (
              <p>
                <Link to={`/ops/runs/${conflict.problem.active_run_id}`} onClick={onClose}>
                  View active run #{conflict.problem.active_run_id}
                </Link>
              </p>
            )}
          </div>
        )}
        {retry.isError && !conflict && (!saidBesideField || otherErrors.length > 0) && (
          <div className="form-error" role="alert">
            {!saidBesideField && <p>{message}</p>}
            <FieldErrorList errors={otherErrors} detail={message} />
          </div>
        )}

        <div className="dialog-actions">
          <button type="button" className="button-secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" disabled={!canRetry || retry.isPending}>
            {retry.isPending ? 'Queueing…' : 'Retry failed tenants'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
