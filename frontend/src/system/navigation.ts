import type { Capability } from '../api/types';

/** A top-level page of the console and the capability that lets an operator see it. */
export interface NavItem {
  to: string;
  label: string;
  capability: Capability | null;
}

/** Navigation in display order; `null` means every signed-in operator has it. */
export const NAV_ITEMS: readonly NavItem[] = [
  { to: '/ops/runbooks', label: 'Runbooks', capability: 'ops.runbooks.view' },
  { to: '/ops/runs', label: 'Runs', capability: 'ops.runs.view' },
  { to: '/ops/health', label: 'Database health', capability: 'ops.runs.view' },
  { to: '/audit', label: 'Audit log', capability: 'audit.view' },
  { to: '/tokens', label: 'Tokens', capability: null },
];

/** The navigation links an operator with these capabilities may follow. */
export function visibleNavItems(capabilities: readonly Capability[]): NavItem[] {
  return NAV_ITEMS.filter(
    (item) => item.capability === null || capabilities.includes(item.capability),
  );
}

/** The first page the operator may see: Runbooks when allowed, Tokens at the least. */
export function homePathFor(capabilities: readonly Capability[]): string {
  return visibleNavItems(capabilities)[0]?.to ?? '/tokens';
}
