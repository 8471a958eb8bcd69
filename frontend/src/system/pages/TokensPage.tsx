import { useQuery } from '@tanstack/react-query';
import type { ApiToken, Page } from '../../api/types';
import { formatTimestamp } from '../../lib/format';
import { EmptyState, ErrorState, LoadingState } from '../../shared/states';
import { api } from '../session';

/** The operator's own API tokens for scripts. */
export function TokensPage() {
  const tokens = useQuery({
    queryKey: ['tokens'],
    queryFn: ({ signal }) => api.get<Page<ApiToken>>('/system/api/auth/tokens', { signal }),
  });

  return (
    <section>
      <title>API tokens · TenantAtlas Ops</title>
      <h1>API tokens</h1>
      <p className="lead">
        Tokens let scripts call the operator API with a subset of your capabilities.
      </p>
      {tokens.isPending ? (
        <LoadingState label="Loading tokens…" />
      ) : tokens.isError ? (
        <ErrorState error={tokens.error} onRetry={() => void tokens.refetch()} />
      ) : tokens.data.items.length === 0 ? (
        <EmptyState title="No API tokens yet" />
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Capabilities</th>
              <th scope="col">Expires</th>
            </tr>
          </thead>
          <tbody>
            {tokens.data.items.map((token) => (
              <tr key={token.id}>
                <td>{token.name}</td>
                <td>
                  {token.capabilities.map((capability) => (
                    <code key={capability} className="tag">
                      {capability}
                    </code>
                  ))}
                </td>
                <td>{formatTimestamp(token.expires_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
