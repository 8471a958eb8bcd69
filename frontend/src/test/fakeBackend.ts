import { vi } from 'vitest';

type Handler = (request: {
  body: unknown;
  headers: Headers;
  url: URL;
}) => Response | Promise<Response>;

/** A JSON response as the backend sends it. */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

/** An RFC 9457 problem response. */
export function problem(status: number, title: string, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify({ type: 'about:blank', title, status }), {
    status,
    headers: { 'Content-Type': 'application/problem+json', ...headers },
  });
}

/**
 * Replaces global fetch with routes keyed `"METHOD /path"` (query string ignored). A request no
 * route answers fails the test's expectations through a 599 and is listed in `unexpected`.
 */
export function fakeBackend(routes: Record<string, Handler>) {
  const calls: { method: string; path: string; url: URL; headers: Headers; body: unknown }[] = [];
  const unexpected: string[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), 'http://localhost');
    const method = init.method ?? 'GET';
    const headers = new Headers(init.headers);
    const body: unknown = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    calls.push({ method, path: url.pathname, url, headers, body });
    const handler = routes[`${method} ${url.pathname}`];
    if (!handler) {
      unexpected.push(`${method} ${url.pathname}`);
      return problem(599, 'No fake route');
    }
    return handler({ body, headers, url });
  });
  vi.stubGlobal('fetch', fetchMock);
  return { calls, unexpected };
}

/** A promise the test settles when it chooses, to observe the UI in between. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}
