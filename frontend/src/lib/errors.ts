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
    if (error.status === 503) return serverBusyMessage(error);
    if (error.status >= 500) return 'The server ran into a problem. Try again in a moment.';
    return error.detail ?? error.title;
  }
  return 'Something went wrong.';
}

/** "Try again in 42s." from a `Retry-After`, or "Try again later." without one. */
export function retryAfterSentence(error: ProblemError): string {
  return error.retryAfter === null
    ? 'Try again later.'
    : `Try again in ${formatDuration(error.retryAfter)}.`;
}

/** A 503 with `Retry-After`: the server sheds load (e.g. its password-hashing pool is full). */
function serverBusyMessage(error: ProblemError): string {
  return `The server is busy. ${retryAfterSentence(error)}`;
}

/**
 * The login form's message. Wrong password and unknown user are one message, as on the server,
 * so the form does not reveal which usernames exist. A 422 (e.g. a username over 64 characters)
 * shows the problem's detail through `errorMessage`.
 */
export function loginErrorMessage(error: unknown): string {
  if (error instanceof UnauthorizedError) return 'Invalid username or password';
  if (error instanceof ProblemError && error.status === 429) {
    return `Too many sign-in attempts. ${retryAfterSentence(error)}`;
  }
  return errorMessage(error);
}

/**
 * The password-change form's message for everything that is not a field error: a 429 means too
 * many wrong current passwords (they count for the login throttle), a 503 a busy server.
 */
export function passwordChangeErrorMessage(error: unknown): string {
  if (error instanceof ProblemError && error.status === 429) {
    return `Too many wrong attempts. ${retryAfterSentence(error)}`;
  }
  return errorMessage(error);
}
