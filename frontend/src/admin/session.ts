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

/** The customer session from `GET /admin/api/auth/me`. */
export function useCustomerSession() {
  return useSessionQuery(
    api,
    (signal): Promise<CustomerSession> => unwrap(api.GET('/admin/api/auth/me', { signal })),
  );
}
