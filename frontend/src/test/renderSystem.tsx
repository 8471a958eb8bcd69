import { QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactNode } from 'react';
import { MemoryRouter, Route, Routes } from 'react-router';
import type { Capability, Operator } from '../api/types';
import { createQueryClient } from '../shared/session';
import { ToastProvider } from '../shared/Toasts';
import { OperatorContext, api } from '../system/session';

export const ALL_CAPABILITIES: Capability[] = [
  'ops.runbooks.view',
  'ops.runbooks.run',
  'ops.runbooks.run_all_tenants',
  'ops.runs.view',
  'ops.runs.cancel',
  'ops.runs.control',
  'audit.view',
];

export function operator(capabilities: Capability[] = ALL_CAPABILITIES): Operator {
  return { id: 1, username: 'ada', display_name: 'Ada Lovelace', capabilities };
}

/**
 * Renders operator-console UI as it sits behind the session: query client, router at `path`
 * (matched against `route`), toasts and the signed-in operator.
 */
export function renderSystem(
  ui: ReactNode,
  { path = '/', route = '*', capabilities }: { path?: string; route?: string; capabilities?: Capability[] } = {},
) {
  const queryClient = createQueryClient(api);
  const result = render(
    <QueryClientProvider client={queryClient}>
      <MemoryRouter initialEntries={[path]}>
        <OperatorContext value={operator(capabilities)}>
          <ToastProvider>
            <Routes>
              <Route path={route} element={ui} />
              <Route path="/ops/runs/:id" element={<p>Run page</p>} />
            </Routes>
          </ToastProvider>
        </OperatorContext>
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return { ...result, queryClient };
}
