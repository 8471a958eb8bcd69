import {
  MutationCache,
  QueryCache,
  QueryClient,
  queryOptions,
  useQuery,
  type UseQueryResult,
} from '@tanstack/react-query';
import {
  type CsrfTokenStore,
  NetworkError,
  ProblemError,
  UnauthorizedError,
} from '../api/client';

/** Both planes keep their signed-in identity under this query key. */
export const SESSION_QUERY_KEY = ['session'] as const;

/** What a plane's login and `/auth/me` return: an identity plus the session's CSRF token. */
export interface SessionPayload {
  csrf_token: string;
}

/** The session query: `undefined` while the session is being asked for, `null` when signed out. */
export type SessionQuery<S> = UseQueryResult<S | null>;

/**
 * Loads the session once per page load with `fetchSession`: the operator plane's
 * `GET /auth/session`, which answers 200 with `null` when signed out (so the login page logs no
 * 401), or the customer plane's `GET /auth/me`, whose 401 means signed out. Later 401s end it
 * through `createQueryClient`.
 */
export function useSessionQuery<S extends SessionPayload>(
  api: CsrfTokenStore,
  fetchSession: (signal: AbortSignal) => Promise<S | null>,
): SessionQuery<S> {
  return useQuery(
    queryOptions({
      queryKey: SESSION_QUERY_KEY,
      queryFn: async ({ signal }): Promise<S | null> => {
        try {
          const session = await fetchSession(signal);
          api.setCsrfToken(session?.csrf_token ?? null);
          return session;
        } catch (error) {
          if (error instanceof UnauthorizedError) return null;
          throw error;
        }
      },
      staleTime: Number.POSITIVE_INFINITY,
    }),
  );
}

/** Marks the user signed in after login: stores the CSRF token and primes the session query. */
export function startSession<S extends SessionPayload>(
  queryClient: QueryClient,
  api: CsrfTokenStore,
  session: S,
): void {
  api.setCsrfToken(session.csrf_token);
  queryClient.setQueryData(SESSION_QUERY_KEY, session);
}

/**
 * Forgets everything the signed-out user could see. The session query becomes null, which makes
 * `RequireSession` send the user to the login page.
 */
export function endSession(queryClient: QueryClient, api: CsrfTokenStore): void {
  api.setCsrfToken(null);
  queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== SESSION_QUERY_KEY[0] });
  queryClient.setQueryData(SESSION_QUERY_KEY, null);
}

/** Retries only what may succeed on a second try: lost connections and server errors. */
function shouldRetry(failureCount: number, error: Error): boolean {
  const transient =
    error instanceof NetworkError || (error instanceof ProblemError && error.status >= 500);
  return transient && failureCount < 2;
}

/** The plane's QueryClient: any 401 from any query or mutation ends the session. */
export function createQueryClient(api: CsrfTokenStore): QueryClient {
  const onError = (error: Error) => {
    if (error instanceof UnauthorizedError) endSession(queryClient, api);
  };
  const queryClient: QueryClient = new QueryClient({
    queryCache: new QueryCache({ onError }),
    mutationCache: new MutationCache({ onError }),
    defaultOptions: { queries: { retry: shouldRetry } },
  });
  return queryClient;
}
