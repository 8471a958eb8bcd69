// @vitest-environment jsdom
import { cleanup, fireEvent, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SESSION_QUERY_KEY } from '../../shared/session';
import { fakeBackend, problem } from '../../test/fakeBackend';
import { renderSystem } from '../../test/renderSystem';
import { api } from '../session';
import { AccountPage, passwordFormErrors } from './AccountPage';

const PASSWORD_PATH = 'POST /system/api/auth/password';

afterEach(() => {
  cleanup();
  api.setCsrfToken(null);
  vi.unstubAllGlobals();
});

/** A 422 problem document with field errors, as the backend sends it. */
function invalid(errors: Record<string, string[]>, detail = 'The request is invalid.') {
  return new Response(
    JSON.stringify({ type: 'about:blank', title: 'Unprocessable Entity', status: 422, detail, errors }),
    { status: 422, headers: { 'Content-Type': 'application/problem+json' } },
  );
}

function fill({
  current = 'old password 1',
  next = 'a brand new passphrase',
  repeat,
}: { current?: string; next?: string; repeat?: string } = {}) {
  fireEvent.change(screen.getByLabelText('Current password'), { target: { value: current } });
  fireEvent.change(screen.getByLabelText('New password'), { target: { value: next } });
  fireEvent.change(screen.getByLabelText('Repeat new password'), { target: { value: repeat ?? next } });
  fireEvent.click(screen.getByRole('button', { name: 'Change password' }));
}

/** The text of the error shown beside a field (through its aria-describedby). */
function errorOf(label: string): string | null {
  const input = screen.getByLabelText(label);
  const ids = (input.getAttribute('aria-describedby') ?? '').split(' ');
  const error = ids.map((id) => document.getElementById(id)).find((el) => el?.className === 'field-error');
  return error?.textContent ?? null;
}

describe('passwordFormErrors', () => {
  it('asks for every field and the same new password twice', () => {
    expect(passwordFormErrors({ current: '', next: '', repeat: '' })).toEqual({
      current_password: 'Enter your current password.',
      new_password: 'Enter a new password.',
      repeat_password: 'Repeat the new password.',
    });
    expect(passwordFormErrors({ current: 'x', next: 'abc', repeat: 'abd' })).toEqual({
      repeat_password: 'The two new passwords do not match.',
    });
    expect(passwordFormErrors({ current: 'x', next: 'abc', repeat: 'abc' })).toEqual({});
  });
});

describe('AccountPage', () => {
  it('shows who is signed in and the password policy', () => {
    fakeBackend({});
    renderSystem(<AccountPage />, { capabilities: ['ops.runs.view', 'audit.view'] });

    expect(screen.getByRole('heading', { name: 'Account', level: 1 })).toBeTruthy();
    expect(screen.getByText('ada')).toBeTruthy();
    expect(screen.getByText('Ada Lovelace')).toBeTruthy();
    expect(screen.getByText('ops.runs.view')).toBeTruthy();
    expect(screen.getByText('audit.view')).toBeTruthy();
    const next = screen.getByLabelText('New password');
    expect(next.getAttribute('autocomplete')).toBe('new-password');
    expect(screen.getByLabelText('Repeat new password').getAttribute('autocomplete')).toBe('new-password');
    expect(screen.getByLabelText('Current password').getAttribute('autocomplete')).toBe('current-password');
    const policy = document.getElementById(next.getAttribute('aria-describedby') ?? '');
    expect(policy?.textContent).toBe(
      '12 to 256 characters. It must not contain your username and must not be a common password.',
    );
  });

  it('does not send a new password typed differently twice', () => {
    const backend = fakeBackend({});
    renderSystem(<AccountPage />);
    fill({ next: 'a brand new passphrase', repeat: 'a brand new passfrase' });

    expect(errorOf('Repeat new password')).toBe('The two new passwords do not match.');
    expect(screen.getByLabelText('Repeat new password').getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(screen.getByLabelText('Repeat new password'));
    expect(backend.calls).toEqual([]);
  });

  it("shows the server's field errors beside their fields and focuses the first", async () => {
    const backend = fakeBackend({
      [PASSWORD_PATH]: () =>
        invalid({
          current_password: ['The current password is wrong.'],
          new_password: ['The password must not contain your username.'],
        }),
    });
    api.setCsrfToken('csrf-1');
    renderSystem(<AccountPage />);
    fill({ current: 'not it at all', next: 'ada-is-my-name-2025' });

    await vi.waitFor(() => expect(errorOf('Current password')).toBe('The current password is wrong.'));
    expect(errorOf('New password')).toBe('The password must not contain your username.');
    expect(errorOf('Repeat new password')).toBeNull();
    expect(document.activeElement).toBe(screen.getByLabelText('Current password'));
    // Field errors are not repeated as a form-level alert.
    expect(screen.queryByRole('alert')).toBeNull();

    const call = backend.calls[0];
    expect(call?.body).toEqual({ current_password: 'not it at all', new_password: 'ada-is-my-name-2025' });
    expect(call?.headers.get('X-CSRF-Token')).toBe('csrf-1');
  });

  it('focuses the new password when only it is refused', async () => {
    fakeBackend({
      [PASSWORD_PATH]: () => invalid({ new_password: ['This password is too common.'] }),
    });
    renderSystem(<AccountPage />);
    fill({ next: 'password1234', repeat: 'password1234' });

    await vi.waitFor(() => expect(errorOf('New password')).toBe('This password is too common.'));
    expect(document.activeElement).toBe(screen.getByLabelText('New password'));
  });

  it('says what a successful change ended and reloads the session and tokens', async () => {
    fakeBackend({ [PASSWORD_PATH]: () => new Response(null, { status: 204 }) });
    const { queryClient } = renderSystem(<AccountPage />);
    queryClient.setQueryData(SESSION_QUERY_KEY, { csrf_token: 'csrf-1' });
    queryClient.setQueryData(['tokens', { page: 1 }], { items: [], page: 1, per_page: 50, total: 0 });
    fill();

    const status = await screen.findByText(/Your password has been changed\./);
    expect(status.textContent).toContain('Every other session of yours has been signed out');
    expect(status.textContent).toContain('every API token of yours has been revoked');
    expect(status.textContent).toContain('You are still signed in here.');
    expect(status.closest('[role="status"]')).toBeTruthy();
    // Nothing typed stays in the form.
    expect((screen.getByLabelText('Current password') as HTMLInputElement).value).toBe('');
    expect((screen.getByLabelText('New password') as HTMLInputElement).value).toBe('');
    expect(queryClient.getQueryState(SESSION_QUERY_KEY)?.isInvalidated).toBe(true);
    expect(queryClient.getQueryState(['tokens', { page: 1 }])?.isInvalidated).toBe(true);
  });

  it('says when to retry after too many wrong attempts (429)', async () => {
    fakeBackend({
      [PASSWORD_PATH]: () => problem(429, 'Too Many Requests', { 'Retry-After': '42' }),
    });
    renderSystem(<AccountPage />);
    fill();

    expect((await screen.findByRole('alert')).textContent).toBe(
      'Too many wrong attempts. Try again in 42s.',
    );
  });

  it('says the server is busy and when to retry (503)', async () => {
    fakeBackend({
      [PASSWORD_PATH]: () => problem(503, 'Service Unavailable', { 'Retry-After': '3' }),
    });
    renderSystem(<AccountPage />);
    fill();

    expect((await screen.findByRole('alert')).textContent).toBe('The server is busy. Try again in 3s.');
  });
});
