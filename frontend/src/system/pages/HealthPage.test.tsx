// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeBackend, json } from '../../test/fakeBackend';
import { renderSystem } from '../../test/renderSystem';
import { HealthPage } from './HealthPage';

// The page polls every few seconds; at 40 ms here so a test sees the gate change in real time.
vi.mock('../../lib/polling', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../lib/polling')>()),
  HEALTH_POLL_INTERVAL_MS: 40,
}));

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const FAILING = { name: 'external_check', value: 1, threshold: 0, available: true, over: true };
const PASSING = { ...FAILING, value: 0, over: false };

function gate(overrides: Record<string, unknown> = {}) {
  return {
    state: 'throttled',
    since: '2030-01-01T12:00:01Z',
    healthy_streak: 0,
    sampled_at: '2030-01-01T12:00:03Z',
    reason: FAILING,
    indicators: [FAILING],
    sample_every_seconds: 0.3,
    recovery_samples: 2,
    ...overrides,
  };
}

const at = (second: number) => `2030-01-01T12:00:0${second}Z`;
const sample = (second: number, reading: object) => ({ sampled_at: at(second), ...reading });

function show(routes: Parameters<typeof fakeBackend>[0]) {
  const backend = fakeBackend(routes);
  renderSystem(<HealthPage />, { path: '/ops/health' });
  return backend;
}

describe('HealthPage (docs/spec.md §14)', () => {
  it('shows a throttled gate: why, since when, how it recovers, and the indicator’s chart with the episode shaded', async () => {
    const backend = show({
      'GET /system/api/ops/health': () => json(200, gate({ healthy_streak: 1 })),
      'GET /system/api/ops/health/samples': () =>
        json(200, {
          items: [sample(0, PASSING), sample(1, FAILING), sample(2, FAILING), sample(3, FAILING)],
          episodes: [{ started_at: at(1), ended_at: null, indicator: 'external_check' }],
        }),
    });
    expect(await screen.findByRole('heading', { name: 'Database health', level: 1 })).toBeTruthy();
    const state = await screen.findByTestId('gate-state');
    expect(within(state).getByText('Throttled', { selector: '.badge' }).className).toBe('badge badge-gate-throttled');
    expect(state.textContent).toContain('No tenant starts: External health check failing.');
    expect(state.textContent).toContain('Throttled since 2030-01-01 12:00:01 UTC');
    expect(state.textContent).toContain('Tenants already running finish; no tenant of any run starts.');
    expect(state.textContent).toContain('The gate opens by itself after 2 healthy samples in a row (less than a second): 1 of 2 so far.');
    expect(state.textContent).toContain('What to do: Find out why the external health check (HEALTH_CHECK_URL) fails');
    expect(state.textContent).toContain('Last sampled 2030-01-01 12:00:03 UTC');
    expect(state.textContent).toContain('every 0.3 s');

    const indicator = screen.getByRole('article', { name: 'External health check external_check' });
    expect(within(indicator).getByText('over', { selector: '.badge' })).toBeTruthy();
    expect(indicator.textContent).toContain('Now failing · gates on a non-2xx answer, or none within 2 s');
    const chart = await within(indicator).findByRole('img');
    expect(chart.getAttribute('aria-label')).toBe(
      'Line chart of External health check: 4 samples from 12:00:00 to 12:00:03 UTC, last failing; failing in 3 of them; 1 throttled episode, still lasting.',
    );
    expect(chart.querySelectorAll('rect.health-episode')).toHaveLength(1);
    expect(chart.querySelector('rect.health-episode-lasting')).not.toBeNull();
    // Failing is up, passing down, in steps; no threshold line on the floor.
    expect(chart.querySelector('line.health-threshold')).toBeNull();
    expect(chart.querySelector('path.health-line')?.getAttribute('d')).toBe('M0 100 H200 V4.76 H400 V4.76 H600 V4.76');
    expect(indicator.querySelector('.health-chart-top')?.textContent).toBe('failing');
    expect(indicator.querySelector('.health-chart-bottom')?.textContent).toBe('passing');

    // The numbers, for a screen reader or a precise reading, once asked for.
    const details = within(indicator).getByText('Show the numbers').closest('details')!;
    expect(within(details).queryByRole('table')).toBeNull();
    details.open = true;
    fireEvent(details, new Event('toggle'));
    const table = await within(details).findByRole('table', { name: 'External health check: every sample of the last hour (UTC)' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((row) => row.textContent)).toEqual(['12:00:00passing—', '12:00:01failingover', '12:00:02failingover', '12:00:03failingover']);

    const episodes = screen.getByTestId('episodes');
    expect(within(episodes).getAllByRole('row')[1]!.textContent).toBe('12:00:01lasting2s so farExternal health check');
    expect(backend.unexpected).toEqual([]);
  });

  it('asks for the whole hour once, then only what is new, and follows the gate back to healthy', async () => {
    let gateNow = gate();
    let answer = {
      items: [sample(1, FAILING)],
      episodes: [{ started_at: at(1), ended_at: null as string | null, indicator: 'external_check' }],
    };
    const backend = show({
      'GET /system/api/ops/health': () => json(200, gateNow),
      'GET /system/api/ops/health/samples': () => json(200, answer),
    });
    await screen.findByText('lasting');
    // The gate opens: two healthy samples, and the episode ends.
    answer = {
      items: [sample(1, FAILING), sample(2, PASSING), sample(3, PASSING)],
      episodes: [{ started_at: at(1), ended_at: at(3), indicator: 'external_check' }],
    };
    gateNow = gate({ state: 'healthy', since: at(3), reason: null, healthy_streak: 2, indicators: [PASSING] });
    const state = screen.getByTestId('gate-state');
    await waitFor(() => expect(state.textContent).toContain('Tenants start: every indicator is within its threshold.'));
    expect(state.textContent).toContain('Healthy since 2030-01-01 12:00:03 UTC');
    await waitFor(() => expect(within(screen.getByTestId('episodes')).getAllByRole('row')[1]!.textContent).toBe('12:00:0112:00:032sExternal health check'));
    const chart = screen.getByRole('img');
    expect(chart.querySelectorAll('rect.health-episode')).toHaveLength(1);
    expect(chart.querySelector('rect.health-episode-lasting')).toBeNull();
    expect(chart.getAttribute('aria-label')).toContain('3 samples from 12:00:01 to 12:00:03 UTC, last passing');
    const sinces = backend.calls
      .filter((call) => call.path === '/system/api/ops/health/samples')
      .map((call) => call.url.searchParams.get('since'));
    expect(sinces[0]).toBeNull();
    expect(sinces.slice(1).every((since) => since === at(1) || since === at(3))).toBe(true);
  });

  it('says each PostgreSQL indicator against its threshold, "off", and "not readable: grant pg_monitor"', async () => {
    const readings = [
      { name: 'oldest_transaction_seconds', value: 12.4, threshold: 300, available: true, over: false },
      { name: 'replication_lag_seconds', value: null, threshold: 30, available: false, over: false },
      { name: 'lock_waiters', value: 0, threshold: 0, available: true, over: false },
      { name: 'wraparound_autovacuum', value: 0, threshold: 0, available: true, over: false },
    ];
    show({
      'GET /system/api/ops/health': () => json(200, gate({ state: 'healthy', reason: null, indicators: readings, sample_every_seconds: 5, recovery_samples: 3 })),
      'GET /system/api/ops/health/samples': () => json(200, { items: readings.map((reading) => sample(0, reading)), episodes: [] }),
    });
    const oldest = await screen.findByRole('article', { name: /^Oldest transaction of another client/ });
    expect(oldest.textContent).toContain('ok Now 12 s · threshold 300 s');
    expect(within(oldest).getByRole('img').getAttribute('aria-label')).toContain('1 sample at 12:00:00 UTC, all 12 s, last 12 s; threshold 300 s, over it in 0 of them');
    const lag = screen.getByRole('article', { name: /^Replication lag of a replica/ });
    expect(within(lag).getByText('not readable', { selector: '.badge' })).toBeTruthy();
    expect(lag.textContent).toContain('grant it pg_monitor');
    expect(lag.textContent).toContain('It does not gate meanwhile.');
    const locks = screen.getByRole('article', { name: /^Sessions waiting on a lock/ });
    expect(within(locks).getByText('off', { selector: '.badge' })).toBeTruthy();
    expect(locks.textContent).toContain('Now 0 sessions · threshold off');
    expect(within(locks).getByRole('img').closest('figure')!.querySelector('line.health-threshold')).toBeNull();
    expect(within(oldest).getByRole('img').closest('figure')!.querySelector('line.health-threshold')).not.toBeNull();
    const vacuum = screen.getByRole('article', { name: /^Anti-wraparound autovacuum/ });
    expect(vacuum.textContent).toContain('ok Now none running · any running gates');
    expect(screen.getByTestId('no-episodes').textContent).toBe('None: the gate has not held runs in the last hour.');
    expect(screen.getByTestId('gate-state').textContent).toContain('a worker samples every 5s');
  });

  it('explains a stale gate: no worker is sampling', async () => {
    show({
      'GET /system/api/ops/health': () => json(200, gate({ state: 'stale', reason: null, sampled_at: '2030-01-01T12:00:03Z', since: '2030-01-01T12:00:03Z' })),
      'GET /system/api/ops/health/samples': () => json(200, { items: [sample(3, FAILING)], episodes: [] }),
    });
    const state = await screen.findByTestId('gate-state');
    expect(within(state).getByText('Stale', { selector: '.badge' })).toBeTruthy();
    expect(state.textContent).toContain('No worker is sampling the database.');
    expect(state.textContent).toContain('The last sample was taken 2030-01-01 12:00:03 UTC');
    expect(state.textContent).toContain('holds nothing: tenants start, but nothing watches the database');
    expect(within(state).getByText('atlas-ops worker', { selector: 'code' })).toBeTruthy();
    expect(within(state).getByText('atlas-ops serve', { selector: 'code' })).toBeTruthy();
  });

  it('says when no indicator is watched (SQLite without HEALTH_CHECK_URL)', async () => {
    show({
      'GET /system/api/ops/health': () => json(200, gate({ state: 'healthy', reason: null, indicators: [] })),
      'GET /system/api/ops/health/samples': () => json(200, { items: [], episodes: [] }),
    });
    const empty = await screen.findByText('No indicators are watched');
    expect(empty.parentElement!.textContent).toContain('On SQLite without HEALTH_CHECK_URL there is none, and the gate never throttles.');
    expect(screen.queryByRole('img')).toBeNull();
  });

  it('says when there are no samples yet, and when the gate cannot be read', async () => {
    show({
      'GET /system/api/ops/health': () => json(200, gate({ state: 'healthy', reason: null, indicators: [PASSING] })),
      'GET /system/api/ops/health/samples': () => json(200, { items: [], episodes: [] }),
    });
    expect(await screen.findByText('No samples in the last hour')).toBeTruthy();
    expect(screen.queryByRole('img')).toBeNull();
    cleanup();

    show({
      'GET /system/api/ops/health': () =>
        new Response(JSON.stringify({ type: 'about:blank', title: 'Internal Server Error', status: 500 }), {
          status: 500,
          headers: { 'Content-Type': 'application/problem+json' },
        }),
      'GET /system/api/ops/health/samples': () => json(200, { items: [], episodes: [] }),
    });
    expect(await screen.findByRole('alert', {}, { timeout: 5000 })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Try again' })).toBeTruthy();
  });
});
