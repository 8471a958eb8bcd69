import type { ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';

/** The current `?page=` (1-based); anything unreadable is page 1. */
export function usePageParam(): number {
  const [params] = useSearchParams();
  const page = Number(params.get('page'));
  return Number.isInteger(page) && page >= 1 ? page : 1;
}

/** The last page of a list envelope (1 for an empty list). */
export function lastPageOf(perPage: number, total: number): number {
  return Math.max(1, Math.ceil(total / Math.max(1, perPage)));
}

/**
 * The page numbers to offer: the first, the last and `around` on each side of the current one,
 * with `null` for a gap (shown as "…"). A gap of one page shows that page instead.
 */
export function pageNumbers(page: number, last: number, around = 1): (number | null)[] {
  const wanted = new Set<number>([1, last]);
  for (let n = page - around; n <= page + around; n += 1) if (n >= 1 && n <= last) wanted.add(n);
  const sorted = [...wanted].sort((a, b) => a - b);
  const result: (number | null)[] = [];
  sorted.forEach((n, index) => {
    const before = sorted[index - 1];
    if (before !== undefined && n - before === 2) result.push(n - 1);
    else if (before !== undefined && n - before > 2) result.push(null);
    result.push(n);
  });
  return result;
}

/** `?…&page=n`, keeping the other query parameters (filters). */
function useHrefFor(): (page: number) => string {
  const [params] = useSearchParams();
  return (target: number) => {
    const next = new URLSearchParams(params);
    next.set('page', String(target));
    return `?${next.toString()}`;
  };
}

/**
 * Previous/next and page-number links for a list envelope; the page lives in the URL so back and
 * reload work. Following one scrolls the list's top (the element `scrollTargetId`) into view
 * rather than leaving the operator wherever the page happens to be (issue 16, obs. 6); the list
 * keeps showing the current page until the next one has loaded (`keepPreviousData`).
 */
export function Pagination({
  page,
  perPage,
  total,
  scrollTargetId,
}: {
  page: number;
  perPage: number;
  total: number;
  scrollTargetId?: string;
}) {
  const hrefFor = useHrefFor();
  const lastPage = lastPageOf(perPage, total);
  if (lastPage === 1) return null;

  const first = (page - 1) * perPage + 1;
  const last = Math.min(page * perPage, total);
  const toTop = () => {
    if (!scrollTargetId) return;
    document.getElementById(scrollTargetId)?.scrollIntoView?.({ block: 'start' });
  };

  return (
    <nav className="pagination" aria-label="Pagination">
      {first <= total && (
        <span>
          {first}–{last} of {total}
        </span>
      )}
      {page > 1 && (
        <Link to={hrefFor(Math.min(page - 1, lastPage))} rel="prev" onClick={toTop}>
          Previous
        </Link>
      )}
      <ul className="page-numbers">
        {pageNumbers(Math.min(page, lastPage), lastPage).map((n, index) => (
          <li key={n ?? `gap-${index}`}>
            {n === null ? (
              <span aria-hidden="true">…</span>
            ) : n === page ? (
              <span aria-current="page" className="page-current">
                <span className="visually-hidden">Page </span>
                {n}
              </span>
            ) : (
              <Link to={hrefFor(n)} onClick={toTop} aria-label={`Page ${n}`}>
                {n}
              </Link>
            )}
          </li>
        ))}
      </ul>
      {page < lastPage && (
        <Link to={hrefFor(page + 1)} rel="next" onClick={toTop}>
          Next
        </Link>
      )}
    </nav>
  );
}

/**
 * The empty state of a page past the end of a non-empty list (`?page=99` of 3): says so and links
 * the last page, instead of "No runs yet" (issue 16, obs. 6).
 */
export function BeyondLastPage({
  what,
  page,
  perPage,
  total,
}: {
  what: string;
  page: number;
  perPage: number;
  total: number;
}): ReactNode {
  const hrefFor = useHrefFor();
  return (
    <div className="state state-empty">
      <p className="state-title">
        No {what} on page {page} — <Link to={hrefFor(lastPageOf(perPage, total))}>go to the last page</Link>
      </p>
    </div>
  );
}
