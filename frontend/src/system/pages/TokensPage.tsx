import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { ProblemError, unwrap } from '../../api/client';
import type { ApiToken, Capability, CreatedToken, CreateTokenRequest, Page } from '../../api/types';
import { errorMessage } from '../../lib/errors';
import { formatTimestamp } from '../../lib/format';
import { Dialog } from '../../shared/Dialog';
import { Pagination, usePageParam } from '../../shared/Pagination';
import { EmptyState, ErrorState, LoadingState } from '../../shared/states';
import { api, useOperator } from '../session';

const MAX_DAYS = 90;
const PER_PAGE = 50;

/** Why the token form cannot be sent yet, per field. */
export function tokenFormErrors(form: {
  name: string;
  days: string;
  capabilities: readonly Capability[];
}): Partial<Record<'name' | 'expires_in_days' | 'capabilities', string>> {
  const errors: Partial<Record<'name' | 'expires_in_days' | 'capabilities', string>> = {};
  if (form.name.trim() === '') errors.name = 'Give the token a name.';
  else if (form.name.trim().length > 100) errors.name = 'Use at most 100 characters.';
  const days = Number(form.days);
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
    errors.expires_in_days = `Enter a whole number of days from 1 to ${MAX_DAYS}.`;
  }
  if (form.capabilities.length === 0) errors.capabilities = 'Choose at least one capability.';
  return errors;
}

/** The operator's own API tokens for scripts: create (shown once), list, revoke. */
export function TokensPage() {
  const page = usePageParam();
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const tokens = useQuery({
    queryKey: ['tokens', { page }],
    queryFn: ({ signal }): Promise<Page<ApiToken>> =>
      unwrap(
        api.GET('/system/api/auth/tokens', {
          params: { query: { page, per_page: PER_PAGE } },
          signal,
        }),
      ),
  });

  return (
    <section>
      <title>API tokens · TenantAtlas Ops</title>
      <h1>API tokens</h1>
      <p className="lead">
        Tokens let scripts call the operator API with a subset of your capabilities.
      </p>

      {created ? (
        <NewTokenNotice token={created} onDone={() => setCreated(null)} />
      ) : (
        <CreateTokenForm onCreated={setCreated} />
      )}

      <h2>Your tokens</h2>
      {tokens.isPending ? (
        <LoadingState label="Loading tokens…" />
      ) : tokens.isError ? (
        <ErrorState error={tokens.error} onRetry={() => void tokens.refetch()} />
      ) : tokens.data.items.length === 0 ? (
        <EmptyState title="No API tokens yet" />
      ) : (
        <>
          <div className="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Capabilities</th>
                  <th scope="col">Created</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Last used</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tokens.data.items.map((token) => (
                  <tr key={token.id}>
                    <td>{token.name}</td>
                    <td>
                      {token.capabilities.map((capability) => (
                        <code key={capability} className="tag">
                          {capability}
                        </code>
                      ))}
                    </td>
                    <td>{formatTimestamp(token.created_at)}</td>
                    <td>{formatTimestamp(token.expires_at)}</td>
                    <td>{formatTimestamp(token.last_used_at)}</td>
                    <td>
                      {token.revoked_at ? (
                        <span className="badge badge-cancelled">
                          Revoked {formatTimestamp(token.revoked_at)}
                        </span>
                      ) : (
                        <button
                          type="button"
                          className="button-secondary"
                          aria-label={`Revoke token ${token.name}`}
                          onClick={() => setRevoking(token)}
                        >
                          Revoke…
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pagination page={page} perPage={tokens.data.per_page} total={tokens.data.total} />
        </>
      )}
      {revoking && <RevokeTokenDialog token={revoking} onClose={() => setRevoking(null)} />}
    </section>
  );
}

function CreateTokenForm({ onCreated }: { onCreated: (token: CreatedToken) => void }) {
  const ids = useId();
  const operator = useOperator();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [days, setDays] = useState('30');
  const [capabilities, setCapabilities] = useState<Capability[]>([]);
  const [submitted, setSubmitted] = useState(false);
  const errors = tokenFormErrors({ name, days, capabilities });

  const create = useMutation({
    mutationFn: (body: CreateTokenRequest): Promise<CreatedToken> =>
      unwrap(api.POST('/system/api/auth/tokens', { body })),
    onSuccess: (token) => {
      void queryClient.invalidateQueries({ queryKey: ['tokens'] });
      setName('');
      setCapabilities([]);
      setSubmitted(false);
      onCreated(token);
    },
  });
  const serverErrors =
    create.error instanceof ProblemError && create.error.status === 422 ? create.error.errors : {};
  const fieldError = (field: 'name' | 'expires_in_days' | 'capabilities') =>
    (submitted ? errors[field] : undefined) ?? serverErrors[field]?.join(' ');

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setSubmitted(true);
    if (Object.keys(errors).length > 0) return;
    create.mutate({ name: name.trim(), expires_in_days: Number(days), capabilities });
  };

  const toggle = (capability: Capability, on: boolean) =>
    setCapabilities((current) =>
      on ? [...current, capability] : current.filter((item) => item !== capability),
    );

  return (
    <form className="panel" onSubmit={onSubmit} noValidate aria-labelledby={`${ids}-heading`}>
      <h2 id={`${ids}-heading`}>Create a token</h2>
      <label htmlFor={`${ids}-name`}>Name</label>
      <input
        id={`${ids}-name`}
        value={name}
        maxLength={100}
        aria-invalid={fieldError('name') ? true : undefined}
        aria-describedby={fieldError('name') ? `${ids}-name-error` : undefined}
        onChange={(event) => setName(event.target.value)}
      />
      {fieldError('name') && (
        <p id={`${ids}-name-error`} className="field-error">
          {fieldError('name')}
        </p>
      )}
      <label htmlFor={`${ids}-days`}>Expires in (days, at most {MAX_DAYS})</label>
      <input
        id={`${ids}-days`}
        type="number"
        inputMode="numeric"
        min={1}
        max={MAX_DAYS}
        className="input-short"
        value={days}
        aria-invalid={fieldError('expires_in_days') ? true : undefined}
        aria-describedby={fieldError('expires_in_days') ? `${ids}-days-error` : undefined}
        onChange={(event) => setDays(event.target.value)}
      />
      {fieldError('expires_in_days') && (
        <p id={`${ids}-days-error`} className="field-error">
          {fieldError('expires_in_days')}
        </p>
      )}
      <fieldset aria-describedby={fieldError('capabilities') ? `${ids}-caps-error` : undefined}>
        <legend>Capabilities (a subset of yours)</legend>
        {operator.capabilities.map((capability) => (
          <label key={capability} className="checkbox">
            <input
              type="checkbox"
              checked={capabilities.includes(capability)}
              onChange={(event) => toggle(capability, event.target.checked)}
            />
            <code>{capability}</code>
          </label>
        ))}
      </fieldset>
      {fieldError('capabilities') && (
        <p id={`${ids}-caps-error`} className="field-error">
          {fieldError('capabilities')}
        </p>
      )}
      {create.isError && (
        <p className="form-error" role="alert">
          {errorMessage(create.error)}
        </p>
      )}
      <div className="actions">
        <button type="submit" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create token'}
        </button>
      </div>
    </form>
  );
}

/** The new token, shown this once, with a copy button. */
function NewTokenNotice({ token, onDone }: { token: CreatedToken; onDone: () => void }) {
  const ids = useId();
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(token.token);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  };
  return (
    <section className="panel panel-warning" aria-labelledby={`${ids}-heading`}>
      <h2 id={`${ids}-heading`} tabIndex={-1} ref={heading}>
        Token “{token.name}” created
      </h2>
      <p role="alert" className="warning">
        Copy it now: this is the only time it is shown. Anyone with it can act as you within its
        capabilities until {formatTimestamp(token.expires_at)}.
      </p>
      <label htmlFor={`${ids}-value`}>Token</label>
      <div className="copy-row">
        <input id={`${ids}-value`} readOnly value={token.token} onFocus={(e) => e.target.select()} />
        <button type="button" onClick={() => void copy()}>
          Copy
        </button>
      </div>
      <p aria-live="polite" className="field-help">
        {copied === 'yes'
          ? 'Copied to the clipboard.'
          : copied === 'failed'
            ? 'Could not copy; select the text and copy it yourself.'
            : ''}
      </p>
      <button type="button" className="button-secondary" onClick={onDone}>
        I have stored it
      </button>
    </section>
  );
}

function RevokeTokenDialog({ token, onClose }: { token: ApiToken; onClose: () => void }) {
  const queryClient = useQueryClient();
  const revoke = useMutation({
    mutationFn: () =>
      unwrap(api.DELETE('/system/api/auth/tokens/{id}', { params: { path: { id: token.id } } })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['tokens'] });
      onClose();
    },
  });
  return (
    <Dialog
      title={`Revoke token “${token.name}”?`}
      onClose={onClose}
      description={<p>Scripts using it stop working at once. This cannot be undone.</p>}
    >
      {revoke.isError && (
        <p className="form-error" role="alert">
          {errorMessage(revoke.error)}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" className="button-secondary" data-autofocus onClick={onClose}>
          Keep token
        </button>
        <button
          type="button"
          className="button-danger"
          disabled={revoke.isPending}
          onClick={() => revoke.mutate()}
        >
          {revoke.isPending ? 'Revoking…' : 'Revoke token'}
        </button>
      </div>
    </Dialog>
  );
}
