import { useQuery } from '@tanstack/react-query';
import type { Page, Runbook } from '../../api/types';
import { EmptyState, ErrorState, LoadingState } from '../../shared/states';
import { api } from '../session';

/** Runbook catalogue. */
export function RunbooksPage() {
  const runbooks = useQuery({
    queryKey: ['runbooks'],
    queryFn: ({ signal }) => api.get<Page<Runbook>>('/system/api/ops/runbooks', { signal }),
  });

  return (
    <section>
      <title>Runbooks · TenantAtlas Ops</title>
      <h1>Runbooks</h1>
      <p className="lead">Safe backfills and data repairs, run across one tenant or all of them.</p>
      {runbooks.isPending ? (
        <LoadingState label="Loading runbooks…" />
      ) : runbooks.isError ? (
        <ErrorState error={runbooks.error} onRetry={() => void runbooks.refetch()} />
      ) : runbooks.data.items.length === 0 ? (
        <EmptyState title="No runbooks available" />
      ) : (
        <ul className="card-list">
          {runbooks.data.items.map((runbook) => (
            <li key={runbook.key} className="card">
              <h2>{runbook.name}</h2>
              <p>
                <code>{runbook.key}</code>
              </p>
              <p>{runbook.description}</p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
