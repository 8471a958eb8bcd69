import { keepPreviousData, skipToken, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, type KeyboardEvent, useEffect, useId, useRef, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { ProblemError, unwrap } from '../../api/client';
import type { ItemStatus, OpsTenant, Page, Run, RunItem, Runbook, RuleDetail } from '../../api/types';
import { errorMessage } from '../../lib/errors';
import {
  formatDuration,
  remainingLabel,
  formatScope,
  formatTimestamp,
  secondsBetween,
  tenantCount,
  tenantLabel,
} from '../../lib/format';
import { refetchIntervalFor } from '../../lib/polling';
import { runAnnouncement } from '../../lib/announce';
import { describeParameters } from '../../lib/parameters';
import { clockTime, csvHref, itemDuration, itemError, itemTenantLabel, outcomeWord } from '../../lib/runs';
import { ruleLabel } from '../../lib/runbook';
import { budgetWords, capWords, driftGuardWords, mayPause, mayResume, waitingSentence, wavesWords } from '../../lib/control';
import { cleared, useUrlFilters } from '../../shared/filters';
import { BeyondLastPage, Pagination, usePageParam } from '../../shared/Pagination';
import { EmptyState, ErrorState, LoadingState } from '../../shared/states';
import { UnknownOption } from '../../shared/UnknownOption';
import { ItemAttempts } from '../components/ItemAttempts';
import { CHANGES_TENANT, RunChanges } from '../components/RunChanges';
import { mayRetryFailed, RetryFailedDialog } from '../components/RetryFailedDialog';
import { changeLogPurged, RevertDialog, revertOffer } from '../components/RevertDialog';
import { PauseBanner } from '../components/PauseBanner';
import { CancelRunDialog, ConcurrencyDialog, PauseRunDialog, ResumeRunDialog } from '../components/RunActionDialogs';
import { RunProgress, RunStateBadge, ThrottledTag } from '../RunState';
import { RunTimeline } from '../components/RunTimeline';
import { StallBanner } from '../components/StallBanner';
import { ThrottleBanner } from '../components/ThrottleBanner';
import { api, useOperator } from '../session';

const ITEMS_PER_PAGE = 100;

/** The clock for "running for N min" and running items' durations, ticking while the run is active. */
function useNow(active: boolean, ms = 5_000): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    if (!active) return;
    setNow(new Date());
    const timer = window.setInterval(() => setNow(new Date()), ms);
    return () => window.clearInterval(timer);
  }, [active, ms]);
  return now;
}

function parseRunId(value: string | undefined): number | null {
  const id = Number(value);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

function RunNotFound() {
  return (
    <EmptyState title="Run not found">
      <Link to="/ops/runs">Back to all runs</Link>
    </EmptyState>
  );
}

/** One run: progress, counts and timing, polled every 2 s until it completes. */
export function RunDetailPage() {
  const runId = parseRunId(useParams().id);
  const run = useQuery({
    queryKey: ['run', runId],
    queryFn:
      runId === null
        ? skipToken
        : ({ signal }): Promise<Run> =>
            unwrap(
              api.GET('/system/api/ops/runs/{id}', { params: { path: { id: runId } }, signal }),
            ),
    refetchInterval: (query) => refetchIntervalFor(query.state.data),
  });
  const queryClient = useQueryClient();
  const status = run.data?.status;
  const previousStatus = useRef(status);
  useEffect(() => {
    // A run that completes while watched has just written its notification: fetch it now
    // instead of waiting for the bell's next 15 s poll, and refresh lists that show the run.
    if (previousStatus.current !== undefined && previousStatus.current !== 'completed' && status === 'completed') {
      void queryClient.invalidateQueries({ queryKey: ['notifications'] });
      void queryClient.invalidateQueries({ queryKey: ['runs'] });
      void queryClient.invalidateQueries({ queryKey: ['runbooks'] });
    }
    previousStatus.current = status;
  }, [status, queryClient]);

  // The polite live region: a change of status, the milestones and the completion, once each.
  const [announcement, setAnnouncement] = useState('');
  const previousRun = useRef<Run | undefined>(undefined);
  useEffect(() => {
    if (run.data === undefined) return;
    const message = runAnnouncement(previousRun.current, run.data);
    if (message !== null) setAnnouncement(message);
    previousRun.current = run.data;
  }, [run.data]);

  return (
    <section>
      <title>{`Run #${runId ?? ''} · TenantAtlas Ops`}</title>
      <p className="breadcrumb">
        <Link to="/ops/runs">Runs</Link>
      </p>
      <h1>Run #{runId ?? '—'}</h1>
      <p className="visually-hidden" role="status" aria-live="polite" data-testid="run-announcer">
        {announcement}
      </p>
      {runId === null ? (
        <RunNotFound />
      ) : run.isPending ? (
        <LoadingState label="Loading run…" />
      ) : run.isError && run.error instanceof ProblemError && run.error.status === 404 ? (
        <RunNotFound />
      ) : run.isError && run.data === undefined ? (
        <ErrorState error={run.error} onRetry={() => void run.refetch()} />
      ) : (
        // Keyed by run: another run's page (a revert just started opens it) starts with no dialog open.
        <RunSummary
          key={run.data.id}
          run={run.data}
          asOf={run.dataUpdatedAt}
          refreshError={run.isError ? run.error : null}
        />
      )}
    </section>
  );
}

function RunSummary({ run, asOf, refreshError }: { run: Run; asOf: number; refreshError: Error | null }) {
  const operator = useOperator();
  const ids = useId();
  const [, setItemFilters] = useUrlFilters(RECORD_FILTERS);
  const now = useNow(run.status !== 'completed');
  const [action, setAction] = useState<'cancel' | 'pause' | 'resume' | 'concurrency' | null>(null);
  const [retrying, setRetrying] = useState(false);
  const [reverting, setReverting] = useState(false);
  const completed = run.status === 'completed';
  const duration = secondsBetween(run.started_at, run.completed_at);
  const mayCancel =
    !completed && run.cancel_reason === null && operator.capabilities.includes('ops.runs.cancel');
  // Run control (docs/spec.md §13): pause a queued or running run, resume a paused one, change the
  // cap of any active one — each with `ops.runs.control`.
  const mayControl = operator.capabilities.includes('ops.runs.control');
  const mayPauseRun = mayControl && mayPause(run);
  const mayResumeRun = mayControl && mayResume(run);
  const mayChangeCap = mayControl && !completed && run.cancel_reason === null;
  const mayRetry = mayRetryFailed(run, operator.capabilities);
  // Undo (docs/spec.md §15): offered for a completed run that changed rows; shown disabled, with
  // why, once its change log has been purged.
  const revert = revertOffer(run, operator.capabilities);
  const isRevert = run.kind === 'revert' && run.reverts_run_id != null;
  // The database health gate holding the run (docs/spec.md §14): its banner says why nothing
  // starts, so no second line for `waiting_for` says it again.
  const throttled = run.throttle != null && !completed;
  const waiting = throttled ? null : waitingSentence(run.waiting_for, run.counts.running);
  const showItems = (filters: { item_search?: string; item_status?: string }) => {
    setItemFilters({ view: '', item_search: '', item_status: '', ...filters });
    document.getElementById(`${ids}-items`)?.scrollIntoView?.({ block: 'start' });
  };
  // The runbook's rule names and parameters schema, for an operator who may read runbooks; the
  // page reads fine without them (rule keys, parameter names in words).
  const mayViewRunbook = operator.capabilities.includes('ops.runbooks.view');
  const runbook = useQuery({
    queryKey: ['runbook', run.runbook],
    queryFn: mayViewRunbook
      ? ({ signal }): Promise<Runbook> =>
          unwrap(
            api.GET('/system/api/ops/runbooks/{key}', {
              params: { path: { key: run.runbook } },
              signal,
            }),
          )
      : skipToken,
    staleTime: 5 * 60_000,
  });
  const parameters = describeParameters(run.parameters, runbook.data?.parameters);
  return (
    <>
      {refreshError && (
        <p className="form-error" role="alert">
          Live updates paused: {errorMessage(refreshError)}
        </p>
      )}
      {(isRevert || run.reverted_by.length > 0) && (
        <div className="run-lineage">
          {isRevert && (
            <p className="lineage-revert" data-testid="revert-of">
              <Link to={`/ops/runs/${run.reverts_run_id}`}>Revert of run #{run.reverts_run_id}</Link>: puts back the
              values run #{run.reverts_run_id} overwrote, and leaves alone the rows the application changed since.
            </p>
          )}
          {run.reverted_by.length > 0 && (
            <p className="lineage-reverted" data-testid="reverted-by">
              Reverted by{' '}
              {run.reverted_by.map((by, index) => (
                <Fragment key={by.id}>
                  {index > 0 && ', '}
                  <Link to={`/ops/runs/${by.id}`}>#{by.id}</Link> ({outcomeWord(by.outcome)})
                </Fragment>
              ))}
              .
            </p>
          )}
        </div>
      )}
      <div className="run-status">
        <RunStateBadge run={run} />
        <ThrottledTag run={run} />
        <RunProgress run={run} label="Run progress" />
        {run.wave && (
          <span className="tag wave-tag" data-testid="run-wave">
            Wave {run.wave.current} of {run.wave.of}
          </span>
        )}
        {run.counts.cancelled > 0 && (
          <span className="progress-aside" data-testid="cancelled-beside">
            {run.counts.cancelled} cancelled
          </span>
        )}
        {run.counts.retrying > 0 && (
          <span className="progress-aside" data-testid="retrying-beside">
            {run.counts.retrying} retrying
          </span>
        )}
        <span data-testid="run-remaining">
          {completed
            ? `Took ${duration === null ? '—' : formatDuration(duration)}`
            : remainingLabel(run, Date.now())}
        </span>
        {mayPauseRun && (
          <button type="button" className="button-secondary" onClick={() => setAction('pause')}>
            Pause…
          </button>
        )}
        {mayResumeRun && (
          <button type="button" onClick={() => setAction('resume')}>
            Resume…
          </button>
        )}
        {mayCancel && (
          <button type="button" className="button-danger" onClick={() => setAction('cancel')}>
            Cancel run…
          </button>
        )}
        {mayRetry && (
          <button type="button" onClick={() => setRetrying(true)}>
            Retry failed tenants…
          </button>
        )}
        {revert === 'revert' && (
          <button type="button" className="button-secondary" onClick={() => setReverting(true)}>
            Revert…
          </button>
        )}
        {revert === 'purged' && (
          <button type="button" className="button-secondary" disabled aria-describedby={`${ids}-revert-why`}>
            Revert…
          </button>
        )}
      </div>
      {revert === 'purged' && (
        <p id={`${ids}-revert-why`} className="field-help" data-testid="revert-unavailable">
          {changeLogPurged(run.id)}
        </p>
      )}
      {waiting && (
        <p className="run-waiting" data-testid="run-waiting">
          {waiting}.
        </p>
      )}
      {run.status === 'paused' && run.pause && (
        <PauseBanner
          run={run}
          pause={run.pause}
          now={now}
          onResume={mayResumeRun ? () => setAction('resume') : null}
          onCancel={mayCancel ? () => setAction('cancel') : null}
          onShowItems={(status) => showItems({ item_status: status })}
        />
      )}
      {throttled && run.throttle && (
        <ThrottleBanner
          run={run}
          throttle={run.throttle}
          now={now}
          onPause={mayPauseRun ? () => setAction('pause') : null}
          onCancel={mayCancel ? () => setAction('cancel') : null}
        />
      )}
      {run.cancel_reason !== null && (
        <p className="notice">
          {completed ? 'Cancelled' : 'Cancelling'}: {run.cancel_reason}
        </p>
      )}
      {run.error_summary && (
        <p className="form-error" role="alert">
          {run.error_summary}
        </p>
      )}
      {run.stalled && !completed && (
        <StallBanner
          run={run}
          stall={run.stalled}
          now={now}
          onCancel={mayCancel ? () => setAction('cancel') : null}
          // The stuck tenant's item: the items table filtered to it, scrolled into view.
          onOpenItem={(search) => showItems({ item_search: search })}
        />
      )}
      {action === 'cancel' && <CancelRunDialog run={run} onClose={() => setAction(null)} />}
      {action === 'pause' && <PauseRunDialog run={run} onClose={() => setAction(null)} />}
      {action === 'resume' && <ResumeRunDialog run={run} onClose={() => setAction(null)} />}
      {action === 'concurrency' && <ConcurrencyDialog run={run} onClose={() => setAction(null)} />}
      {retrying && <RetryFailedDialog run={run} onClose={() => setRetrying(false)} />}
      {reverting && <RevertDialog run={run} onClose={() => setReverting(false)} />}

      <h2>Tenants</h2>
      <dl className="counts">
        <div>
          <dt>Processed</dt>
          <dd>
            {run.counts.processed} of {run.counts.total}
          </dd>
        </div>
        <div>
          <dt>Succeeded</dt>
          <dd>{run.counts.succeeded}</dd>
        </div>
        <div>
          <dt>Failed</dt>
          <dd>{run.counts.failed}</dd>
        </div>
        <div>
          <dt>Running now</dt>
          <dd>{run.counts.running}</dd>
        </div>
        <div>
          <dt>Retrying</dt>
          <dd>{run.counts.retrying}</dd>
        </div>
        <div>
          <dt>Skipped</dt>
          <dd>{run.counts.skipped}</dd>
        </div>
        <div>
          <dt>Cancelled</dt>
          <dd>{run.counts.cancelled}</dd>
        </div>
        <div>
          <dt>{isRevert ? 'Findings restored' : 'Findings changed'}</dt>
          <dd>{run.counts.findings_changed}</dd>
        </div>
        {isRevert && (
          <div className={run.counts.conflicts > 0 ? 'count-warn' : undefined}>
            <dt>Conflicts</dt>
            <dd>{run.counts.conflicts}</dd>
          </div>
        )}
      </dl>
      {isRevert && (
        <p className="run-conflicts" data-testid="run-conflicts">
          {run.counts.conflicts.toLocaleString('en-US')} {run.counts.conflicts === 1 ? 'conflict' : 'conflicts'} —
          rows the application changed since run #{run.reverts_run_id} wrote them; left alone
          {!completed && ' (so far)'}.
        </p>
      )}

      <RunTimeline run={run} />

      <h2>Details</h2>
      <dl className="details">
        <dt>Runbook</dt>
        <dd>
          {runbook.data ? (
            <>
              <Link to={`/ops/runbooks/${encodeURIComponent(run.runbook)}`}>{runbook.data.title}</Link>{' '}
              (<code>{run.runbook}</code>, version {run.runbook_version})
            </>
          ) : (
            <>
              <code>{run.runbook}</code>, version {run.runbook_version}
            </>
          )}
        </dd>
        <dt>Scope</dt>
        <dd data-testid="run-scope">
          <ScopeWords scope={run.scope} />
        </dd>
        {parameters.length > 0 && (
          <>
            <dt>Parameters</dt>
            <dd>
              <dl className="parameter-list">
                {parameters.map(([label, value]) => (
                  <Fragment key={label}>
                    <dt>{label}</dt>
                    <dd>{value}</dd>
                  </Fragment>
                ))}
              </dl>
            </dd>
          </>
        )}
        {run.planned_at && (
          <>
            <dt>Planned at</dt>
            <dd>{formatTimestamp(run.planned_at)}</dd>
          </>
        )}
        <dt>Run control</dt>
        <dd data-testid="run-options">
          <dl className="parameter-list">
            <dt>Concurrency cap</dt>
            <dd>
              {capWords(run.options.max_concurrency)}
              {mayChangeCap && (
                <>
                  {' '}
                  <button type="button" className="button-link" onClick={() => setAction('concurrency')}>
                    Change concurrency…
                  </button>
                </>
              )}
            </dd>
            <dt>Failure budget</dt>
            <dd>{budgetWords(run.options.failure_budget)}</dd>
            <dt>Waves</dt>
            <dd>
              {wavesWords(run.options.waves)}
              {run.wave && ` — now wave ${run.wave.current} of ${run.wave.of}`}
            </dd>
            <dt>Drift guard</dt>
            <dd>{driftGuardWords(run.options.drift_guard)}</dd>
            {run.options.canary_tenant_ids != null && run.options.canary_tenant_ids.length > 0 && (
              <>
                <dt>Canary tenants</dt>
                <dd>
                  <CanaryTenants ids={run.options.canary_tenant_ids} named={mayViewRunbook} />
                </dd>
              </>
            )}
          </dl>
        </dd>
        <dt>Active time</dt>
        <dd data-testid="run-active-time">
          {formatDuration(run.active_seconds)} <span className="muted">(running; time queued, paused or held by the health gate not counted)</span>
        </dd>
        <dt>Reason</dt>
        <dd>
          <code>{run.reason.code}</code> — {run.reason.text}
        </dd>
        <dt>Started by</dt>
        <dd>
          {run.initiator?.username ?? 'System'} via <code>{run.source}</code>
        </dd>
        <dt>Created</dt>
        <dd>{formatTimestamp(run.created_at)}</dd>
        <dt>Started</dt>
        <dd>{formatTimestamp(run.started_at)}</dd>
        <dt>Completed</dt>
        <dd>{formatTimestamp(run.completed_at)}</dd>
        {run.retry_of_run_id !== null && !(run.scope.kind === 'tenants' && run.scope.retry_of != null) && (
          <>
            <dt>Retry of</dt>
            <dd>
              <Link to={`/ops/runs/${run.retry_of_run_id}`}>Run #{run.retry_of_run_id}</Link>
            </dd>
          </>
        )}
        {run.retried_by.length > 0 && (
          <>
            <dt>Retried by</dt>
            <dd data-testid="retried-by">
              {run.retried_by.map((retry, index) => (
                <Fragment key={retry.id}>
                  {index > 0 && ', '}
                  <Link to={`/ops/runs/${retry.id}`}>#{retry.id}</Link> ({outcomeWord(retry.outcome)})
                </Fragment>
              ))}
              {run.status === 'completed' && run.counts.failed > 0 && run.retryable_tenants === 0 && (
                <span className="muted"> — every failed tenant has since been rebuilt</span>
              )}
            </dd>
          </>
        )}
      </dl>

      <RunRecords
        run={run}
        asOf={asOf}
        rules={runbook.data?.rule_details}
        topId={`${ids}-items`}
        now={now}
        mayLookUpTenants={mayViewRunbook}
      />
    </>
  );
}

/**
 * The scope in words; a retry run's "2 tenants (retry of #32)" links the run it retries, a revert
 * run's "3 tenants (revert of #32)" the run it reverts. A list scope without either is a list the
 * operator chose ("3 listed tenants").
 */
function ScopeWords({ scope }: { scope: Run['scope'] }) {
  if (scope.kind === 'tenants' && scope.retry_of != null) {
    return (
      <>
        {tenantCount(scope.count)} (retry of <Link to={`/ops/runs/${scope.retry_of}`}>#{scope.retry_of}</Link>)
      </>
    );
  }
  if (scope.kind === 'tenants' && scope.reverts_run_id != null) {
    return (
      <>
        {tenantCount(scope.count)} (revert of <Link to={`/ops/runs/${scope.reverts_run_id}`}>#{scope.reverts_run_id}</Link>)
      </>
    );
  }
  return <>{formatScope(scope)}</>;
}

const ITEM_FILTERS = ['item_status', 'item_search'] as const;

/** `?view=changes` opens the Changes tab; unset, the Tenant items tab is open. */
const VIEW_FILTERS = ['view'] as const;
/** The filters `showItems` sets at once: the items view, and its search and status. */
const RECORD_FILTERS = [...VIEW_FILTERS, ...ITEM_FILTERS] as const;
const RECORD_TABS = [
  { view: '', label: 'Tenant items' },
  { view: 'changes', label: 'Changes' },
] as const;

/**
 * What the run did per tenant, in two tabs (WAI-ARIA tabs, arrow keys between them): its items,
 * and its change log (docs/spec.md §15) — each mounted, and so fetched, only while open. The open
 * tab lives in the URL (`?view=changes`), so back, reload and shared links keep it; switching
 * starts at page 1 of the other list. `topId` names the tab bar, which paging and the banners'
 * "show the items" links scroll into view.
 */
function RunRecords({
  run,
  asOf,
  rules,
  topId,
  now,
  mayLookUpTenants,
}: {
  run: Run;
  asOf: number;
  rules: RuleDetail[] | undefined;
  topId: string;
  now: Date;
  mayLookUpTenants: boolean;
}) {
  const ids = useId();
  const [filters, setFilters] = useUrlFilters(VIEW_FILTERS);
  const view = filters.view === 'changes' ? 'changes' : '';
  const tabId = (tab: string) => `${ids}-tab-${tab || 'items'}`;
  const panelId = (tab: string) => `${ids}-panel-${tab || 'items'}`;
  const open = (tab: string) => {
    if (tab !== view) setFilters({ view: tab });
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const index = RECORD_TABS.findIndex((tab) => tab.view === view);
    const next =
      event.key === 'ArrowRight'
        ? (index + 1) % RECORD_TABS.length
        : event.key === 'ArrowLeft'
          ? (index - 1 + RECORD_TABS.length) % RECORD_TABS.length
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? RECORD_TABS.length - 1
              : null;
    if (next === null) return;
    event.preventDefault();
    const tab = RECORD_TABS[next]!;
    open(tab.view);
    document.getElementById(tabId(tab.view))?.focus();
  };
  const counts: Record<string, number> = { '': run.counts.total, changes: run.counts.findings_changed };
  return (
    <>
      <div className="record-tabs" id={topId} tabIndex={-1}>
        <div role="tablist" aria-label={`Run #${run.id}: tenant items and changes`} onKeyDown={onKeyDown}>
          {RECORD_TABS.map((tab) => (
            <button
              key={tab.view}
              type="button"
              role="tab"
              id={tabId(tab.view)}
              aria-selected={tab.view === view}
              aria-controls={panelId(tab.view)}
              tabIndex={tab.view === view ? 0 : -1}
              onClick={() => open(tab.view)}
            >
              {tab.label} <span className="tab-count">{(counts[tab.view] ?? 0).toLocaleString('en-US')}</span>
            </button>
          ))}
        </div>
      </div>
      {RECORD_TABS.map((tab) => (
        <div
          key={tab.view}
          role="tabpanel"
          id={panelId(tab.view)}
          aria-labelledby={tabId(tab.view)}
          hidden={tab.view !== view}
        >
          {tab.view !== view ? null : tab.view === 'changes' ? (
            <>
              <h2 className="visually-hidden">Changes</h2>
              <RunChanges
                run={run}
                asOf={asOf}
                rules={rules}
                scrollTargetId={topId}
                mayLookUpTenants={mayLookUpTenants}
              />
            </>
          ) : (
            <RunItems
              run={run}
              asOf={asOf}
              rules={rules}
              scrollTargetId={topId}
              now={now}
              changesTabId={tabId('changes')}
            />
          )}
        </div>
      ))}
    </>
  );
}

/** The items table's columns, which an item's attempts row spans. */
const ITEM_COLUMNS = 9;
const ITEM_STATUSES: { value: '' | ItemStatus; label: string }[] = [
  { value: '', label: 'Any status' },
  { value: 'failed', label: 'Failed' },
  { value: 'pending', label: 'Pending' },
  { value: 'running', label: 'Running' },
  { value: 'retrying', label: 'Retrying' },
  { value: 'succeeded', label: 'Succeeded' },
  { value: 'skipped', label: 'Skipped' },
  { value: 'cancelled', label: 'Cancelled' },
];

/**
 * Per-tenant items, failed first (server order), fetched again right after each poll of the run
 * view (`asOf`: when the page last received it) rather than on a timer of their own, so the
 * table and the count cards above it show the run at the same moment: a tenant is not listed
 * failed for a whole poll before the Failed card counts it.
 */
function RunItems({
  run,
  asOf,
  rules,
  scrollTargetId,
  now,
  changesTabId,
}: {
  run: Run;
  asOf: number;
  rules: RuleDetail[] | undefined;
  scrollTargetId: string;
  now: Date;
  /** The Changes tab, which an item's "Show changes" link opens and focuses. */
  changesTabId: string;
}) {
  const ids = useId();
  const page = usePageParam();
  const [filters, setFilters] = useUrlFilters(ITEM_FILTERS);
  // An item's "Show changes": the Changes tab filtered to its tenant, from page 1.
  const [params] = useSearchParams();
  const changesHref = (tenantId: number) => {
    const next = new URLSearchParams(params);
    next.set('view', 'changes');
    next.set(CHANGES_TENANT, String(tenantId));
    next.delete('page');
    return `?${next.toString()}`;
  };
  const { item_status: status, item_search: search } = filters;
  const items = useQuery({
    queryKey: ['run-items', run.id, { page, status, search }],
    queryFn: ({ signal }): Promise<Page<RunItem>> =>
      unwrap(
        api.GET('/system/api/ops/runs/{id}/items', {
          params: {
            path: { id: run.id },
            query: { page, per_page: ITEMS_PER_PAGE, status: status === '' ? undefined : (status as ItemStatus), search },
          },
          signal,
        }),
      ),
    // The table stays while the next page loads, so paging does not make the page jump.
    placeholderData: keepPreviousData,
  });
  // The table is older than the run view the page shows (a poll, the completing poll included,
  // has just answered): fetch it now. A failed fetch counts as an answer, so an items error
  // waits for the next poll instead of being retried in a loop.
  const { refetch, isFetching, dataUpdatedAt, errorUpdatedAt } = items;
  useEffect(() => {
    if (!isFetching && Math.max(dataUpdatedAt, errorUpdatedAt) < asOf) void refetch();
  }, [asOf, isFetching, dataUpdatedAt, errorUpdatedAt, refetch]);
  // The items whose attempts are shown (docs/spec.md §21), by item id; they stay open across
  // polls and pages.
  const [open, setOpen] = useState<ReadonlySet<number>>(() => new Set());
  const toggle = (id: number) =>
    setOpen((shown) => {
      const next = new Set(shown);
      if (!next.delete(id)) next.add(id);
      return next;
    });

  return (
    <>
      <h2 className="visually-hidden">Tenant items</h2>
      <form
        className="filters"
        role="search"
        aria-label="Find tenant items"
        onSubmit={(event) => {
          event.preventDefault();
          const data = new FormData(event.currentTarget);
          setFilters({ item_search: String(data.get('search') ?? '').trim() });
        }}
      >
        <div>
          <label htmlFor={`${ids}-search`}>Tenant</label>
          <input
            id={`${ids}-search`}
            name="search"
            type="search"
            key={search}
            defaultValue={search}
            placeholder="Name or external id"
          />
        </div>
        <button type="submit">Search</button>
        <div>
          <label htmlFor={`${ids}-status`}>Item status</label>
          <select id={`${ids}-status`} value={status} onChange={(e) => setFilters({ item_status: e.target.value })}>
            {ITEM_STATUSES.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
            <UnknownOption value={status} known={ITEM_STATUSES.map((option) => option.value)} />
          </select>
        </div>
        {(search !== '' || status !== '') && (
          <button
            type="button"
            className="button-secondary"
            onClick={() => setFilters(cleared(ITEM_FILTERS))}
          >
            Clear
          </button>
        )}
        <a
          className="export-link"
          href={csvHref(`/system/api/ops/runs/${run.id}/items.csv`, { status, search })}
          download
        >
          Export CSV
        </a>
      </form>
      {items.isPending ? (
        <LoadingState label="Loading items…" />
      ) : items.isError && items.data === undefined && items.error instanceof ProblemError && items.error.status === 422 ? (
        // A filter the server refuses (a hand-edited `?item_status=`): asking again cannot help.
        items.error.errors.status ? (
          <div className="state state-error" role="alert">
            <p>“{status}” is not an item status: choose one under “Item status”, or clear the filters.</p>
          </div>
        ) : (
          <ErrorState error={items.error} />
        )
      ) : items.isError && items.data === undefined ? (
        <ErrorState error={items.error} onRetry={() => void items.refetch()} />
      ) : items.data !== undefined && items.data.items.length === 0 && page > 1 && items.data.total > 0 ? (
        <BeyondLastPage what="items" page={page} perPage={items.data.per_page} total={items.data.total} />
      ) : items.data === undefined || items.data.items.length === 0 ? (
        <EmptyState
          title={
            search
              ? `No tenant matches “${search}”${status ? ' with this status' : ''}`
              : status
                ? 'No items with this status'
                : 'No items yet'
          }
        />
      ) : (
        <>
          <div className="table-scroll">
            <table className="items-table">
              <thead>
                <tr>
                  <th scope="col">Tenant</th>
                  <th scope="col">Status</th>
                  <th scope="col">Error</th>
                  <th scope="col" className="numeric">
                    Attempts
                  </th>
                  <th scope="col">Started (UTC)</th>
                  <th scope="col">Completed (UTC)</th>
                  <th scope="col" className="numeric">
                    Duration
                  </th>
                  <th scope="col" className="numeric" title="Findings changed, of those examined">
                    Findings changed
                  </th>
                  <th scope="col">By rule</th>
                </tr>
              </thead>
              <tbody>
                {items.data.items.map((item) => (
                  <Fragment key={item.id}>
                    <tr className={item.status === 'failed' ? 'row-failed' : undefined}>
                      <td className="item-tenant">
                        {item.tenant_name ? (
                          <>
                            {item.tenant_name} <code>({item.tenant_external_id})</code>
                          </>
                        ) : (
                          <code>{item.tenant_external_id}</code>
                        )}
                        {item.attempts > 0 && (
                          <div>
                            <button
                              type="button"
                              className="disclosure"
                              aria-expanded={open.has(item.id)}
                              aria-controls={open.has(item.id) ? `${ids}-attempts-${item.id}` : undefined}
                              onClick={() => toggle(item.id)}
                            >
                              Attempts ({item.attempts})
                            </button>
                          </div>
                        )}
                      </td>
                      <td>
                        <span className={`badge badge-${item.status}`}>{item.status}</span>
                        {item.status === 'retrying' && item.next_attempt_at && (
                          <div className="item-next muted">
                            next attempt {clockTime(item.next_attempt_at)}
                          </div>
                        )}
                      </td>
                      <td className="item-error">{itemError(item)}</td>
                      <td className="numeric">{item.attempts}</td>
                      <td className="nowrap" title={formatTimestamp(item.started_at)}>
                        {item.started_at ? clockTime(item.started_at) : '—'}
                      </td>
                      <td className="nowrap" title={formatTimestamp(item.completed_at)}>
                        {item.completed_at ? clockTime(item.completed_at) : '—'}
                      </td>
                      <td className="numeric nowrap">{itemDuration(item, now, items.dataUpdatedAt)}</td>
                      <td className="numeric nowrap">
                        {item.findings_changed} of {item.findings_examined}
                        {item.conflicts > 0 && (
                          <div className="item-conflicts" data-testid="item-conflicts">
                            {item.conflicts} {item.conflicts === 1 ? 'conflict' : 'conflicts'}
                            <span className="visually-hidden"> (rows the application changed since; left alone)</span>
                          </div>
                        )}
                        {item.findings_changed > 0 && run.changes_available && (
                          <div>
                            <Link
                              to={changesHref(item.tenant_id)}
                              onClick={() => {
                                document.getElementById(changesTabId)?.focus();
                                document.getElementById(scrollTargetId)?.scrollIntoView?.({ block: 'start' });
                              }}
                            >
                              Show changes<span className="visually-hidden"> of {itemTenantLabel(item)}</span>
                            </Link>
                          </div>
                        )}
                      </td>
                      <td className="item-rules">
                        {Object.entries(item.changes_by_rule ?? {})
                          .filter(([, count]) => (count ?? 0) > 0)
                          .map(([rule, count]) => (
                            <span key={rule} className="tag" title={ruleLabel(rules, rule)}>
                              {rule}: {count}
                            </span>
                          ))}
                      </td>
                    </tr>
                    {open.has(item.id) && (
                      <tr className="attempts-row">
                        <td colSpan={ITEM_COLUMNS}>
                          <ItemAttempts runId={run.id} item={item} now={now} id={`${ids}-attempts-${item.id}`} />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                ))}
              </tbody>
            </table>
          </div>
          <Pagination
            page={page}
            perPage={items.data.per_page}
            total={items.data.total}
            scrollTargetId={scrollTargetId}
          />
        </>
      )}
    </>
  );
}

/** Canary tenants named more than this are counted, not listed. */
const CANARY_NAMED = 10;

/**
 * A run's canary tenants, in their order, by name where the operator may look tenants up (as the
 * runs list's tenant filter does, one id at a time); `#id` otherwise or while loading.
 */
function CanaryTenants({ ids, named }: { ids: number[]; named: boolean }) {
  const shown = ids.slice(0, CANARY_NAMED);
  const tenants = useQueries({
    queries: shown.map((id) => ({
      queryKey: ['ops-tenant', id],
      queryFn: ({ signal }: { signal: AbortSignal }): Promise<Page<OpsTenant>> =>
        unwrap(api.GET('/system/api/ops/tenants', { params: { query: { id } }, signal })),
      enabled: named,
      staleTime: 5 * 60_000,
    })),
  });
  return (
    <>
      {shown.map((id, index) => {
        const tenant = tenants[index]?.data?.items.find((candidate) => candidate.id === id);
        return (
          <Fragment key={id}>
            {index > 0 && ', '}
            {tenant ? tenantLabel(tenant) : `#${id}`}
          </Fragment>
        );
      })}
      {ids.length > CANARY_NAMED && ` and ${ids.length - CANARY_NAMED} more`}
      <span className="muted"> — first, in this order</span>
    </>
  );
}
