import { ForbiddenError, NetworkError, ProblemError, UnauthorizedError } from '../api/client';
import { formatDuration } from './format';

/** One sentence for an error shown to the user; never a stack trace or raw object. */
export function errorMessage(error: unknown): string {
  if (error instanceof NetworkError) {
    return 'The server could not be reached. Check your connection and try again.';
  }
  if (error instanceof UnauthorizedError) return 'Your session has ended. Please sign in again.';
  if (error instanceof ForbiddenError) return error.message;
  if (error instanceof ProblemError) {
    if (error.status >= 500) return 'The server ran into a problem. Try again in a moment.';
    return error.detail ?? error.title;
  }
  return 'Something went wrong.';
}

/**
 * The login form's message. Wrong password and unknown user are one message, as on the server,
 * so the form does not reveal which usernames exist.
 */
export function loginErrorMessage(error: unknown): string {
  if (error instanceof UnauthorizedError) return 'Invalid username or password';
  if (error instanceof ProblemError && error.status === 429) {
    return error.retryAfter === null
      ? 'Too many sign-in attempts. Try again later.'
      : `Too many sign-in attempts. Try again in ${formatDuration(error.retryAfter)}.`;
  }
  return errorMessage(error);
}
