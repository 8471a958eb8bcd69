import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Fragment, type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { Link } from 'react-router';
import { ProblemError, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import type { OpsTenant, Page, Run, RunbookList } from '../../api/types';
import { formatDuration, formatScope, formatTimestamp, tenantLabel } from '../../lib/format';
import { RUN_LIST_POLL_INTERVAL_MS } from '../../lib/polling';
import { csvHref, dayStart } from '../../lib/runs';
import { cleared, useUrlFilters } from '../../shared/filters';
import { BeyondLastPage, Pagination, usePageParam } from '../../shared/Pagination';
import { EmptyState, ErrorState, LoadingState } from '../../shared/states';
import { TenantPicker } from '../components/TenantPicker';
import { RunProgress, RunStateBadge, ThrottledTag } from '../RunState';
import { api, useOperator } from '../session';

const PER_PAGE = 25;

type Schemas = components['schemas'];

/** Labels keyed by the contract's enums: a status, outcome or source the contract adds fails
 * the typecheck until it is labelled here, so the filters never miss one. */
const STATUS_LABELS: Record<Schemas['RunStatus'], string> = {
  queued: 'Queued',
  running: 'Running',
  paused: 'Paused',
  completed: 'Completed',
};
const OUTCOME_LABELS: Record<Schemas['Outcome'], string> = {
  succeeded: 'Succeeded',
  partially_succeeded: 'Partially succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};
const SOURCE_LABELS: Record<Schemas['Source'], string> = {
  system_ui: 'Console (system_ui)',
  api: 'API',
  cli: 'CLI',
  deploy_hook: 'Deploy hook',
};

/** A filter's options: "any", then every value of the enum. */
function options(any: string, labels: Record<string, string>) {
  return [{ value: '', label: any }, ...Object.entries(labels).map(([value, label]) => ({ value, label }))];
}

const STATUSES = options('Any status', STATUS_LABELS);
const OUTCOMES = options('Any outcome', OUTCOME_LABELS);
const SOURCES = options('Any source', SOURCE_LABELS);

/** The runs list's filters, each a query parameter of the page and of the API (docs/spec.md §18). */
export const RUN_FILTERS = [
  'status',
  'outcome',
  'runbook',
  'initiator',
  'source',
  'tenant_id',
  'created_after',
  'created_before',
] as const;
type RunFilter = (typeof RUN_FILTERS)[number];
type Filters = Record<RunFilter, string>;

/** The API's query for the filters: dates (UTC days) as instants, empty ones left out. */
export function runsQuery(filters: Filters): Record<string, string> {
  const query: Record<string, string> = {};
  for (const name of RUN_FILTERS) {
    const value = filters[name];
    if (value === '') continue;
    query[name] = name === 'created_after' || name === 'created_before' ? dayStart(value) : value;
  }
  return query;
}

/** Operation runs, newest first as the server orders them, with every filter of docs/spec.md §18. */
export function RunsPage() {
  const ids = useId();
  const page = usePageParam();
  const [filters, setFilters] = useUrlFilters(RUN_FILTERS);
  const operator = useOperator();
  const canSeeRunbooks = operator.capabilities.includes('ops.runbooks.view');
  const query = runsQuery(filters);

  const runs = useQuery({
    queryKey: ['runs', { page, ...query }],
    queryFn: ({ signal }): Promise<Page<Run>> =>
      unwrap(
        api.GET('/system/api/ops/runs', {
          params: {
            query: { page, per_page: PER_PAGE, ...query },
          },
          signal,
        }),
      ),
    refetchInterval: RUN_LIST_POLL_INTERVAL_MS,
    placeholderData: keepPreviousData,
    retry: false,
  });
  const runbooks = useQuery({
    queryKey: ['runbooks'],
    queryFn: ({ signal }): Promise<RunbookList> =>
      unwrap(api.GET('/system/api/ops/runbooks', { signal })),
    enabled: canSeeRunbooks,
  });
  const active = RUN_FILTERS.filter((name) => filters[name] !== '').length;
  const filtered = active > 0;
  // On a phone the eight filters hide behind a "Filters" button (issue 22, item 9); a refused
  // filter opens them, to show the field it marks.
  const [showFilters, setShowFilters] = useState(false);
  // A 422 names the filter it refuses (docs/spec.md §18: an unknown or malformed filter is never ignored).
  const refused = runs.error instanceof ProblemError && runs.error.status === 422 ? runs.error : null;
  const fieldError = (name: RunFilter) => refused?.errors[name];

  return (
    <section>
      <title>Runs · TenantAtlas Ops</title>
      <h1>Runs</h1>
      <button
        type="button"
        className="button-secondary filters-toggle"
        aria-expanded={showFilters || refused !== null}
        aria-controls={`${ids}-filters`}
        onClick={() => setShowFilters((open) => !open)}
      >
        Filters{active > 0 && ` (${active} active)`}
      </button>
      <form
        id={`${ids}-filters`}
        className={`filters filters-wide filters-collapsible${showFilters || refused !== null ? ' filters-open' : ''}`}
        role="search"
        aria-label="Filter runs"
        onSubmit={(e) => e.preventDefault()}
      >
        <Field id={`${ids}-status`} label="Status" errors={fieldError('status')}>
          <select
            id={`${ids}-status`}
            value={filters.status}
            aria-invalid={fieldError('status') ? true : undefined}
            aria-describedby={fieldError('status') ? `${ids}-status-error` : undefined}
            onChange={(e) => setFilters({ status: e.target.value })}
          >
            {STATUSES.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </Field>
        <Field id={`${ids}-outcome`} label="Outcome" errors={fieldError('outcome')}>
          <select
            id={`${ids}-outcome`}
            value={filters.outcome}
            aria-invalid={fieldError('outcome') ? true : undefined}
            aria-describedby={fieldError('outcome') ? `${ids}-outcome-error` : undefined}
            onChange={(e) => setFilters({ outcome: e.target.value })}
          >
            {OUTCOMES.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </Field>
        <Field id={`${ids}-runbook`} label="Runbook" errors={fieldError('runbook')}>
          {canSeeRunbooks && runbooks.data ? (
            <select
              id={`${ids}-runbook`}
              value={filters.runbook}
              aria-invalid={fieldError('runbook') ? true : undefined}
              aria-describedby={fieldError('runbook') ? `${ids}-runbook-error` : undefined}
              onChange={(e) => setFilters({ runbook: e.target.value })}
            >
              <option value="">Any runbook</option>
              {runbooks.data.items.map((item) => (
                <option key={item.key} value={item.key}>
                  {item.title}
                </option>
              ))}
            </select>
          ) : (
            <TextFilter
              id={`${ids}-runbook`}
              value={filters.runbook}
              placeholder="Runbook key"
              invalid={fieldError('runbook') !== undefined}
              onCommit={(value) => setFilters({ runbook: value })}
            />
          )}
        </Field>
        <Field id={`${ids}-initiator`} label="Started by" errors={fieldError('initiator')}>
          <TextFilter
            id={`${ids}-initiator`}
            value={filters.initiator}
            placeholder="Name or part of it"
            invalid={fieldError('initiator') !== undefined}
            onCommit={(value) => setFilters({ initiator: value })}
          />
        </Field>
        <Field id={`${ids}-source`} label="Source" errors={fieldError('source')}>
          <select
            id={`${ids}-source`}
            value={filters.source}
            aria-invalid={fieldError('source') ? true : undefined}
            aria-describedby={fieldError('source') ? `${ids}-source-error` : undefined}
            onChange={(e) => setFilters({ source: e.target.value })}
          >
            {SOURCES.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </Field>
        <TenantFilter
          tenantId={filters.tenant_id}
          errors={fieldError('tenant_id')}
          onChange={(id) => setFilters({ tenant_id: id })}
        />
        <Field id={`${ids}-after`} label="Created from (UTC day)" errors={fieldError('created_after')}>
          <input
            id={`${ids}-after`}
            type="date"
            value={filters.created_after}
            aria-invalid={fieldError('created_after') ? true : undefined}
            aria-describedby={fieldError('created_after') ? `${ids}-after-error` : undefined}
            onChange={(e) => setFilters({ created_after: e.target.value })}
          />
        </Field>
        <Field id={`${ids}-before`} label="Created before (UTC day)" errors={fieldError('created_before')}>
          <input
            id={`${ids}-before`}
            type="date"
            value={filters.created_before}
            aria-invalid={fieldError('created_before') ? true : undefined}
            aria-describedby={fieldError('created_before') ? `${ids}-before-error` : undefined}
            onChange={(e) => setFilters({ created_before: e.target.value })}
          />
        </Field>
        {filtered && (
          <button
            type="button"
            className="button-secondary"
            onClick={() => setFilters(cleared(RUN_FILTERS))}
          >
            Clear filters
          </button>
        )}
        <a className="export-link" href={csvHref('/system/api/ops/runs.csv', query)} download>
          Export CSV
        </a>
      </form>
      {runs.isPending ? (
        <LoadingState label="Loading runs…" />
      ) : refused ? (
        <div className="form-error" role="alert">
          <p>{refused.detail ?? refused.title ?? 'The server refused a filter.'} Change the marked filter.</p>
        </div>
      ) : runs.isError ? (
        <ErrorState error={runs.error} onRetry={() => void runs.refetch()} />
      ) : runs.data.items.length === 0 ? (
        page > 1 && runs.data.total > 0 ? (
          <BeyondLastPage what="runs" page={page} perPage={runs.data.per_page} total={runs.data.total} />
        ) : filtered ? (
          <EmptyState title="No runs match these filters" />
        ) : (
          <EmptyState title="No runs yet">Runs appear here once a runbook is started.</EmptyState>
        )
      ) : (
        <>
          <div className="table-scroll" id={`${ids}-table`}>
            <table className="runs-table">
              <caption className="visually-hidden">Runs, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Status</th>
                  <th scope="col">Progress</th>
                  <th scope="col" className="numeric">
                    Failed
                  </th>
                  <th scope="col" className="numeric">
                    Changed
                  </th>
                  <th scope="col" className="numeric">
                    Duration
                  </th>
                  <th scope="col">Runbook</th>
                  <th scope="col">Scope</th>
                  <th scope="col">Started by</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {runs.data.items.map((run) => (
                  <tr key={run.id}>
                    <td>
                      <Link to={`/ops/runs/${run.id}`}>#{run.id}</Link>
                      {/* A revert run (docs/spec.md §15) stands out in a long list. */}
                      {run.kind === 'revert' && run.reverts_run_id != null && (
                        <span className="tag revert-tag nowrap" data-testid="revert-tag">
                          Revert of #{run.reverts_run_id}
                        </span>
                      )}
                    </td>
                    <td>
                      <span className="run-state-cell">
                        <RunStateBadge run={run} />
                        <ThrottledTag run={run} />
                      </span>
                    </td>
                    <td>
                      <RunProgress run={run} label={`Run ${run.id} progress`} />
                    </td>
                    <td className={`numeric${run.counts.failed > 0 ? ' text-failed' : ''}`}>{run.counts.failed}</td>
                    <td className="numeric">{run.counts.findings_changed}</td>
                    <td className="numeric nowrap">
                      {run.duration_seconds === null ? '—' : formatDuration(run.duration_seconds)}
                    </td>
                    <td>
                      {/* A long key may wrap after its dots, never inside a word. */}
                      <code>
                        {run.runbook.split('.').map((part, index) => (
                          <Fragment key={index}>
                            {index > 0 && (
                              <>
                                .<wbr />
                              </>
                            )}
                            {part}
                          </Fragment>
                        ))}
                      </code>
                    </td>
                    <td className="run-scope">{formatScope(run.scope)}</td>
                    <td>
                      {run.initiator?.username ?? 'System'} <span className="muted">({run.source})</span>
                    </td>
                    <td className="nowrap">{formatTimestamp(run.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pagination
            page={page}
            perPage={runs.data.per_page}
            total={runs.data.total}
            scrollTargetId={`${ids}-table`}
          />
        </>
      )}
    </section>
  );
}

/** A labelled filter with the server's 422 message for it beside it. */
function Field({
  id,
  label,
  errors,
  children,
}: {
  id: string;
  label: string;
  errors: string[] | undefined;
  children: ReactNode;
}) {
  return (
    <div>
      <label htmlFor={id}>{label}</label>
      {children}
      {errors && (
        <p id={`${id}-error`} className="field-error">
          {errors.join(' ')}
        </p>
      )}
    </div>
  );
}

/** A free-text filter applied on Enter or when leaving the field. */
function TextFilter({
  id,
  value,
  placeholder,
  invalid,
  onCommit,
}: {
  id: string;
  value: string;
  placeholder: string;
  invalid: boolean;
  onCommit: (value: string) => void;
}) {
  return (
    <input
      id={id}
      key={value}
      defaultValue={value}
      placeholder={placeholder}
      aria-invalid={invalid ? true : undefined}
      aria-describedby={invalid ? `${id}-error` : undefined}
      onBlur={(e) => {
        if (e.target.value.trim() !== value) onCommit(e.target.value.trim());
      }}
      onKeyDown={(e) => {
        if (e.key === 'Enter') {
          e.preventDefault();
          onCommit(e.currentTarget.value.trim());
        }
      }}
    />
  );
}

/**
 * Runs with an item for one tenant (`tenant_id`): picked by name through the tenant combobox.
 * After a reload only the id is in the URL: the tenant is looked up by it and named in the box
 * and below it (issue 22, item 10); `tenant #43` only while it loads or if it is gone.
 */
function TenantFilter({
  tenantId,
  errors,
  onChange,
}: {
  tenantId: string;
  errors: string[] | undefined;
  onChange: (id: string) => void;
}) {
  const [picked, setPicked] = useState<OpsTenant | null>(null);
  const id = Number(tenantId);
  const lookedUp = useQuery({
    queryKey: ['ops-tenant', id],
    queryFn: ({ signal }): Promise<Page<OpsTenant>> =>
      unwrap(api.GET('/system/api/ops/tenants', { params: { query: { id } }, signal })),
    enabled: Number.isSafeInteger(id) && id > 0 && picked?.id !== id,
  });
  const known =
    picked !== null && picked.id === id ? picked : (lookedUp.data?.items.find((tenant) => tenant.id === id) ?? null);
  // Cleared from outside ("any tenant", "Clear filters"): empty the combobox too. Typing over a
  // picked tenant also clears the filter, but keeps what is being typed.
  const [resetKey, setResetKey] = useState(0);
  const typing = useRef(false);
  const previous = useRef(tenantId);
  useEffect(() => {
    if (tenantId === '' && previous.current !== '' && !typing.current) setResetKey((n) => n + 1);
    typing.current = false;
    previous.current = tenantId;
  }, [tenantId]);
  return (
    <div className="tenant-filter">
      <TenantPicker
        key={resetKey}
        value={known}
        onChange={(tenant) => {
          typing.current = tenant === null;
          setPicked(tenant);
          onChange(tenant ? String(tenant.id) : '');
        }}
      />
      {tenantId !== '' && (
        <p className="field-help" data-testid="tenant-filter">
          Runs with {known ? tenantLabel(known) : `tenant #${tenantId}`}{' '}
          <button type="button" className="button-link" onClick={() => onChange('')}>
            any tenant
          </button>
        </p>
      )}
      {errors && <p className="field-error">{errors.join(' ')}</p>}
    </div>
  );
}
