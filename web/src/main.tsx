/** The web UI: log in, then the pages of the app under one layout. */
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { getToken, onUnauthorized } from './api';
import { Layout } from './components/Layout';
import { Loading, Notice } from './components/Page';
import { typeFromPath } from './labels';
import { AdoptPage } from './pages/Adopt';
import { ChangePasswordPage } from './pages/ChangePassword';
import { IntegrationPage } from './pages/Integration';
import { LoginPage } from './pages/Login';
import { LogsPage, RunPage } from './pages/Logs';
import { ManageDataPage } from './pages/ManageData';
import { NotFoundPage } from './pages/NotFound';
import { NotificationsPage } from './pages/Notifications';
import { OverviewPage } from './pages/Overview';
import { ProblemsPage } from './pages/Problems';
import { RecordCreatePage, RecordEditPage } from './pages/RecordEdit';
import { RecordListPage } from './pages/RecordList';
import { ReviewMatchesPage } from './pages/ReviewMatches';
import { matchPath, navigate, type Route, useRoute } from './router';
import { loadSession, logOut, type Session, SessionContext } from './session';

type AppState = { status: 'loading' } | { status: 'anonymous'; expired: boolean } | { status: 'ready'; session: Session } | { status: 'error'; message: string };

function Page({ route }: { route: Route }) {
  const { path } = route;
  if (path === '/') return <OverviewPage />;
  if (path === '/integration') return <IntegrationPage />;
  if (path === '/manage') return <ManageDataPage />;
  if (path === '/adopt') return <AdoptPage />;
  if (path === '/review') return <ReviewMatchesPage />;
  if (path === '/logs') return <LogsPage />;
  if (path === '/problems') return <ProblemsPage />;
  if (path === '/notifications') return <NotificationsPage />;
  if (path === '/password') return <ChangePasswordPage />;
  const run = matchPath('/logs/:id', path);
  if (run) return <RunPage key={run.id} id={run.id!} />;
  const list = matchPath('/:collection', path);
  const listType = list && typeFromPath(list.collection!);
  if (listType) return <RecordListPage key={listType} type={listType} />;
  const one = matchPath('/:collection/:id', path);
  const oneType = one && typeFromPath(one.collection!);
  if (oneType && one.id === 'new') return <RecordCreatePage key={`${oneType}-new`} type={oneType} />;
  if (oneType) return <RecordEditPage key={`${oneType}-${one.id!}`} type={oneType} id={one.id!} />;
  return <NotFoundPage />;
}

function App() {
  const route = useRoute();
  const [state, setState] = useState<AppState>({ status: 'loading' });
  const firstPath = useRef(true);

  useEffect(() => {
    onUnauthorized(() => setState({ status: 'anonymous', expired: true }));
    if (!getToken()) {
      setState({ status: 'anonymous', expired: false });
      return;
    }
    loadSession()
      .then((session) => setState({ status: 'ready', session }))
      .catch((err: unknown) => {
        if (getToken()) setState({ status: 'error', message: err instanceof Error ? err.message : String(err) });
        else setState({ status: 'anonymous', expired: true });
      });
  }, []);

  // After moving to another page, focus its heading so screen readers announce it (the login page
  // focuses its email field instead).
  useEffect(() => {
    if (firstPath.current) {
      firstPath.current = false;
      return;
    }
    if (route.path !== '/login') document.getElementById('page-heading')?.focus();
  }, [route.path]);

  // The address follows the state: /login while logged out (remembering where to go next), not after.
  useEffect(() => {
    if (state.status === 'anonymous' && route.path !== '/login') {
      const next = route.path === '/' ? '' : `?next=${encodeURIComponent(route.path + location.search)}`;
      navigate(`/login${next}`, { replace: true });
    }
    if (state.status === 'ready' && route.path === '/login') navigate('/', { replace: true });
  }, [state.status, route.path]);

  switch (state.status) {
    case 'loading':
      return (
        <main id="main" class="login">
          <Loading what="bms-docsync" />
        </main>
      );
    case 'error':
      return (
        <main id="main" class="login">
          <Notice kind="error">bms-docsync could not start: {state.message}</Notice>
        </main>
      );
    case 'anonymous':
      return (
        <LoginPage
          expired={state.expired}
          onLoggedIn={(session) => {
            const next = new URLSearchParams(location.search).get('next');
            setState({ status: 'ready', session });
            navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
          }}
        />
      );
    case 'ready': {
      const logout = async () => {
        await logOut().catch(() => undefined);
        setState({ status: 'anonymous', expired: false });
        navigate('/login', { replace: true });
      };
      return (
        <SessionContext.Provider value={{ session: state.session, logout }}>
          <Layout path={route.path}>
            <Page route={route} />
          </Layout>
        </SessionContext.Provider>
      );
    }
  }
}

render(<App />, document.getElementById('app')!);
