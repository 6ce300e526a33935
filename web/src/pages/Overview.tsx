/** The first page after login: the connection, two-way mode, sync states per type, the latest runs. */
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage } from '../api';
import { Loading, Notice, PageTitle } from '../components/Page';
import { RunsTable, SummaryTable } from '../components/SyncTables';
import { formatTime } from '../labels';
import { Link } from '../router';
import { useSession } from '../session';
import type { Integration, SyncRun, SyncSummary } from '../types';

export function OverviewPage() {
  const { session } = useSession();
  const [integration, setIntegration] = useState<Integration | null>(null);
  const [summary, setSummary] = useState<SyncSummary | null>(null);
  const [runs, setRuns] = useState<SyncRun[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    (async () => {
      const found = await api.get<Integration>('/integrations/kaseya-bms');
      if (!live) return;
      setIntegration(found.data);
      const [s, r] = await Promise.all([
        api.get<SyncSummary>('/integrations/kaseya-bms/summary'),
        found.data.connected ? api.get<SyncRun[]>('/integrations/kaseya-bms/runs?pageSize=5') : Promise.resolve({ data: [] as SyncRun[] }),
      ]);
      if (!live) return;
      setSummary(s.data);
      setRuns(r.data);
    })().catch((err: unknown) => live && setError(errorMessage(err)));
    return () => {
      live = false;
    };
  }, []);

  return (
    <>
      <PageTitle title="Overview" />
      {error ? <Notice kind="error">{error}</Notice> : null}
      {!integration && !error ? <Loading what="the overview" /> : null}
      {integration ? (
        <section aria-labelledby="connection-heading" class="panel">
          <h2 id="connection-heading">Kaseya BMS</h2>
          {integration.connected ? (
            <ul class="facts">
              <li>
                Connected to tenant <strong>{integration.tenant}</strong> at {integration.apiUrl}
                {integration.connectionStatus !== 'ok' ? ` (${integration.connectionStatus}: ${integration.connectionError ?? ''})` : ''}
              </li>
              <li>
                Two-way sync is <strong>{integration.twoWayEnabled ? 'on' : 'off'}</strong>
                {integration.twoWayEnabled
                  ? ': saves in this app are pushed to Kaseya BMS.'
                  : ': Kaseya BMS is pulled into the documentation; nothing is pushed.'}
              </li>
              {integration.paused ? <li>Sync is paused.</li> : null}
              <li>Connection last checked {formatTime(integration.connectionCheckedAt)}</li>
            </ul>
          ) : (
            <p>
              Kaseya BMS is not connected yet for {session.account.name}. <Link href="/integration">Connect it on the Integration page</Link>.
            </p>
          )}
        </section>
      ) : null}
      {summary ? (
        <section aria-labelledby="summary-heading" class="panel">
          <h2 id="summary-heading">Records by sync state</h2>
          <SummaryTable summary={summary} states={session.meta.syncStates} caption="Number of records of each type in each sync state" />
        </section>
      ) : null}
      {runs && integration?.connected ? (
        <section aria-labelledby="runs-heading" class="panel">
          <h2 id="runs-heading">Latest sync runs</h2>
          <RunsTable runs={runs} caption="The five latest pulls from Kaseya BMS" />
          <p>
            <Link href="/logs">All sync runs</Link>
          </p>
        </section>
      ) : null}
    </>
  );
}
