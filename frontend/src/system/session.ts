import { createContext, useContext } from 'react';
import { createApiClient, unwrap } from '../api/client';
import type { paths } from '../api/schema';
import type { LoginRequest, Operator, OperatorSession, SessionState } from '../api/types';
import { useSessionQuery } from '../shared/session';

/** The operator plane's one API client; its CSRF token lives only in this tab's memory. */
export const api = createApiClient<paths>();

/** `POST /system/api/auth/login`. */
export function signIn(body: LoginRequest): Promise<OperatorSession> {
  return unwrap(api.POST('/system/api/auth/login', { body }));
}

/**
 * The operator session from `GET /system/api/auth/session` (docs/spec.md §18): 200 with the operator and
 * the CSRF token, or with nulls when signed out — no 401 for the console to log on its login page.
 */
export function useOperatorSession() {
  return useSessionQuery(api, async (signal): Promise<OperatorSession | null> => {
    const state: SessionState = await unwrap(api.GET('/system/api/auth/session', { signal }));
    return state.operator !== null && state.csrf_token !== null
      ? { operator: state.operator, csrf_token: state.csrf_token }
      : null;
  });
}

/** Provided by the app shell once the session is known; read with `useOperator`. */
export const OperatorContext = createContext<Operator | null>(null);

/** The signed-in operator, for components rendered behind `RequireSession`. */
export function useOperator(): Operator {
  const operator = useContext(OperatorContext);
  if (operator === null) throw new Error('useOperator is only available behind RequireSession');
  return operator;
}
