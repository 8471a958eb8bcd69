import type { ReactNode } from 'react';
import type { OpsTenant } from '../../api/types';
import { DRIFT_GUARD_FIELD, MAX_CONCURRENCY, OPTION_FIELDS, type OptionErrors, type OptionsDraft } from '../../lib/control';
import { tenantLabel } from '../../lib/format';
import { errorMessage } from '../../lib/errors';

/** Canary tenants named by the "found" line; beyond, a count. */
const CANARY_SHOWN = 5;

/** The canary lookup as the field shows it. */
export interface CanaryState {
  /** The lookup is under way. */
  pending: boolean;
  /** The lookup failed (network, 422). */
  error: Error | null;
  /** What keeps the looked-up tenants out (not found, not in scope). */
  problem: string | null;
  /** The tenants found, in the order given, once every id is a tenant in scope. */
  found: Pick<OpsTenant, 'id' | 'name' | 'external_id'>[] | null;
}

/** The id of an option's input, for labels and for focus. */
export function optionInputId(ids: string, field: keyof OptionsDraft): string {
  return `${ids}-option-${field}`;
}

/** The drift guard's one line of help in the Start dialog (docs/spec.md §15). */
export const DRIFT_GUARD_HELP =
  'Fail a tenant, untouched, when it would change far more rows than this preflight predicted.';

/** The id of the drift guard's checkbox. */
export function driftGuardInputId(ids: string): string {
  return `${ids}-option-drift-guard`;
}

/**
 * The "Advanced" section of the Start, Retry and Revert dialogs (docs/spec.md §13, §15):
 * collapsed by default, a disclosure, with the options of run control, each with one plain
 * sentence saying what it does, and the drift guard, on unless unticked. Waves and canary
 * tenants need more than one tenant in scope: for one tenant they are left out, with the reason.
 * Canary tenants are offered where the dialog can look them up against its scope (`canary`; the
 * Start dialog), else left out. `errors` are the client's checks (shown once a field is left, or
 * after a Start), `serverErrors` the 422's `options.*` messages, each beside its field.
 */
export function RunOptionsFields({
  ids,
  open,
  onToggle,
  draft,
  onChange,
  onBlur,
  errors,
  serverErrors,
  stages,
  tenantsInScope,
  canary = null,
  driftGuard,
  onDriftGuard,
  driftGuardHelp = DRIFT_GUARD_HELP,
}: {
  ids: string;
  open: boolean;
  onToggle: () => void;
  draft: OptionsDraft;
  onChange: (draft: OptionsDraft) => void;
  onBlur: (field: keyof OptionsDraft) => void;
  /** The client's messages to show now, by field. */
  errors: OptionErrors;
  serverErrors: Record<string, string[]>;
  /** Whether the scope takes waves and canary tenants (more than one tenant). */
  stages: boolean;
  tenantsInScope: number;
  /** The canary lookup; null: canary tenants are not offered here. */
  canary?: CanaryState | null;
  /** Whether the drift guard is on (the default). */
  driftGuard: boolean;
  onDriftGuard: (on: boolean) => void;
  /** The drift guard's help line: what "predicted" means in this dialog. */
  driftGuardHelp?: ReactNode;
}) {
  const offered = (Object.keys(OPTION_FIELDS) as (keyof OptionsDraft)[]).filter(
    (field) => field !== 'canary' || canary !== null,
  );
  const toFix =
    offered.filter((field) => errors[field] !== undefined || serverErrors[OPTION_FIELDS[field]] !== undefined).length +
    (serverErrors[DRIFT_GUARD_FIELD] !== undefined ? 1 : 0);
  const set =
    offered.filter((field) => draft[field].trim() !== '').length + (driftGuard ? 0 : 1);
  const names = ['concurrency', 'failure budget', 'waves', ...(canary !== null ? ['canary tenants'] : []), 'drift guard'];
  const driftId = driftGuardInputId(ids);
  const driftServer = serverErrors[DRIFT_GUARD_FIELD];
  const field = (
    name: keyof OptionsDraft,
    label: string,
    help: ReactNode,
    input: (props: {
      id: string;
      value: string;
      'aria-invalid': true | undefined;
      'aria-describedby': string;
      onChange: (event: { target: { value: string } }) => void;
      onBlur: () => void;
    }) => ReactNode,
    note?: ReactNode,
  ) => {
    const id = optionInputId(ids, name);
    const client = errors[name];
    const server = serverErrors[OPTION_FIELDS[name]];
    const invalid = client !== undefined || server !== undefined;
    return (
      <div className="option-field">
        <label htmlFor={id}>{label}</label>
        {input({
          id,
          value: draft[name],
          'aria-invalid': invalid ? true : undefined,
          'aria-describedby': [`${id}-help`, client ? `${id}-error` : null, server ? `${id}-server` : null, note ? `${id}-note` : null]
            .filter(Boolean)
            .join(' '),
          onChange: (event) => onChange({ ...draft, [name]: event.target.value }),
          onBlur: () => onBlur(name),
        })}
        <p id={`${id}-help`} className="field-help">
          {help}
        </p>
        {client && (
          <p id={`${id}-error`} className="field-error">
            {client}
          </p>
        )}
        {server && (
          <p id={`${id}-server`} className="field-error">
            {server.join(' ')}
          </p>
        )}
        {note && (
          <div id={`${id}-note`} aria-live="polite">
            {note}
          </div>
        )}
      </div>
    );
  };

  return (
    <div className="advanced-options">
      <button
        type="button"
        className="disclosure"
        aria-expanded={open}
        aria-controls={`${ids}-advanced`}
        onClick={onToggle}
      >
        Advanced: {names.join(', ')}
        {!open && set > 0 && ` (${set} set)`}
        {!open && toFix > 0 && ` — ${toFix} to fix`}
      </button>
      {open && (
        <fieldset id={`${ids}-advanced`}>
          <legend className="visually-hidden">Run control options</legend>
          {field(
            'maxConcurrency',
            'Max concurrency',
            <>
              At most this many tenants are repaired at the same time, across all workers (1–{MAX_CONCURRENCY}).
              Leave empty for no limit.
            </>,
            (props) => <input {...props} className="input-short" inputMode="numeric" autoComplete="off" />,
          )}
          {field(
            'maxFailed',
            'Failure budget',
            <>
              Pause the run by itself when more than this many tenants have failed, so you can look
              before it goes on (0: at the first failure). Leave empty for no budget.
            </>,
            (props) => <input {...props} className="input-short" inputMode="numeric" autoComplete="off" />,
          )}
          {stages ? (
            <>
              {field(
                'waves',
                'Waves',
                <>
                  Run in stages: e.g. <code>5, 50</code> repairs 5 tenants, pauses for you to check,
                  then up to 50, pauses, then the rest. Each number is a count of tenants from the
                  start, below the {tenantsInScope} in scope.
                </>,
                (props) => <input {...props} className="input-medium" autoComplete="off" spellCheck={false} placeholder="5, 50" />,
              )}
              {canary !== null &&
                field(
                  'canary',
                  'Canary tenants',
                  <>
                    These tenants go first, in this order (external ids, separated by commas or new
                    lines).
                  </>,
                  (props) => (
                    <textarea {...props} rows={2} autoComplete="off" spellCheck={false} placeholder="tenant-001, tenant-002" />
                  ),
                  <CanaryNote canary={canary} />,
                )}
            </>
          ) : (
            <p className="field-help" data-testid="stages-unavailable">
              {canary !== null ? 'Waves and canary tenants need' : 'Waves need'} more than one tenant in scope;
              this run covers one tenant.
            </p>
          )}
          <div className="option-field drift-guard">
            <label className="checkbox" htmlFor={driftId}>
              <input
                id={driftId}
                type="checkbox"
                checked={driftGuard}
                aria-invalid={driftServer ? true : undefined}
                aria-describedby={[`${driftId}-help`, driftGuard ? null : `${driftId}-off`, driftServer ? `${driftId}-server` : null]
                  .filter(Boolean)
                  .join(' ')}
                onChange={(event) => onDriftGuard(event.target.checked)}
              />
              Drift guard
            </label>
            <p id={`${driftId}-help`} className="field-help">
              {driftGuardHelp}
            </p>
            {!driftGuard && (
              <p id={`${driftId}-off`} className="field-help drift-guard-off">
                Off for this run: every tenant is written, however many rows it changes. Turning it
                off is recorded in the audit log.
              </p>
            )}
            {driftServer && (
              <p id={`${driftId}-server`} className="field-error">
                {driftServer.join(' ')}
              </p>
            )}
          </div>
        </fieldset>
      )}
    </div>
  );
}

/** What the canary lookup found: the tenants, in order, or why they cannot go first. */
function CanaryNote({ canary }: { canary: CanaryState }) {
  if (canary.pending) return <p className="field-help">Looking the canary tenants up…</p>;
  if (canary.error) {
    return <p className="field-error">The canary tenants could not be looked up: {errorMessage(canary.error)}</p>;
  }
  if (canary.problem) return <p className="field-error">{canary.problem}</p>;
  if (canary.found && canary.found.length > 0) {
    const shown = canary.found.slice(0, CANARY_SHOWN);
    return (
      <p className="field-help canary-found">
        First, in this order: {shown.map((tenant) => tenantLabel(tenant)).join(', ')}
        {canary.found.length > CANARY_SHOWN && ` and ${canary.found.length - CANARY_SHOWN} more`}.
      </p>
    );
  }
  return null;
}
