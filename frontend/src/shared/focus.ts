import { useEffect, useRef } from 'react';
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
 * In a plane's layout: focus goes to the page's heading instead of falling to `<body>` after a
 * sign-in (the login page navigates with {@link FocusHeadingState}; issue 16, obs. 11) and after
 * every in-page navigation to another page — a link in a table, a toast's "View run #N", the
 * navigation (issue 22, item 8) — so a screen reader announces where the operator landed and Tab
 * starts from there. A first page load leaves focus where the browser puts it, and a change of
 * the query alone (a filter, a page of a list) is not a new page.
 */
export function useFocusHeadingOnNavigation(containerId = 'main') {
  const location = useLocation();
  const signedIn = (location.state as Partial<FocusHeadingState> | null)?.focusHeading === true;
  const firstPath = useRef(location.pathname);
  const navigated = location.pathname !== firstPath.current;
  useEffect(() => {
    if (!signedIn && !navigated) return;
    // Once navigated, every later page counts, also a way back to the first one.
    firstPath.current = '';
    return focusHeadingWhenReady(containerId);
  }, [signedIn, navigated, location.pathname, containerId]);
}
