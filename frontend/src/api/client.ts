import type { Problem } from './types';

// The single way the SPAs talk to the backend. Every request goes through `ApiClient.request`,
// so cookies, the CSRF header and error mapping are decided here and nowhere else. Once
// src/api/schema.ts is generated this wraps openapi-fetch; the error classes stay as they are.

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

type Method = 'GET' | 'HEAD' | 'OPTIONS' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Query = Record<string, string | number | undefined>;

export interface RequestOptions {
  body?: unknown;
  query?: Query;
  signal?: AbortSignal;
}

const SAFE_METHODS: ReadonlySet<Method> = new Set(['GET', 'HEAD', 'OPTIONS']);

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

function withQuery(path: string, query: Query | undefined): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

/** HTTP client for one plane; holds that plane's CSRF token in memory only. */
export class ApiClient {
  #csrfToken: string | null = null;
  readonly #fetch: typeof fetch;

  /** `fetchImpl` defaults to the global `fetch`, looked up on every call. */
  constructor(fetchImpl?: typeof fetch) {
    this.#fetch = fetchImpl ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** Stores the token from login or `/auth/me`; null after logout. */
  setCsrfToken(token: string | null): void {
    this.#csrfToken = token;
  }

  get<T>(path: string, options?: Omit<RequestOptions, 'body'>): Promise<T> {
    return this.request<T>('GET', path, options);
  }

  post<T>(path: string, body?: unknown, options?: Omit<RequestOptions, 'body'>): Promise<T> {
    return this.request<T>('POST', path, { ...options, body });
  }

  delete<T>(path: string, options?: Omit<RequestOptions, 'body'>): Promise<T> {
    return this.request<T>('DELETE', path, options);
  }

  /** Sends one request; resolves with the parsed JSON body (undefined when there is none). */
  async request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
    const headers = new Headers({ Accept: 'application/json, application/problem+json' });
    if (options.body !== undefined) headers.set('Content-Type', 'application/json');
    if (!SAFE_METHODS.has(method) && this.#csrfToken !== null) {
      headers.set('X-CSRF-Token', this.#csrfToken);
    }

    let response: Response;
    try {
      response = await this.#fetch(withQuery(path, options.query), {
        method,
        headers,
        credentials: 'same-origin',
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
      });
    } catch (error) {
      // A cancelled query is not an outage: let TanStack Query see its own abort.
      if (isAbort(error)) throw error;
      throw new NetworkError(error);
    }

    if (!response.ok) throw await errorFromResponse(response);
    const text = await response.text();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }
}
