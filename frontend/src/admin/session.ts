import { createApiClient, unwrap } from '../api/client';
import type { paths } from '../api/customer-schema';
import type { CustomerSession, LoginRequest } from '../api/types';
import { useSessionQuery } from '../shared/session';

/** The customer plane's one API client; its CSRF token lives only in this tab's memory. */
export const api = createApiClient<paths>();

/** `POST /admin/api/auth/login`. */
export function signIn(body: LoginRequest): Promise<CustomerSession> {
  return unwrap(api.POST('/admin/api/auth/login', { body }));
}

/**
 * The customer session from `GET /admin/api/auth/session`: 200 with the user and the CSRF token,
 * or with nulls when signed out — no 401 for the browser to log on the sign-in page (issue 22,
 * item 12), as the operator console's probe.
 */
export function useCustomerSession() {
  return useSessionQuery(api, async (signal): Promise<CustomerSession | null> => {
    const state = await unwrap(api.GET('/admin/api/auth/session', { signal }));
    return state.user && state.csrf_token ? { user: state.user, csrf_token: state.csrf_token } : null;
  });
}
