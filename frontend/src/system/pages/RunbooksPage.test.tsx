// @vitest-environment jsdom
import { cleanup, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeBackend, json } from '../../test/fakeBackend';
import { renderSystem } from '../../test/renderSystem';
import { RunbooksPage } from './RunbooksPage';

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

function entry(key: string, title: string, lastRun: unknown) {
  return {
    key,
    title,
    description: `${title}, described.`,
    version: 1,
    allowed_scopes: ['tenant', 'all_tenants'],
    run_on_deploy: false,
    rules: [],
    rule_details: [],
    parameters: { type: 'object', properties: {} },
    confirmation_verb: 'REBUILD',
    active_run: null,
    active_runs: [],
    last_run: lastRun,
  };
}

describe('RunbooksPage', () => {
  it("names each runbook's latest run with a link to it, or says it never ran", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-01-01T12:10:30Z'));
    const backend = fakeBackend({
      'GET /system/api/ops/runbooks': () =>
        json(200, {
          items: [
            entry('findings.lifecycle.rebuild', 'Rebuild Findings Lifecycle', {
              id: 12,
              status: 'completed',
              outcome: 'succeeded',
              completed_at: '2030-01-01T12:05:00Z',
            }),
            entry('findings.stale.close', 'Close Stale Findings', null),
            entry('custom.running', 'A Runbook In Flight', { id: 14, status: 'running', outcome: null, completed_at: null }),
          ],
        }),
    });
    renderSystem(<RunbooksPage />);
    const cards = await screen.findAllByTestId('last-run');
    expect(cards.map((card) => card.textContent)).toEqual([
      'Last run #12 · succeeded · 5 min ago',
      'Never run',
      'Last run #14 · running',
    ]);
    const link = within(cards[0]!).getByRole('link', { name: 'Last run #12' });
    expect(link.getAttribute('href')).toBe('/ops/runs/12');
    expect(within(cards[0]!).getByText('succeeded · 5 min ago').getAttribute('title')).toBe('2030-01-01 12:05:00 UTC');
    expect(within(cards[1]!).queryByRole('link')).toBeNull();
    expect(within(cards[2]!).getByRole('link', { name: 'Last run #14' }).getAttribute('href')).toBe('/ops/runs/14');
    expect(backend.unexpected).toEqual([]);
  });
});
