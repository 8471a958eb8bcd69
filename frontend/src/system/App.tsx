import { Navigate, Route, Routes } from 'react-router';
import { LoginPage } from '../shared/LoginPage';
import { NotFoundPage } from '../shared/NotFoundPage';
import { RequireSession } from '../shared/RequireSession';
import { Layout } from './Layout';
import { homePathFor } from './navigation';
import { AccountPage } from './pages/AccountPage';
import { AuditPage } from './pages/AuditPage';
import { HealthPage } from './pages/HealthPage';
import { RunbookPage } from './pages/RunbookPage';
import { RunbooksPage } from './pages/RunbooksPage';
import { RunDetailPage } from './pages/RunDetailPage';
import { RunsPage } from './pages/RunsPage';
import { TokensPage } from './pages/TokensPage';
import { RequireCapability } from './RequireCapability';
import { OperatorContext, api, signIn, useOperator, useOperatorSession } from './session';

const TITLE = 'TenantAtlas Ops';

/** The operator console's routes, relative to `/system`. */
export function App() {
  const session = useOperatorSession();
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
            homePath={({ operator }) => homePathFor(operator.capabilities)}
          />
        }
      />
      <Route
        element={
          <RequireSession session={session}>
            {({ operator }) => (
              <OperatorContext value={operator}>
                <Layout />
              </OperatorContext>
            )}
          </RequireSession>
        }
      >
        <Route index element={<HomeRedirect />} />
        <Route
          path="ops/runbooks"
          element={
            <RequireCapability capability="ops.runbooks.view">
              <RunbooksPage />
            </RequireCapability>
          }
        />
        <Route
          path="ops/runbooks/:key"
          element={
            <RequireCapability capability="ops.runbooks.view">
              <RunbookPage />
            </RequireCapability>
          }
        />
        <Route
          path="ops/runs"
          element={
            <RequireCapability capability="ops.runs.view">
              <RunsPage />
            </RequireCapability>
          }
        />
        <Route
          path="ops/runs/:id"
          element={
            <RequireCapability capability="ops.runs.view">
              <RunDetailPage />
            </RequireCapability>
          }
        />
        <Route
          path="ops/health"
          element={
            <RequireCapability capability="ops.runs.view">
              <HealthPage />
            </RequireCapability>
          }
        />
        <Route
          path="audit"
          element={
            <RequireCapability capability="audit.view">
              <AuditPage />
            </RequireCapability>
          }
        />
        <Route path="tokens" element={<TokensPage />} />
        <Route path="account" element={<AccountPage />} />
        <Route path="*" element={<OperatorNotFound />} />
      </Route>
    </Routes>
  );
}

function HomeRedirect() {
  const { capabilities } = useOperator();
  return <Navigate to={homePathFor(capabilities)} replace />;
}

function OperatorNotFound() {
  const { capabilities } = useOperator();
  return <NotFoundPage appTitle={TITLE} homePath={homePathFor(capabilities)} />;
}
