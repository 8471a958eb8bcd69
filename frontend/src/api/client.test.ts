import { describe, expect, it, vi } from 'vitest';
import {
  ForbiddenError,
  NetworkError,
  ProblemError,
  UnauthorizedError,
  createApiClient,
  parseRetryAfter,
  unwrap,
} from './client';
import type { paths as CustomerPaths } from './customer-schema';
import type { paths } from './schema';
import type { Run, Runbook } from './types';

type FetchMock = ReturnType<typeof vi.fn<(request: Request) => Promise<Response>>>;

/** An operation with no parameters, body or content, for the methods the contracts do not use. */
interface BareOperation {
  parameters: { query?: never; header?: never; path?: never; cookie?: never };
  requestBody?: never;
  responses: { 204: { headers: Record<string, unknown>; content?: never } };
}
interface BarePaths {
  '/probe': { head: BareOperation; options: BareOperation; patch: BareOperation };
}

const CREDENTIALS = { username: 'ada', password: 'pw' };

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

function problem(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return json(status, body, { ...headers, 'Content-Type': 'application/problem+json' });
}

/** A fetch that answers with `response` and records the requests it was called with. */
function fetchAnswering(response: Response | (() => Promise<Response>)): FetchMock {
  return vi.fn((_request: Request) =>
    typeof response === 'function' ? response() : Promise.resolve(response),
  );
}

/** An operator-plane client whose fetch answers with `response`. */
function clientAnswering(response: Response | (() => Promise<Response>)) {
  const fetchMock = fetchAnswering(response);
  return {
    client: createApiClient<paths>({ baseUrl: 'http://localhost', fetch: fetchMock }),
    fetchMock,
  };
}

function sentRequests(fetchMock: FetchMock): Request[] {
  return fetchMock.mock.calls.map(([request]) => request);
}

function sentRequest(fetchMock: FetchMock): Request {
  const [request] = sentRequests(fetchMock);
  if (request === undefined) throw new Error('no request was sent');
  return request;
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
    await expect(unwrap(client.GET('/system/api/auth/me'))).resolves.toEqual({ ok: true });
    const request = sentRequest(fetchMock);
    expect(request.url).toBe('http://localhost/system/api/auth/me');
    expect(request.method).toBe('GET');
    expect(request.credentials).toBe('same-origin');
    expect(request.headers.get('Accept')).toBe('application/json, application/problem+json');
    expect(request.body).toBeNull();
  });

  it('encodes query parameters and leaves out empty ones', async () => {
    const { client, fetchMock } = clientAnswering(json(200, {}));
    await unwrap(
      client.GET('/system/api/ops/runs', {
        params: { query: { status: 'running', page: 2, per_page: undefined, runbook: '' } },
      }),
    );
    expect(sentRequest(fetchMock).url).toBe(
      'http://localhost/system/api/ops/runs?status=running&page=2',
    );
  });

  it('encodes path parameters', async () => {
    const { client, fetchMock } = clientAnswering(json(200, {}));
    await unwrap(
      client.GET('/system/api/ops/runbooks/{key}', { params: { path: { key: 'a b/c' } } }),
    );
    expect(sentRequest(fetchMock).url).toBe('http://localhost/system/api/ops/runbooks/a%20b%2Fc');
  });

  it('sends a JSON body with Content-Type', async () => {
    const { client, fetchMock } = clientAnswering(json(200, {}));
    await unwrap(client.POST('/system/api/auth/login', { body: CREDENTIALS }));
    const request = sentRequest(fetchMock);
    expect(request.method).toBe('POST');
    expect(request.headers.get('Content-Type')).toBe('application/json');
    await expect(request.text()).resolves.toBe('{"username":"ada","password":"pw"}');
  });

  it('adds X-CSRF-Token to unsafe methods only', async () => {
    const fetchMock = fetchAnswering(() => Promise.resolve(new Response(null, { status: 204 })));
    const client = createApiClient<paths>({ baseUrl: 'http://localhost', fetch: fetchMock });
    const bare = createApiClient<BarePaths>({ baseUrl: 'http://localhost', fetch: fetchMock });
    client.setCsrfToken('tok-1');
    bare.setCsrfToken('tok-1');
    await unwrap(client.GET('/system/api/ops/runs'));
    await unwrap(bare.request('head', '/probe'));
    await unwrap(bare.request('options', '/probe'));
    await unwrap(client.POST('/system/api/auth/logout'));
    await unwrap(client.DELETE('/system/api/auth/tokens/{id}', { params: { path: { id: 3 } } }));
    await unwrap(bare.request('patch', '/probe'));
    const sent = sentRequests(fetchMock).map((request) => [
      request.method,
      request.headers.get('X-CSRF-Token'),
    ]);
    expect(sent).toEqual([
      ['GET', null],
      ['HEAD', null],
      ['OPTIONS', null],
      ['POST', 'tok-1'],
      ['DELETE', 'tok-1'],
      ['PATCH', 'tok-1'],
    ]);
  });

  it('omits X-CSRF-Token when no token is stored, and after it is cleared', async () => {
    const { client, fetchMock } = clientAnswering(() => Promise.resolve(json(200, {})));
    await unwrap(client.POST('/system/api/auth/login', { body: CREDENTIALS }));
    client.setCsrfToken('tok-1');
    client.setCsrfToken(null);
    await unwrap(client.POST('/system/api/auth/logout'));
    for (const request of sentRequests(fetchMock)) {
      expect(request.headers.has('X-CSRF-Token')).toBe(false);
    }
  });

  it('resolves undefined for an empty body (204)', async () => {
    const { client } = clientAnswering(new Response(null, { status: 204 }));
    await expect(unwrap(client.POST('/system/api/auth/logout'))).resolves.toBeUndefined();
  });

  it('only compiles what the contract allows (checked by `npm run typecheck`)', async () => {
    const { client, fetchMock } = clientAnswering(() => Promise.resolve(json(200, {})));
    const run = { params: { path: { id: 1 } } };
    // @ts-expect-error: the contract has no such path
    await client.GET('/system/api/ops/run/{id}', run);
    // @ts-expect-error: the path parameter is `id`
    await client.GET('/system/api/ops/runs/{id}', { params: { path: { run_id: 1 } } });
    // @ts-expect-error: a cancel needs a reason
    await client.POST('/system/api/ops/runs/{id}/cancel', { ...run, body: {} });
    // A body reads as a narrower view of its generated type (types.ts), never as another type.
    const reads: [Promise<Run>, Promise<Runbook>] = [
      unwrap(client.GET('/system/api/ops/runs/{id}', run)),
      // @ts-expect-error: a run is not a runbook
      unwrap(client.GET('/system/api/ops/runs/{id}', run)),
    ];
    await Promise.all(reads);
    expect(fetchMock).toHaveBeenCalledTimes(5);
  });
});

describe('ApiClient error mapping', () => {
  it('maps 401 to UnauthorizedError', async () => {
    const { client } = clientAnswering(problem(401, { title: 'Unauthorized', status: 401 }));
    const error = await rejectionOf(unwrap(client.GET('/system/api/auth/me')));
    expect(error).toBeInstanceOf(UnauthorizedError);
  });

  it('maps 403 to ForbiddenError with the server message', async () => {
    const { client } = clientAnswering(
      problem(403, { title: 'Forbidden', status: 403, detail: 'Requires audit.view' }),
    );
    const error = await rejectionOf(unwrap(client.GET('/system/api/audit-events')));
    expect(error).toBeInstanceOf(ForbiddenError);
    expect((error as ForbiddenError).message).toBe('Requires audit.view');
  });

  it('gives ForbiddenError a message even without a body', async () => {
    const { client } = clientAnswering(new Response(null, { status: 403 }));
    const error = await rejectionOf(unwrap(client.POST('/system/api/auth/logout')));
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
    const error = await rejectionOf(
      unwrap(
        client.POST('/system/api/ops/runbooks/{key}/runs', {
          params: { path: { key: 'x' } },
          body: { scope: { kind: 'all_tenants' } },
        }),
      ),
    );
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
      unwrap(
        client.POST('/system/api/ops/runbooks/{key}/runs', {
          params: { path: { key: 'x' } },
          body: { scope: { kind: 'tenant', tenant_id: 4 } },
        }),
      ),
    )) as ProblemError;
    expect(error.status).toBe(409);
    expect(error.problem.active_run_id).toBe(17);
    expect(error.errors).toEqual({});
  });

  it('reads Retry-After on 429', async () => {
    const { client } = clientAnswering(
      problem(429, { title: 'Too Many Requests', status: 429 }, { 'Retry-After': '37' }),
    );
    const error = (await rejectionOf(
      unwrap(client.POST('/system/api/auth/login', { body: CREDENTIALS })),
    )) as ProblemError;
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
    const error = (await rejectionOf(unwrap(client.GET('/system/api/ops/runs')))) as ProblemError;
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
    const error = (await rejectionOf(unwrap(client.GET('/system/api/ops/runs')))) as ProblemError;
    expect(error).toBeInstanceOf(ProblemError);
    expect(error.status).toBe(500);
    expect(error.title).toBe('Request failed (HTTP 500)');
  });

  it('maps a failed fetch to NetworkError, keeping the cause', async () => {
    const cause = new TypeError('Failed to fetch');
    const { client } = clientAnswering(() => Promise.reject(cause));
    const error = await rejectionOf(unwrap(client.GET('/system/api/auth/me')));
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).cause).toBe(cause);
  });

  it('lets an aborted request reject with the AbortError itself', async () => {
    const abort = new DOMException('The operation was aborted.', 'AbortError');
    const { client } = clientAnswering(() => Promise.reject(abort));
    await expect(
      unwrap(client.GET('/system/api/ops/runs/{id}', { params: { path: { id: 1 } } })),
    ).rejects.toBe(abort);
  });

  it('maps the errors of the customer plane the same way', async () => {
    const fetchMock = fetchAnswering(problem(401, { title: 'Unauthorized', status: 401 }));
    const client = createApiClient<CustomerPaths>({
      baseUrl: 'http://localhost',
      fetch: fetchMock,
    });
    const error = await rejectionOf(unwrap(client.GET('/admin/api/tenants')));
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect(sentRequest(fetchMock).url).toBe('http://localhost/admin/api/tenants');
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
