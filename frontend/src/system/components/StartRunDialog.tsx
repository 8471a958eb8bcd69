import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { Link } from 'react-router';
import { ProblemError, unwrap } from '../../api/client';
import type {
  OpsTenant,
  PreflightResult,
  ReasonCode,
  Runbook,
  Scope,
  StartedRun,
  StartRunRequest,
} from '../../api/types';
import { phraseMatches } from '../../lib/confirmation';
import {
  ALL_OPTION_FIELDS,
  EMPTY_OPTIONS,
  type OptionsDraft,
  canaryExternalIds,
  canaryProblems,
  canaryTenantIds,
  checkOptions,
  optionsToSend,
  takesStages,
} from '../../lib/control';
import { errorMessage } from '../../lib/errors';
import { scopeLabel, tenantCount } from '../../lib/format';
import { parametersSentence } from '../../lib/parameters';
import { preflightFoundNothing, reasonTextError, startedToastTitle } from '../../lib/runbook';
import { FieldError, ReasonFields, fieldErrors } from './ReasonFields';
import { Dialog } from '../../shared/Dialog';
import { useToasts } from '../../shared/Toasts';
import { api } from '../session';
import { FieldErrorList } from '../../shared/FieldErrorList';
import { lookupTenants } from '../tenantLookup';
import { type CanaryState, RunOptionsFields, optionInputId } from './RunOptionsFields';

/**
 * The Start dialog, named after the runbook: what is being confirmed (scope, count, the
 * preflight's parameters), reason code and text (10–500 characters, checked as you type) and,
 * when the preflight requires it, the typed phrase — the preflight's `confirmation.phrase`, never
 * built here. Start stays disabled until everything is valid and the phrase matches exactly; it
 * sends the preflight's own (parsed) parameters back, with the scope the preflight was asked for
 * (`scope`: the request's, not the preflight's view of it, which names and counts). Success closes the dialog, shows the
 * intent-only toast ("Run queued", or "Run #N is already running" for a deduplicated start) and
 * tells the page (`onStarted`), which discards the used preflight. 409 points to the active run
 * and keeps Start disabled; a stale preflight (422 on `preflight_id`) is said once, with a
 * "Re-run preflight" action; other 422s show the server's field errors. Run control's options
 * (docs/spec.md §13) are under "Advanced", checked as the server checks them, the canary tenants
 * looked up by external id; only options that are set are sent, and the drift guard (docs/spec.md §15)
 * only when it is turned off (`drift_guard: false`).
 */
export function StartRunDialog({
  runbook,
  preflight,
  scope,
  tenant = null,
  onClose,
  onStarted,
  onRerunPreflight,
}: {
  runbook: Pick<Runbook, 'key' | 'title' | 'parameters'>;
  preflight: PreflightResult;
  /** The scope sent to the preflight: a start must send the same. */
  scope: Scope;
  /** The tenant the operator picked, for a one-tenant scope: the dialog names it. */
  tenant?: Pick<OpsTenant, 'id' | 'name' | 'external_id'> | null;
  onClose: () => void;
  /** After a 201/200: the run (the preflight is used up). */
  onStarted?: (run: StartedRun) => void;
  /** Runs the same preflight again (scope and parameters), for a stale one. */
  onRerunPreflight?: () => void;
}) {
  const runbookKey = runbook.key;
  const ids = useId();
  const queryClient = useQueryClient();
  const toasts = useToasts();
  const [code, setCode] = useState<ReasonCode | ''>('');
  const [text, setText] = useState('');
  const [textTouched, setTextTouched] = useState(false);
  const [phrase, setPhrase] = useState('');
  const [phraseTouched, setPhraseTouched] = useState(false);
  // docs/spec.md §18: a preflight that found nothing to change starts only when the operator says so.
  const nothingToChange = preflightFoundNothing(preflight);
  const [startAnyway, setStartAnyway] = useState(false);

  // Run control's options ("Advanced", collapsed until opened).
  const [advancedOpen, setAdvancedOpen] = useState(false);
  const [draft, setDraft] = useState<OptionsDraft>(EMPTY_OPTIONS);
  // The drift guard (docs/spec.md §15): on unless unticked; only "off" is sent.
  const [driftGuard, setDriftGuard] = useState(true);
  const tenantsInScope = preflight.tenants_in_scope;
  const stages = takesStages(scope, tenantsInScope);
  const checked = checkOptions(draft, { tenantsInScope, stages });
  // Said as you type, as the reason's length is: Start stays disabled until they are fixed.
  const optionsValid = Object.keys(checked.errors).length === 0;
  // The canary tenants are looked up once the field is left (and again at Start, from the cache).
  const canaryIds = stages ? canaryExternalIds(draft.canary) : [];
  const [canaryLooked, setCanaryLooked] = useState<string[]>([]);
  const canaryKey = (list: readonly string[]) => ['tenant-lookup', 'canary', ...list];
  const canaryCurrent = canaryLooked.length > 0 && canaryLooked.join('\n') === canaryIds.join('\n');
  const canaryLookup = useQuery({
    queryKey: canaryKey(canaryLooked),
    queryFn: () => lookupTenants(canaryLooked),
    enabled: canaryCurrent && checked.errors.canary === undefined,
    staleTime: 60_000,
    retry: false,
  });
  const canaryProblem =
    canaryCurrent && canaryLookup.data ? canaryProblems(canaryLooked, canaryLookup.data, scope) : null;
  const canary: CanaryState = {
    pending: canaryCurrent && canaryLookup.isFetching,
    error: canaryCurrent ? canaryLookup.error : null,
    problem: canaryProblem,
    found:
      canaryCurrent && canaryLookup.data && canaryProblem === null
        ? canaryTenantIds(canaryLooked, canaryLookup.data.found).flatMap((id) => {
            const tenant = canaryLookup.data.found.find((candidate) => candidate.id === id);
            return tenant ? [tenant] : [];
          })
        : null,
  };

  const required = preflight.confirmation.required;
  const expected = preflight.confirmation.phrase ?? '';
  const textError = reasonTextError(text);
  const phraseOk = !required || phraseMatches(phrase, expected);
  // Said while typing once the text can no longer become the phrase, and after leaving the field.
  const phraseWrong =
    required && phrase !== '' && !phraseOk && (phraseTouched || !expected.startsWith(phrase));

  const start = useMutation({
    mutationFn: (body: StartRunRequest): Promise<StartedRun> =>
      unwrap(
        api.POST('/system/api/ops/runbooks/{key}/runs', {
          params: { path: { key: runbookKey } },
          body,
        }),
      ),
    onSuccess: (run) => {
      void queryClient.invalidateQueries({ queryKey: ['runs'] });
      void queryClient.invalidateQueries({ queryKey: ['runbooks'] });
      void queryClient.invalidateQueries({ queryKey: ['runbook', runbookKey] });
      toasts.show({
        title: startedToastTitle(run),
        link: { to: `/ops/runs/${run.id}`, label: `View run #${run.id}` },
      });
      onStarted?.(run);
      onClose();
    },
    onError: (error) => {
      // The run in the way now shows on the runbook page too (and blocks Start there).
      if (error instanceof ProblemError && error.status === 409) {
        void queryClient.invalidateQueries({ queryKey: ['runbook', runbookKey] });
      }
      // A refused option is said beside its field: open "Advanced" to show it.
      if (ALL_OPTION_FIELDS.some((field) => field in fieldErrors(error))) setAdvancedOpen(true);
    },
  });

  const errors = fieldErrors(start.error);
  const conflict =
    start.error instanceof ProblemError && start.error.status === 409 ? start.error : null;
  // The preflight is stale (expired, used by another start — 422 `preflight_used` —, tenants
  // changed) or, without "Start anyway", found nothing to change (422 `no_changes`): only a new
  // preflight (or the box) can start.
  const refusal = startRefusal(start.error);
  const stale = refusal !== null;
  const shown = new Set([
    'reason.code',
    'reason.text',
    'reason',
    'confirmation',
    'preflight_id',
    'allow_no_changes',
    ...ALL_OPTION_FIELDS,
  ]);
  const otherErrors = Object.entries(errors).filter(([field]) => !shown.has(field));
  // A 422 about an option alone is said beside that option, not a second time above the buttons.
  const startMessage = start.isError ? errorMessage(start.error) : '';
  const saidAtOption = ALL_OPTION_FIELDS.some((field) => errors[field]?.join(' ') === startMessage);
  const canStart =
    code !== '' &&
    textError === null &&
    phraseOk &&
    !conflict &&
    !stale &&
    (!nothingToChange || startAnyway) &&
    optionsValid &&
    canaryProblem === null;
  const [resolving, setResolving] = useState(false);

  /** The canary tenants' ids, looked up now unless the field's lookup has them; null: none set. */
  const resolveCanary = async (): Promise<number[] | null | 'refused'> => {
    if (canaryIds.length === 0) return null;
    setCanaryLooked(canaryIds);
    try {
      const lookup = await queryClient.fetchQuery({
        queryKey: canaryKey(canaryIds),
        queryFn: () => lookupTenants(canaryIds),
        staleTime: 60_000,
        retry: false,
      });
      return canaryProblems(canaryIds, lookup, scope) === null ? canaryTenantIds(canaryIds, lookup.found) : 'refused';
    } catch {
      return 'refused';
    }
  };

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!canStart || start.isPending || resolving) return;
    setResolving(true);
    const canaryTenants = await resolveCanary();
    setResolving(false);
    if (canaryTenants === 'refused') {
      // Said beside the field (its lookup is the one just made): take the operator there.
      setAdvancedOpen(true);
      window.setTimeout(() => document.getElementById(optionInputId(ids, 'canary'))?.focus(), 0);
      return;
    }
    // Only the options that are set (the API's default keeps a run unrestricted), and the drift
    // guard only when it is turned off.
    const options = optionsToSend(
      { ...checked.options, ...(canaryTenants !== null ? { canary_tenant_ids: canaryTenants } : {}) },
      driftGuard,
    );
    start.mutate({
      scope,
      reason: { code, text: text.trim() },
      preflight_id: preflight.preflight_id,
      confirmation: required ? phrase : null,
      parameters: preflight.parameters,
      // Sent only when the operator ticked "Start anyway" (the API's default is false).
      ...(nothingToChange && startAnyway ? { allow_no_changes: true } : {}),
      ...(options !== null ? { options } : {}),
    });
  };

  const view = preflight.scope;
  const scopeWords =
    view.kind === 'all_tenants'
      ? `all ${preflight.tenants_in_scope} tenants`
      : view.kind === 'tenant'
        ? `tenant ${scopeLabel({ ...view, tenant: view.tenant ?? (tenant?.id === view.tenant_id ? tenant : null) })}`
        : scopeLabel(view);

  const parameters = parametersSentence(preflight.parameters, runbook.parameters);

  return (
    <Dialog
      title={`Start ${runbook.title}`}
      onClose={onClose}
      description={
        <>
          <p>
            Runs <strong>{runbook.title}</strong> (<code>{runbookKey}</code>) over {scopeWords}:{' '}
            {preflight.findings_to_change} findings would change.
          </p>
          {parameters && (
            <p className="confirm-parameters">
              <span className="muted">Parameters:</span> {parameters}.
            </p>
          )}
        </>
      }
    >
      <form onSubmit={(event) => void onSubmit(event)} noValidate>
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
              autoComplete="off"
              spellCheck={false}
              value={phrase}
              aria-invalid={phraseWrong ? true : undefined}
              aria-describedby={`${ids}-phrase-help${phraseWrong ? ` ${ids}-phrase-mismatch` : ''}`}
              onChange={(event) => setPhrase(event.target.value)}
              onBlur={() => setPhraseTouched(true)}
            />
            {phraseWrong && (
              <p id={`${ids}-phrase-mismatch`} className="field-error">
                The phrase doesn't match — type: <code className="phrase">{expected}</code>
              </p>
            )}
            <p id={`${ids}-phrase-help`} className="field-help">
              {view.kind === 'all_tenants'
                ? 'This run changes every tenant.'
                : `This run changes ${tenantCount(preflight.tenants_in_scope)}.`}{' '}
              The phrase must match exactly, including case.
            </p>
            <FieldError id={`${ids}-phrase-error`} messages={errors.confirmation} />
          </>
        )}

        {nothingToChange && (
          <div className="checkbox-field">
            <label className="checkbox">
              <input
                type="checkbox"
                checked={startAnyway}
                aria-describedby={`${ids}-anyway-help`}
                onChange={(event) => setStartAnyway(event.target.checked)}
              />
              Start anyway — the preflight found nothing to change
            </label>
            <p id={`${ids}-anyway-help`} className="field-help">
              The run would examine every tenant in scope and change nothing. Leave this unticked
              unless a run is wanted for the record.
            </p>
          </div>
        )}

        <RunOptionsFields
          ids={ids}
          open={advancedOpen}
          onToggle={() => setAdvancedOpen((isOpen) => !isOpen)}
          draft={draft}
          onChange={setDraft}
          onBlur={(field) => {
            if (field === 'canary' && checked.errors.canary === undefined) setCanaryLooked(canaryIds);
          }}
          errors={checked.errors}
          serverErrors={errors}
          stages={stages}
          tenantsInScope={tenantsInScope}
          canary={canary}
          driftGuard={driftGuard}
          onDriftGuard={setDriftGuard}
        />

        {conflict && (
          <div className="form-error" role="alert">
            <p>
              Another run is active for this runbook and an overlapping scope; this one cannot
              start until it completes.
            </p>
            {typeof conflict.problem.active_run_id === 'number' && (
              <p>
                <Link to={`/ops/runs/${conflict.problem.active_run_id}`} onClick={onClose}>
                  View active run #{conflict.problem.active_run_id}
                </Link>
              </p>
            )}
          </div>
        )}
        {stale && (
          <div className="form-error" role="alert">
            <p>{refusal.message}</p>
            {onRerunPreflight && (
              <button type="button" className="button-secondary" onClick={onRerunPreflight}>
                Re-run preflight
              </button>
            )}
            <FieldErrorList errors={otherErrors} />
          </div>
        )}
        {start.isError && !conflict && !stale && (!saidAtOption || otherErrors.length > 0) && (
          <div className="form-error" role="alert">
            {!saidAtOption && <p>{startMessage}</p>}
            <FieldErrorList errors={otherErrors} detail={startMessage} />
          </div>
        )}

        <div className="dialog-actions">
          <button type="button" className="button-secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" disabled={!canStart || start.isPending || resolving}>
            {start.isPending ? 'Starting…' : resolving ? 'Looking up canary tenants…' : 'Start run'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/**
 * A start the preflight itself stands in the way of (docs/spec.md §18), said once with what to do: 422
 * `preflight_used` or another stale preflight (on `preflight_id`), or `no_changes` (the preflight
 * found nothing to change and "Start anyway" was not sent). Both are fixed by a new preflight.
 */
export function startRefusal(error: Error | null): { kind: 'stale' | 'no_changes'; message: string } | null {
  if (!(error instanceof ProblemError) || error.status !== 422) return null;
  const problem = error.problem as Record<string, unknown>;
  const named = (code: string) =>
    problem.code === code ||
    (typeof problem.type === 'string' && problem.type.endsWith(code)) ||
    code in error.errors ||
    Object.values(error.errors).some((messages) => messages?.some((m) => new RegExp(`\\b${code}\\b`).test(m)));
  if (named('no_changes')) {
    return {
      kind: 'no_changes',
      message:
        'The preflight found nothing to change, and the start did not say "Start anyway". Re-run the preflight to see whether that is still so.',
    };
  }
  if (named('preflight_used')) {
    return {
      kind: 'stale',
      message: 'This preflight has already started a run (a preflight starts one run only). Re-run the preflight to start another.',
    };
  }
  const messages = error.errors.preflight_id;
  if (messages !== undefined) return { kind: 'stale', message: messages.join(' ') };
  return null;
}
