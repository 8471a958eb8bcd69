import { describe, expect, it, vi } from 'vitest';
import {
  ApiClient,
  ForbiddenError,
  NetworkError,
  ProblemError,
  UnauthorizedError,
  parseRetryAfter,
} from './client';

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

function problem(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return json(status, body, { ...headers, 'Content-Type': 'application/problem+json' });
}

/** A client whose fetch answers with `response` and records what it was called with. */
function clientAnswering(response: Response | (() => Promise<Response>)) {
  const fetchMock = vi.fn<typeof fetch>(() =>
    typeof response === 'function' ? response() : Promise.resolve(response),
  );
  return { client: new ApiClient(fetchMock), fetchMock };
}

function sentRequest(fetchMock: ReturnType<typeof vi.fn<typeof fetch>>) {
  const [url, init] = fetchMock.mock.calls[0] ?? [];
  return { url, init: init ?? {}, headers: new Headers(init?.headers) };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the request to fail');
}

describe('ApiClient requests', () => {
  it('sends same-origin credentials and parses JSON', async () => {
    const { client, fetchMock } = clientAnswering(json(200, { ok: true }));
    await expect(client.get('/system/api/auth/me')).resolves.toEqual({ ok: true });
    const { url, init } = sentRequest(fetchMock);
    expect(url).toBe('/system/api/auth/me');
    expect(init.method).toBe('GET');
    expect(init.credentials).toBe('same-origin');
    expect(init.body).toBeUndefined();
  });

  it('encodes query parameters and leaves out empty ones', async () => {
    const { client, fetchMock } = clientAnswering(json(200, {}));
    await client.get('/system/api/ops/runs', {
      query: { status: 'running', page: 2, runbook: undefined, search: '' },
    });
    expect(sentRequest(fetchMock).url).toBe('/system/api/ops/runs?status=running&page=2');
  });

  it('sends a JSON body with Content-Type', async () => {
    const { client, fetchMock } = clientAnswering(json(200, {}));
    await client.post('/system/api/auth/login', { username: 'ada', password: 'pw' });
    const { init, headers } = sentRequest(fetchMock);
    expect(init.method).toBe('POST');
    expect(headers.get('Content-Type')).toBe('application/json');
    expect(init.body).toBe('{"username":"ada","password":"pw"}');
  });

  it('adds X-CSRF-Token to unsafe methods only', async () => {
    const { client, fetchMock } = clientAnswering(() => Promise.resolve(json(200, {})));
    client.setCsrfToken('tok-1');
    await client.get('/system/api/ops/runs');
    await client.request('HEAD', '/system/api/ops/runs');
    await client.request('OPTIONS', '/system/api/ops/runs');
    await client.post('/system/api/auth/logout');
    await client.delete('/system/api/auth/tokens/3');
    await client.request('PATCH', '/system/api/x', { body: {} });
    const tokens = fetchMock.mock.calls.map(([, init]) =>
      new Headers(init?.headers).get('X-CSRF-Token'),
    );
    expect(tokens).toEqual([null, null, null, 'tok-1', 'tok-1', 'tok-1']);
  });

  it('omits X-CSRF-Token when no token is stored, and after it is cleared', async () => {
    const { client, fetchMock } = clientAnswering(() => Promise.resolve(json(200, {})));
    await client.post('/system/api/auth/login', {});
    client.setCsrfToken('tok-1');
    client.setCsrfToken(null);
    await client.post('/system/api/auth/logout');
    for (const [, init] of fetchMock.mock.calls) {
      expect(new Headers(init?.headers).has('X-CSRF-Token')).toBe(false);
    }
  });

  it('resolves undefined for an empty body (204)', async () => {
    const { client } = clientAnswering(new Response(null, { status: 204 }));
    await expect(client.post('/system/api/auth/logout')).resolves.toBeUndefined();
  });
});

describe('ApiClient error mapping', () => {
  it('maps 401 to UnauthorizedError', async () => {
    const { client } = clientAnswering(problem(401, { title: 'Unauthorized', status: 401 }));
    const error = await rejectionOf(client.get('/system/api/auth/me'));
    expect(error).toBeInstanceOf(UnauthorizedError);
  });

  it('maps 403 to ForbiddenError with the server message', async () => {
    const { client } = clientAnswering(
      problem(403, { title: 'Forbidden', status: 403, detail: 'Requires audit.view' }),
    );
    const error = await rejectionOf(client.get('/system/api/audit-events'));
    expect(error).toBeInstanceOf(ForbiddenError);
    expect((error as ForbiddenError).message).toBe('Requires audit.view');
  });

  it('gives ForbiddenError a message even without a body', async () => {
    const { client } = clientAnswering(new Response(null, { status: 403 }));
    const error = await rejectionOf(client.post('/system/api/auth/logout'));
    expect(error).toBeInstanceOf(ForbiddenError);
    expect((error as ForbiddenError).message).toBe('You do not have permission to do this.');
  });

  it('maps a problem document to ProblemError with its fields', async () => {
    const { client } = clientAnswering(
      problem(422, {
        type: 'about:blank',
        title: 'Invalid request',
        status: 422,
        detail: 'reason.text is too short',
        errors: { 'reason.text': ['must be at least 10 characters'] },
      }),
    );
    const error = await rejectionOf(client.post('/system/api/ops/runbooks/x/runs', {}));
    expect(error).toBeInstanceOf(ProblemError);
    const problemError = error as ProblemError;
    expect(problemError.status).toBe(422);
    expect(problemError.title).toBe('Invalid request');
    expect(problemError.detail).toBe('reason.text is too short');
    expect(problemError.errors).toEqual({ 'reason.text': ['must be at least 10 characters'] });
    expect(problemError.message).toBe('reason.text is too short');
  });

  it('keeps extension members such as active_run_id', async () => {
    const { client } = clientAnswering(
      problem(409, { title: 'Conflict', status: 409, active_run_id: 17 }),
    );
    const error = (await rejectionOf(
      client.post('/system/api/ops/runbooks/x/runs'),
    )) as ProblemError;
    expect(error.status).toBe(409);
    expect(error.problem.active_run_id).toBe(17);
    expect(error.errors).toEqual({});
  });

  it('reads Retry-After on 429', async () => {
    const { client } = clientAnswering(
      problem(429, { title: 'Too Many Requests', status: 429 }, { 'Retry-After': '37' }),
    );
    const error = (await rejectionOf(client.post('/system/api/auth/login', {}))) as ProblemError;
    expect(error).toBeInstanceOf(ProblemError);
    expect(error.status).toBe(429);
    expect(error.retryAfter).toBe(37);
  });

  it('maps a non-problem error response to ProblemError from the status alone', async () => {
    const { client } = clientAnswering(
      new Response('<html>Bad Gateway</html>', {
        status: 502,
        statusText: 'Bad Gateway',
        headers: { 'Content-Type': 'text/html' },
      }),
    );
    const error = (await rejectionOf(client.get('/system/api/ops/runs'))) as ProblemError;
    expect(error).toBeInstanceOf(ProblemError);
    expect(error.status).toBe(502);
    expect(error.title).toBe('Bad Gateway');
    expect(error.detail).toBeNull();
  });

  it('survives a malformed problem body', async () => {
    const { client } = clientAnswering(
      new Response('{"title": ', {
        status: 500,
        headers: { 'Content-Type': 'application/problem+json' },
      }),
    );
    const error = (await rejectionOf(client.get('/system/api/ops/runs'))) as ProblemError;
    expect(error).toBeInstanceOf(ProblemError);
    expect(error.status).toBe(500);
    expect(error.title).toBe('Request failed (HTTP 500)');
  });

  it('maps a failed fetch to NetworkError, keeping the cause', async () => {
    const cause = new TypeError('Failed to fetch');
    const { client } = clientAnswering(() => Promise.reject(cause));
    const error = await rejectionOf(client.get('/system/api/auth/me'));
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).cause).toBe(cause);
  });

  it('lets an aborted request reject with the AbortError itself', async () => {
    const abort = new DOMException('The operation was aborted.', 'AbortError');
    const { client } = clientAnswering(() => Promise.reject(abort));
    await expect(client.get('/system/api/ops/runs/1')).rejects.toBe(abort);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('60')).toBe(60);
    expect(parseRetryAfter(' 5 ')).toBe(5);
  });

  it('reads an HTTP date relative to now', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
  });

  it('returns null when absent or unreadable', () => {
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter('')).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
  });
});
