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
 * Replaces global fetch, which the API clients call with a `Request`, with routes keyed
 * `"METHOD /path"` (query string ignored). A request no route answers fails the test's
 * expectations through a 599 and is listed in `unexpected`.
 */
export function fakeBackend(routes: Record<string, Handler>) {
  const calls: { method: string; path: string; url: URL; headers: Headers; body: unknown }[] = [];
  const unexpected: string[] = [];
  const fetchMock = vi.fn(async (request: Request) => {
    const url = new URL(request.url);
    const { method, headers } = request;
    const text = await request.text();
    const body: unknown = text === '' ? undefined : JSON.parse(text);
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
