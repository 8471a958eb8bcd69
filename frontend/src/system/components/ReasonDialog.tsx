import { useMutation } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { ProblemError } from '../../api/client';
import { errorMessage } from '../../lib/errors';
import { REASON_MAX_CHARS, reasonLength, reasonTextError } from '../../lib/runbook';
import { Dialog } from '../../shared/Dialog';
import { FieldErrorList } from '../../shared/FieldErrorList';
import { fieldErrors } from './ReasonFields';

/** Props of {@link ReasonDialog}. */
export interface ReasonDialogProps<T> {
  title: string;
  /** What the action does, said under the title. */
  description: ReactNode;
  /** The reason's label, e.g. "Reason for pausing". */
  label: string;
  submitLabel: string;
  pendingLabel: string;
  /** The button that closes without acting, e.g. "Keep running". */
  dismissLabel: string;
  danger?: boolean;
  /** Fields above the reason (a new concurrency cap), given the server's 422 field errors. */
  fields?: (errors: Record<string, string[]>) => ReactNode;
  /** The server's field names the `fields` show themselves (not listed again below). */
  fieldNames?: readonly string[];
  /** Whether the extra `fields` are valid (submit stays disabled until they are). */
  fieldsValid?: boolean;
  /** Sends the action with the trimmed reason. */
  submit: (reason: string) => Promise<T>;
  /** After the server accepted it; the dialog closes itself afterwards. */
  onDone: (result: T) => void;
  /** After the server refused it (a 409: the run has moved on, and the page should show it). */
  onFailed?: (error: Error) => void;
  onClose: () => void;
}

/**
 * One run action that needs a reason — cancel, pause, resume, a new concurrency cap: 10–500
 * characters, counted and checked as you type (as the server checks them), the action disabled
 * until the reason is valid. A refusal is said in the dialog: a 409 (the run moved on meanwhile)
 * with the server's sentence, a 422 beside the reason or, for other fields, listed by name.
 */
export function ReasonDialog<T>({
  title,
  description,
  label,
  submitLabel,
  pendingLabel,
  dismissLabel,
  danger = false,
  fields,
  fieldNames = [],
  fieldsValid = true,
  submit,
  onDone,
  onFailed,
  onClose,
}: ReasonDialogProps<T>) {
  const ids = useId();
  const [reason, setReason] = useState('');
  const [touched, setTouched] = useState(false);
  const reasonError = reasonTextError(reason);
  const action = useMutation({
    mutationFn: () => submit(reason.trim()),
    onSuccess: (result) => {
      onDone(result);
      onClose();
    },
    onError: (error) => onFailed?.(error),
  });
  const errors = fieldErrors(action.error);
  const reasonErrors = errors.reason ?? null;
  const shown = new Set(['reason', ...fieldNames]);
  const otherErrors = Object.entries(errors).filter(([field]) => !shown.has(field));
  const message = action.isError ? errorMessage(action.error) : '';
  // A 422 about the reason alone is said beside it, not a second time above the buttons.
  const saidBesideField = Object.entries(errors).some(
    ([field, messages]) => shown.has(field) && messages.join(' ') === message,
  );
  const conflict = action.error instanceof ProblemError && action.error.status === 409;

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setTouched(true);
    if (reasonError === null && fieldsValid && !action.isPending) action.mutate();
  };

  return (
    <Dialog title={title} onClose={onClose} description={description}>
      <form onSubmit={onSubmit} noValidate>
        {fields?.(errors)}
        <label htmlFor={`${ids}-reason`}>{label}</label>
        <textarea
          id={`${ids}-reason`}
          data-autofocus={fields ? undefined : true}
          rows={3}
          value={reason}
          aria-invalid={(touched && reasonError !== null) || reasonErrors ? true : undefined}
          aria-describedby={`${ids}-help${reasonErrors ? ` ${ids}-error` : ''}`}
          onChange={(event) => setReason(event.target.value)}
          onBlur={() => setTouched(true)}
        />
        <p id={`${ids}-help`} className={touched && reasonError ? 'field-error' : 'field-help'} aria-live="polite">
          {reasonError && (touched || reason.length > 0)
            ? reasonError
            : `${reasonLength(reason)} / ${REASON_MAX_CHARS} characters`}
        </p>
        {reasonErrors && (
          <p id={`${ids}-error`} className="field-error">
            {reasonErrors.join(' ')}
          </p>
        )}
        {action.isError && (!saidBesideField || otherErrors.length > 0) && (
          <div className="form-error" role="alert">
            {!saidBesideField && <p>{message}</p>}
            {conflict && <p>The page shows the run as it is now.</p>}
            <FieldErrorList errors={otherErrors} detail={message} />
          </div>
        )}
        <div className="dialog-actions">
          <button type="button" className="button-secondary" onClick={onClose}>
            {dismissLabel}
          </button>
          <button
            type="submit"
            className={danger ? 'button-danger' : undefined}
            disabled={reasonError !== null || !fieldsValid || action.isPending}
          >
            {action.isPending ? pendingLabel : submitLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
