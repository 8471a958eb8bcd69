import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import type { SessionQuery } from './session';
import { ErrorState, LoadingState } from './states';

/** Where the login page sends the user back to after signing in. */
export interface LoginRedirectState {
  from?: { pathname: string; search: string; hash: string };
}

/**
 * Renders `children` only for a signed-in user. Until `/auth/me` has answered nothing protected
 * is rendered (no flash of content); signed out, the user goes to the login page.
 */
export function RequireSession<S>({
  session,
  children,
}: {
  session: SessionQuery<S>;
  /** Gets the session from this render, so nothing below can see a signed-out state. */
  children: (session: S) => ReactNode;
}) {
  const location = useLocation();
  if (session.isPending) return <LoadingState label="Checking your session…" />;
  if (session.isError) {
    return <ErrorState error={session.error} onRetry={() => void session.refetch()} />;
  }
  if (session.data === null) {
    const state: LoginRedirectState = { from: location };
    return <Navigate to="/login" replace state={state} />;
  }
  return children(session.data);
}
