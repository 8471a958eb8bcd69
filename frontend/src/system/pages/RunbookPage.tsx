import { useMutation, useQuery } from '@tanstack/react-query';
import { Fragment } from 'react';
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { ProblemError, unwrap } from '../../api/client';
import type { OpsTenant, PreflightResult, Runbook, Scope, ScopeKind, StartedRun, Workspace } from '../../api/types';
import { changeValue, changedFields } from '../../lib/changes';
import { errorMessage } from '../../lib/errors';
import { formatDuration, formatScope, formatTimestamp, scopeLabel, tenantLabel } from '../../lib/format';
import {
  type ParameterErrors,
  type ParameterValue,
  buildParameters,
  describeParameters,
  firstErrorField,
  initialValues,
  parameterFields,
  splitParameterErrors,
} from '../../lib/parameters';
import { ACTIVE_RUNS_POLL_INTERVAL_MS } from '../../lib/polling';
import { MAX_TENANTS_WITHOUT_ALL_TENANTS, overlappingRun, preflightFoundNothing } from '../../lib/runbook';
import { MAX_LISTED_TENANTS, parsePastedIds, refusedIds, withoutRefused } from '../../lib/tenantList';
import { lookupTenants } from '../tenantLookup';
import { EmptyState, ErrorState, LoadingState } from '../../shared/states';
import { ParameterForm, parameterInputId } from '../components/ParameterForm';
import { fieldErrors } from '../components/ReasonFields';
import { RuleTable } from '../components/RuleTable';
import { StartRunDialog } from '../components/StartRunDialog';
import { PreflightTenantsReport } from '../components/PreflightTenantsReport';
import { TenantListField } from '../components/TenantListField';
import { TenantPicker } from '../components/TenantPicker';
import { WorkspacePicker } from '../components/WorkspacePicker';
import { RunStateBadge } from '../RunState';
import { api, useOperator } from '../session';
import { FieldErrorList } from '../../shared/FieldErrorList';

/** One runbook: choose a scope and its parameters, preflight them (read-only), then start it. */
export function RunbookPage() {
  const key = useParams().key ?? '';
  const runbook = useQuery({
    queryKey: ['runbook', key],
    queryFn: ({ signal }): Promise<Runbook> =>
      unwrap(api.GET('/system/api/ops/runbooks/{key}', { params: { path: { key } }, signal })),
    // "Active now" stays true, also for a run another operator starts.
    refetchInterval: ACTIVE_RUNS_POLL_INTERVAL_MS,
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

/** The labels of the scope kinds a runbook may allow, in the order they are offered. */
const SCOPE_KINDS: { kind: ScopeKind; label: string }[] = [
  { kind: 'tenant', label: 'One tenant' },
  { kind: 'all_tenants', label: 'All tenants' },
  { kind: 'tenants', label: 'Listed tenants' },
  { kind: 'workspace', label: 'Workspace' },
];

function RunbookDetail({ runbook }: { runbook: Runbook }) {
  const ids = useId();
  const operator = useOperator();
  const [kind, setKind] = useState<ScopeKind>(
    runbook.allowed_scopes.includes('tenant') ? 'tenant' : 'all_tenants',
  );
  const [tenant, setTenant] = useState<OpsTenant | null>(null);
  const [workspace, setWorkspace] = useState<Workspace | null>(null);
  // The "Listed tenants" text: external ids, as pasted or read from a file.
  const [listText, setListText] = useState('');
  const listIds = useMemo(() => parsePastedIds(listText), [listText]);
  const [starting, setStarting] = useState(false);
  // The run the last start queued: its preflight is used up, so the result is gone.
  const [started, setStarted] = useState<StartedRun | null>(null);
  // The form comes from the runbook's parameters schema; none for a runbook without any.
  const fields = useMemo(() => parameterFields(runbook.parameters), [runbook.parameters]);
  const [values, setValues] = useState(() => initialValues(fields));
  const [clientErrors, setClientErrors] = useState<ParameterErrors>({});

  const preflight = useMutation({
    mutationFn: (body: { scope: Scope; parameters: Record<string, unknown> }): Promise<PreflightResult> =>
      unwrap(
        api.POST('/system/api/ops/runbooks/{key}/preflight', {
          params: { path: { key: runbook.key } },
          body,
        }),
      ),
  });
  // A list is looked up before its preflight: the ids it does not find are the operator's to fix.
  const lookup = useMutation({ mutationFn: lookupTenants });
  const listProblems = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (lookup.data && refusedIds(lookup.data).length > 0) listProblems.current?.focus();
  }, [lookup.data]);
  const serverErrors = splitParameterErrors(fieldErrors(preflight.error), fields);
  const result = preflight.data;

  // A new preflight result takes focus at its heading, so keyboard and screen-reader users land
  // on it rather than on <body> (issue 16, obs. 11).
  const resultHeading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (result) resultHeading.current?.focus();
  }, [result]);
  const errors: ParameterErrors = { ...serverErrors.fields, ...clientErrors };

  // The first field the server refused takes focus, once per refusal.
  const focusedFor = useRef<unknown>(null);
  useEffect(() => {
    const error = preflight.error;
    if (error === null || focusedFor.current === error) return;
    focusedFor.current = error;
    const first = firstErrorField(fields, splitParameterErrors(fieldErrors(error), fields).fields);
    if (first !== null) document.getElementById(parameterInputId(ids, first))?.focus();
  }, [preflight.error, fields, ids]);

  // The scope to preflight; a list's is built from its lookup, just before the preflight.
  const scope: Scope | null =
    kind === 'all_tenants'
      ? { kind: 'all_tenants' }
      : kind === 'tenant'
        ? tenant && { kind: 'tenant', tenant_id: tenant.id }
        : kind === 'workspace'
          ? workspace && { kind: 'workspace', workspace_id: workspace.id }
          : null;
  const listReady = kind === 'tenants' && listIds.length > 0 && listIds.length <= MAX_LISTED_TENANTS;
  const busy = preflight.isPending || lookup.isPending;

  // A preflight belongs to one scope and one set of parameters: changing either throws it away.
  const changeScope = (next: () => void) => {
    next();
    preflight.reset();
    lookup.reset();
    setStarted(null);
  };
  const changeParameter = (name: string, value: ParameterValue) => {
    setValues((current) => ({ ...current, [name]: value }));
    setClientErrors(({ [name]: _, ...rest }) => rest);
    preflight.reset();
    setStarted(null);
  };

  /** Looks the list up and, when every id names a tenant to target, preflights those tenants. */
  const preflightList = (listed: string[], parameters: Record<string, unknown>) => {
    preflight.reset();
    lookup.mutate(listed, {
      onSuccess: (found) => {
        if (refusedIds(found).length > 0 || found.found.length === 0) return;
        preflight.mutate({
          scope: { kind: 'tenants', tenant_ids: found.found.map((hit) => hit.id) },
          parameters,
        });
      },
    });
  };

  const runPreflight = (listed: string[] = listIds) => {
    if (kind === 'tenants' ? !(listed.length > 0 && listed.length <= MAX_LISTED_TENANTS) : scope === null) return;
    // "Older than N days" becomes an instant now, just before the request.
    const built = buildParameters(fields, values, new Date());
    if (!built.ok) {
      setClientErrors(built.errors);
      preflight.reset();
      const first = firstErrorField(fields, built.errors);
      if (first !== null) document.getElementById(parameterInputId(ids, first))?.focus();
      return;
    }
    setClientErrors({});
    setStarted(null);
    if (kind === 'tenants') preflightList(listed, built.parameters);
    else if (scope !== null) preflight.mutate({ scope, parameters: built.parameters });
  };
  // "Remove the N not found and continue": the list without them, looked up again, then preflighted.
  const removeRefusedAndContinue = () => {
    if (!lookup.data) return;
    const remaining = withoutRefused(lookup.data.ids, lookup.data);
    setListText(remaining);
    runPreflight(parsePastedIds(remaining));
  };
  // The same scope and parameters again, for a preflight the server called stale.
  const rerunPreflight = () => {
    setStarting(false);
    if (preflight.variables) preflight.mutate(preflight.variables);
  };
  // A start uses the preflight up (docs/spec.md §18): its result and Start… go away.
  const onStarted = (run: StartedRun) => {
    preflight.reset();
    setStarted(run);
  };
  const otherErrors = Object.entries(serverErrors.other);
  const parametersRefused = Object.keys(serverErrors.fields).length > 0;

  const canRun = operator.capabilities.includes('ops.runbooks.run');
  const canRunAll = operator.capabilities.includes('ops.runbooks.run_all_tenants');
  // All tenants, and a list or workspace of more than 100, need run_all_tenants (docs/spec.md §21).
  const needsRunAll =
    result !== undefined &&
    (result.scope.kind === 'all_tenants' ||
      (result.scope.kind !== 'tenant' && result.tenants_in_scope > MAX_TENANTS_WITHOUT_ALL_TENANTS));
  const mayStart = result !== undefined && canRun && (!needsRunAll || canRunAll);
  const blocker = result ? overlappingRun(runbook.active_runs, result.scope) : null;
  const nothingToChange = result !== undefined && preflightFoundNothing(result);
  // The picked tenant, named in the result and the Start dialog (never a bare internal id).
  const pickedTenant =
    result?.scope.kind === 'tenant' && tenant?.id === result.scope.tenant_id ? tenant : null;

  return (
    <>
      <h1>{runbook.title}</h1>
      <p className="lead">
        <code>{runbook.key}</code> · version {runbook.version}
      </p>
      <p>{runbook.description}</p>
      <h2 className="section-heading">Rules</h2>
      <RuleTable rules={runbook.rule_details} caption={`Rules of ${runbook.title}`} />
      {runbook.active_runs.length > 0 && (
        <p className="notice" data-testid="active-runs">
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
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          runPreflight();
        }}
      >
        <fieldset>
          <legend>Scope</legend>
          {SCOPE_KINDS.filter((option) => runbook.allowed_scopes.includes(option.kind)).map((option) => (
            <label className="radio" key={option.kind}>
              <input
                type="radio"
                name={`${ids}-scope`}
                value={option.kind}
                checked={kind === option.kind}
                onChange={() => changeScope(() => setKind(option.kind))}
              />
              {option.label}
            </label>
          ))}
        </fieldset>
        {kind === 'tenant' && (
          <TenantPicker value={tenant} onChange={(next) => changeScope(() => setTenant(next))} />
        )}
        {kind === 'tenants' && (
          <TenantListField
            text={listText}
            onText={(next) => changeScope(() => setListText(next))}
            ids={listIds}
            lookup={lookup.data ?? null}
            lookupError={lookup.error}
            onRemoveRefused={removeRefusedAndContinue}
            problemsRef={listProblems}
            busy={busy}
          />
        )}
        {kind === 'workspace' && (
          <WorkspacePicker value={workspace} onChange={(next) => changeScope(() => setWorkspace(next))} />
        )}
        <ParameterForm
          idPrefix={ids}
          fields={fields}
          values={values}
          onChange={changeParameter}
          errors={errors}
          now={new Date()}
        />
        <div className="actions">
          <button type="submit" disabled={(kind === 'tenants' ? !listReady : scope === null) || busy}>
            {lookup.isPending ? 'Checking the list…' : preflight.isPending ? 'Running preflight…' : 'Preflight'}
          </button>
          {kind === 'tenant' && tenant === null && (
            <span className="field-help">Choose a tenant first.</span>
          )}
          {kind === 'tenants' && listIds.length === 0 && (
            <span className="field-help">Paste external ids or read them from a file first.</span>
          )}
          {kind === 'workspace' && workspace === null && (
            <span className="field-help">Choose a workspace first.</span>
          )}
        </div>
      </form>

      {preflight.isError &&
        (parametersRefused || otherErrors.length > 0 ? (
          <div className="form-error" role="alert">
            <p>
              {parametersRefused
                ? 'The server refused the parameters; see the fields above.'
                : errorMessage(preflight.error)}
            </p>
            <FieldErrorList
              errors={otherErrors}
              detail={parametersRefused ? null : errorMessage(preflight.error)}
            />
          </div>
        ) : (
          <ErrorState error={preflight.error} />
        ))}
      {started && <StartedNotice run={started} />}
      {result && (
        <PreflightView result={result} runbook={runbook} tenant={pickedTenant} headingRef={resultHeading}>
          {mayStart ? (
            <StartAction
              blocker={blocker}
              nothingToChange={nothingToChange}
              onStart={() => setStarting(true)}
            />
          ) : (
            <p className="field-help">
              {!canRun
                ? 'Starting runs needs the ops.runbooks.run capability.'
                : result.scope.kind === 'all_tenants'
                  ? 'Starting a run over all tenants needs the ops.runbooks.run_all_tenants capability.'
                  : `Starting a run over more than ${MAX_TENANTS_WITHOUT_ALL_TENANTS} tenants needs the ops.runbooks.run_all_tenants capability.`}
            </p>
          )}
        </PreflightView>
      )}
      {starting && result && preflight.variables && (
        <StartRunDialog
          runbook={runbook}
          preflight={result}
          scope={preflight.variables.scope}
          tenant={pickedTenant}
          onClose={() => setStarting(false)}
          onStarted={onStarted}
          onRerunPreflight={rerunPreflight}
        />
      )}
    </>
  );
}

/**
 * Start… for a fresh preflight, or why not: a run over an overlapping scope is active (a start
 * would be refused with 409), or the preflight found nothing to change. Disabled with the reason
 * next to it rather than hidden, so the operator sees what is in the way.
 */
function StartAction({
  blocker,
  nothingToChange,
  onStart,
}: {
  blocker: Runbook['active_runs'][number] | null;
  nothingToChange: boolean;
  onStart: () => void;
}) {
  const id = useId();
  if (blocker === null) {
    // A preflight that found nothing to change may still start: the dialog asks (docs/spec.md §18).
    return (
      <>
        <button type="button" onClick={onStart} aria-describedby={nothingToChange ? `${id}-why` : undefined}>
          Start…
        </button>
        {nothingToChange && (
          <p id={`${id}-why`} className="field-help">
            The preflight found nothing to change; Start… asks whether to start anyway.
          </p>
        )}
      </>
    );
  }
  return (
    <>
      <button type="button" disabled aria-describedby={`${id}-why`}>
        Start…
      </button>
      <p id={`${id}-why`} className="notice" role="status">
        Run #{blocker.id} ({formatScope(blocker.scope)}) is {blocker.status} for this runbook and
        overlaps this scope; a new run can start once it completes.{' '}
        <Link to={`/ops/runs/${blocker.id}`}>View run #{blocker.id}</Link>
      </p>
    </>
  );
}

/** After a start: the run it queued, and that the preflight is used up. Takes focus. */
function StartedNotice({ run }: { run: StartedRun }) {
  const ref = useRef<HTMLParagraphElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <p className="notice notice-success" tabIndex={-1} ref={ref}>
      {run.deduplicated ? 'Following' : 'Started'}{' '}
      <Link to={`/ops/runs/${run.id}`}>run #{run.id}</Link>. Its preflight is used up: run
      Preflight again to start another run.
    </p>
  );
}

/** A sample's value as the run's change log reads one (`changeValue`): null is "empty". */
function Value({ value }: { value: unknown }) {
  const shown = changeValue(value);
  return shown.empty ? <span className="change-empty">{shown.text}</span> : <>{shown.text}</>;
}

/** Read-only preflight result: parameters, totals, counts per rule of the runbook, and the sample. */
export function PreflightView({
  result,
  runbook,
  tenant = null,
  headingRef,
  children,
}: {
  result: PreflightResult;
  runbook: Pick<Runbook, 'rule_details' | 'parameters' | 'title'>;
  /** The picked tenant of a one-tenant scope, to name it instead of its internal id. */
  tenant?: Pick<OpsTenant, 'id' | 'name' | 'external_id'> | null;
  headingRef?: React.Ref<HTMLHeadingElement>;
  children?: React.ReactNode;
}) {
  const parameters = describeParameters(result.parameters, runbook.parameters);
  const tenantName = (id: number, named?: { tenant_name?: string; tenant_external_id?: string }) => {
    if (tenant && tenant.id === id) return tenantLabel(tenant);
    if (named?.tenant_name && named.tenant_external_id) {
      return tenantLabel({ name: named.tenant_name, external_id: named.tenant_external_id });
    }
    return `#${id}`;
  };
  return (
    <section className="panel" aria-labelledby="preflight-heading">
      <h2 id="preflight-heading" tabIndex={-1} ref={headingRef}>
        Preflight result
      </h2>
      <p data-testid="preflight-scope">Scope: {scopeWords(result.scope, tenant)}</p>
      <p className="field-help">
        Read-only: nothing has changed yet. Planned at {formatTimestamp(result.planned_at)}, valid
        until {formatTimestamp(result.expires_at)}.
      </p>
      {parameters.length > 0 && (
        <dl className="details preflight-parameters">
          {parameters.map(([label, value]) => (
            <Fragment key={label}>
              <dt>{label}</dt>
              <dd>{value}</dd>
            </Fragment>
          ))}
        </dl>
      )}
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
      <RuleTable
        rules={runbook.rule_details}
        changesByRule={result.changes_by_rule}
        caption={`Findings each rule of ${runbook.title} would change`}
      />

      {result.scope.kind !== 'tenant' && (
        <PreflightTenantsReport
          key={result.preflight_id}
          preflightId={result.preflight_id}
          tenantsInScope={result.tenants_in_scope}
          tenantsWithChanges={result.tenants_with_changes}
          rules={runbook.rule_details}
        />
      )}

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
                const changed = changedFields(change.before, change.after);
                const context = (change.context ?? []).filter(
                  (field) => !changed.includes(field) && change.before?.[field] != null,
                );
                const fields = [...changed, ...context];
                return fields.map((field, index) => (
                  <tr key={`${change.finding_id}-${field}`}>
                    {index === 0 && (
                      <>
                        <td rowSpan={fields.length}>#{change.finding_id}</td>
                        <td rowSpan={fields.length}>{tenantName(change.tenant_id, change)}</td>
                        <td rowSpan={fields.length}>
                          {(change.rules ?? []).map((rule) => (
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
                      {context.includes(field) ? (
                        <span className="muted">unchanged</span>
                      ) : (
                        <Value value={change.after?.[field]} />
                      )}
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

/**
 * The preflight's scope in words (`scopeLabel`), a single tenant as "tenant Name (ext)" — named by
 * the view, or else by the tenant the operator picked.
 */
function scopeWords(scope: PreflightResult['scope'], picked: Pick<OpsTenant, 'id' | 'name' | 'external_id'> | null): string {
  if (scope.kind !== 'tenant') return scopeLabel(scope);
  const named = scope.tenant ?? (picked?.id === scope.tenant_id ? { ...picked } : null);
  return `tenant ${scopeLabel({ ...scope, tenant: named })}`;
}
