import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { ForbiddenError, ProblemError, unwrap } from '../../api/client';
import type {
  Capability,
  ReasonCode,
  RevertConflict,
  RevertPreflight,
  RevertRequest,
  RevertSample,
  Run,
  StartedRun,
} from '../../api/types';
import { type ShownValue, changeLines, conflictLines, rowCount } from '../../lib/changes';
import { phraseMatches } from '../../lib/confirmation';
import { ALL_OPTION_FIELDS, EMPTY_OPTIONS, type OptionsDraft, checkOptions, optionsToSend } from '../../lib/control';
import { errorMessage } from '../../lib/errors';
import { formatTimestamp, tenantCount } from '../../lib/format';
import { MAX_TENANTS_WITHOUT_ALL_TENANTS, reasonTextError, startedToastTitle } from '../../lib/runbook';
import { Dialog } from '../../shared/Dialog';
import { FieldErrorList } from '../../shared/FieldErrorList';
import { LoadingState } from '../../shared/states';
import { useToasts } from '../../shared/Toasts';
import { api, useOperator } from '../session';
import { FieldError, ReasonFields, fieldErrors } from './ReasonFields';
import { RunOptionsFields } from './RunOptionsFields';
import { startRefusal } from './StartRunDialog';

/**
 * Whether a revert of `run` needs `ops.runbooks.run_all_tenants` (the server's rule, docs/spec.md
 * §15, v2 conventions, the same as a retry's): when the run counts as all tenants
 * (`counts_as_all_tenants`: it covered all tenants, or a list or workspace of more than 100, or it
 * is a retry or revert of such a run — a redo of an all-tenants run's revert needs it too).
 */
export function revertNeedsAllTenants(run: Pick<Run, 'counts_as_all_tenants'>): boolean {
  return run.counts_as_all_tenants;
}

/**
 * Whether the run page offers "Revert…" (docs/spec.md §15): `revert` for a completed run that
 * changed rows, whose change log is kept, to an operator who may preflight (`ops.runbooks.view`)
 * and start it (`ops.runbooks.run`, and `ops.runbooks.run_all_tenants` when the run counts as
 * all tenants); `purged` for such a run whose log has been purged — the action is shown disabled,
 * with why; null otherwise (not offered, like "Retry failed tenants").
 */
export function revertOffer(
  run: Pick<Run, 'status' | 'changes_available' | 'counts' | 'counts_as_all_tenants'>,
  capabilities: readonly Capability[],
): 'revert' | 'purged' | null {
  if (run.status !== 'completed' || run.counts.findings_changed <= 0) return null;
  const may =
    capabilities.includes('ops.runbooks.view') &&
    capabilities.includes('ops.runbooks.run') &&
    (!revertNeedsAllTenants(run) || capabilities.includes('ops.runbooks.run_all_tenants'));
  if (!may) return null;
  return run.changes_available ? 'revert' : 'purged';
}

/** The purged log's sentence, for the 410 of either call and the disabled action. */
export function changeLogPurged(runId: number): string {
  return (
    `The change log of run #${runId} has been purged (it is kept CHANGE_LOG_RETENTION_DAYS days after ` +
    'the run completes): the run can no longer be reverted.'
  );
}

/** A server detail as a sentence: capital first, full stop last. */
function sentence(text: string): string {
  const trimmed = text.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/**
 * What keeps the revert preflight (or a start, for 409 and 410) from answering, in words: a
 * purged log (410), a run that cannot be reverted (409 `invalid_state`: not completed, or it
 * changed no row), a run gone (404); else the usual message.
 */
export function revertProblem(runId: number, error: unknown): string {
  if (error instanceof ProblemError) {
    if (error.status === 410) return changeLogPurged(runId);
    if (error.status === 409 && error.problem.active_run_id == null) {
      return error.detail ? sentence(error.detail) : `Run #${runId} cannot be reverted now.`;
    }
    if (error.status === 404) return `Run #${runId} does not exist (any more).`;
  }
  return errorMessage(error);
}

/** Whether asking again may help: not for a refusal that stays (403, 404, 409, 410). */
function transient(error: unknown): boolean {
  if (error instanceof ForbiddenError) return false;
  return !(error instanceof ProblemError && [404, 409, 410].includes(error.status));
}

/**
 * A tenant of a sample row as a person reads it, `name (external_id)` (the external id kept on one
 * line), by id when the server could not name it.
 */
function SampleTenant({ row }: { row: { tenant_id: number; tenant_name?: string; tenant_external_id?: string } }) {
  if (!row.tenant_name || !row.tenant_external_id) return <>Tenant #{row.tenant_id}</>;
  return (
    <>
      {row.tenant_name} <span className="nowrap">({row.tenant_external_id})</span>
    </>
  );
}

/** A shown value; "empty" (null) reads muted and in italics, as in the Changes tab. */
function Value({ value, className }: { value: ShownValue; className: string }) {
  return <span className={value.empty ? `${className} change-empty` : className}>{value.text}</span>;
}

/**
 * "Revert…" (docs/spec.md §15): runs the revert preflight of `run` as it opens (read-only) and
 * shows what a revert would do — rows to restore, already restored, and conflicts (rows the
 * application changed since the run wrote them, which the revert leaves alone), with a sample of
 * each — then asks for the reason, the typed phrase when the preflight requires it, and run
 * control's options with the drift guard ("Advanced"). "Start revert" starts the revert run; 201
 * shows the intent toast and opens the new run's page. A preflight that found nothing to restore
 * starts only with "Start anyway" (`allow_no_changes`), as the Start dialog does. Every problem of
 * either call is said in the dialog: a purged log (410), a run that cannot be reverted (409), a
 * stale or used preflight (422, with "Re-run preflight"), an active run in the way (409 overlap,
 * with its link), field errors beside their fields.
 */
export function RevertDialog({ run, onClose }: { run: Run; onClose: () => void }) {
  const ids = useId();
  const operator = useOperator();
  const queryClient = useQueryClient();
  const toasts = useToasts();
  const navigate = useNavigate();
  const [code, setCode] = useState<ReasonCode | ''>('');
  const [text, setText] = useState('');
  const [textTouched, setTextTouched] = useState(false);
  const [phrase, setPhrase] = useState('');
  const [phraseTouched, setPhraseTouched] = useState(false);
  const [startAnyway, setStartAnyway] = useState(false);
  const [advancedOpen, setAdvancedOpen] = useState(false);
  const [draft, setDraft] = useState<OptionsDraft>(EMPTY_OPTIONS);
  const [driftGuard, setDriftGuard] = useState(true);
  const phraseInput = useRef<HTMLInputElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  const preflight = useMutation({
    mutationFn: (): Promise<RevertPreflight> =>
      unwrap(api.POST('/system/api/ops/runs/{id}/revert/preflight', { params: { path: { id: run.id } } })),
  });
  // Asked once as the dialog opens (a ref, so React's development double effect asks once too).
  const asked = useRef(false);
  const { mutate: runPreflight } = preflight;
  useEffect(() => {
    if (asked.current) return;
    asked.current = true;
    runPreflight();
  }, [runPreflight]);
  const result = preflight.data;
  // A new result takes focus at its heading: its counts are what the operator reads first. A
  // failed preflight leaves the operator on "Close" (or "Try again"), inside the dialog.
  const failedAction = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (result) heading.current?.focus();
  }, [result]);
  useEffect(() => {
    if (preflight.isError) failedAction.current?.focus();
  }, [preflight.isError]);

  const start = useMutation({
    mutationFn: (body: RevertRequest): Promise<StartedRun> =>
      unwrap(api.POST('/system/api/ops/runs/{id}/revert', { params: { path: { id: run.id } }, body })),
    onSuccess: (created) => {
      void queryClient.invalidateQueries({ queryKey: ['runs'] });
      void queryClient.invalidateQueries({ queryKey: ['run', run.id], exact: true });
      void queryClient.invalidateQueries({ queryKey: ['runbooks'] });
      void queryClient.invalidateQueries({ queryKey: ['runbook', run.runbook] });
      toasts.show({
        title: created.deduplicated ? startedToastTitle(created) : 'Revert queued',
        link: { to: `/ops/runs/${created.id}`, label: `View run #${created.id}` },
      });
      onClose();
      navigate(`/ops/runs/${created.id}`);
    },
    onError: (error) => {
      if (fieldErrors(error).confirmation) phraseInput.current?.focus();
      if (ALL_OPTION_FIELDS.some((field) => field in fieldErrors(error))) setAdvancedOpen(true);
    },
  });

  const rerun = () => {
    start.reset();
    setStartAnyway(false);
    runPreflight();
  };

  const tenants = result?.tenants_in_scope ?? 0;
  const stages = tenants > 1;
  const checked = checkOptions({ ...draft, canary: '' }, { tenantsInScope: tenants, stages });
  const optionsValid = Object.keys(checked.errors).length === 0;
  const required = result?.confirmation.required ?? false;
  const expected = result?.confirmation.phrase ?? '';
  const textError = reasonTextError(text);
  const phraseOk = !required || phraseMatches(phrase, expected);
  const phraseWrong = required && phrase !== '' && !phraseOk && (phraseTouched || !expected.startsWith(phrase));
  const nothingToRestore = result !== undefined && result.rows_to_restore === 0;
  // A redo of an all-tenants revert counts as all tenants, which only its preflight says.
  const needsAllTenants =
    result !== undefined &&
    (required || result.tenants_in_scope > MAX_TENANTS_WITHOUT_ALL_TENANTS || revertNeedsAllTenants(run));
  const allowed = !needsAllTenants || operator.capabilities.includes('ops.runbooks.run_all_tenants');

  const errors = fieldErrors(start.error);
  const overlap =
    start.error instanceof ProblemError && start.error.status === 409 && start.error.problem.active_run_id != null
      ? start.error
      : null;
  const gone = start.error instanceof ProblemError && [404, 409, 410].includes(start.error.status) && !overlap;
  const refusal = startRefusal(start.error);
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
  const message = start.isError ? errorMessage(start.error) : '';
  const saidBesideField = Object.entries(errors).some(
    ([field, messages]) => shown.has(field) && field !== 'preflight_id' && field !== 'allow_no_changes' && messages.join(' ') === message,
  );
  const canStart =
    result !== undefined &&
    allowed &&
    code !== '' &&
    textError === null &&
    phraseOk &&
    (!nothingToRestore || startAnyway) &&
    optionsValid &&
    overlap === null &&
    refusal === null &&
    !gone;

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!canStart || start.isPending || result === undefined) return;
    const options = optionsToSend(checked.options, driftGuard);
    start.mutate({
      preflight_id: result.preflight_id,
      reason: { code, text: text.trim() },
      confirmation: required ? phrase : null,
      ...(nothingToRestore && startAnyway ? { allow_no_changes: true } : {}),
      ...(options !== null ? { options } : {}),
    });
  };

  const cancel = (
    <button type="button" className="button-secondary" onClick={onClose}>
      Cancel
    </button>
  );

  return (
    <Dialog
      title={`Revert run #${run.id}`}
      onClose={onClose}
      className="dialog-wide"
      description={
        <p>
          Starts a revert run of <code>{run.runbook}</code> that puts back the values run #{run.id} overwrote,
          from its change log. A row the application changed since run #{run.id} wrote it is a conflict: the
          revert leaves it alone.
        </p>
      }
    >
      {preflight.isIdle || preflight.isPending ? (
        <>
          <LoadingState label={`Running the revert preflight of run #${run.id}… (read-only)`} />
          <div className="dialog-actions">{cancel}</div>
        </>
      ) : preflight.isError ? (
        <>
          <div className="form-error" role="alert" data-testid="revert-preflight-error">
            <p>{revertProblem(run.id, preflight.error)}</p>
          </div>
          <div className="dialog-actions">
            <button type="button" className="button-secondary" onClick={onClose} ref={transient(preflight.error) ? undefined : failedAction}>
              Close
            </button>
            {transient(preflight.error) && (
              <button type="button" onClick={rerun} ref={failedAction}>
                Try again
              </button>
            )}
          </div>
        </>
      ) : result ? (
        <form onSubmit={onSubmit} noValidate>
          <RevertSummary run={run} result={result} headingRef={heading} ids={ids} />

          {!allowed && (
            <p className="notice" role="status">
              Reverting this run needs the <code>ops.runbooks.run_all_tenants</code> capability (it covers{' '}
              {required ? 'all tenants' : `more than ${MAX_TENANTS_WITHOUT_ALL_TENANTS} tenants`}), which you do
              not have.
            </p>
          )}

          <h3>Why</h3>
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
                aria-invalid={phraseWrong || errors.confirmation ? true : undefined}
                aria-describedby={[
                  `${ids}-phrase-help`,
                  phraseWrong ? `${ids}-phrase-mismatch` : null,
                  errors.confirmation ? `${ids}-phrase-error` : null,
                ]
                  .filter(Boolean)
                  .join(' ')}
                onChange={(event) => setPhrase(event.target.value)}
                onBlur={() => setPhraseTouched(true)}
              />
              {phraseWrong && (
                <p id={`${ids}-phrase-mismatch`} className="field-error">
                  The phrase doesn't match — type: <code className="phrase">{expected}</code>
                </p>
              )}
              <p id={`${ids}-phrase-help`} className="field-help">
                A revert of a run over all tenants: this one changes {tenantCount(result.tenants_in_scope)}. The
                phrase must match exactly, including case.
              </p>
              <FieldError id={`${ids}-phrase-error`} messages={errors.confirmation} />
            </>
          )}

          {nothingToRestore && (
            <div className="checkbox-field">
              <label className="checkbox">
                <input
                  type="checkbox"
                  checked={startAnyway}
                  aria-describedby={`${ids}-anyway-help`}
                  onChange={(event) => setStartAnyway(event.target.checked)}
                />
                Start anyway — the revert preflight found nothing to restore
              </label>
              <p id={`${ids}-anyway-help`} className="field-help">
                The revert run would look at every row of the change log and change nothing. Leave this unticked
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
            onBlur={() => undefined}
            errors={checked.errors}
            serverErrors={errors}
            stages={stages}
            tenantsInScope={tenants}
            driftGuard={driftGuard}
            onDriftGuard={setDriftGuard}
            driftGuardHelp="Fail a tenant, untouched, when it would restore far more rows than this revert preflight predicted."
          />

          {overlap && (
            <div className="form-error" role="alert">
              <p>
                Another run of <code>{run.runbook}</code> is active over some of these tenants; the revert can start
                once it completes.
              </p>
              {typeof overlap.problem.active_run_id === 'number' && (
                <p>
                  <Link to={`/ops/runs/${overlap.problem.active_run_id}`} onClick={onClose}>
                    View active run #{overlap.problem.active_run_id}
                  </Link>
                </p>
              )}
            </div>
          )}
          {gone && (
            <div className="form-error" role="alert">
              <p>{revertProblem(run.id, start.error)}</p>
            </div>
          )}
          {refusal && (
            <div className="form-error" role="alert">
              <p>
                {refusal.kind === 'no_changes'
                  ? 'The revert preflight found nothing to restore, and the start did not say "Start anyway". Re-run the preflight to see whether that is still so.'
                  : refusal.message}
              </p>
              <button type="button" className="button-secondary" onClick={rerun}>
                Re-run preflight
              </button>
              <FieldErrorList errors={otherErrors} />
            </div>
          )}
          {start.isError && !overlap && !gone && !refusal && (!saidBesideField || otherErrors.length > 0) && (
            <div className="form-error" role="alert">
              {!saidBesideField && <p>{message}</p>}
              <FieldErrorList errors={otherErrors} detail={message} />
            </div>
          )}

          <div className="dialog-actions">
            {cancel}
            <button type="submit" disabled={!canStart || start.isPending}>
              {start.isPending ? 'Starting…' : 'Start revert'}
            </button>
          </div>
        </form>
      ) : null}
    </Dialog>
  );
}

/** Sample rows shown of each kind at most (the server sends a few). */
const SAMPLE_SHOWN = 10;

/**
 * The revert preflight's result: when it was made and until when it holds, the counts, the
 * conflicts it found (a sample, each column "run wrote X → now Y", or "deleted since") and a
 * sample of the rows it would restore (each changed column "now → after the revert").
 */
function RevertSummary({
  run,
  result,
  headingRef,
  ids,
}: {
  run: Run;
  result: RevertPreflight;
  headingRef: React.Ref<HTMLHeadingElement>;
  ids: string;
}) {
  const conflicts = result.conflict_sample.slice(0, SAMPLE_SHOWN);
  const sample = result.sample.slice(0, SAMPLE_SHOWN);
  return (
    <section aria-labelledby={`${ids}-result`} className="revert-result">
      <h3 id={`${ids}-result`} tabIndex={-1} ref={headingRef}>
        What a revert would do
      </h3>
      <p className="field-help">
        Read-only: nothing has changed yet. Preflight of {formatTimestamp(result.planned_at)}, valid until{' '}
        {formatTimestamp(result.expires_at)}.
      </p>
      <dl className="counts revert-counts" data-testid="revert-counts">
        <Count label="Tenants" value={result.tenants_in_scope} />
        <Count label="Rows logged" value={result.rows_logged} />
        <Count label="Rows to restore" value={result.rows_to_restore} />
        <Count label="Already restored" value={result.rows_already_restored} />
        <Count label="Conflicts" value={result.conflicts} warn={result.conflicts > 0} />
      </dl>
      <p data-testid="revert-sentence">
        {result.rows_to_restore > 0 ? (
          <>
            {rowCount(result.rows_to_restore)} of run #{run.id}'s {rowCount(result.rows_logged)} would get back the
            values it overwrote
          </>
        ) : (
          <>Nothing to restore: no row of run #{run.id} still holds what it wrote</>
        )}
        {result.rows_already_restored > 0 && (
          <>
            ; {rowCount(result.rows_already_restored)} {result.rows_already_restored === 1 ? 'holds' : 'hold'} them
            again already
          </>
        )}
        {result.conflicts > 0 && (
          <>
            ; {rowCount(result.conflicts)} changed by the application since {result.conflicts === 1 ? 'is' : 'are'}{' '}
            left alone
          </>
        )}
        .
      </p>

      {result.conflicts > 0 && (
        <>
          <h3 id={`${ids}-conflicts`}>Conflicts — left alone</h3>
          <p className="field-help">
            The application changed {result.conflicts === 1 ? 'this row' : 'these rows'} after run #{run.id} wrote{' '}
            {result.conflicts === 1 ? 'it' : 'them'}: the revert does not overwrite {result.conflicts === 1 ? 'it' : 'them'}.
            {conflicts.length < result.conflicts && ` The first ${conflicts.length} of ${result.conflicts.toLocaleString('en-US')}:`}
          </p>
          <div className="table-scroll">
            <table className="revert-table" aria-labelledby={`${ids}-conflicts`} data-testid="revert-conflicts">
              <thead>
                <tr>
                  <th scope="col">Finding</th>
                  <th scope="col">Tenant</th>
                  <th scope="col">Run #{run.id} wrote → now</th>
                </tr>
              </thead>
              <tbody>
                {conflicts.map((conflict, index) => (
                  <ConflictRow key={`${conflict.finding_id}-${index}`} conflict={conflict} />
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}

      <h3 id={`${ids}-sample`}>Sample of rows to restore</h3>
      {sample.length === 0 ? (
        <p className="field-help">No row to restore.</p>
      ) : (
        <>
          {sample.length < result.rows_to_restore && (
            <p className="field-help">
              The first {sample.length} of {result.rows_to_restore.toLocaleString('en-US')}, each column as it is now →
              as the revert would leave it:
            </p>
          )}
          <div className="table-scroll">
            <table className="revert-table" aria-labelledby={`${ids}-sample`} data-testid="revert-sample">
              <thead>
                <tr>
                  <th scope="col">Finding</th>
                  <th scope="col">Tenant</th>
                  <th scope="col">Rules of run #{run.id}</th>
                  <th scope="col">Now → after the revert</th>
                </tr>
              </thead>
              <tbody>
                {sample.map((row, index) => (
                  <SampleRow key={`${row.finding_id}-${index}`} row={row} />
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

function Count({ label, value, warn = false }: { label: string; value: number; warn?: boolean }) {
  return (
    <div className={warn ? 'count-warn' : undefined}>
      <dt>{label}</dt>
      <dd>{value.toLocaleString('en-US')}</dd>
    </div>
  );
}

function ConflictRow({ conflict }: { conflict: RevertConflict }) {
  const lines = conflictLines(conflict);
  return (
    <tr>
      <td className="nowrap">#{conflict.finding_id}</td>
      <td>
        <SampleTenant row={conflict} />
      </td>
      <td>
        {lines === null ? (
          <strong className="conflict-deleted">Deleted since the run</strong>
        ) : (
          <ul className="change-lines">
            {lines.map((line) => (
              <li key={line.column}>
                <code>{line.column}</code>: run wrote <Value value={line.written} className="change-before" />
                <span className="change-arrow"> → </span>now <Value value={line.now} className="change-after" />
                <span className="muted"> (before the run: {line.before.text})</span>
              </li>
            ))}
          </ul>
        )}
      </td>
    </tr>
  );
}

function SampleRow({ row }: { row: RevertSample }) {
  const reverted: ReactNode =
    row.reverts_rules && row.reverts_rules.length > 0
      ? row.reverts_rules.map((rule) => (
          <span key={rule} className="tag">
            {rule}
          </span>
        ))
      : '—';
  return (
    <tr>
      <td className="nowrap">#{row.finding_id}</td>
      <td>
        <SampleTenant row={row} />
      </td>
      <td className="item-rules">{reverted}</td>
      <td>
        <ul className="change-lines">
          {changeLines(row).map((line) => (
            <li key={line.column}>
              <code>{line.column}</code>: <Value value={line.before} className="change-before" />
              <span className="change-arrow"> → </span>
              <Value value={line.after} className="change-after" />
            </li>
          ))}
        </ul>
      </td>
    </tr>
  );
}
