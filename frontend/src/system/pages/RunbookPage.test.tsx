// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBackend, json } from '../../test/fakeBackend';
import { renderSystem } from '../../test/renderSystem';
import { RunbookPage } from './RunbookPage';

const STALE_KEY = 'findings.stale.close';
const LIFECYCLE_KEY = 'findings.lifecycle.rebuild';

function runbookView(key: string) {
  const stale = key === STALE_KEY;
  return {
    key,
    title: stale ? 'Close Stale Findings' : 'Rebuild Findings Lifecycle',
    description: stale ? 'Closes open findings not seen since a cutoff.' : 'Repairs lifecycle fields.',
    version: 1,
    allowed_scopes: ['tenant', 'all_tenants'],
    run_on_deploy: !stale,
    rules: stale ? ['S1'] : ['R1', 'R2'],
    // The names and descriptions come from here only; the SPA has no list of its own.
    rule_details: stale
      ? [{ key: 'S1', name: 'close_stale', description: 'stale open findings are closed' }]
      : [
          { key: 'R1', name: 'first_seen', description: 'first_seen_at := coalesce(first_seen_at, created_at)' },
          { key: 'R2', name: 'last_seen_custom', description: 'a name no hard-coded list has' },
        ],
    parameters: stale
      ? {
          type: 'object',
          additionalProperties: false,
          properties: {
            last_seen_before: {
              type: 'string',
              format: 'date-time',
              description: 'Findings last seen before this instant are closed.',
            },
            severities: {
              type: 'array',
              items: { type: 'string', enum: ['low', 'medium', 'high', 'critical'] },
              minItems: 1,
            },
          },
          required: ['last_seen_before'],
        }
      : { type: 'object', properties: {}, additionalProperties: false },
    confirmation_verb: stale ? 'CLOSE STALE IN' : 'REBUILD',
    active_run: null,
    active_runs: [],
  };
}

function preflightResult(key: string, parameters: Record<string, unknown>) {
  return {
    preflight_id: 'pf-9',
    runbook: key,
    scope: { kind: 'all_tenants' },
    parameters,
    planned_at: '2026-11-30T20:12:51Z',
    tenants_in_scope: 25,
    tenants_with_changes: 3,
    findings_examined: 100,
    findings_to_change: 6,
    changes_by_rule: key === STALE_KEY ? { S1: 6 } : { R2: 6 },
    sample: [],
    estimated_seconds: 2,
    confirmation: { required: true, phrase: key === STALE_KEY ? 'CLOSE STALE IN 25 TENANTS' : 'REBUILD 25 TENANTS' },
    expires_at: '2026-11-30T20:27:51Z',
  };
}

function unprocessable(errors: Record<string, string[]>) {
  return new Response(
    JSON.stringify({ type: 'about:blank', title: 'Unprocessable Entity', status: 422, detail: 'invalid parameters', errors }),
    { status: 422, headers: { 'Content-Type': 'application/problem+json' } },
  );
}

function open(key: string) {
  return renderSystem(<RunbookPage />, { path: `/ops/runbooks/${key}`, route: '/ops/runbooks/:key' });
}

const preflightButton = () => screen.getByRole('button', { name: 'Preflight' });
const daysInput = () => screen.getByLabelText('Last seen before: older than this many days') as HTMLInputElement;
const dateInput = () => screen.getByLabelText('Last seen before: date (00:00 UTC)') as HTMLInputElement;
const checkbox = (name: string) => screen.getByRole('checkbox', { name }) as HTMLInputElement;

beforeEach(() => {
  // 2026-11-30 20:12 UTC: "older than 30 days" is 2026-10-31 00:00 UTC.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-11-30T20:12:51Z'));
});

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('RunbookPage: the parameter form from the runbook schema', () => {
  it('renders the date-time as "older than N days" or a date, the enum array as checked boxes, required marked', async () => {
    fakeBackend({ [`GET /system/api/ops/runbooks/${STALE_KEY}`]: () => json(200, runbookView(STALE_KEY)) });
    open(STALE_KEY);

    const parameters = await screen.findByRole('group', { name: 'Parameters' });
    const cutoff = within(parameters).getByRole('group', { name: 'Last seen before (required)' });
    expect(within(cutoff).getByRole('radio', { name: 'Older than' })).toHaveProperty('checked', true);
    expect(daysInput().disabled).toBe(false);
    expect(daysInput().getAttribute('aria-required')).toBe('true');
    expect(dateInput().disabled).toBe(true);
    expect(cutoff.textContent).toContain('before 00:00 UTC on the day N days ago');
    expect(parameters.textContent).toContain('Findings last seen before this instant are closed.');

    const severities = within(parameters).getByRole('group', { name: 'Severities (required)' });
    expect(within(severities).getAllByRole('checkbox').map((box) => [box.getAttribute('value'), (box as HTMLInputElement).checked])).toEqual([
      ['low', true],
      ['medium', true],
      ['high', true],
      ['critical', true],
    ]);

    // The cutoff the days stand for is shown as they are typed.
    fireEvent.change(daysInput(), { target: { value: '30' } });
    expect(cutoff.textContent).toContain('Cutoff: 2026-10-31 00:00:00 UTC.');
    fireEvent.click(within(cutoff).getByRole('radio', { name: 'Before the date' }));
    expect(dateInput().disabled).toBe(false);
    expect(daysInput().disabled).toBe(true);
  });

  it('keeps obviously incomplete input from the server and focuses the first field', async () => {
    const backend = fakeBackend({
      [`GET /system/api/ops/runbooks/${STALE_KEY}`]: () => json(200, runbookView(STALE_KEY)),
    });
    open(STALE_KEY);
    await screen.findByRole('group', { name: 'Parameters' });
    fireEvent.click(screen.getByRole('radio', { name: 'All tenants' }));
    for (const severity of ['low', 'medium', 'high', 'critical']) fireEvent.click(checkbox(severity));
    fireEvent.click(preflightButton());

    expect(screen.getByText('Enter a number of days.')).toBeTruthy();
    expect(screen.getByText('Choose at least one.', { selector: '.field-error' })).toBeTruthy();
    expect(document.activeElement).toBe(daysInput());
    expect(daysInput().getAttribute('aria-invalid')).toBe('true');
    expect(backend.calls.filter((call) => call.method === 'POST')).toHaveLength(0);

    // Fixing a field clears its message.
    fireEvent.change(daysInput(), { target: { value: '30' } });
    expect(screen.queryByText('Enter a number of days.')).toBeNull();
  });

  it('sends "older than N days" as an instant with the checked severities, and shows S1 against rule_details', async () => {
    const sent = { last_seen_before: '2026-10-31T00:00:00Z', severities: ['high', 'critical'] };
    const backend = fakeBackend({
      [`GET /system/api/ops/runbooks/${STALE_KEY}`]: () => json(200, runbookView(STALE_KEY)),
      [`POST /system/api/ops/runbooks/${STALE_KEY}/preflight`]: () => json(200, preflightResult(STALE_KEY, sent)),
    });
    open(STALE_KEY);
    await screen.findByRole('group', { name: 'Parameters' });
    fireEvent.click(screen.getByRole('radio', { name: 'All tenants' }));
    fireEvent.change(daysInput(), { target: { value: '30' } });
    fireEvent.click(checkbox('low'));
    fireEvent.click(checkbox('medium'));
    fireEvent.click(preflightButton());

    const result = await screen.findByRole('region', { name: 'Preflight result' });
    expect(backend.calls.find((call) => call.method === 'POST')?.body).toEqual({
      scope: { kind: 'all_tenants' },
      parameters: sent,
    });
    const table = within(result).getByRole('table', { name: /Findings each rule/ });
    expect(within(table).getAllByRole('row').slice(1).map((row) => row.textContent)).toEqual([
      'S1close_stalestale open findings are closed6',
    ]);
    expect(result.textContent).toContain('Planned at 2026-11-30 20:12:51 UTC');
    expect(within(result).getByText('Last seen before').nextElementSibling?.textContent).toBe('2026-10-31 00:00:00 UTC');
    expect(within(result).getByText('Severities').nextElementSibling?.textContent).toBe('high, critical');

    // The Start dialog names the runbook and uses the preflight's phrase.
    fireEvent.click(within(result).getByRole('button', { name: 'Start…' }));
    const dialog = screen.getByRole('dialog', { name: 'Start Close Stale Findings' });
    expect(within(dialog).getByText('CLOSE STALE IN 25 TENANTS')).toBeTruthy();

    // Changing a parameter throws the preflight away.
    fireEvent.keyDown(dialog, { key: 'Escape' });
    fireEvent.click(checkbox('low'));
    expect(screen.queryByRole('region', { name: 'Preflight result' })).toBeNull();
  });

  it("shows the server's errors beside their fields and focuses the first", async () => {
    fakeBackend({
      [`GET /system/api/ops/runbooks/${STALE_KEY}`]: () => json(200, runbookView(STALE_KEY)),
      [`POST /system/api/ops/runbooks/${STALE_KEY}/preflight`]: () =>
        unprocessable({
          'parameters.severities': ['must name at least one severity'],
          'parameters.last_seen_before': ['must be in the past'],
        }),
    });
    open(STALE_KEY);
    await screen.findByRole('group', { name: 'Parameters' });
    fireEvent.click(screen.getByRole('radio', { name: 'All tenants' }));
    fireEvent.click(screen.getByRole('radio', { name: 'Before the date' }));
    fireEvent.change(dateInput(), { target: { value: '2099-01-01' } });
    fireEvent.click(preflightButton());

    const message = await screen.findByText('must be in the past');
    expect(message.closest('.parameter')?.contains(dateInput())).toBe(true);
    expect(dateInput().getAttribute('aria-invalid')).toBe('true');
    expect(dateInput().getAttribute('aria-describedby')).toContain(message.id);
    await waitFor(() => expect(document.activeElement).toBe(dateInput()));
    const other = screen.getByText('must name at least one severity');
    expect(other.closest('.parameter')?.contains(checkbox('low'))).toBe(true);
    expect(screen.getByRole('alert').textContent).toContain('The server refused the parameters');
  });
});

describe('RunbookPage: a runbook without parameters', () => {
  it('renders no parameter form, sends {} and lists its rules from rule_details', async () => {
    const backend = fakeBackend({
      [`GET /system/api/ops/runbooks/${LIFECYCLE_KEY}`]: () => json(200, runbookView(LIFECYCLE_KEY)),
      [`POST /system/api/ops/runbooks/${LIFECYCLE_KEY}/preflight`]: () => json(200, preflightResult(LIFECYCLE_KEY, {})),
    });
    open(LIFECYCLE_KEY);
    const rules = await screen.findByRole('table', { name: 'Rules of Rebuild Findings Lifecycle' });
    expect(within(rules).getAllByRole('row').slice(1).map((row) => row.textContent)).toEqual([
      'R1first_seenfirst_seen_at := coalesce(first_seen_at, created_at)',
      'R2last_seen_customa name no hard-coded list has',
    ]);
    expect(screen.queryByRole('group', { name: 'Parameters' })).toBeNull();

    fireEvent.click(screen.getByRole('radio', { name: 'All tenants' }));
    fireEvent.click(preflightButton());
    const result = await screen.findByRole('region', { name: 'Preflight result' });
    expect(backend.calls.find((call) => call.method === 'POST')?.body).toEqual({
      scope: { kind: 'all_tenants' },
      parameters: {},
    });
    const counts = within(result).getByRole('table', { name: /Findings each rule/ });
    expect(within(counts).getAllByRole('row').slice(1).map((row) => row.lastElementChild?.textContent)).toEqual(['0', '6']);
    expect(within(result).queryByText('Last seen before')).toBeNull();
  });
});
