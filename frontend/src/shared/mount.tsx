import { QueryClientProvider } from '@tanstack/react-query';
import { type ReactNode, StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import type { CsrfTokenStore } from '../api/client';
import { createQueryClient } from './session';
import '../styles.css';

/**
 * Starts a plane's SPA in `#root`. The router's basename comes from Vite's `base` (`/system/`
 * or `/admin/`), so routes are written without the plane prefix.
 */
export function mount(api: CsrfTokenStore, app: ReactNode): void {
  const root = document.getElementById('root');
  if (root === null) throw new Error('index.html has no #root element');
  const basename = import.meta.env.BASE_URL.replace(/\/$/, '');
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={createQueryClient(api)}>
        <BrowserRouter basename={basename}>{app}</BrowserRouter>
      </QueryClientProvider>
    </StrictMode>,
  );
}
