import { describe, expect, it } from 'vitest';
import { ForbiddenError, NetworkError, ProblemError, UnauthorizedError } from '../api/client';
import { errorMessage, loginErrorMessage, passwordChangeErrorMessage } from './errors';

describe('loginErrorMessage', () => {
  it('gives one message for any rejected credentials', () => {
    expect(loginErrorMessage(new UnauthorizedError())).toBe('Invalid username or password');
  });

  it('shows how long to wait when throttled', () => {
    const throttled = new ProblemError(429, { title: 'Too Many Requests' }, 42);
    expect(loginErrorMessage(throttled)).toBe('Too many sign-in attempts. Try again in 42s.');
    const longer = new ProblemError(429, { title: 'Too Many Requests' }, 75);
    expect(loginErrorMessage(longer)).toBe('Too many sign-in attempts. Try again in 1m 15s.');
  });

  it('still explains a throttle without Retry-After', () => {
    const throttled = new ProblemError(429, { title: 'Too Many Requests' });
    expect(loginErrorMessage(throttled)).toBe('Too many sign-in attempts. Try again later.');
  });

  it('says the server is busy and when to retry on 503', () => {
    const busy = new ProblemError(503, { title: 'Service Unavailable' }, 2);
    expect(loginErrorMessage(busy)).toBe('The server is busy. Try again in 2s.');
    const noHint = new ProblemError(503, { title: 'Service Unavailable' });
    expect(loginErrorMessage(noHint)).toBe('The server is busy. Try again later.');
  });

  it('shows the detail of a rejected request (422)', () => {
    const tooLong = new ProblemError(422, {
      title: 'Unprocessable Entity',
      detail: 'username must be at most 64 characters',
    });
    expect(loginErrorMessage(tooLong)).toBe('username must be at most 64 characters');
  });

  it('falls back to the general message for other failures', () => {
    expect(loginErrorMessage(new NetworkError(new TypeError('Failed to fetch')))).toBe(
      'The server could not be reached. Check your connection and try again.',
    );
  });
});

describe('errorMessage', () => {
  it('shows the detail of a client error', () => {
    const problem = new ProblemError(422, { title: 'Invalid request', detail: 'page must be ≥ 1' });
    expect(errorMessage(problem)).toBe('page must be ≥ 1');
    expect(errorMessage(new ProblemError(404, { title: 'Not Found' }))).toBe('Not Found');
  });

  it('does not show server internals for 5xx', () => {
    const problem = new ProblemError(500, { title: 'Internal Server Error', detail: 'oops' });
    expect(errorMessage(problem)).toBe('The server ran into a problem. Try again in a moment.');
  });

  it('passes the forbidden message through', () => {
    expect(errorMessage(new ForbiddenError('Missing capability audit.view'))).toBe(
      'Missing capability audit.view',
    );
  });

  it('has a safe default for unknown values', () => {
    expect(errorMessage('boom')).toBe('Something went wrong.');
  });
});

describe('passwordChangeErrorMessage', () => {
  it('says too many wrong attempts and when to retry on 429', () => {
    const throttled = new ProblemError(429, { title: 'Too Many Requests' }, 60);
    expect(passwordChangeErrorMessage(throttled)).toBe('Too many wrong attempts. Try again in 1m.');
  });

  it('says the server is busy on 503', () => {
    const busy = new ProblemError(503, { title: 'Service Unavailable' }, 5);
    expect(passwordChangeErrorMessage(busy)).toBe('The server is busy. Try again in 5s.');
  });
});
