// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { useEffect } from 'react';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TOAST_MS, type ToastMessage, ToastProvider, useToasts } from './Toasts';

function Show({ toasts }: { toasts: ToastMessage[] }) {
  const api = useToasts();
  useEffect(() => toasts.forEach((toast) => api.show(toast)), [api, toasts]);
  return null;
}

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('toasts (issue 16, obs. 11)', () => {
  it('keeps a toast with a link until it is dismissed; one without leaves after TOAST_MS', () => {
    vi.useFakeTimers();
    render(
      <MemoryRouter>
        <ToastProvider>
          <Show
            toasts={[
              { title: 'Run queued', link: { to: '/ops/runs/4', label: 'View run #4' } },
              { title: 'Saved' },
            ]}
          />
        </ToastProvider>
      </MemoryRouter>,
    );
    expect(screen.getAllByTestId('toast')).toHaveLength(2);
    act(() => vi.advanceTimersByTime(TOAST_MS * 4));
    const left = screen.getAllByTestId('toast');
    expect(left.map((toast) => toast.querySelector('strong')?.textContent)).toEqual(['Run queued']);
    fireEvent.click(screen.getByRole('button', { name: 'Dismiss: Run queued' }));
    expect(screen.queryByTestId('toast')).toBeNull();
  });
});
