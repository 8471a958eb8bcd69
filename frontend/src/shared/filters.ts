import { useSearchParams } from 'react-router';

/**
 * List filters kept in the URL (`?status=running&search=acme`), so back, reload and shared links
 * keep them: their values (`''` when unset) and a setter that changes any number of them in one
 * URL update and returns to page 1. One update, because several `setSearchParams` calls in one
 * tick each start from the same URL and only the last applies — a "Clear" that cleared one filter
 * of two (issue 22, item 5).
 */
export function useUrlFilters<Name extends string>(
  names: readonly Name[],
): [Record<Name, string>, (changes: Partial<Record<Name, string>>) => void] {
  const [params, setParams] = useSearchParams();
  const values = Object.fromEntries(names.map((name) => [name, params.get(name) ?? ''])) as Record<Name, string>;
  const set = (changes: Partial<Record<Name, string>>) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        for (const [name, value] of Object.entries(changes) as [Name, string | undefined][]) {
          if (value === '' || value === undefined) next.delete(name);
          else next.set(name, value);
        }
        next.delete('page');
        return next;
      },
      { replace: true },
    );
  return [values, set];
}

/** Every one of `names` set to `''`: what a "Clear filters" button passes to the setter. */
export function cleared<Name extends string>(names: readonly Name[]): Record<Name, string> {
  return Object.fromEntries(names.map((name) => [name, ''])) as Record<Name, string>;
}
