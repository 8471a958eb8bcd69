import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type RefObject, useId, useRef, useState } from 'react';
import { ProblemError, unwrap } from '../../api/client';
import type { PasswordChangeRequest } from '../../api/types';
import { passwordChangeErrorMessage } from '../../lib/errors';
import { SESSION_QUERY_KEY } from '../../shared/session';
import { api, useOperator } from '../session';

/** The form's fields, in the order they are shown (and focused when invalid). */
const FIELDS = ['current_password', 'new_password', 'repeat_password'] as const;
type Field = (typeof FIELDS)[number];
type FieldErrors = Partial<Record<Field, string>>;

export interface PasswordForm {
  current: string;
  next: string;
  repeat: string;
}

/**
 * What the browser checks before sending: every field filled in and the new password typed the
 * same twice. The policy itself (length, username, common passwords) is the server's, one policy
 * for create, change and the CLI; its 422 is shown beside the field.
 */
export function passwordFormErrors({ current, next, repeat }: PasswordForm): FieldErrors {
  const errors: FieldErrors = {};
  if (current === '') errors.current_password = 'Enter your current password.';
  if (next === '') errors.new_password = 'Enter a new password.';
  if (repeat === '') errors.repeat_password = 'Repeat the new password.';
  else if (next !== repeat) errors.repeat_password = 'The two new passwords do not match.';
  return errors;
}

/** The signed-in operator's own account: who they are, and changing their password. */
export function AccountPage() {
  const operator = useOperator();
  return (
    <section>
      <title>Account · TenantAtlas Ops</title>
      <h1>Account</h1>
      <p className="lead">Your operator account on this console.</p>

      <dl className="details panel">
        <dt>Username</dt>
        <dd>
          <code>{operator.username}</code>
        </dd>
        <dt>Display name</dt>
        <dd>{operator.display_name}</dd>
        <dt>Capabilities</dt>
        <dd>
          {operator.capabilities.length === 0
            ? 'None'
            : operator.capabilities.map((capability) => (
                <code key={capability} className="tag">
                  {capability}
                </code>
              ))}
        </dd>
      </dl>

      <ChangePasswordForm />
    </section>
  );
}

function ChangePasswordForm() {
  const ids = useId();
  const queryClient = useQueryClient();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const inputs: Record<Field, RefObject<HTMLInputElement | null>> = {
    current_password: useRef<HTMLInputElement>(null),
    new_password: useRef<HTMLInputElement>(null),
    repeat_password: useRef<HTMLInputElement>(null),
  };
  const errors = passwordFormErrors({ current, next, repeat });

  const focusFirst = (invalid: Partial<Record<Field, unknown>>) => {
    const first = FIELDS.find((field) => invalid[field] !== undefined);
    if (first) inputs[first].current?.focus();
  };

  const change = useMutation({
    mutationFn: (body: PasswordChangeRequest) =>
      unwrap(api.POST('/system/api/auth/password', { body })),
    onSuccess: () => {
      setCurrent('');
      setNext('');
      setRepeat('');
      setSubmitted(false);
      // The server ended every other session and every API token of this operator; the cached
      // identity (and its CSRF token) and the token list are reloaded rather than trusted.
      void queryClient.invalidateQueries({ queryKey: SESSION_QUERY_KEY });
      void queryClient.invalidateQueries({ queryKey: ['tokens'] });
    },
    onError: (error) => {
      if (error instanceof ProblemError && error.status === 422) focusFirst(error.errors);
    },
  });

  const serverErrors: Record<string, string[]> =
    change.error instanceof ProblemError && change.error.status === 422 ? change.error.errors : {};
  const fieldError = (field: Field): string | undefined =>
    (submitted ? errors[field] : undefined) ?? serverErrors[field]?.join(' ');
  // A failure no field explains (429, 503, a 422 without field errors, …) is said above the button.
  const formError =
    change.isError && !FIELDS.some((field) => serverErrors[field] !== undefined)
      ? passwordChangeErrorMessage(change.error)
      : null;

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setSubmitted(true);
    if (Object.keys(errors).length > 0) {
      change.reset();
      focusFirst(errors);
      return;
    }
    change.mutate({ current_password: current, new_password: next });
  };

  const field = (
    name: Field,
    label: string,
    value: string,
    onChange: (value: string) => void,
    autoComplete: 'current-password' | 'new-password',
    help?: string,
  ) => {
    const error = fieldError(name);
    const describedBy = [help && `${ids}-policy`, error && `${ids}-${name}-error`]
      .filter(Boolean)
      .join(' ');
    return (
      <>
        <label htmlFor={`${ids}-${name}`}>{label}</label>
        <input
          id={`${ids}-${name}`}
          ref={inputs[name]}
          name={name}
          type="password"
          autoComplete={autoComplete}
          className="input-medium"
          value={value}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy || undefined}
          onChange={(event) => onChange(event.target.value)}
        />
        {help && (
          <p id={`${ids}-policy`} className="field-help">
            {help}
          </p>
        )}
        {error && (
          <p id={`${ids}-${name}-error`} className="field-error">
            {error}
          </p>
        )}
      </>
    );
  };

  return (
    <form className="panel" onSubmit={onSubmit} noValidate aria-labelledby={`${ids}-heading`}>
      <h2 id={`${ids}-heading`}>Change password</h2>
      <p className="field-help">
        Changing your password signs out every other session of yours and revokes all your API
        tokens. This session stays signed in.
      </p>
      {field('current_password', 'Current password', current, setCurrent, 'current-password')}
      {field(
        'new_password',
        'New password',
        next,
        setNext,
        'new-password',
        '12 to 256 characters. It must not contain your username and must not be a common password.',
      )}
      {field('repeat_password', 'Repeat new password', repeat, setRepeat, 'new-password')}
      {formError && (
        <p className="form-error" role="alert">
          {formError}
        </p>
      )}
      <div role="status">
        {change.isSuccess && (
          <p className="notice notice-success">
            Your password has been changed. Every other session of yours has been signed out and
            every API token of yours has been revoked; scripts that used one need a new token.
            You are still signed in here.
          </p>
        )}
      </div>
      <div className="actions">
        <button type="submit" disabled={change.isPending}>
          {change.isPending ? 'Changing password…' : 'Change password'}
        </button>
      </div>
    </form>
  );
}
