import { useEffect } from 'react';
import { useLocation } from 'react-router';

/** Navigation state that asks the next page to move focus to its heading. */
export interface FocusHeadingState {
  focusHeading: true;
}

/**
 * Focuses the first `h1` in the element with id `containerId` as soon as it is rendered (a page
 * may show a loading state first), giving it `tabindex="-1"` so it can take focus. Gives up after
 * `timeoutMs`. Returns a cleanup.
 */
export function focusHeadingWhenReady(containerId: string, timeoutMs = 10_000): () => void {
  const container = document.getElementById(containerId);
  if (!container) return () => {};
  const tryFocus = () => {
    const heading = container.querySelector('h1');
    if (!heading) return false;
    if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
    heading.focus();
    return true;
  };
  if (tryFocus()) return () => {};
  const observer = new MutationObserver(() => {
    if (tryFocus()) observer.disconnect();
  });
  observer.observe(container, { childList: true, subtree: true });
  const timer = window.setTimeout(() => observer.disconnect(), timeoutMs);
  return () => {
    observer.disconnect();
    window.clearTimeout(timer);
  };
}

/**
 * In a plane's layout: after a sign-in (the login page navigates with {@link FocusHeadingState}),
 * focus goes to the page's heading instead of falling to `<body>` (issue 16, obs. 11), so a
 * screen reader announces where the operator landed and Tab starts from there.
 */
export function useFocusHeadingAfterSignIn(containerId = 'main') {
  const location = useLocation();
  const wanted = (location.state as Partial<FocusHeadingState> | null)?.focusHeading === true;
  useEffect(() => {
    if (!wanted) return;
    return focusHeadingWhenReady(containerId);
  }, [wanted, location.key, containerId]);
}
