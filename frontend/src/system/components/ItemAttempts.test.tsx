// @vitest-environment jsdom
import { cleanup, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeBackend, json, problem } from '../../test/fakeBackend';
import { renderSystem } from '../../test/renderSystem';
import { ItemAttempts } from './ItemAttempts';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const ITEM = {
  id: 31,
  attempts: 2,
  status: 'succeeded' as const,
  tenant_name: 'Acme Tenant 5',
  tenant_external_id: 'tenant-005',
};
const PATH = 'GET /system/api/ops/runs/9/items/31/attempts';
const NOW = new Date('2030-01-01T12:10:30Z');

function show() {
  return renderSystem(<ItemAttempts runId={9} item={ITEM} now={NOW} id="attempts-31" />);
}

describe('ItemAttempts', () => {
  it('lists each attempt oldest first: number, outcome, start, duration, worker, error with its SQLSTATE', async () => {
    const backend = fakeBackend({
      [PATH]: () =>
        json(200, {
          items: [
            {
              attempt: 1,
              started_at: '2030-01-01T12:00:00Z',
              finished_at: '2030-01-01T12:00:03Z',
              error: 'canceling statement due to lock timeout',
              error_sqlstate: '55P03',
              worker: 'web-1 pid 4242 worker 0',
            },
            {
              attempt: 2,
              started_at: '2030-01-01T12:00:07Z',
              finished_at: '2030-01-01T12:01:12Z',
              error: null,
              error_sqlstate: null,
              worker: 'web-2 pid 77 worker 1',
            },
          ],
        }),
    });
    show();
    const list = await screen.findByRole('list', { name: 'Attempts of Acme Tenant 5 (tenant-005), oldest first' });
    const entries = within(list).getAllByRole('listitem');
    expect(entries).toHaveLength(2);
    const [first, second] = [entries[0]!, entries[1]!];
    expect(first.textContent).toContain('Attempt 1');
    expect(within(first).getByText('failed').className).toBe('badge badge-failed');
    expect(within(first).getByText('12:00:00 UTC').getAttribute('title')).toBe('2030-01-01 12:00:00 UTC');
    expect(first.textContent).toContain('3s');
    expect(within(first).getByText('web-1 pid 4242 worker 0').tagName).toBe('CODE');
    expect(first.textContent).toContain('canceling statement due to lock timeout (SQLSTATE 55P03)');
    expect(second.textContent).toContain('Attempt 2');
    expect(within(second).getByText('succeeded')).toBeTruthy();
    expect(second.textContent).toContain('1m 5s');
    expect(second.querySelector('.attempt-error')).toBeNull();
    expect(document.getElementById('attempts-31')).not.toBeNull();
    expect(backend.unexpected).toEqual([]);
  });

  it('shows a running attempt ticking to now, and says when there is none', async () => {
    fakeBackend({
      [PATH]: () =>
        json(200, {
          items: [
            { attempt: 1, started_at: '2030-01-01T12:10:00Z', finished_at: null, error: null, error_sqlstate: null, worker: null },
          ],
        }),
    });
    show();
    const entry = await screen.findByRole('listitem');
    expect(within(entry).getByText('running')).toBeTruthy();
    expect(entry.textContent).toContain('30s');
    expect(entry.textContent).toContain('unknown');
    cleanup();

    fakeBackend({ [PATH]: () => json(200, { items: [] }) });
    show();
    expect(await screen.findByText('No attempt recorded.')).toBeTruthy();
  });

  it('says why the attempts did not load, with a way to try again', async () => {
    let calls = 0;
    fakeBackend({ [PATH]: () => (calls++ === 0 ? problem(404, 'Not found') : json(200, { items: [] })) });
    show();
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Not found');
    within(alert).getByRole('button', { name: 'Try again' }).click();
    expect(await screen.findByText('No attempt recorded.')).toBeTruthy();
  });
});
