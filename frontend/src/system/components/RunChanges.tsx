import { keepPreviousData, type QueryClient, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState } from 'react';
import { ProblemError, unwrap } from '../../api/client';
import type { Page, Run, RunChange, RunItem, RuleDetail, TenantLookup } from '../../api/types';
import {
  byTenant,
  changeLines,
  pickTenant,
  rowsChanged,
  type ShownValue,
} from '../../lib/changes';
import { tenantLabel } from '../../lib/format';
import { itemTenantLabel } from '../../lib/runs';
import { ruleLabel } from '../../lib/runbook';
import { useUrlFilters } from '../../shared/filters';
import { BeyondLastPage, Pagination, usePageParam } from '../../shared/Pagination';
import { EmptyState, ErrorState, LoadingState } from '../../shared/states';
import { api } from '../session';

/** Changed rows per page: a run over 1,000 tenants changes tens of thousands. */
export const CHANGES_PER_PAGE = 50;
/** The Changes view's filter in the URL: one tenant's rows, by the tenant's id. */
export const CHANGES_TENANT = 'changes_tenant';
const CHANGE_FILTERS = [CHANGES_TENANT] as const;
/** Matching tenants offered to choose from; more means typing more of the name. */
const CHOICES_SHOWN = 20;
/** Tenants the items search looks through for the filter (the items endpoint's largest page). */
const SEARCH_PER_PAGE = 100;

/** The tenant id of `?changes_tenant=`, or null when unset or unreadable. */
export function changesTenantParam(value: string): number | null {
  const id = Number(value);
  return value !== '' && Number.isSafeInteger(id) && id > 0 ? id : null;
}

/**
 * Tenants named by the run's items the page has already fetched (the Tenant items view's pages):
 * the operator who may not look tenants up still reads those by name.
 */
function namesFromItems(queryClient: QueryClient, runId: number): Map<number, string> {
  const names = new Map<number, string>();
  for (const [, data] of queryClient.getQueriesData<Page<RunItem>>({ queryKey: ['run-items', runId] })) {
    for (const item of data?.items ?? []) names.set(item.tenant_id, itemTenantLabel(item));
  }
  return names;
}

type Search =
  | { text: string; state: 'searching' }
  | { text: string; state: 'choices'; choices: RunItem[]; more: boolean }
  | { text: string; state: 'failed'; error: unknown };

/**
 * A run's change log (docs/spec.md §15, `GET /ops/runs/{id}/changes`): every row it changed, by
 * tenant in the order written, 50 at a time — each finding with the rules that changed it and, per
 * column it changed, `column: before → after`. Mounted only while its tab is open; while the run is
 * active it is fetched again after each poll of the run view (`asOf`), like the items. A tenant
 * filter (`?changes_tenant=`) keeps one tenant's rows: found by name or external id among the
 * run's items, picked from a tenant group, or set by an item's "Show changes" link. Tenants are
 * named by `POST /ops/tenants/lookup` where the operator may look tenants up, else by the items
 * already fetched, else by id.
 */
export function RunChanges({
  run,
  asOf,
  rules,
  scrollTargetId,
  mayLookUpTenants,
}: {
  run: Pick<Run, 'id' | 'status' | 'changes_available' | 'counts'>;
  asOf: number;
  rules: RuleDetail[] | undefined;
  /** The element paging scrolls into view: the top of the Changes view. */
  scrollTargetId: string;
  /** Whether the operator may call `POST /ops/tenants/lookup` (`ops.runbooks.view`). */
  mayLookUpTenants: boolean;
}) {
  const ids = useId();
  const page = usePageParam();
  const queryClient = useQueryClient();
  const [filters, setFilters] = useUrlFilters(CHANGE_FILTERS);
  const tenantId = changesTenantParam(filters.changes_tenant);
  const changes = useQuery({
    queryKey: ['run-changes', run.id, { page, tenantId }],
    queryFn: ({ signal }): Promise<Page<RunChange>> =>
      unwrap(
        api.GET('/system/api/ops/runs/{id}/changes', {
          params: {
            path: { id: run.id },
            query: { page, per_page: CHANGES_PER_PAGE, tenant_id: tenantId ?? undefined },
          },
          signal,
        }),
      ),
    enabled: run.changes_available,
    // The table stays while the next page loads, so paging does not make the page jump.
    placeholderData: keepPreviousData,
  });
  // While the run is active, fetched again once each poll of the run view has answered (the
  // completing poll included), never on a timer of its own; a failed fetch waits for the next.
  const { refetch, isFetching, dataUpdatedAt, errorUpdatedAt } = changes;
  useEffect(() => {
    if (run.changes_available && !isFetching && Math.max(dataUpdatedAt, errorUpdatedAt) < asOf) void refetch();
  }, [asOf, run.changes_available, isFetching, dataUpdatedAt, errorUpdatedAt, refetch]);

  // Tenant names: the tenants of the page, and the filtered one.
  const [named, setNamed] = useState<ReadonlyMap<number, string>>(() => new Map());
  const pageTenants = (changes.data?.items ?? []).map((row) => row.tenant_id);
  const tenantIds = [...new Set(tenantId === null ? pageTenants : [tenantId, ...pageTenants])].sort((a, b) => a - b);
  const lookup = useQuery({
    queryKey: ['tenants-by-id', tenantIds],
    queryFn: ({ signal }): Promise<TenantLookup> =>
      unwrap(api.POST('/system/api/ops/tenants/lookup', { body: { tenant_ids: tenantIds }, signal })),
    enabled: mayLookUpTenants && tenantIds.length > 0,
    staleTime: 5 * 60_000,
  });
  const fromItems = namesFromItems(queryClient, run.id);
  const tenantName = (id: number): string => {
    const found = lookup.data?.found.find((tenant) => tenant.id === id);
    return (found ? tenantLabel(found) : (named.get(id) ?? fromItems.get(id))) ?? `Tenant #${id}`;
  };

  // The tenant search: the run's items matching the text (name or external id).
  const [text, setText] = useState('');
  const [search, setSearch] = useState<Search | null>(null);
  const latest = useRef(0);
  const choose = (item: RunItem) => {
    setNamed((known) => new Map(known).set(item.tenant_id, itemTenantLabel(item)));
    setSearch(null);
    setFilters({ changes_tenant: String(item.tenant_id) });
  };
  const showAll = () => {
    latest.current += 1;
    setText('');
    setSearch(null);
    setFilters({ changes_tenant: '' });
  };
  const find = async (value: string) => {
    const wanted = value.trim();
    if (wanted === '') {
      showAll();
      return;
    }
    const attempt = ++latest.current;
    setSearch({ text: wanted, state: 'searching' });
    try {
      const found = await queryClient.fetchQuery({
        queryKey: ['run-change-tenants', run.id, wanted],
        queryFn: ({ signal }): Promise<Page<RunItem>> =>
          unwrap(
            api.GET('/system/api/ops/runs/{id}/items', {
              params: { path: { id: run.id }, query: { search: wanted, per_page: SEARCH_PER_PAGE } },
              signal,
            }),
          ),
        staleTime: 10_000,
      });
      if (attempt !== latest.current) return;
      const result = pickTenant(wanted, found.items);
      if ('pick' in result) choose(result.pick);
      else setSearch({ text: wanted, state: 'choices', choices: result.choices, more: found.total > found.items.length });
    } catch (error) {
      if (attempt === latest.current) setSearch({ text: wanted, state: 'failed', error });
    }
  };

  const purged = !run.changes_available || (changes.error instanceof ProblemError && changes.error.status === 410);
  const active = run.status !== 'completed';
  const data = changes.data;
  const groups = byTenant(data?.items ?? []);
  const first = data ? (data.page - 1) * data.per_page + 1 : 0;
  const through = data ? first + data.items.length - 1 : 0;
  const filtered = tenantId === null ? '' : tenantName(tenantId);

  if (purged) {
    return (
      <EmptyState title="The change log of this run was purged (kept CHANGE_LOG_RETENTION_DAYS days after completion)">
        Its counts still say how many findings it changed: {run.counts.findings_changed.toLocaleString('en-US')}.
      </EmptyState>
    );
  }

  return (
    <>
      <form
        className="filters"
        role="search"
        aria-label="Find a tenant's changes"
        onSubmit={(event) => {
          event.preventDefault();
          void find(text);
        }}
      >
        <div>
          <label htmlFor={`${ids}-tenant`}>Tenant</label>
          <input
            id={`${ids}-tenant`}
            type="search"
            value={text}
            onChange={(event) => setText(event.target.value)}
            placeholder="Name or external id"
          />
        </div>
        <button type="submit" disabled={search?.state === 'searching'}>
          Search
        </button>
        {(tenantId !== null || search !== null) && (
          <button type="button" className="button-secondary" onClick={showAll}>
            All tenants
          </button>
        )}
      </form>
      <div role="status" className="tenant-choices-status">
        {search?.state === 'searching' && <p className="muted">Looking for “{search.text}” among the run’s tenants…</p>}
        {search?.state === 'choices' &&
          (search.choices.length === 0 ? (
            <p>No tenant of this run matching “{search.text}” changed anything.</p>
          ) : (
            <p>
              {`${search.choices.length === 1 ? 'One tenant' : `${search.choices.length} tenants`} matching “${search.text}” changed something`}
              {search.more && ` among its first ${SEARCH_PER_PAGE} matches (type more of the name to narrow them)`} — choose
              one:
            </p>
          ))}
      </div>
      {search?.state === 'failed' && <ErrorState error={search.error} onRetry={() => void find(search.text)} />}
      {search?.state === 'choices' && search.choices.length > 0 && (
        <ul className="tenant-choices" aria-label={`Tenants matching “${search.text}”`}>
          {search.choices.slice(0, CHOICES_SHOWN).map((item) => (
            <li key={item.tenant_id}>
              <button type="button" className="button-link" onClick={() => choose(item)}>
                {itemTenantLabel(item)}
              </button>{' '}
              <span className="muted">
                — {item.findings_changed.toLocaleString('en-US')} {item.findings_changed === 1 ? 'finding' : 'findings'} changed
              </span>
            </li>
          ))}
          {search.choices.length > CHOICES_SHOWN && (
            <li className="muted">and {search.choices.length - CHOICES_SHOWN} more: type more of the name</li>
          )}
        </ul>
      )}

      {changes.isPending ? (
        <LoadingState label="Loading changes…" />
      ) : changes.isError && data === undefined ? (
        <ErrorState error={changes.error} onRetry={() => void changes.refetch()} />
      ) : data === undefined ? null : (
        <>
          <p className="changes-total">
            <span data-testid="changes-total">
              <strong>
                {rowsChanged(data.total)}
                {active && ' so far'}
              </strong>
              {tenantId !== null && <> in {filtered}</>}
            </span>
            {data.total > data.per_page && data.items.length > 0 && (
              <span className="muted">
                {' '}
                — showing {first.toLocaleString('en-US')}–{through.toLocaleString('en-US')}
              </span>
            )}
          </p>
          {data.items.length === 0 && page > 1 && data.total > 0 ? (
            <BeyondLastPage what="changed rows" page={page} perPage={data.per_page} total={data.total} />
          ) : data.items.length === 0 ? (
            <NoChanges run={run} tenant={tenantId === null ? null : filtered} />
          ) : (
            <>
              <div className="table-scroll changes-scroll">
                <table className="changes-table" aria-busy={changes.isFetching ? true : undefined}>
                  <caption className="visually-hidden">
                    Rows run #{run.id} changed{tenantId !== null && ` in ${filtered}`}, {first}–{through} of {data.total}
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Tenant</th>
                      <th scope="col">Finding</th>
                      <th scope="col">Rules</th>
                      <th scope="col">Changed columns: before → after</th>
                    </tr>
                  </thead>
                  {groups.map((group, groupIndex) => {
                    const label = tenantName(group.tenantId);
                    return (
                      <tbody key={`${group.tenantId}-${groupIndex}`}>
                        {group.rows.map((row, index) => (
                          <tr key={`${row.finding_id}-${index}`}>
                            {index === 0 && (
                              <th scope="rowgroup" rowSpan={group.rows.length}>
                                {/* Stays in view while its rows scroll past (on a wide screen). */}
                                <div className="change-tenant">
                                  {label}
                                  {tenantId === null && (
                                    <div>
                                      <button
                                        type="button"
                                        className="button-link"
                                        onClick={() => setFilters({ changes_tenant: String(group.tenantId) })}
                                      >
                                        Only this tenant<span className="visually-hidden">: {label}</span>
                                      </button>
                                    </div>
                                  )}
                                </div>
                              </th>
                            )}
                            <td className="nowrap">#{row.finding_id}</td>
                            <td className="item-rules">
                              {row.rules.map((rule) => (
                                <span key={rule} className="tag" title={ruleLabel(rules, rule)}>
                                  {rule}
                                </span>
                              ))}
                            </td>
                            <td>
                              <ul className="change-lines">
                                {changeLines(row).map((line) => (
                                  <li key={line.column}>
                                    <code>{line.column}</code>: <Value value={line.before} className="change-before" />
                                    <span className="change-arrow"> → </span>
                                    <Value value={line.after} className="change-after" />
                                  </li>
                                ))}
                              </ul>
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    );
                  })}
                </table>
              </div>
              <Pagination page={page} perPage={data.per_page} total={data.total} scrollTargetId={scrollTargetId} />
            </>
          )}
        </>
      )}
    </>
  );
}

/** A shown value; "empty" (null) reads muted and in italics, so it is not taken for a text. */
function Value({ value, className }: { value: ShownValue; className: string }) {
  return <span className={value.empty ? `${className} change-empty` : className}>{value.text}</span>;
}

/** The empty change log: nothing changed (yet), for the run or the filtered tenant. */
function NoChanges({ run, tenant }: { run: Pick<Run, 'status' | 'counts'>; tenant: string | null }) {
  if (tenant !== null) {
    return (
      <EmptyState title={`This run changed nothing in ${tenant}${run.status === 'completed' ? '' : ' so far'}.`}>
        Clear the tenant (“All tenants”) to see every row the run changed.
      </EmptyState>
    );
  }
  if (run.status !== 'completed') {
    return <EmptyState title="Nothing changed yet.">Each tenant’s rows appear here once its transaction commits.</EmptyState>;
  }
  if (run.counts.findings_changed > 0) {
    // A run from before the change log was kept (docs/spec.md §15) counted its changes only.
    return (
      <EmptyState title="This run recorded no change log.">
        It counted {run.counts.findings_changed.toLocaleString('en-US')} findings changed, but ran before the change log
        was kept.
      </EmptyState>
    );
  }
  return <EmptyState title="This run changed nothing." />;
}
