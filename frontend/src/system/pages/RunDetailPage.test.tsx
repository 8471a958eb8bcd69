// @vitest-environment jsdom
import { cleanup, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeBackend, json } from '../../test/fakeBackend';
import { renderSystem } from '../../test/renderSystem';
import { RunDetailPage } from './RunDetailPage';

// Same stop rule as production, at 40 ms instead of 2 s so the test runs in real time.
vi.mock('../../lib/polling', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../lib/polling')>();
  return {
    ...original,
    refetchIntervalFor: (run: Parameters<typeof original.refetchIntervalFor>[0]) =>
      original.refetchIntervalFor(run) === false ? false : 40,
  };
});

function run(status: 'queued' | 'running' | 'completed', processed: number) {
  return {
    id: 9,
    runbook: 'findings.lifecycle.rebuild',
    runbook_version: 1,
    scope: { kind: 'all_tenants' },
    workspace_id: null,
    status,
    outcome: status === 'completed' ? 'succeeded' : null,
    source: 'system_ui',
    initiator: { id: 1, username: 'ada' },
    reason: { code: 'data_repair', text: 'Backfill after the import' },
    preflight_id: 'pf',
    counts: { total: 4, processed, succeeded: processed, failed: 0, skipped: 0, findings_changed: 3 },
    progress_percent: (processed / 4) * 100,
    eta_seconds: status === 'completed' ? null : 5,
    error_summary: null,
    cancel_reason: null,
    retry_of_run_id: null,
    created_at: '2030-01-01T00:00:00Z',
    started_at: '2030-01-01T00:00:01Z',
    completed_at: status === 'completed' ? '2030-01-01T00:00:09Z' : null,
    updated_at: '2030-01-01T00:00:09Z',
  };
}

const ITEMS = {
  items: [
    {
      id: 1,
      tenant_id: 5,
      tenant_external_id: 'tenant-005',
      status: 'failed',
      attempts: 3,
      findings_examined: 10,
      findings_changed: 0,
      changes_by_rule: null,
      error: 'lease expired',
      started_at: null,
      completed_at: null,
    },
  ],
  page: 1,
  per_page: 100,
  total: 1,
};

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('RunDetailPage polling', () => {
  it('polls while the run is active and stops once it is completed', async () => {
    const states = [run('queued', 0), run('running', 2), run('completed', 4)];
    let served = 0;
    const backend = fakeBackend({
      'GET /system/api/ops/runs/9': () => json(200, states[Math.min(served++, states.length - 1)]),
      'GET /system/api/ops/runs/9/items': () => json(200, ITEMS),
    });
    const { queryClient } = renderSystem(<RunDetailPage />, {
      path: '/ops/runs/9',
      route: '/ops/runs/:id',
    });
    const invalidate = vi.spyOn(queryClient, 'invalidateQueries');

    expect(await screen.findByText('Succeeded', { selector: '.run-status .badge' }, { timeout: 2000 })).toBeTruthy();
    const runCalls = () => backend.calls.filter((call) => call.path === '/system/api/ops/runs/9').length;
    expect(runCalls()).toBe(3);

    // Ten more intervals: no further request for the run.
    await new Promise((wait) => setTimeout(wait, 400));
    expect(runCalls()).toBe(3);
    expect(screen.getByRole('progressbar', { name: 'Run progress' }).getAttribute('value')).toBe('100');
    // Completion refreshes the bell at once rather than on its next 15 s poll.
    expect(invalidate).toHaveBeenCalledWith({ queryKey: ['notifications'] });
    // Failed items come with their error.
    await waitFor(() => expect(screen.getByText('lease expired')).toBeTruthy());
  });

  it('offers cancel only with ops.runs.cancel and while the run is active', async () => {
    fakeBackend({
      'GET /system/api/ops/runs/9': () => json(200, run('running', 1)),
      'GET /system/api/ops/runs/9/items': () => json(200, ITEMS),
    });
    renderSystem(<RunDetailPage />, {
      path: '/ops/runs/9',
      route: '/ops/runs/:id',
      capabilities: ['ops.runs.view'],
    });
    expect(await screen.findByText('Running', { selector: '.run-status .badge' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: /Cancel run/ })).toBeNull();
  });
});
