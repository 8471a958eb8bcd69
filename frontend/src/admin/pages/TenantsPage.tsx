import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { unwrap } from '../../api/client';
import type { Page, Tenant } from '../../api/types';
import { Pagination, usePageParam } from '../../shared/Pagination';
import { EmptyState, ErrorState, LoadingState } from '../../shared/states';
import { api } from '../session';

const PER_PAGE = 50;

/** The tenants of the user's workspace. */
export function TenantsPage() {
  const page = usePageParam();
  const tenants = useQuery({
    queryKey: ['tenants', { page }],
    queryFn: ({ signal }): Promise<Page<Tenant>> =>
      unwrap(
        api.GET('/admin/api/tenants', { params: { query: { page, per_page: PER_PAGE } }, signal }),
      ),
  });

  return (
    <section>
      <title>Tenants · TenantAtlas</title>
      <h1>Tenants</h1>
      {tenants.isPending ? (
        <LoadingState label="Loading tenants…" />
      ) : tenants.isError ? (
        <ErrorState error={tenants.error} onRetry={() => void tenants.refetch()} />
      ) : tenants.data.items.length === 0 ? (
        <EmptyState title="No tenants in this workspace" />
      ) : (
        <>
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">External ID</th>
                <th scope="col">Findings</th>
              </tr>
            </thead>
            <tbody>
              {tenants.data.items.map((tenant) => (
                <tr key={tenant.id}>
                  <td>{tenant.name}</td>
                  <td>
                    <code>{tenant.external_id}</code>
                  </td>
                  <td>
                    <Link
                      to={`/tenants/${tenant.id}/findings`}
                      aria-label={`Findings of ${tenant.name}`}
                    >
                      View findings
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pagination page={page} perPage={tenants.data.per_page} total={tenants.data.total} />
        </>
      )}
    </section>
  );
}
