/** Logs: the pulls from Kaseya BMS with their counts and errors, and one run's log lines. */
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage, query } from '../api';
import { ExternalLink } from '../components/ExternalLink';
import { Loading, Notice, PageTitle } from '../components/Page';
import { Pager } from '../components/Pager';
import { countsText, RunCountsTable, RunsTable, RunStatus, totals } from '../components/SyncTables';
import { formatDuration, formatTime, typeFromPath, TYPE_LABELS } from '../labels';
import { Link, navigate, useRoute, withQuery } from '../router';
import type { ListMeta, RecordType, RunDetail, SyncRun } from '../types';

export function LogsPage() {
  const route = useRoute();
  const page = Math.max(1, Number(route.query.get('page') ?? '1') || 1);
  const [runs, setRuns] = useState<SyncRun[] | null>(null);
  const [meta, setMeta] = useState<ListMeta | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    api
      .get<SyncRun[]>(`/integrations/kaseya-bms/runs${query({ page, pageSize: 25 })}`)
      .then((res) => {
        if (!live) return;
        setRuns(res.data);
        setMeta(res.meta ?? null);
      })
      .catch((err: unknown) => live && setError(errorMessage(err)));
    return () => {
      live = false;
    };
  }, [page, tick]);

  // While a run is going on, keep the page current.
  useEffect(() => {
    if (!runs?.some((r) => r.status === 'running')) return;
    const timer = setTimeout(() => setTick((t) => t + 1), 2000);
    return () => clearTimeout(timer);
  }, [runs]);

  return (
    <>
      <PageTitle title="Logs" />
      <p class="muted">Every pull from Kaseya BMS, scheduled or started with “Sync now”, with what it counted and any error.</p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {runs ? <RunsTable runs={runs} caption="Sync runs, newest first" /> : !error ? <Loading what="sync runs" /> : null}
      {meta && meta.total > meta.pageSize ? (
        <Pager meta={meta} label="Sync run pages" onPage={(p) => navigate(withQuery({ page: p === 1 ? null : p }))} />
      ) : null}
    </>
  );
}

function recordLink(type: string | null | undefined, id: string | null | undefined) {
  const t: RecordType | undefined = type ? (typeFromPath(type) ?? (type in TYPE_LABELS ? (type as RecordType) : undefined)) : undefined;
  if (!t || !id) return null;
  return <Link href={`/${TYPE_LABELS[t].path}/${id}`}>{TYPE_LABELS[t].one}</Link>;
}

export function RunPage({ id }: { id: string }) {
  const [run, setRun] = useState<RunDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    api
      .get<RunDetail>(`/integrations/kaseya-bms/runs/${encodeURIComponent(id)}`)
      .then((res) => live && setRun(res.data))
      .catch((err: unknown) => live && setError(errorMessage(err)));
    return () => {
      live = false;
    };
  }, [id, tick]);

  useEffect(() => {
    if (run?.status !== 'running') return;
    const timer = setTimeout(() => setTick((t) => t + 1), 2000);
    return () => clearTimeout(timer);
  }, [run]);

  return (
    <>
      <p class="breadcrumb">
        <Link href="/logs">Logs</Link> <span aria-hidden="true">›</span>
      </p>
      <PageTitle title={run ? `Sync run of ${formatTime(run.startedAt)}` : 'Sync run'} />
      {error ? <Notice kind="error">{error}</Notice> : null}
      {!run && !error ? <Loading what="the run" /> : null}
      {run ? (
        <>
          <section class="panel" aria-labelledby="run-heading">
            <h2 id="run-heading">Summary</h2>
            <dl class="facts-grid">
              <dt>Status</dt>
              <dd>
                <RunStatus status={run.status} />
              </dd>
              <dt>Trigger</dt>
              <dd>{run.trigger}</dd>
              <dt>Started</dt>
              <dd>{formatTime(run.startedAt)}</dd>
              <dt>Finished</dt>
              <dd>{formatTime(run.finishedAt)}</dd>
              <dt>Duration</dt>
              <dd>{formatDuration(run.startedAt, run.finishedAt)}</dd>
              <dt>Totals</dt>
              <dd>{countsText(totals(run.counts))}</dd>
            </dl>
            {run.error ? <Notice kind="error">{run.error}</Notice> : null}
            <p>
              <ExternalLink href={run.workflowUrl}>This run in the Temporal Web UI</ExternalLink>
            </p>
            <RunCountsTable counts={run.counts} />
          </section>
          <section class="panel" aria-labelledby="log-heading">
            <h2 id="log-heading">Log</h2>
            {run.logs.length === 0 ? (
              <p class="muted">No log lines: nothing went wrong.</p>
            ) : (
              <div class="table-wrap">
                <table class="data logs">
                  <caption class="visually-hidden">Log lines of this run</caption>
                  <thead>
                    <tr>
                      <th scope="col">Time</th>
                      <th scope="col">Level</th>
                      <th scope="col">Message</th>
                      <th scope="col">Record</th>
                      <th scope="col">Kaseya BMS id</th>
                    </tr>
                  </thead>
                  <tbody>
                    {run.logs.map((l) => (
                      <tr key={String(l.id)} class={`level-${l.level}`}>
                        <td>{formatTime(l.at ?? null)}</td>
                        <td>
                          <span class={`tag level-${l.level}`}>{l.level}</span>
                        </td>
                        <td>{l.message}</td>
                        <td>{recordLink(l.record_type, l.record_id) ?? '—'}</td>
                        <td>{l.bms_id ?? '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      ) : null}
    </>
  );
}
