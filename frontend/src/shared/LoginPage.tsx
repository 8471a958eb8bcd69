import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useRef, useState } from 'react';
import { Navigate, useLocation } from 'react-router';
import type { CsrfTokenStore } from '../api/client';
import type { LoginRequest } from '../api/types';
import { loginErrorMessage } from '../lib/errors';
import type { FocusHeadingState } from './focus';
import type { LoginRedirectState } from './RequireSession';
import { type SessionPayload, type SessionQuery, startSession } from './session';
import { ErrorState, LoadingState } from './states';

interface LoginPageProps<S extends SessionPayload> {
  api: CsrfTokenStore;
  /** The plane's `POST /auth/login`. */
  signIn: (credentials: LoginRequest) => Promise<S>;
  session: SessionQuery<S>;
  title: string;
  /** Where a freshly signed-in user lands unless they were sent here from another page. */
  homePath: (session: S) => string;
}

/** Username and password form for either plane. */
export function LoginPage<S extends SessionPayload>({
  api,
  signIn,
  session,
  title,
  homePath,
}: LoginPageProps<S>) {
  const queryClient = useQueryClient();
  const location = useLocation();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');

  // Set just before the session is primed, so the redirect below knows it follows a sign-in.
  const signedInHere = useRef(false);
  const login = useMutation({
    mutationFn: signIn,
    // Priming the session query re-renders this page into the redirect below.
    onSuccess: (signedIn) => {
      signedInHere.current = true;
      startSession(queryClient, api, signedIn);
    },
  });

  if (session.isPending) return <LoadingState label="Checking your session…" />;
  if (session.isError) {
    return <ErrorState error={session.error} onRetry={() => void session.refetch()} />;
  }
  if (session.data) {
    // Back to the page that sent the user here, else the plane's home page.
    const from = (location.state as LoginRedirectState | null)?.from;
    const target = from ? `${from.pathname}${from.search}${from.hash}` : homePath(session.data);
    // After a sign-in the page lands with focus on its heading, not on <body>.
    const state: FocusHeadingState | undefined = signedInHere.current ? { focusHeading: true } : undefined;
    return <Navigate to={target} replace state={state} />;
  }

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    login.mutate({ username, password });
  };

  return (
    <main id="main" className="login">
      <title>{`Sign in · ${title}`}</title>
      <form className="login-form" onSubmit={onSubmit}>
        <h1>{title}</h1>
        <p className="login-hint">Sign in to continue.</p>
        <label htmlFor="login-username">Username</label>
        <input
          id="login-username"
          name="username"
          autoComplete="username"
          required
          autoFocus
          value={username}
          onChange={(event) => setUsername(event.target.value)}
        />
        <label htmlFor="login-password">Password</label>
        <input
          id="login-password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
        {login.isError && (
          <p className="form-error" role="alert">
            {loginErrorMessage(login.error)}
          </p>
        )}
        <button type="submit" disabled={login.isPending}>
          {login.isPending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
