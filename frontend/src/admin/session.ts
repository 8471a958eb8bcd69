import { ApiClient } from '../api/client';
import type { CustomerSession } from '../api/types';
import { useSessionQuery } from '../shared/session';

/** The customer plane's one API client; its CSRF token lives only in this tab's memory. */
export const api = new ApiClient();

/** The customer session from `GET /admin/api/auth/me`. */
export function useCustomerSession() {
  return useSessionQuery<CustomerSession>(api, '/admin/api/auth/me');
}
