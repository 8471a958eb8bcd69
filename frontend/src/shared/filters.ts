import { useSearchParams } from 'react-router';

/**
 * A list filter kept in the URL (`?status=running`), so back, reload and shared links keep it.
 * Changing a filter returns to page 1.
 */
export function useUrlFilter(name: string): [string, (value: string) => void] {
  const [params, setParams] = useSearchParams();
  const value = params.get(name) ?? '';
  const set = (next: string) => {
    setParams(
      (current) => {
        const updated = new URLSearchParams(current);
        if (next === '') updated.delete(name);
        else updated.set(name, next);
        updated.delete('page');
        return updated;
      },
      { replace: true },
    );
  };
  return [value, set];
}
