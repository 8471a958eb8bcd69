import { useMutation, useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { Link, useParams } from 'react-router';
import { ProblemError, unwrap } from '../../api/client';
import type {
  OpsTenant,
  PreflightResult,
  Runbook,
  RuleKey,
  Scope,
  ScopeKind,
} from '../../api/types';
import { formatDuration, formatScope, formatTimestamp } from '../../lib/format';
import { RULES } from '../../lib/runbook';
import { EmptyState, ErrorState, LoadingState } from '../../shared/states';
import { StartRunDialog } from '../components/StartRunDialog';
import { TenantPicker } from '../components/TenantPicker';
import { RunStateBadge } from '../RunState';
import { api, useOperator } from '../session';

/** One runbook: choose a scope, preflight it (read-only), then start it. */
export function RunbookPage() {
  const key = useParams().key ?? '';
  const runbook = useQuery({
    queryKey: ['runbook', key],
    queryFn: ({ signal }): Promise<Runbook> =>
      unwrap(api.GET('/system/api/ops/runbooks/{key}', { params: { path: { key } }, signal })),
  });

  return (
    <section>
      <title>{`${runbook.data?.title ?? 'Runbook'} · TenantAtlas Ops`}</title>
      <p className="breadcrumb">
        <Link to="/ops/runbooks">Runbooks</Link>
      </p>
      {runbook.isPending ? (
        <LoadingState label="Loading runbook…" />
      ) : runbook.isError && runbook.error instanceof ProblemError && runbook.error.status === 404 ? (
        <>
          <h1>Runbook not found</h1>
          <EmptyState title={`There is no runbook “${key}”.`}>
            <Link to="/ops/runbooks">Back to the catalogue</Link>
          </EmptyState>
        </>
      ) : runbook.isError ? (
        <ErrorState error={runbook.error} onRetry={() => void runbook.refetch()} />
      ) : (
        <RunbookDetail runbook={runbook.data} />
      )}
    </section>
  );
}

function RunbookDetail({ runbook }: { runbook: Runbook }) {
  const ids = useId();
  const operator = useOperator();
  const [kind, setKind] = useState<ScopeKind>(
    runbook.allowed_scopes.includes('tenant') ? 'tenant' : 'all_tenants',
  );
  const [tenant, setTenant] = useState<OpsTenant | null>(null);
  const [starting, setStarting] = useState(false);

  const preflight = useMutation({
    mutationFn: (scope: Scope): Promise<PreflightResult> =>
      unwrap(
        api.POST('/system/api/ops/runbooks/{key}/preflight', {
          params: { path: { key: runbook.key } },
          body: { scope },
        }),
      ),
  });

  const scope: Scope | null =
    kind === 'all_tenants'
      ? { kind: 'all_tenants' }
      : tenant
        ? { kind: 'tenant', tenant_id: tenant.id }
        : null;

  // A preflight belongs to one scope: changing the scope throws it away.
  const changeScope = (next: () => void) => {
    next();
    preflight.reset();
  };

  const canRun = operator.capabilities.includes('ops.runbooks.run');
  const canRunAll = operator.capabilities.includes('ops.runbooks.run_all_tenants');
  const result = preflight.data;
  const mayStart =
    result !== undefined && canRun && (result.scope.kind !== 'all_tenants' || canRunAll);

  return (
    <>
      <h1>{runbook.title}</h1>
      <p className="lead">
        <code>{runbook.key}</code> · version {runbook.version}
      </p>
      <p>{runbook.description}</p>
      {runbook.active_runs.length > 0 && (
        <p className="notice">
          Active now:{' '}
          {runbook.active_runs.map((run) => (
            <Link key={run.id} to={`/ops/runs/${run.id}`} className="inline-run">
              Run #{run.id} ({formatScope(run.scope)}) <RunStateBadge run={run} />
            </Link>
          ))}
        </p>
      )}

      <form
        className="panel"
        onSubmit={(event) => {
          event.preventDefault();
          if (scope) preflight.mutate(scope);
        }}
      >
        <fieldset>
          <legend>Scope</legend>
          {runbook.allowed_scopes.includes('tenant') && (
            <label className="radio">
              <input
                type="radio"
                name={`${ids}-scope`}
                value="tenant"
                checked={kind === 'tenant'}
                onChange={() => changeScope(() => setKind('tenant'))}
              />
              One tenant
            </label>
          )}
          {runbook.allowed_scopes.includes('all_tenants') && (
            <label className="radio">
              <input
                type="radio"
                name={`${ids}-scope`}
                value="all_tenants"
                checked={kind === 'all_tenants'}
                onChange={() => changeScope(() => setKind('all_tenants'))}
              />
              All tenants
            </label>
          )}
        </fieldset>
        {kind === 'tenant' && (
          <TenantPicker value={tenant} onChange={(next) => changeScope(() => setTenant(next))} />
        )}
        <div className="actions">
          <button type="submit" disabled={scope === null || preflight.isPending}>
            {preflight.isPending ? 'Running preflight…' : 'Preflight'}
          </button>
          {kind === 'tenant' && tenant === null && (
            <span className="field-help">Choose a tenant first.</span>
          )}
        </div>
      </form>

      {preflight.isError && <ErrorState error={preflight.error} />}
      {result && (
        <PreflightView result={result}>
          {mayStart ? (
            <button type="button" onClick={() => setStarting(true)}>
              Start…
            </button>
          ) : (
            <p className="field-help">
              {canRun
                ? 'Starting a run over all tenants needs the ops.runbooks.run_all_tenants capability.'
                : 'Starting runs needs the ops.runbooks.run capability.'}
            </p>
          )}
        </PreflightView>
      )}
      {starting && result && (
        <StartRunDialog
          runbookKey={runbook.key}
          preflight={result}
          onClose={() => setStarting(false)}
        />
      )}
    </>
  );
}

function Value({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span className="muted">null</span>;
  return <>{typeof value === 'object' ? JSON.stringify(value) : String(value)}</>;
}

/** Read-only preflight result: totals, per-rule counts (R1–R7), and the sample. */
export function PreflightView({
  result,
  children,
}: {
  result: PreflightResult;
  children?: React.ReactNode;
}) {
  return (
    <section className="panel" aria-labelledby="preflight-heading">
      <h2 id="preflight-heading">Preflight result</h2>
      <p className="field-help">
        Read-only: nothing has changed yet. Valid until {formatTimestamp(result.expires_at)}.
      </p>
      <dl className="counts">
        <div>
          <dt>Tenants in scope</dt>
          <dd>{result.tenants_in_scope}</dd>
        </div>
        <div>
          <dt>Tenants with changes</dt>
          <dd>{result.tenants_with_changes}</dd>
        </div>
        <div>
          <dt>Findings examined</dt>
          <dd>{result.findings_examined}</dd>
        </div>
        <div>
          <dt>Findings to change</dt>
          <dd>{result.findings_to_change}</dd>
        </div>
        <div>
          <dt>Estimated time</dt>
          <dd>{formatDuration(result.estimated_seconds)}</dd>
        </div>
      </dl>

      <h3>Changes per rule</h3>
      <div className="table-scroll">
        <table className="rule-table">
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col">Repairs</th>
              <th scope="col" className="numeric">
                Findings
              </th>
            </tr>
          </thead>
          <tbody>
            {RULES.map((rule) => (
              <tr key={rule.key}>
                <th scope="row">{rule.key}</th>
                <td>
                  <code>{rule.name}</code>
                </td>
                <td className="numeric">{result.changes_by_rule[rule.key] ?? 0}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h3>Sample of changes</h3>
      {result.sample.length === 0 ? (
        <EmptyState title="Nothing would change" />
      ) : (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Finding</th>
                <th scope="col">Tenant</th>
                <th scope="col">Rules</th>
                <th scope="col">Field</th>
                <th scope="col">Before</th>
                <th scope="col">After</th>
              </tr>
            </thead>
            <tbody>
              {result.sample.flatMap((change) => {
                const fields = changedFields(change.before, change.after);
                return fields.map((field, index) => (
                  <tr key={`${change.finding_id}-${field}`}>
                    {index === 0 && (
                      <>
                        <td rowSpan={fields.length}>#{change.finding_id}</td>
                        <td rowSpan={fields.length}>{change.tenant_id}</td>
                        <td rowSpan={fields.length}>
                          {(change.rules ?? []).map((rule: RuleKey) => (
                            <code key={rule} className="tag">
                              {rule}
                            </code>
                          ))}
                        </td>
                      </>
                    )}
                    <td>
                      <code>{field}</code>
                    </td>
                    <td>
                      <Value value={change.before?.[field]} />
                    </td>
                    <td>
                      <Value value={change.after?.[field]} />
                    </td>
                  </tr>
                ));
              })}
            </tbody>
          </table>
        </div>
      )}
      {result.confirmation.required && result.confirmation.phrase && (
        <p className="notice">
          Starting needs the typed confirmation <code>{result.confirmation.phrase}</code>.
        </p>
      )}
      <div className="actions">{children}</div>
    </section>
  );
}

/** Fields whose value differs between before and after (all fields when none differ). */
function changedFields(
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown> | undefined,
): string[] {
  const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])];
  const changed = keys.filter(
    (key) => JSON.stringify(before?.[key]) !== JSON.stringify(after?.[key]),
  );
  return changed.length > 0 ? changed : keys.length > 0 ? keys : ['—'];
}

