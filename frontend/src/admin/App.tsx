import { Navigate, Route, Routes } from 'react-router';
import { LoginPage } from '../shared/LoginPage';
import { NotFoundPage } from '../shared/NotFoundPage';
import { RequireSession } from '../shared/RequireSession';
import { Layout } from './Layout';
import { FindingsPage } from './pages/FindingsPage';
import { TenantsPage } from './pages/TenantsPage';
import { api, signIn, useCustomerSession } from './session';

const TITLE = 'TenantAtlas';
const HOME = '/tenants';

/** The customer view's routes, relative to `/admin`. */
export function App() {
  const session = useCustomerSession();
  return (
    <Routes>
      <Route
        path="/login"
        element={
          <LoginPage
            api={api}
            signIn={signIn}
            session={session}
            title={TITLE}
            homePath={() => HOME}
          />
        }
      />
      <Route
        element={
          <RequireSession session={session}>{({ user }) => <Layout user={user} />}</RequireSession>
        }
      >
        <Route index element={<Navigate to={HOME} replace />} />
        <Route path="tenants" element={<TenantsPage />} />
        <Route path="tenants/:id/findings" element={<FindingsPage />} />
        <Route path="*" element={<NotFoundPage appTitle={TITLE} homePath={HOME} />} />
      </Route>
    </Routes>
  );
}
