import { Fragment, type ReactNode } from 'react';
import {
  type ParameterErrors,
  type ParameterField,
  type ParameterValue,
  type ParameterValues,
  instantOf,
} from '../../lib/parameters';
import { formatTimestamp } from '../../lib/format';

/** The id of the control that takes focus for a field's error (its first input). */
export function parameterInputId(prefix: string, name: string): string {
  return `${prefix}-param-${name}`;
}

/** A description with its `code` spans (the schema's descriptions use Markdown backticks). */
function Described({ text }: { text: string }) {
  return (
    <>
      {text.split('`').map((part, index) =>
        index % 2 === 1 ? <code key={index}>{part}</code> : <Fragment key={index}>{part}</Fragment>,
      )}
    </>
  );
}

function RequiredMark({ required }: { required: boolean }) {
  return required ? <span className="required"> (required)</span> : null;
}

/**
 * The parameter inputs of a runbook, rendered from the fields of its JSON Schema
 * (`parameterFields`): a date-time as "older than N days" or a date (both 00:00 UTC), an array of
 * an enum as checkboxes, strings, numbers and booleans as their inputs. Renders nothing for a
 * runbook without parameters. `errors` (the client's or the server's, keyed by name) show beside
 * their field, which is marked `aria-invalid` and described by them.
 */
export function ParameterForm({
  idPrefix,
  fields,
  values,
  onChange,
  errors,
  now,
}: {
  idPrefix: string;
  fields: readonly ParameterField[];
  values: ParameterValues;
  onChange: (name: string, value: ParameterValue) => void;
  errors: ParameterErrors;
  /** The clock "older than N days" is counted from (the preview; the preflight takes its own). */
  now: Date;
}) {
  if (fields.length === 0) return null;
  return (
    <fieldset className="parameters">
      <legend>Parameters</legend>
      {fields.map((field) => {
        const value = values[field.name];
        const messages = errors[field.name];
        const errorId = `${idPrefix}-param-${field.name}-error`;
        const helpId = `${idPrefix}-param-${field.name}-help`;
        const describedBy = [field.description ? helpId : null, messages?.length ? errorId : null]
          .filter(Boolean)
          .join(' ') || undefined;
        const props: FieldProps = {
          field,
          inputId: parameterInputId(idPrefix, field.name),
          groupName: `${idPrefix}-param-${field.name}`,
          invalid: (messages?.length ?? 0) > 0,
          describedBy,
          onChange: (next) => onChange(field.name, next),
          now,
        };
        return (
          <div key={field.name} className="parameter">
            {renderField(props, value)}
            {field.description && (
              <p id={helpId} className="field-help">
                <Described text={field.description} />
              </p>
            )}
            {messages && messages.length > 0 && (
              <p id={errorId} className="field-error">
                {messages.join(' ')}
              </p>
            )}
          </div>
        );
      })}
    </fieldset>
  );
}

interface FieldProps {
  field: ParameterField;
  inputId: string;
  groupName: string;
  invalid: boolean;
  describedBy: string | undefined;
  onChange: (value: ParameterValue) => void;
  now: Date;
}

function renderField(props: FieldProps, value: ParameterValue | undefined): ReactNode {
  const { field, inputId, invalid, describedBy, onChange } = props;
  const aria = {
    'aria-invalid': invalid ? true : undefined,
    'aria-describedby': describedBy,
    'aria-required': field.required ? true : undefined,
  } as const;
  if (value?.kind === 'instant' && field.kind === 'instant') {
    return <InstantField {...props} value={value} />;
  }
  if (value?.kind === 'choices' && field.kind === 'choices') {
    return (
      <fieldset className="choices" aria-describedby={describedBy}>
        <legend>
          {field.label}
          <RequiredMark required={field.required || field.minItems > 0} />
        </legend>
        <div className="choice-row">
          {field.options.map((option, index) => (
            <label key={option} className="checkbox">
              <input
                type="checkbox"
                id={index === 0 ? inputId : undefined}
                value={option}
                checked={value.selected.includes(option)}
                aria-invalid={invalid ? true : undefined}
                onChange={(event) =>
                  onChange({
                    kind: 'choices',
                    selected: event.target.checked
                      ? field.options.filter((o) => o === option || value.selected.includes(o))
                      : value.selected.filter((o) => o !== option),
                  })
                }
              />
              {option}
            </label>
          ))}
        </div>
        {field.minItems > 0 && (
          <p className="field-help">
            {field.minItems === 1 ? 'Choose at least one.' : `Choose at least ${field.minItems}.`}
          </p>
        )}
      </fieldset>
    );
  }
  if (value?.kind === 'text' && field.kind === 'text') {
    return (
      <>
        <label htmlFor={inputId}>
          {field.label}
          <RequiredMark required={field.required} />
        </label>
        {field.options ? (
          <select
            id={inputId}
            value={value.text}
            {...aria}
            onChange={(event) => onChange({ kind: 'text', text: event.target.value })}
          >
            {!field.required && <option value="">(server default)</option>}
            {field.required && value.text === '' && <option value="">Choose…</option>}
            {field.options.map((option) => (
              <option key={option} value={option}>
                {option}
              </option>
            ))}
          </select>
        ) : (
          <input
            id={inputId}
            value={value.text}
            {...aria}
            onChange={(event) => onChange({ kind: 'text', text: event.target.value })}
          />
        )}
      </>
    );
  }
  if (value?.kind === 'number' && field.kind === 'number') {
    return (
      <>
        <label htmlFor={inputId}>
          {field.label}
          <RequiredMark required={field.required} />
        </label>
        <input
          id={inputId}
          className="input-short"
          inputMode={field.integer ? 'numeric' : 'decimal'}
          value={value.text}
          {...aria}
          onChange={(event) => onChange({ kind: 'number', text: event.target.value })}
        />
      </>
    );
  }
  if (value?.kind === 'boolean' && field.kind === 'boolean') {
    return (
      <label className="checkbox">
        <input
          type="checkbox"
          id={inputId}
          checked={value.checked}
          {...aria}
          onChange={(event) => onChange({ kind: 'boolean', checked: event.target.checked })}
        />
        {field.label}
      </label>
    );
  }
  return (
    <p id={inputId} tabIndex={-1}>
      <strong>{field.label}</strong>
      <RequiredMark required={field.required} />: this parameter cannot be set here; the CLI
      (<code>--param {field.name}=…</code>) can.
    </p>
  );
}

/** An instant: "older than N days" (00:00 UTC, N days ago) or a date (00:00 UTC that day). */
function InstantField(props: FieldProps & { value: Extract<ParameterValue, { kind: 'instant' }> }) {
  const { field, inputId, groupName, invalid, describedBy, onChange, value, now } = props;
  const instant = instantOf(value, now);
  const previewId = `${inputId}-preview`;
  const described = [previewId, describedBy].filter(Boolean).join(' ');
  const setMode = (mode: 'days' | 'date') => onChange({ ...value, mode });
  return (
    <fieldset className="instant">
      <legend>
        {field.label}
        <RequiredMark required={field.required} />
      </legend>
      <div className="instant-row">
        <label className="radio">
          <input
            type="radio"
            name={`${groupName}-mode`}
            value="days"
            checked={value.mode === 'days'}
            onChange={() => setMode('days')}
          />
          Older than
        </label>
        <input
          id={value.mode === 'days' ? inputId : `${inputId}-days`}
          className="input-short"
          inputMode="numeric"
          aria-label={`${field.label}: older than this many days`}
          disabled={value.mode !== 'days'}
          value={value.days}
          aria-invalid={invalid && value.mode === 'days' ? true : undefined}
          aria-describedby={described}
          aria-required={field.required ? true : undefined}
          onChange={(event) => onChange({ ...value, days: event.target.value })}
        />
        <span>days</span>
      </div>
      <div className="instant-row">
        <label className="radio">
          <input
            type="radio"
            name={`${groupName}-mode`}
            value="date"
            checked={value.mode === 'date'}
            onChange={() => setMode('date')}
          />
          Before the date
        </label>
        <input
          id={value.mode === 'date' ? inputId : `${inputId}-date`}
          type="date"
          className="input-date"
          aria-label={`${field.label}: date (00:00 UTC)`}
          disabled={value.mode !== 'date'}
          value={value.date}
          aria-invalid={invalid && value.mode === 'date' ? true : undefined}
          aria-describedby={described}
          aria-required={field.required ? true : undefined}
          onChange={(event) => onChange({ ...value, date: event.target.value })}
        />
      </div>
      <p id={previewId} className="field-help" aria-live="polite">
        {value.mode === 'days'
          ? '“Older than N days” means before 00:00 UTC on the day N days ago (UTC).'
          : 'From 00:00 UTC on that day.'}{' '}
        {instant !== null && (
          <>
            Cutoff: <strong>{formatTimestamp(instant)}</strong>.
          </>
        )}
      </p>
    </fieldset>
  );
}
