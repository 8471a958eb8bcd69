import type { ReactNode } from 'react';
import type { Capability } from '../api/types';
import { useOperator } from './session';

/** Renders a page only for operators holding its capability; the API enforces the same rule. */
export function RequireCapability({
  capability,
  children,
}: {
  capability: Capability;
  children: ReactNode;
}) {
  const operator = useOperator();
  if (operator.capabilities.includes(capability)) return children;
  return (
    <section>
      <title>Access denied · TenantAtlas Ops</title>
      <h1>Access denied</h1>
      <p>
        This page needs the <code>{capability}</code> capability, which your operator account does
        not have.
      </p>
    </section>
  );
}
