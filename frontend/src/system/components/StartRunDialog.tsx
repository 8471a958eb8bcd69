import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { Link } from 'react-router';
import { ProblemError, unwrap } from '../../api/client';
import type { PreflightResult, ReasonCode, Runbook, StartedRun, StartRunRequest } from '../../api/types';
import { phraseMatches } from '../../lib/confirmation';
import { errorMessage } from '../../lib/errors';
import { parametersSentence } from '../../lib/parameters';
import { reasonTextError } from '../../lib/runbook';
import { FieldError, ReasonFields, fieldErrors } from './ReasonFields';
import { Dialog } from '../../shared/Dialog';
import { useToasts } from '../../shared/Toasts';
import { api } from '../session';
import { FieldErrorList } from '../../shared/FieldErrorList';

/**
 * The Start dialog, named after the runbook: what is being confirmed (scope, count, the
 * preflight's parameters), reason code and text (10–500 characters, checked as you type) and,
 * when the preflight requires it, the typed phrase — the preflight's `confirmation.phrase`, never
 * built here. Start stays disabled until everything is valid and the phrase matches exactly; it
 * sends the preflight's own (parsed) parameters back. Success closes the dialog and shows the
 * intent-only "Run queued" toast; 409 points to the active run; 422 shows the server's field
 * errors.
 */
export function StartRunDialog({
  runbook,
  preflight,
  onClose,
}: {
  runbook: Pick<Runbook, 'key' | 'title' | 'parameters'>;
  preflight: PreflightResult;
  onClose: () => void;
}) {
  const runbookKey = runbook.key;
  const ids = useId();
  const queryClient = useQueryClient();
  const toasts = useToasts();
  const [code, setCode] = useState<ReasonCode | ''>('');
  const [text, setText] = useState('');
  const [textTouched, setTextTouched] = useState(false);
  const [phrase, setPhrase] = useState('');

  const required = preflight.confirmation.required;
  const expected = preflight.confirmation.phrase ?? '';
  const textError = reasonTextError(text);
  const phraseOk = !required || phraseMatches(phrase, expected);
  const canStart = code !== '' && textError === null && phraseOk;

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
        title: run.deduplicated ? 'Run already queued' : 'Run queued',
        link: { to: `/ops/runs/${run.id}`, label: `View run #${run.id}` },
      });
      onClose();
    },
  });

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!canStart || start.isPending) return;
    start.mutate({
      scope: preflight.scope,
      reason: { code, text: text.trim() },
      preflight_id: preflight.preflight_id,
      confirmation: required ? phrase : null,
      parameters: preflight.parameters,
    });
  };

  const errors = fieldErrors(start.error);
  const conflict =
    start.error instanceof ProblemError && start.error.status === 409 ? start.error : null;
  const shown = new Set(['reason.code', 'reason.text', 'reason', 'confirmation']);
  const otherErrors = Object.entries(errors).filter(([field]) => !shown.has(field));
  const scopeWords =
    preflight.scope.kind === 'all_tenants'
      ? `all ${preflight.tenants_in_scope} tenants`
      : `tenant ${preflight.scope.tenant_id}`;

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
              autoComplete="off"
              spellCheck={false}
              value={phrase}
              aria-invalid={phrase !== '' && !phraseOk ? true : undefined}
              aria-describedby={`${ids}-phrase-help`}
              onChange={(event) => setPhrase(event.target.value)}
            />
            <p id={`${ids}-phrase-help`} className="field-help">
              This run changes every tenant. The phrase must match exactly, including case.
            </p>
            <FieldError id={`${ids}-phrase-error`} messages={errors.confirmation} />
          </>
        )}

        {conflict && (
          <div className="form-error" role="alert">
            <p>Another run is active for this runbook and an overlapping scope.</p>
            {typeof conflict.problem.active_run_id === 'number' && (
              <p>
                <Link to={`/ops/runs/${conflict.problem.active_run_id}`} onClick={onClose}>
                  View active run #{conflict.problem.active_run_id}
                </Link>
              </p>
            )}
          </div>
        )}
        {start.isError && !conflict && (
          <div className="form-error" role="alert">
            <p>{errorMessage(start.error)}</p>
            <FieldErrorList errors={otherErrors} />
          </div>
        )}

        <div className="dialog-actions">
          <button type="button" className="button-secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" disabled={!canStart || start.isPending}>
            {start.isPending ? 'Starting…' : 'Start run'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
