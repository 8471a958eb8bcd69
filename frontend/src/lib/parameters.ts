// A runbook's parameters, driven by the JSON Schema its view carries (`runbook.parameters`,
// docs/spec.md §12): which fields to render, their starting values, the object a preflight sends, and
// where the server's `errors["parameters.<name>"]` belong. Nothing here knows a runbook: a new
// runbook with a date-time string or a set of enum values gets its form without SPA changes.
//
// Client-side checks are only for obviously incomplete input (a required field left empty, no
// box ticked where the schema asks for `minItems`); everything else, such as "must be in the
// past", is the server's to say, and its 422 is shown beside the field.

import { formatTimestamp } from './format';

interface FieldBase {
  /** Property name, as sent and as the server keys its errors (`parameters.<name>`). */
  name: string;
  /** The schema's `title`, else the name in words (`last_seen_before` → "Last seen before"). */
  label: string;
  /** The schema's `description` on one line, or null. */
  description: string | null;
  /** Listed in the schema's `required`. */
  required: boolean;
}

/** One parameter as the form renders it. */
export type ParameterField =
  /** `type: string, format: date-time`: a date, or "older than N days". */
  | (FieldBase & { kind: 'instant' })
  /** `type: array` of a string `enum`: one checkbox per value. */
  | (FieldBase & { kind: 'choices'; options: string[]; minItems: number; defaults: string[] })
  /** `type: string` (a select when it has an `enum`). */
  | (FieldBase & { kind: 'text'; options: string[] | null; defaultValue: string })
  /** `type: integer` or `number`. */
  | (FieldBase & { kind: 'number'; integer: boolean; defaultValue: string })
  /** `type: boolean`. */
  | (FieldBase & { kind: 'boolean'; defaultValue: boolean })
  /** Anything else: shown, not editable here (the CLI takes it). */
  | (FieldBase & { kind: 'unsupported' });

/** How an instant is entered: N days back from now, or a calendar date (00:00 UTC). */
export type InstantMode = 'days' | 'date';

/** A field's current input, matching its field's `kind`. */
export type ParameterValue =
  | { kind: 'instant'; mode: InstantMode; days: string; date: string }
  | { kind: 'choices'; selected: string[] }
  | { kind: 'text'; text: string }
  | { kind: 'number'; text: string }
  | { kind: 'boolean'; checked: boolean }
  | { kind: 'unsupported' };

export type ParameterValues = Record<string, ParameterValue>;

/** Field errors keyed by parameter name. */
export type ParameterErrors = Record<string, string[]>;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeOf(schema: Json): string | null {
  const type = schema.type;
  if (typeof type === 'string') return type;
  // `["string", "null"]`: the non-null one.
  if (Array.isArray(type)) {
    const types = type.filter((t): t is string => typeof t === 'string' && t !== 'null');
    return types.length === 1 ? (types[0] ?? null) : null;
  }
  return null;
}

function stringEnum(schema: unknown): string[] | null {
  if (!isObject(schema) || !Array.isArray(schema.enum)) return null;
  const values = schema.enum.filter((v): v is string => typeof v === 'string');
  return values.length > 0 && values.length === schema.enum.length ? values : null;
}

/** `last_seen_before` → "Last seen before". */
export function humanize(name: string): string {
  const words = name.replace(/[_.-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The fields of a runbook's parameters schema, in the schema's property order. */
export function parameterFields(schema: unknown): ParameterField[] {
  if (!isObject(schema) || !isObject(schema.properties)) return [];
  const required = new Set(
    Array.isArray(schema.required) ? schema.required.filter((r) => typeof r === 'string') : [],
  );
  return Object.entries(schema.properties).map(([name, raw]): ParameterField => {
    const property = isObject(raw) ? raw : {};
    const base: FieldBase = {
      name,
      label: typeof property.title === 'string' && property.title ? property.title : humanize(name),
      description:
        typeof property.description === 'string'
          ? property.description.replace(/\s+/g, ' ').trim() || null
          : null,
      required: required.has(name),
    };
    const type = typeOf(property);
    if (type === 'string' && property.format === 'date-time') return { ...base, kind: 'instant' };
    if (type === 'array') {
      const options = stringEnum(property.items);
      if (options) {
        const defaults = Array.isArray(property.default)
          ? options.filter((option) => (property.default as unknown[]).includes(option))
          : options;
        const minItems = typeof property.minItems === 'number' ? property.minItems : 0;
        return { ...base, kind: 'choices', options, minItems, defaults };
      }
    }
    if (type === 'string') {
      return {
        ...base,
        kind: 'text',
        options: stringEnum(property),
        defaultValue: typeof property.default === 'string' ? property.default : '',
      };
    }
    if (type === 'integer' || type === 'number') {
      return {
        ...base,
        kind: 'number',
        integer: type === 'integer',
        defaultValue: typeof property.default === 'number' ? String(property.default) : '',
      };
    }
    if (type === 'boolean') {
      return { ...base, kind: 'boolean', defaultValue: property.default === true };
    }
    return { ...base, kind: 'unsupported' };
  });
}

/** Starting values: "older than N days" (N empty) for instants, every choice ticked unless the
 * schema's `default` says otherwise, the schema's defaults elsewhere. */
export function initialValues(fields: readonly ParameterField[]): ParameterValues {
  const values: ParameterValues = {};
  for (const field of fields) {
    switch (field.kind) {
      case 'instant':
        values[field.name] = { kind: 'instant', mode: 'days', days: '', date: '' };
        break;
      case 'choices':
        values[field.name] = { kind: 'choices', selected: [...field.defaults] };
        break;
      case 'text':
        values[field.name] = { kind: 'text', text: field.defaultValue };
        break;
      case 'number':
        values[field.name] = { kind: 'number', text: field.defaultValue };
        break;
      case 'boolean':
        values[field.name] = { kind: 'boolean', checked: field.defaultValue };
        break;
      case 'unsupported':
        values[field.name] = { kind: 'unsupported' };
        break;
    }
  }
  return values;
}

const DAY_MS = 86_400_000;

/**
 * "Older than N days" as an instant: 00:00 UTC of the day N days before `now` (UTC), so the
 * cutoff is a whole day that does not move with the minute the preflight is made. With N = 30
 * on 2026-11-30 at 20:12 UTC: `2026-10-31T00:00:00Z`.
 */
export function olderThanDaysInstant(days: number, now: Date): string {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return `${new Date(midnight - days * DAY_MS).toISOString().slice(0, 10)}T00:00:00Z`;
}

/** A calendar date (`YYYY-MM-DD`, from a date input) as 00:00 UTC of that day. */
export function dateInstant(date: string): string | null {
  return /^\d{4}-\d{2}-\d{2}$/.test(date) && !Number.isNaN(Date.parse(`${date}T00:00:00Z`))
    ? `${date}T00:00:00Z`
    : null;
}

/** The number of days typed, when it is a whole number of at least 1. */
export function parseDays(text: string): number | null {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return null;
  const days = Number(trimmed);
  return Number.isSafeInteger(days) && days >= 1 ? days : null;
}

/** The instant an instant field stands for now, or null while it is incomplete. */
export function instantOf(value: Extract<ParameterValue, { kind: 'instant' }>, now: Date): string | null {
  if (value.mode === 'date') return dateInstant(value.date);
  const days = parseDays(value.days);
  return days === null ? null : olderThanDaysInstant(days, now);
}

export type BuiltParameters =
  | { ok: true; parameters: Record<string, unknown> }
  | { ok: false; errors: ParameterErrors };

/**
 * The `parameters` object of a preflight, with "older than N days" turned into an instant as of
 * `now`; or the fields that are obviously incomplete. Optional fields left empty are left out,
 * so the server fills in its defaults.
 */
export function buildParameters(
  fields: readonly ParameterField[],
  values: ParameterValues,
  now: Date,
): BuiltParameters {
  const parameters: Record<string, unknown> = {};
  const errors: ParameterErrors = {};
  const fail = (name: string, message: string) => {
    errors[name] = [message];
  };
  for (const field of fields) {
    const value = values[field.name];
    if (value === undefined || value.kind !== field.kind) {
      if (field.required) fail(field.name, 'Required.');
      continue;
    }
    switch (value.kind) {
      case 'instant': {
        const empty = value.mode === 'days' ? value.days.trim() === '' : value.date === '';
        if (empty) {
          if (field.required) {
            fail(field.name, value.mode === 'days' ? 'Enter a number of days.' : 'Choose a date.');
          }
          break;
        }
        const instant = instantOf(value, now);
        if (instant === null) {
          fail(
            field.name,
            value.mode === 'days' ? 'Enter a whole number of days, 1 or more.' : 'Choose a date.',
          );
        } else {
          parameters[field.name] = instant;
        }
        break;
      }
      case 'choices': {
        const options = field.kind === 'choices' ? field.options : [];
        const min = field.kind === 'choices' ? field.minItems : 0;
        const selected = options.filter((option) => value.selected.includes(option));
        if (selected.length < min) {
          fail(field.name, min === 1 ? 'Choose at least one.' : `Choose at least ${min}.`);
        } else if (selected.length > 0 || field.required) {
          parameters[field.name] = selected;
        }
        break;
      }
      case 'text':
        if (value.text.trim() === '') {
          if (field.required) fail(field.name, 'Required.');
        } else {
          parameters[field.name] = value.text;
        }
        break;
      case 'number': {
        const text = value.text.trim();
        if (text === '') {
          if (field.required) fail(field.name, 'Required.');
          break;
        }
        const number = Number(text);
        const integer = field.kind === 'number' && field.integer;
        if (!Number.isFinite(number) || (integer && !Number.isInteger(number))) {
          fail(field.name, integer ? 'Enter a whole number.' : 'Enter a number.');
        } else {
          parameters[field.name] = number;
        }
        break;
      }
      case 'boolean':
        parameters[field.name] = value.checked;
        break;
      case 'unsupported':
        if (field.required) fail(field.name, 'This parameter cannot be set here; use the CLI.');
        break;
    }
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, parameters };
}

/**
 * A 422's `errors` split into the parameter fields' (`parameters.<name>` of a known field, keyed
 * by `<name>`) and the rest (keyed as the server sent them: `scope`, `parameters`, a parameter
 * the form does not have).
 */
export function splitParameterErrors(
  errors: Record<string, string[]>,
  fields: readonly Pick<ParameterField, 'name'>[],
): { fields: ParameterErrors; other: Record<string, string[]> } {
  const names = new Set(fields.map((field) => field.name));
  const byField: ParameterErrors = {};
  const other: Record<string, string[]> = {};
  for (const [key, messages] of Object.entries(errors)) {
    const name = key.startsWith('parameters.') ? key.slice('parameters.'.length) : null;
    if (name !== null && names.has(name)) byField[name] = [...(byField[name] ?? []), ...messages];
    else other[key] = messages;
  }
  return { fields: byField, other };
}

/** The first field, in form order, that has an error. */
export function firstErrorField(
  fields: readonly Pick<ParameterField, 'name'>[],
  errors: ParameterErrors,
): string | null {
  return fields.find((field) => (errors[field.name]?.length ?? 0) > 0)?.name ?? null;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function formatValue(value: unknown, instant: boolean): string {
  if (typeof value === 'string') {
    return instant || RFC3339.test(value) ? formatTimestamp(value) : value;
  }
  if (Array.isArray(value)) return value.map((item) => formatValue(item, false)).join(', ');
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (value === null || value === undefined) return '—';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * Parameters as the operator reads them, `[label, value]` in the schema's order (then any the
 * schema does not name): instants in UTC, lists comma-separated. Without a schema (a run page
 * whose viewer may not read the runbook), names are put in words and RFC 3339 strings read as
 * instants.
 */
export function describeParameters(
  parameters: Record<string, unknown> | null | undefined,
  schema?: unknown,
): [string, string][] {
  if (!parameters) return [];
  const fields = parameterFields(schema);
  const known = new Map(fields.map((field) => [field.name, field]));
  const names = [
    ...fields.map((field) => field.name).filter((name) => name in parameters),
    ...Object.keys(parameters).filter((name) => !known.has(name)),
  ];
  return names.map((name) => {
    const field = known.get(name);
    return [field?.label ?? humanize(name), formatValue(parameters[name], field?.kind === 'instant')];
  });
}

/** One sentence: "Last seen before 2026-10-31 00:00:00 UTC; severities high, critical". */
export function parametersSentence(
  parameters: Record<string, unknown> | null | undefined,
  schema?: unknown,
): string {
  return describeParameters(parameters, schema)
    .map(([label, value], index) => `${index === 0 ? label : label.charAt(0).toLowerCase() + label.slice(1)} ${value}`)
    .join('; ');
}
