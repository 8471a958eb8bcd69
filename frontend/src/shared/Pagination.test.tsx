// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Pagination, pageNumbers } from './Pagination';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

describe('pageNumbers (issue 16, obs. 6)', () => {
  it('offers the first, the last and the pages around the current one', () => {
    expect(pageNumbers(1, 1)).toEqual([1]);
    expect(pageNumbers(1, 3)).toEqual([1, 2, 3]);
    expect(pageNumbers(5, 10)).toEqual([1, null, 4, 5, 6, null, 10]);
    expect(pageNumbers(1, 10)).toEqual([1, 2, null, 10]);
    expect(pageNumbers(10, 10)).toEqual([1, null, 9, 10]);
    // A gap of one page shows that page rather than "…".
    expect(pageNumbers(4, 10)).toEqual([1, 2, 3, 4, 5, null, 10]);
  });
});

describe('Pagination', () => {
  it('links page numbers besides Previous/Next and scrolls the list, not the page, into view', () => {
    const target = document.createElement('div');
    target.id = 'items';
    document.body.append(target);
    const scroll = vi.fn();
    target.scrollIntoView = scroll;
    render(
      <MemoryRouter initialEntries={['/ops/runs/9?item_status=failed&page=5']}>
        <Pagination page={5} perPage={100} total={1000} scrollTargetId="items" />
      </MemoryRouter>,
    );
    const nav = screen.getByRole('navigation', { name: 'Pagination' });
    expect(within(nav).getAllByRole('link').map((link) => link.textContent)).toEqual([
      'Previous',
      '1',
      '4',
      '6',
      '10',
      'Next',
    ]);
    expect(within(nav).getByRole('link', { name: 'Page 10' }).getAttribute('href')).toBe('/ops/runs/9?item_status=failed&page=10');
    expect(nav.querySelector('[aria-current="page"]')?.textContent).toBe('Page 5');
    fireEvent.click(within(nav).getByRole('link', { name: 'Next' }));
    expect(scroll).toHaveBeenCalledWith({ block: 'start' });
    target.remove();
  });
});
