import { useMutation, useQueryClient } from '@tanstack/react-query';
import { NavLink, Outlet, useNavigate } from 'react-router';
import { unwrap } from '../api/client';
import { errorMessage } from '../lib/errors';
import { useFocusHeadingOnNavigation } from '../shared/focus';
import { endSession } from '../shared/session';
import { ToastProvider } from '../shared/Toasts';
import { NotificationsBell } from './components/NotificationsBell';
import { visibleNavItems } from './navigation';
import { api, useOperator } from './session';

/** The console's frame: skip link, navigation limited to the operator's capabilities, sign out. */
export function Layout() {
  const operator = useOperator();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  useFocusHeadingOnNavigation();
  const logout = useMutation({
    mutationFn: () => unwrap(api.POST('/system/api/auth/logout')),
    onSuccess: () => {
      endSession(queryClient, api);
      void navigate('/login', { replace: true });
    },
  });

  return (
    <ToastProvider>
      <a className="skip-link" href="#main">
        Skip to main content
      </a>
      <header className="app-header">
        <span className="brand">TenantAtlas Ops</span>
        <nav aria-label="Main">
          <ul>
            {visibleNavItems(operator.capabilities).map((item) => (
              <li key={item.to}>
                <NavLink to={item.to}>{item.label}</NavLink>
              </li>
            ))}
            <li>
              {/* Outside the SPA router: a static page the backend serves from dist/system. */}
              <a href="/system/api-docs/">API docs</a>
            </li>
          </ul>
        </nav>
        <div className="account">
          <NotificationsBell />
          {/* The operator's name leads to their account page (password change). */}
          <NavLink to="/account" className="account-link">
            <span className="visually-hidden">Account: </span>
            {operator.display_name}
          </NavLink>
          <button
            type="button"
            className="button-secondary"
            onClick={() => logout.mutate()}
            disabled={logout.isPending}
          >
            Sign out
          </button>
          {logout.isError && (
            <span className="form-error" role="alert">
              {errorMessage(logout.error)}
            </span>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </ToastProvider>
  );
}
