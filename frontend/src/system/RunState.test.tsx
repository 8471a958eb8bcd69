// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunOutcome, RunStatus } from '../api/types';
import { RunProgress } from './RunState';

afterEach(cleanup);

describe('RunProgress (issue 16, obs. 3)', () => {
  const cases: [RunStatus, RunOutcome | null, number, string, string][] = [
    ['queued', null, 0, 'queued', 'Queued'],
    ['running', null, 40, 'running', 'Running'],
    ['completed', 'succeeded', 100, 'succeeded', 'Succeeded'],
    ['completed', 'partially_succeeded', 100, 'partially_succeeded', 'Partially succeeded'],
    ['completed', 'failed', 100, 'failed', 'Failed'],
    ['completed', 'cancelled', 40, 'cancelled', 'Cancelled'],
  ];

  it.each(cases)('a %s/%s run gets its own colour class and says its state in text', (status, outcome, percent, tone, label) => {
    render(<RunProgress run={{ status, outcome, progress_percent: percent }} label="Run progress" />);
    const bar = screen.getByRole('progressbar', { name: 'Run progress' });
    const wrapper = bar.closest('.progress')!;
    expect(wrapper.className).toBe(`progress progress-${tone}`);
    // Not colour alone: the state is written beside the percentage and in the bar's value text.
    expect(wrapper.textContent).toBe(`${percent}% ${label}`);
    expect(bar.getAttribute('aria-valuetext')).toBe(`${percent}%, ${label}`);
  });

  it('gives failed, cancelled and partially succeeded runs at 100 % different bars', () => {
    const tones = (['failed', 'cancelled', 'partially_succeeded', 'succeeded'] as const).map((outcome) => {
      const { container } = render(
        <RunProgress run={{ status: 'completed', outcome, progress_percent: 100 }} label={outcome} />,
      );
      return container.querySelector('.progress')!.className;
    });
    expect(new Set(tones).size).toBe(4);
  });
});
