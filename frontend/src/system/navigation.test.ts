import { describe, expect, it } from 'vitest';
import { homePathFor, visibleNavItems } from './navigation';

const labels = (caps: Parameters<typeof visibleNavItems>[0]) =>
  visibleNavItems(caps).map((item) => item.label);

describe('visibleNavItems', () => {
  it('shows every page to an operator with all view capabilities', () => {
    expect(labels(['ops.runbooks.view', 'ops.runs.view', 'audit.view'])).toEqual([
      'Runbooks',
      'Runs',
      'Database health',
      'Audit log',
      'Tokens',
    ]);
  });

  it('shows only Tokens to an operator without view capabilities', () => {
    expect(labels([])).toEqual(['Tokens']);
    expect(labels(['ops.runbooks.run', 'ops.runs.cancel', 'operators.manage'])).toEqual(['Tokens']);
  });

  it('shows each page for its own capability only', () => {
    expect(labels(['ops.runs.view'])).toEqual(['Runs', 'Database health', 'Tokens']);
    expect(labels(['audit.view'])).toEqual(['Audit log', 'Tokens']);
    expect(labels(['ops.runbooks.view'])).toEqual(['Runbooks', 'Tokens']);
  });
});

describe('homePathFor', () => {
  it('lands on Runbooks when the operator may see them', () => {
    expect(homePathFor(['ops.runbooks.view', 'ops.runs.view'])).toBe('/ops/runbooks');
  });

  it('lands on the first page the operator may see', () => {
    expect(homePathFor(['audit.view'])).toBe('/audit');
    expect(homePathFor([])).toBe('/tokens');
  });
});
