import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { unwrap } from '../../api/client';
import type { Page, PreflightTenant, RuleDetail } from '../../api/types';
import { ruleLabel } from '../../lib/runbook';
import { csvHref } from '../../lib/runs';
import { lastPageOf } from '../../shared/Pagination';
import { EmptyState, ErrorState, LoadingState } from '../../shared/states';
import { api } from '../session';

/** Tenants per page of the report: a 1,000-tenant preflight is 20 pages, never one long table. */
export const REPORT_PER_PAGE = 50;

/** A tenant of the report as a person reads it; one deleted since the preflight by its id. */
function tenantCell(row: PreflightTenant) {
  if (row.tenant_name != null && row.tenant_external_id != null) {
    return (
      <>
        {row.tenant_name} <code className="tenant-ext">({row.tenant_external_id})</code>
      </>
    );
  }
  return <span className="muted">#{row.tenant_id} (deleted since)</span>;
}

/**
 * "Every tenant (N)": the full plan behind a preflight's totals (docs/spec.md §21,
 * `GET /ops/preflights/{id}/tenants`), opened on demand under the result. A page of 50 tenants at
 * a time with what each would examine and change, per rule; "Only tenants with changes" filters
 * on the server (`changes_only`), and "Download CSV" gets the whole list, filtered the same way,
 * from `tenants.csv`. Paging keeps focus on the button pressed (a button at the end of the list
 * is marked unavailable rather than removed) and says the range shown in a live region.
 */
export function PreflightTenantsReport({
  preflightId,
  tenantsInScope,
  tenantsWithChanges,
  rules,
}: {
  preflightId: string;
  tenantsInScope: number;
  tenantsWithChanges: number;
  rules: readonly RuleDetail[];
}) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [page, setPage] = useState(1);
  const [changesOnly, setChangesOnly] = useState(false);

  const report = useQuery({
    queryKey: ['preflight-tenants', preflightId, { page, changesOnly }],
    queryFn: ({ signal }): Promise<Page<PreflightTenant>> =>
      unwrap(
        api.GET('/system/api/ops/preflights/{preflight_id}/tenants', {
          params: {
            path: { preflight_id: preflightId },
            query: { page, per_page: REPORT_PER_PAGE, changes_only: changesOnly ? 'true' : undefined },
          },
          signal,
        }),
      ),
    enabled: open,
    // The table stays while the next page loads, so paging does not make the section jump.
    placeholderData: keepPreviousData,
  });
  const data = report.data;
  const last = data ? lastPageOf(data.per_page, data.total) : 1;
  const first = data ? (data.page - 1) * data.per_page + 1 : 0;
  const through = data ? first + data.items.length - 1 : 0;
  const go = (target: number) => {
    if (target >= 1 && target <= last && target !== page) setPage(target);
  };

  return (
    <section className="preflight-tenants" aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`}>
        <button
          type="button"
          className="disclosure"
          aria-expanded={open}
          aria-controls={`${id}-body`}
          onClick={() => setOpen((was) => !was)}
        >
          Every tenant ({tenantsInScope})
        </button>
      </h3>
      <div id={`${id}-body`} hidden={!open}>
        {open && (
          <>
            <div className="filters report-filters">
              <label className="checkbox">
                <input
                  type="checkbox"
                  checked={changesOnly}
                  onChange={(event) => {
                    setChangesOnly(event.target.checked);
                    setPage(1);
                  }}
                />
                Only tenants with changes ({tenantsWithChanges})
              </label>
              <a
                className="export-link"
                href={csvHref(`/system/api/ops/preflights/${encodeURIComponent(preflightId)}/tenants.csv`, {
                  changes_only: changesOnly ? 'true' : null,
                })}
                download
              >
                Download CSV
              </a>
            </div>
            {report.isPending ? (
              <LoadingState label="Loading the tenants…" />
            ) : report.isError && data === undefined ? (
              <ErrorState error={report.error} onRetry={() => void report.refetch()} />
            ) : data === undefined || data.items.length === 0 ? (
              <EmptyState title={changesOnly ? 'No tenant would change' : 'No tenant in scope'} />
            ) : (
              <>
                <div className="table-scroll">
                  <table className="report-table" aria-busy={report.isFetching ? true : undefined}>
                    <caption className="visually-hidden">
                      {changesOnly ? 'Tenants with changes' : 'Every tenant'} of this preflight, {first}–{through} of{' '}
                      {data.total}
                    </caption>
                    <thead>
                      <tr>
                        <th scope="col">Tenant</th>
                        <th scope="col" className="numeric">
                          Examined
                        </th>
                        <th scope="col" className="numeric">
                          To change
                        </th>
                        <th scope="col">By rule</th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.items.map((row) => (
                        <tr key={row.tenant_id}>
                          <th scope="row">
                            {tenantCell(row)}
                          </th>
                          <td className="numeric">{row.findings_examined}</td>
                          <td className="numeric">{row.findings_to_change}</td>
                          <td className="item-rules">
                            {Object.entries(row.changes_by_rule)
                              .filter(([, count]) => count > 0)
                              .map(([rule, count]) => (
                                <span key={rule} className="tag" title={ruleLabel(rules, rule)}>
                                  {rule}: {count}
                                </span>
                              ))}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                <nav className="pagination" aria-label="Pages of every tenant">
                  <span role="status">
                    {first}–{through} of {data.total}
                  </span>
                  <button
                    type="button"
                    className="button-secondary"
                    aria-disabled={page <= 1 ? true : undefined}
                    onClick={() => go(page - 1)}
                  >
                    Previous
                  </button>
                  <span>
                    Page {data.page} of {last}
                  </span>
                  <button
                    type="button"
                    className="button-secondary"
                    aria-disabled={page >= last ? true : undefined}
                    onClick={() => go(page + 1)}
                  >
                    Next
                  </button>
                </nav>
              </>
            )}
          </>
        )}
      </div>
    </section>
  );
}
