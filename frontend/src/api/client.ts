import createClient, { type Client, type Middleware, createQuerySerializer } from 'openapi-fetch';
import type { Problem } from './types';

// The single way the SPAs talk to the backend: one openapi-fetch client per plane, typed by that
// plane's generated `paths`, so a wrong path, parameter or body does not compile. Cookies, the
// CSRF header and error mapping are decided here and nowhere else; call sites read the body
// with `unwrap`.

/** No valid session or token (401): the app drops its session and shows the login page. */
export class UnauthorizedError extends Error {
  override readonly name = 'UnauthorizedError';
  constructor(message = 'Not signed in') {
    super(message);
  }
}

/** Signed in but missing a capability, or a rejected CSRF token (403). */
export class ForbiddenError extends Error {
  override readonly name = 'ForbiddenError';
}

/** Any other 4xx/5xx, carrying the RFC 9457 problem document when the server sent one. */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  readonly status: number;
  readonly title: string;
  readonly detail: string | null;
  readonly errors: Record<string, string[]>;
  /** The whole document, for extension members such as `active_run_id`. */
  readonly problem: Problem;
  /** Seconds from the `Retry-After` header (429, 503), when present. */
  readonly retryAfter: number | null;

  constructor(status: number, problem: Problem, retryAfter: number | null = null) {
    const title = problem.title ?? `Request failed (HTTP ${status})`;
    super(problem.detail ?? title);
    this.status = status;
    this.title = title;
    this.detail = problem.detail ?? null;
    this.errors = problem.errors ?? {};
    this.problem = problem;
    this.retryAfter = retryAfter;
  }
}

/** The request never got an HTTP response (server down, connection lost). */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  constructor(cause: unknown) {
    super('The server could not be reached', { cause });
  }
}

export type ApiError = UnauthorizedError | ForbiddenError | ProblemError | NetworkError;

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Seconds to wait from a `Retry-After` value: either delta-seconds or an HTTP date.
 * Returns null when the header is absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/** Turns a non-2xx response into the matching typed error. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  const problem = await readProblem(response);
  const message = problem.detail ?? problem.title;
  if (response.status === 401) return new UnauthorizedError(message);
  if (response.status === 403) {
    return new ForbiddenError(message ?? 'You do not have permission to do this.');
  }
  const fallbackTitle = response.statusText || undefined;
  return new ProblemError(
    response.status,
    { title: fallbackTitle, ...problem },
    parseRetryAfter(response.headers.get('Retry-After')),
  );
}

async function readProblem(response: Response): Promise<Problem> {
  const contentType = response.headers.get('Content-Type') ?? '';
  if (!contentType.includes('application/problem+json')) return {};
  try {
    const body: unknown = await response.json();
    return typeof body === 'object' && body !== null ? (body as Problem) : {};
  } catch {
    // A truncated or malformed problem body still leaves the status code to go on.
    return {};
  }
}

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

/**
 * Every failure becomes a typed error here, before openapi-fetch reads the body: a non-2xx
 * response throws its `ApiError`, a fetch that got no response throws `NetworkError`. So a call
 * that resolves always carries `data`.
 */
const errorMapping: Middleware = {
  async onResponse({ response }) {
    if (!response.ok) throw await errorFromResponse(response);
  },
  onError({ error }) {
    // A cancelled query is not an outage: let TanStack Query see its own abort.
    return isAbort(error) ? undefined : new NetworkError(error);
  },
};

const serializeQuery = createQuerySerializer();

/** Query strings leave out unset and empty filters (`?status=` would filter on ""). */
function withoutEmpty(query: Record<string, unknown>): string {
  const set = Object.entries(query).filter(([, value]) => value !== '');
  return serializeQuery(Object.fromEntries(set));
}

/** Keeps the CSRF token of a plane's session: set from login or `/auth/me`, null after logout. */
export interface CsrfTokenStore {
  setCsrfToken(token: string | null): void;
}

/** One plane's HTTP client; its CSRF token is held in memory only. */
export type ApiClient<Paths extends object> = Client<Paths> & CsrfTokenStore;

export interface ApiClientOptions {
  /**
   * Origin the paths resolve against; defaults to the page's. openapi-fetch builds a `Request`,
   * which needs an absolute URL outside a browser, so tests without a page pass one.
   */
  baseUrl?: string;
  /** Defaults to the global `fetch`, looked up on every call so that tests can stub it. */
  fetch?: (request: Request) => Promise<Response>;
}

/** Creates the client for the plane whose generated `paths` it is given. */
export function createApiClient<Paths extends object>({
  baseUrl = globalThis.location?.origin,
  fetch = (request) => globalThis.fetch(request),
}: ApiClientOptions = {}): ApiClient<Paths> {
  let csrfToken: string | null = null;
  const client = createClient<Paths>({
    baseUrl,
    fetch,
    credentials: 'same-origin',
    headers: { Accept: 'application/json, application/problem+json' },
    querySerializer: withoutEmpty,
  });
  client.use(
    {
      onRequest({ request }) {
        if (!SAFE_METHODS.has(request.method) && csrfToken !== null) {
          request.headers.set('X-CSRF-Token', csrfToken);
        }
      },
    },
    errorMapping,
  );
  return Object.assign(client, {
    setCsrfToken(token: string | null) {
      csrfToken = token;
    },
  });
}

/**
 * The body of a call's response (undefined when there is none, as for 204). Failures have been
 * thrown as `ApiError`s by then. `T` is the generated response type unless the caller's context
 * asks for a narrower view of it from `types.ts` (closed value sets the contract carries as plain
 * strings, `Option` fields the server always sends); only such a subtype compiles.
 */
export async function unwrap<D, T extends D = D>(pending: Promise<{ data?: D }>): Promise<T> {
  const { data } = await pending;
  return data as T;
}
