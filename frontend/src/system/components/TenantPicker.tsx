import { useQuery } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { unwrap } from '../../api/client';
import type { OpsTenant, Page } from '../../api/types';
import { errorMessage } from '../../lib/errors';
import { byName, targetableTenants } from '../../lib/runbook';
import { useComboboxKeys } from '../../shared/useComboboxKeys';
import { useDebounced } from '../../shared/useDebounced';
import { api } from '../session';

const SEARCH_DEBOUNCE_MS = 250;
const RESULTS = 20;

/**
 * Searchable single-tenant picker following the ARIA combobox pattern: type to search
 * `/ops/tenants`, ArrowUp/ArrowDown to move, Enter to choose, Escape to close. It never offers
 * the platform tenant (the API leaves it out, and `targetableTenants` filters it again).
 */
export function TenantPicker({
  value,
  onChange,
}: {
  value: OpsTenant | null;
  onChange: (tenant: OpsTenant | null) => void;
}) {
  const inputId = useId();
  const listId = useId();
  const [text, setText] = useState(value ? value.name : '');
  const [open, setOpen] = useState(false);
  const search = useDebounced(text, SEARCH_DEBOUNCE_MS);
  // A tenant named from outside after the first render (the runs filter names the tenant of a
  // reloaded URL once it has looked it up) fills the box, unless the operator typed in it.
  useEffect(() => {
    if (value) setText((typed) => (typed === '' ? value.name : typed));
  }, [value]);

  const tenants = useQuery({
    queryKey: ['ops-tenants', search],
    queryFn: ({ signal }): Promise<Page<OpsTenant>> =>
      unwrap(
        api.GET('/system/api/ops/tenants', {
          params: { query: { search, per_page: RESULTS } },
          signal,
        }),
      ),
    enabled: open,
    placeholderData: (previous) => previous,
  });
  const options = tenants.data ? byName(targetableTenants(tenants.data.items)) : [];
  const optionId = (index: number) => `${listId}-option-${index}`;

  const choose = (tenant: OpsTenant) => {
    onChange(tenant);
    setText(tenant.name);
    setOpen(false);
  };

  const { activeIndex, setActive, onKeyDown } = useComboboxKeys(options, open, setOpen, choose);

  return (
    <div className="combobox">
      <label htmlFor={inputId}>Tenant</label>
      <input
        id={inputId}
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={open}
        aria-controls={listId}
        aria-activedescendant={open && options.length > 0 ? optionId(activeIndex) : undefined}
        autoComplete="off"
        placeholder="Search by name or external id"
        value={text}
        onChange={(event) => {
          setText(event.target.value);
          setActive(0);
          setOpen(true);
          if (value) onChange(null);
        }}
        onFocus={() => setOpen(true)}
        onClick={() => setOpen(true)}
        onBlur={() => setOpen(false)}
        onKeyDown={onKeyDown}
      />
      {open && (
        <ul id={listId} role="listbox" aria-label="Tenants" className="combobox-list">
          {tenants.isPending ? (
            <li className="combobox-note" role="presentation">
              Searching…
            </li>
          ) : tenants.isError ? (
            <li className="combobox-note form-error" role="presentation">
              {errorMessage(tenants.error)}
            </li>
          ) : options.length === 0 ? (
            <li className="combobox-note" role="presentation">
              No tenant matches “{search}”.
            </li>
          ) : (
            options.map((tenant, index) => (
              <li
                key={tenant.id}
                id={optionId(index)}
                role="option"
                aria-selected={index === activeIndex}
                className={index === activeIndex ? 'combobox-option active' : 'combobox-option'}
                // mousedown, not click: it fires before the input's blur closes the list.
                onMouseDown={(event) => {
                  event.preventDefault();
                  choose(tenant);
                }}
                onMouseEnter={() => setActive(index)}
              >
                <span>{tenant.name}</span> <code>{tenant.external_id}</code>
              </li>
            ))
          )}
          {tenants.data && tenants.data.total > tenants.data.items.length && (
            <li className="combobox-note" role="presentation">
              Showing {tenants.data.items.length} of {tenants.data.total}; type to narrow down.
            </li>
          )}
        </ul>
      )}
    </div>
  );
}
