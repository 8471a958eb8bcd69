import { useQuery } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { unwrap } from '../../api/client';
import type { Page, Workspace } from '../../api/types';
import { errorMessage } from '../../lib/errors';
import { tenantCount } from '../../lib/format';
import { useComboboxKeys } from '../../shared/useComboboxKeys';
import { useDebounced } from '../../shared/useDebounced';
import { api } from '../session';

const SEARCH_DEBOUNCE_MS = 250;
const RESULTS = 20;

/**
 * Searchable workspace picker for a `workspace` scope (docs/spec.md §21), the ARIA combobox of
 * the tenant picker over `GET /ops/workspaces`: type to search by name, ArrowUp/ArrowDown to
 * move, Enter to choose, Escape to close. Each option says how many tenants a run over it would
 * cover (the platform tenant never counts).
 */
export function WorkspacePicker({
  value,
  onChange,
}: {
  value: Workspace | null;
  onChange: (workspace: Workspace | null) => void;
}) {
  const inputId = useId();
  const listId = useId();
  const helpId = useId();
  const [text, setText] = useState(value ? value.name : '');
  const [open, setOpen] = useState(false);
  const search = useDebounced(text, SEARCH_DEBOUNCE_MS);
  useEffect(() => {
    if (value) setText((typed) => (typed === '' ? value.name : typed));
  }, [value]);

  const workspaces = useQuery({
    queryKey: ['ops-workspaces', search],
    queryFn: ({ signal }): Promise<Page<Workspace>> =>
      unwrap(
        api.GET('/system/api/ops/workspaces', {
          params: { query: { search, per_page: RESULTS } },
          signal,
        }),
      ),
    enabled: open,
    placeholderData: (previous) => previous,
  });
  const options = workspaces.data?.items ?? [];
  const optionId = (index: number) => `${listId}-option-${index}`;

  const choose = (workspace: Workspace) => {
    onChange(workspace);
    setText(workspace.name);
    setOpen(false);
  };

  const { activeIndex, setActive, onKeyDown } = useComboboxKeys(options, open, setOpen, choose);

  return (
    <div className="combobox">
      <label htmlFor={inputId}>Workspace</label>
      <input
        id={inputId}
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={open}
        aria-controls={listId}
        aria-describedby={value ? helpId : undefined}
        aria-activedescendant={open && options.length > 0 ? optionId(activeIndex) : undefined}
        autoComplete="off"
        placeholder="Search by name"
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
      {value && (
        <p id={helpId} className="field-help">
          Its {tenantCount(value.tenants)} now; the preflight fixes the list.
        </p>
      )}
      {open && (
        <ul id={listId} role="listbox" aria-label="Workspaces" className="combobox-list">
          {workspaces.isPending ? (
            <li className="combobox-note" role="presentation">
              Searching…
            </li>
          ) : workspaces.isError ? (
            <li className="combobox-note form-error" role="presentation">
              {errorMessage(workspaces.error)}
            </li>
          ) : options.length === 0 ? (
            <li className="combobox-note" role="presentation">
              No workspace matches “{search}”.
            </li>
          ) : (
            options.map((workspace, index) => (
              <li
                key={workspace.id}
                id={optionId(index)}
                role="option"
                aria-selected={index === activeIndex}
                className={index === activeIndex ? 'combobox-option active' : 'combobox-option'}
                // mousedown, not click: it fires before the input's blur closes the list.
                onMouseDown={(event) => {
                  event.preventDefault();
                  choose(workspace);
                }}
                onMouseEnter={() => setActive(index)}
              >
                <span>{workspace.name}</span> <span className="nowrap">{tenantCount(workspace.tenants)}</span>
              </li>
            ))
          )}
          {workspaces.data && workspaces.data.total > workspaces.data.items.length && (
            <li className="combobox-note" role="presentation">
              Showing {workspaces.data.items.length} of {workspaces.data.total}; type to narrow down.
            </li>
          )}
        </ul>
      )}
    </div>
  );
}
