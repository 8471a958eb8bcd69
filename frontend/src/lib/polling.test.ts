import { describe, expect, it } from 'vitest';
import { RUN_POLL_INTERVAL_MS, refetchIntervalFor } from './polling';

describe('refetchIntervalFor', () => {
  it('polls every 2 s while the run is queued or running', () => {
    expect(RUN_POLL_INTERVAL_MS).toBe(2000);
    expect(refetchIntervalFor({ status: 'queued' })).toBe(2000);
    expect(refetchIntervalFor({ status: 'running' })).toBe(2000);
  });

  it('stops polling once the run is completed', () => {
    expect(refetchIntervalFor({ status: 'completed' })).toBe(false);
  });

  it('keeps polling a completed run while a retry or a revert of it is still active, for its outcome', () => {
    expect(refetchIntervalFor({ status: 'completed', retried_by: [], reverted_by: [] })).toBe(false);
    expect(refetchIntervalFor({ status: 'completed', reverted_by: [{ outcome: null }] })).toBe(2000);
    expect(refetchIntervalFor({ status: 'completed', retried_by: [{ outcome: 'failed' }, { outcome: null }] })).toBe(2000);
    expect(refetchIntervalFor({ status: 'completed', reverted_by: [{ outcome: 'succeeded' }] })).toBe(false);
  });

  it('does not poll before the run has loaded', () => {
    expect(refetchIntervalFor(undefined)).toBe(false);
  });
});
