import { Link, useSearchParams } from 'react-router';

/** The current `?page=` (1-based); anything unreadable is page 1. */
export function usePageParam(): number {
  const [params] = useSearchParams();
  const page = Number(params.get('page'));
  return Number.isInteger(page) && page >= 1 ? page : 1;
}

/** Previous/next links for a list envelope; the page lives in the URL so back and reload work. */
export function Pagination({
  page,
  perPage,
  total,
}: {
  page: number;
  perPage: number;
  total: number;
}) {
  const [params] = useSearchParams();
  const lastPage = Math.max(1, Math.ceil(total / perPage));
  if (lastPage === 1) return null;

  const hrefFor = (target: number) => {
    const next = new URLSearchParams(params);
    next.set('page', String(target));
    return `?${next.toString()}`;
  };
  const first = (page - 1) * perPage + 1;
  const last = Math.min(page * perPage, total);

  return (
    <nav className="pagination" aria-label="Pagination">
      {first <= total && (
        <span>
          {first}–{last} of {total}
        </span>
      )}
      {page > 1 && (
        <Link to={hrefFor(page - 1)} rel="prev">
          Previous
        </Link>
      )}
      {page < lastPage && (
        <Link to={hrefFor(page + 1)} rel="next">
          Next
        </Link>
      )}
    </nav>
  );
}
