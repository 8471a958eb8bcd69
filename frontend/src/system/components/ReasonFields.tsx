import { ProblemError } from '../../api/client';
import type { ReasonCode } from '../../api/types';
import { REASON_CODES, REASON_MAX_CHARS, reasonLength } from '../../lib/runbook';

/** Field errors from a 422, under the names the form shows them at. */
export function fieldErrors(error: unknown): Record<string, string[]> {
  return error instanceof ProblemError && error.status === 422 ? error.errors : {};
}

/** A field's server-side error messages, if any. */
export function FieldError({ id, messages }: { id: string; messages: string[] | undefined | null }) {
  if (!messages || messages.length === 0) return null;
  return (
    <p id={id} className="field-error">
      {messages.join(' ')}
    </p>
  );
}

/** Props of {@link ReasonFields}. */
export interface ReasonFieldsProps {
  ids: string;
  code: ReasonCode | '';
  onCode: (code: ReasonCode | '') => void;
  text: string;
  onText: (text: string) => void;
  textTouched: boolean;
  onTextBlur: () => void;
  textError: string | null;
  errors: Record<string, string[]>;
}

/**
 * The reason every start needs — code and 10–500 characters of text, checked as you type — shared
 * by the Start and Retry-failed dialogs so both ask for it the same way.
 */
export function ReasonFields(props: ReasonFieldsProps) {
  const { ids, code, onCode, text, onText, textTouched, onTextBlur, textError, errors } = props;
  return (
    <>
      <label htmlFor={`${ids}-code`}>Reason code</label>
      <select
        id={`${ids}-code`}
        data-autofocus
        required
        value={code}
        aria-invalid={errors['reason.code'] ? true : undefined}
        aria-describedby={errors['reason.code'] ? `${ids}-code-error` : undefined}
        onChange={(event) => onCode(event.target.value as ReasonCode | '')}
      >
        <option value="">Choose a reason…</option>
        {REASON_CODES.map((reason) => (
          <option key={reason.code} value={reason.code}>
            {reason.label}
          </option>
        ))}
      </select>
      <FieldError id={`${ids}-code-error`} messages={errors['reason.code']} />

      <label htmlFor={`${ids}-text`}>Reason</label>
      <textarea
        id={`${ids}-text`}
        rows={3}
        required
        value={text}
        aria-invalid={textTouched && textError !== null ? true : undefined}
        aria-describedby={`${ids}-text-help${errors['reason.text'] ?? errors.reason ? ` ${ids}-text-error` : ''}`}
        onChange={(event) => onText(event.target.value)}
        onBlur={onTextBlur}
      />
      <p
        id={`${ids}-text-help`}
        className={textTouched && textError ? 'field-error' : 'field-help'}
        aria-live="polite"
      >
        {textError && (textTouched || text.length > 0)
          ? textError
          : `${reasonLength(text)} / ${REASON_MAX_CHARS} characters`}
      </p>
      <FieldError id={`${ids}-text-error`} messages={errors['reason.text'] ?? errors.reason} />
    </>
  );
}
