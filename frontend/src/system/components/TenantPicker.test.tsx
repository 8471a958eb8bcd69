// @vitest-environment jsdom
import { cleanup, fireEvent, screen } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { OpsTenant } from '../../api/types';
import { fakeBackend, json } from '../../test/fakeBackend';
import { renderSystem } from '../../test/renderSystem';
import { TenantPicker } from './TenantPicker';

const TENANTS: OpsTenant[] = [
  // The API must never return this one; if it ever does, the picker still must not offer it.
  { id: 1, external_id: 'platform', name: 'Platform', workspace_id: 1 },
  { id: 2, external_id: 'tenant-001', name: 'Acme Tenant 1', workspace_id: 1 },
  { id: 3, external_id: 'tenant-002', name: 'Acme Tenant 2', workspace_id: 2 },
];

let chosen: OpsTenant | null = null;
function Harness() {
  const [value, setValue] = useState<OpsTenant | null>(null);
  return (
    <TenantPicker
      value={value}
      onChange={(tenant) => {
        chosen = tenant;
        setValue(tenant);
      }}
    />
  );
}

afterEach(() => {
  cleanup();
  chosen = null;
  vi.unstubAllGlobals();
});

describe('TenantPicker', () => {
  it('never offers the platform tenant, even when the API returns it', async () => {
    fakeBackend({
      'GET /system/api/ops/tenants': () => json(200, { items: TENANTS, page: 1, per_page: 20, total: 3 }),
    });
    renderSystem(<Harness />);
    fireEvent.focus(screen.getByRole('combobox', { name: 'Tenant' }));

    const options = await screen.findAllByRole('option');
    expect(options.map((option) => option.textContent)).toEqual([
      'Acme Tenant 1 tenant-001',
      'Acme Tenant 2 tenant-002',
    ]);
    expect(screen.queryByText('Platform')).toBeNull();
  });

  it('lists names in natural order: Tenant 6 before Tenant 11 (issue 22, item 12)', async () => {
    const named = [1, 11, 16, 21, 6].map((n) => ({ id: 100 + n, external_id: `t-${n}`, name: `Tenant ${n}`, workspace_id: 1 }));
    fakeBackend({
      'GET /system/api/ops/tenants': () => json(200, { items: named, page: 1, per_page: 20, total: 5 }),
    });
    renderSystem(<Harness />);
    fireEvent.focus(screen.getByRole('combobox', { name: 'Tenant' }));
    const options = await screen.findAllByRole('option');
    expect(options.map((option) => option.textContent)).toEqual(
      ['Tenant 1 t-1', 'Tenant 6 t-6', 'Tenant 11 t-11', 'Tenant 16 t-16', 'Tenant 21 t-21'],
    );
  });

  it('is operable with the keyboard', async () => {
    const backend = fakeBackend({
      'GET /system/api/ops/tenants': () => json(200, { items: TENANTS, page: 1, per_page: 20, total: 3 }),
    });
    renderSystem(<Harness />);
    const input = screen.getByRole('combobox', { name: 'Tenant' });
    fireEvent.focus(input);
    await screen.findAllByRole('option');

    expect(input.getAttribute('aria-expanded')).toBe('true');
    fireEvent.keyDown(input, { key: 'ArrowDown' });
    const active = input.getAttribute('aria-activedescendant');
    expect(document.getElementById(active ?? '')?.textContent).toBe('Acme Tenant 2 tenant-002');
    fireEvent.keyDown(input, { key: 'Enter' });

    expect(chosen).toMatchObject({ id: 3, external_id: 'tenant-002' });
    expect((input as HTMLInputElement).value).toBe('Acme Tenant 2');
    expect(input.getAttribute('aria-expanded')).toBe('false');
    expect(backend.calls[0]?.url.searchParams.get('per_page')).toBe('20');
  });
});
