import { createContext, useContext } from 'react';
import { createApiClient, unwrap } from '../api/client';
import type { paths } from '../api/schema';
import type { LoginRequest, Operator, OperatorSession } from '../api/types';
import { useSessionQuery } from '../shared/session';

/** The operator plane's one API client; its CSRF token lives only in this tab's memory. */
export const api = createApiClient<paths>();

/** `POST /system/api/auth/login`. */
export function signIn(body: LoginRequest): Promise<OperatorSession> {
  return unwrap(api.POST('/system/api/auth/login', { body }));
}

/** The operator session from `GET /system/api/auth/me`. */
export function useOperatorSession() {
  return useSessionQuery(
    api,
    (signal): Promise<OperatorSession> => unwrap(api.GET('/system/api/auth/me', { signal })),
  );
}

/** Provided by the app shell once the session is known; read with `useOperator`. */
export const OperatorContext = createContext<Operator | null>(null);

/** The signed-in operator, for components rendered behind `RequireSession`. */
export function useOperator(): Operator {
  const operator = useContext(OperatorContext);
  if (operator === null) throw new Error('useOperator is only available behind RequireSession');
  return operator;
}
