import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, Outlet, useNavigate } from 'react-router';
import { unwrap } from '../api/client';
import type { CustomerUser } from '../api/types';
import { errorMessage } from '../lib/errors';
import { useFocusHeadingOnNavigation } from '../shared/focus';
import { endSession } from '../shared/session';
import { api } from './session';

/** The customer view's frame: skip link, home link, sign out. */
export function Layout({ user }: { user: CustomerUser }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  useFocusHeadingOnNavigation();
  const logout = useMutation({
    mutationFn: () => unwrap(api.POST('/admin/api/auth/logout')),
    onSuccess: () => {
      endSession(queryClient, api);
      void navigate('/login', { replace: true });
    },
  });

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to main content
      </a>
      <header className="app-header">
        <Link className="brand" to="/tenants">
          TenantAtlas
        </Link>
        <div className="account">
          <span>{user.display_name}</span>
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
    </>
  );
}
