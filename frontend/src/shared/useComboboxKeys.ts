import { useState } from 'react';

/**
 * The keyboard of an ARIA combobox (the tenant and workspace pickers): ArrowDown opens the list
 * or moves down, ArrowUp moves up, Enter chooses the active option, Escape closes the list
 * without closing the dialog around it. `activeIndex` stays inside the options as they change.
 */
export function useComboboxKeys<T>(
  options: readonly T[],
  open: boolean,
  setOpen: (open: boolean) => void,
  choose: (option: T) => void,
) {
  const [active, setActive] = useState(0);
  const activeIndex = Math.min(active, Math.max(0, options.length - 1));
  const onKeyDown = (event: React.KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      if (!open) setOpen(true);
      else setActive(Math.min(activeIndex + 1, options.length - 1));
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      setActive(Math.max(activeIndex - 1, 0));
    } else if (event.key === 'Enter') {
      const option = options[activeIndex];
      if (open && option !== undefined) {
        event.preventDefault();
        choose(option);
      }
    } else if (event.key === 'Escape') {
      if (open) {
        event.preventDefault();
        event.stopPropagation();
        setOpen(false);
      }
    }
  };
  return { activeIndex, setActive, onKeyDown };
}
