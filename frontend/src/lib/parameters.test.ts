import { describe, expect, it } from 'vitest';
import {
  buildParameters,
  dateInstant,
  describeParameters,
  firstErrorField,
  initialValues,
  olderThanDaysInstant,
  parameterFields,
  parametersSentence,
  splitParameterErrors,
} from './parameters';

/** `parameters` of `GET /ops/runbooks/findings.stale.close`, as the server sends it. */
const STALE_SCHEMA = {
  additionalProperties: false,
  description: 'The parameters of Close Stale Findings.',
  properties: {
    last_seen_before: {
      description:
        'Findings whose `coalesce(last_seen_at, first_seen_at, created_at)` is before this\ninstant are closed. RFC 3339; must be in the past when the preflight is made.',
      format: 'date-time',
      type: 'string',
    },
    severities: {
      description: 'The severities to close: a non-empty subset of `low`, `medium`, `high`, `critical`\n(default: all four).',
      items: { description: 'A finding severity.', enum: ['low', 'medium', 'high', 'critical'], type: 'string' },
      minItems: 1,
      type: 'array',
    },
  },
  required: ['last_seen_before'],
  type: 'object',
};

/** Runbook 1's: no parameters. */
const EMPTY_SCHEMA = { additionalProperties: false, properties: {}, type: 'object' };

// 2026-11-30 20:12:51 UTC, the clock of a preflight.
const NOW = new Date('2026-11-30T20:12:51.820Z');

describe('parameterFields', () => {
  it('renders nothing for a runbook without parameters', () => {
    expect(parameterFields(EMPTY_SCHEMA)).toEqual([]);
    expect(parameterFields(undefined)).toEqual([]);
    expect(parameterFields({ type: 'object' })).toEqual([]);
  });

  it('reads a date-time string as an instant and an array of an enum as choices', () => {
    const [instant, choices] = parameterFields(STALE_SCHEMA);
    expect(instant).toEqual({
      kind: 'instant',
      name: 'last_seen_before',
      label: 'Last seen before',
      description:
        'Findings whose `coalesce(last_seen_at, first_seen_at, created_at)` is before this instant are closed. RFC 3339; must be in the past when the preflight is made.',
      required: true,
    });
    expect(choices).toMatchObject({
      kind: 'choices',
      name: 'severities',
      label: 'Severities',
      required: false,
      options: ['low', 'medium', 'high', 'critical'],
      minItems: 1,
      // No `default` in the schema: every value ticked, as the server's default.
      defaults: ['low', 'medium', 'high', 'critical'],
    });
  });

  it('follows the schema for other types: title, enum strings, integers, booleans, a default', () => {
    const fields = parameterFields({
      type: 'object',
      properties: {
        mode: { type: 'string', enum: ['fast', 'safe'], title: 'Mode of operation' },
        batch: { type: ['integer', 'null'], default: 500 },
        dry: { type: 'boolean', default: true },
        tiers: { type: 'array', items: { enum: ['a', 'b', 'c'] }, default: ['b'] },
        blob: { type: 'object' },
      },
      required: ['mode'],
    });
    expect(fields.map((field) => [field.name, field.kind, field.label, field.required])).toEqual([
      ['mode', 'text', 'Mode of operation', true],
      ['batch', 'number', 'Batch', false],
      ['dry', 'boolean', 'Dry', false],
      ['tiers', 'choices', 'Tiers', false],
      ['blob', 'unsupported', 'Blob', false],
    ]);
    expect(initialValues(fields)).toEqual({
      mode: { kind: 'text', text: '' },
      batch: { kind: 'number', text: '500' },
      dry: { kind: 'boolean', checked: true },
      tiers: { kind: 'choices', selected: ['b'] },
      blob: { kind: 'unsupported' },
    });
  });
});

describe('initialValues', () => {
  it('starts with "older than N days" (empty) and every severity checked', () => {
    expect(initialValues(parameterFields(STALE_SCHEMA))).toEqual({
      last_seen_before: { kind: 'instant', mode: 'days', days: '', date: '' },
      severities: { kind: 'choices', selected: ['low', 'medium', 'high', 'critical'] },
    });
  });
});

describe('"older than N days"', () => {
  it('is 00:00 UTC of the day N days before now (UTC)', () => {
    expect(olderThanDaysInstant(30, NOW)).toBe('2026-10-31T00:00:00Z');
    expect(olderThanDaysInstant(1, NOW)).toBe('2026-11-29T00:00:00Z');
    // Across a year and a leap day, and whatever the minute.
    expect(olderThanDaysInstant(365, new Date('2025-03-01T23:59:59Z'))).toBe('2024-03-01T00:00:00Z');
    expect(olderThanDaysInstant(1, new Date('2024-03-01T00:00:00Z'))).toBe('2024-02-29T00:00:00Z');
  });

  it('reads a date as 00:00 UTC of that day', () => {
    expect(dateInstant('2026-10-31')).toBe('2026-10-31T00:00:00Z');
    expect(dateInstant('')).toBeNull();
    expect(dateInstant('31.10.2026')).toBeNull();
  });
});

describe('buildParameters', () => {
  const fields = parameterFields(STALE_SCHEMA);

  it('turns "older than N days" into an instant and sends the checked severities in schema order', () => {
    const values = {
      last_seen_before: { kind: 'instant' as const, mode: 'days' as const, days: ' 30 ', date: '' },
      severities: { kind: 'choices' as const, selected: ['critical', 'high'] },
    };
    expect(buildParameters(fields, values, NOW)).toEqual({
      ok: true,
      parameters: { last_seen_before: '2026-10-31T00:00:00Z', severities: ['high', 'critical'] },
    });
  });

  it('sends a chosen date as 00:00 UTC, even one in the future (the server says whether it is allowed)', () => {
    const values = {
      ...initialValues(fields),
      last_seen_before: { kind: 'instant' as const, mode: 'date' as const, days: '30', date: '2099-01-01' },
    };
    expect(buildParameters(fields, values, NOW)).toEqual({
      ok: true,
      parameters: {
        last_seen_before: '2099-01-01T00:00:00Z',
        severities: ['low', 'medium', 'high', 'critical'],
      },
    });
  });

  it('refuses only obviously incomplete input: no cutoff, no whole number of days, no severity', () => {
    const empty = initialValues(fields);
    expect(buildParameters(fields, empty, NOW)).toEqual({
      ok: false,
      errors: { last_seen_before: ['Enter a number of days.'] },
    });
    for (const days of ['0', '-3', '2.5', 'thirty']) {
      const result = buildParameters(
        fields,
        { ...empty, last_seen_before: { kind: 'instant', mode: 'days', days, date: '' } },
        NOW,
      );
      expect(result).toEqual({
        ok: false,
        errors: { last_seen_before: ['Enter a whole number of days, 1 or more.'] },
      });
    }
    const noneChecked = buildParameters(
      fields,
      {
        last_seen_before: { kind: 'instant', mode: 'date', days: '', date: '' },
        severities: { kind: 'choices', selected: [] },
      },
      NOW,
    );
    expect(noneChecked).toEqual({
      ok: false,
      errors: { last_seen_before: ['Choose a date.'], severities: ['Choose at least one.'] },
    });
  });

  it('sends {} for a runbook without parameters', () => {
    expect(buildParameters([], {}, NOW)).toEqual({ ok: true, parameters: {} });
  });
});

describe('server errors', () => {
  const fields = parameterFields(STALE_SCHEMA);

  it('maps errors["parameters.<name>"] to its field and keeps the rest', () => {
    const errors = {
      'parameters.last_seen_before': ['must be in the past'],
      'parameters.severities': ['must name at least one severity'],
      'parameters.colour': ['unknown parameter'],
      scope: ['the platform tenant cannot be targeted'],
    };
    expect(splitParameterErrors(errors, fields)).toEqual({
      fields: {
        last_seen_before: ['must be in the past'],
        severities: ['must name at least one severity'],
      },
      other: {
        'parameters.colour': ['unknown parameter'],
        scope: ['the platform tenant cannot be targeted'],
      },
    });
  });

  it('names the first field with an error in form order, to take focus', () => {
    expect(firstErrorField(fields, { severities: ['x'], last_seen_before: ['y'] })).toBe('last_seen_before');
    expect(firstErrorField(fields, { severities: ['x'] })).toBe('severities');
    expect(firstErrorField(fields, {})).toBeNull();
  });
});

describe('describeParameters', () => {
  const parameters = { last_seen_before: '2026-10-31T00:00:00Z', severities: ['high', 'critical'] };

  it('reads the parameters being confirmed in the schema order, instants in UTC', () => {
    expect(describeParameters(parameters, STALE_SCHEMA)).toEqual([
      ['Last seen before', '2026-10-31 00:00:00 UTC'],
      ['Severities', 'high, critical'],
    ]);
    expect(parametersSentence(parameters, STALE_SCHEMA)).toBe(
      'Last seen before 2026-10-31 00:00:00 UTC; severities high, critical',
    );
  });

  it('reads without a schema too, and is empty for {}', () => {
    expect(describeParameters({ severities: ['low'], last_seen_before: '2026-10-31T00:00:00Z' })).toEqual([
      ['Severities', 'low'],
      ['Last seen before', '2026-10-31 00:00:00 UTC'],
    ]);
    expect(describeParameters({}, EMPTY_SCHEMA)).toEqual([]);
    expect(parametersSentence({})).toBe('');
  });
});
