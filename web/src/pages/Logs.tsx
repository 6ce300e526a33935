/** Logs: the pulls from Kaseya BMS and the records' history, filtered and exportable; one run's log lines. */
import { useEffect, useState } from 'preact/hooks';
import { api, downloadExport, errorMessage, query } from '../api';
import { ExternalLink } from '../components/ExternalLink';
import { Loading, Notice, PageTitle } from '../components/Page';
import { Pager } from '../components/Pager';
import { countsText, RunCountsTable, RunsTable, RunStatus, totals } from '../components/SyncTables';
import { formatDuration, formatTime, typeFromPath, TYPE_LABELS } from '../labels';
import { Link, navigate, useRoute, withQuery } from '../router';
import type { HistoryEntry, ListMeta, RecordType, RunDetail, SyncRun } from '../types';

const RUN_STATUSES = ['running', 'completed', 'failed', 'skipped'] as const;
const RUN_TRIGGERS = [
  ['schedule', 'Schedule'],
  ['manual', 'Sync now'],
] as const;
const HISTORY_KINDS = [
  ['push', 'Pushes'],
  ['pull', 'Pulls'],
  ['conflict', 'Conflicts'],
  ['failure', 'Failures'],
] as const;

/** A select that sets one query parameter (and goes back to the first page). */
function QuerySelect(props: { id: string; label: string; param: string; pageParam: string; value: string; all: string; options: ReadonlyArray<readonly [string, string]> }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <select id={props.id} value={props.value} onChange={(e) => navigate(withQuery({ [props.param]: (e.currentTarget as HTMLSelectElement).value || null, [props.pageParam]: null }))}>
        <option value="">{props.all}</option>
        {props.options.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** A date input that sets one query parameter (a day, UTC). */
function QueryDate(props: { id: string; label: string; param: string; pageParam: string; value: string }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input id={props.id} type="date" value={props.value} onChange={(e) => navigate(withQuery({ [props.param]: e.currentTarget.value || null, [props.pageParam]: null }))} />
    </div>
  );
}

/** CSV and JSON export buttons for a list at `path` with `filters` (the export holds every match, capped by the API). */
function ExportButtons({ path, filters, what }: { path: string; filters: Record<string, string | undefined>; what: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const download = (format: 'csv' | 'json') => {
    setBusy(true);
    setError(null);
    downloadExport(`${path}${query({ ...filters, format })}`)
      .catch((err: unknown) => setError(errorMessage(err)))
      .finally(() => setBusy(false));
  };
  return (
    <div class="button-row small-gap export-buttons">
      <button type="button" class="button secondary small" disabled={busy} onClick={() => download('csv')} aria-label={`Export ${what} as CSV`}>
        Export CSV
      </button>
      <button type="button" class="button secondary small" disabled={busy} onClick={() => download('json')} aria-label={`Export ${what} as JSON`}>
        Export JSON
      </button>
      {error ? <Notice kind="error">{error}</Notice> : null}
    </div>
  );
}

function param(route: ReturnType<typeof useRoute>, name: string): string {
  return route.query.get(name) ?? '';
}

export function LogsPage() {
  const route = useRoute();
  const page = Math.max(1, Number(route.query.get('page') ?? '1') || 1);
  const filters = { status: param(route, 'status'), trigger: param(route, 'trigger'), from: param(route, 'from'), to: param(route, 'to') };
  const filterKey = JSON.stringify(filters);
  const filtered = Object.values(filters).some((v) => v !== '');
  const [runs, setRuns] = useState<SyncRun[] | null>(null);
  const [meta, setMeta] = useState<ListMeta | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    setError(null);
    api
      .get<SyncRun[]>(`/integrations/kaseya-bms/runs${query({ page, pageSize: 25, ...filters })}`)
      .then((res) => {
        if (!live) return;
        setRuns(res.data);
        setMeta(res.meta ?? null);
      })
      .catch((err: unknown) => live && setError(errorMessage(err)));
    return () => {
      live = false;
    };
  }, [page, tick, filterKey]);

  // While a run is going on, keep the page current.
  useEffect(() => {
    if (!runs?.some((r) => r.status === 'running')) return;
    const timer = setTimeout(() => setTick((t) => t + 1), 2000);
    return () => clearTimeout(timer);
  }, [runs]);

  return (
    <>
      <PageTitle title="Logs" />
      <section aria-labelledby="runs-heading">
        <h2 id="runs-heading">Sync runs</h2>
        <p class="muted">Every pull from Kaseya BMS, scheduled or started with “Sync now”, with what it counted and any error.</p>
        <form class="filters" role="search" aria-label="Filter sync runs" onSubmit={(e) => e.preventDefault()}>
          <QuerySelect id="runs-status" label="Status" param="status" pageParam="page" value={filters.status} all="All statuses" options={RUN_STATUSES.map((s) => [s, s])} />
          <QuerySelect id="runs-trigger" label="Trigger" param="trigger" pageParam="page" value={filters.trigger} all="All triggers" options={RUN_TRIGGERS} />
          <QueryDate id="runs-from" label="From (UTC)" param="from" pageParam="page" value={filters.from} />
          <QueryDate id="runs-to" label="To (UTC, inclusive)" param="to" pageParam="page" value={filters.to} />
          {filtered ? (
            <Link href={withQuery({ status: null, trigger: null, from: null, to: null, page: null })} class="button link">
              Clear filters
            </Link>
          ) : null}
        </form>
        <ExportButtons path="/integrations/kaseya-bms/runs" filters={filters} what="sync runs" />
        {error ? <Notice kind="error">{error}</Notice> : null}
        <p class="result-count" role="status">
          {meta ? `${meta.total} ${meta.total === 1 ? 'run' : 'runs'} found` : ''}
        </p>
        {runs ? <RunsTable runs={runs} caption={filtered ? 'Sync runs (filtered), newest first' : 'Sync runs, newest first'} /> : !error ? <Loading what="sync runs" /> : null}
        {meta && meta.total > meta.pageSize ? (
          <Pager meta={meta} label="Sync run pages" onPage={(p) => navigate(withQuery({ page: p === 1 ? null : p }))} />
        ) : null}
      </section>
      <HistoryLog />
    </>
  );
}

/** The account's record history across its records: pushes, pulls, conflicts and failures. */
function HistoryLog() {
  const route = useRoute();
  const page = Math.max(1, Number(route.query.get('hpage') ?? '1') || 1);
  const filters = { kind: param(route, 'hkind'), recordType: param(route, 'htype'), from: param(route, 'hfrom'), to: param(route, 'hto') };
  const filterKey = JSON.stringify(filters);
  const filtered = Object.values(filters).some((v) => v !== '');
  const [entries, setEntries] = useState<HistoryEntry[] | null>(null);
  const [meta, setMeta] = useState<ListMeta | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setError(null);
    api
      .get<HistoryEntry[]>(`/integrations/kaseya-bms/history${query({ page, pageSize: 25, ...filters })}`)
      .then((res) => {
        if (!live) return;
        setEntries(res.data);
        setMeta(res.meta ?? null);
      })
      .catch((err: unknown) => live && setError(errorMessage(err)));
    return () => {
      live = false;
    };
  }, [page, filterKey]);

  const types = (Object.keys(TYPE_LABELS) as RecordType[]).map((t) => [t, TYPE_LABELS[t].many] as const);
  return (
    <section aria-labelledby="history-heading">
      <h2 id="history-heading">Record history</h2>
      <p class="muted">What happened to each record: queued and pushed to Kaseya BMS, pulled or matched, conflicts with both values, and failures.</p>
      <form class="filters" role="search" aria-label="Filter record history" onSubmit={(e) => e.preventDefault()}>
        <QuerySelect id="history-kind" label="Kind" param="hkind" pageParam="hpage" value={filters.kind} all="All kinds" options={HISTORY_KINDS} />
        <QuerySelect id="history-type" label="Record type" param="htype" pageParam="hpage" value={filters.recordType} all="All types" options={types} />
        <QueryDate id="history-from" label="From (UTC)" param="hfrom" pageParam="hpage" value={filters.from} />
        <QueryDate id="history-to" label="To (UTC, inclusive)" param="hto" pageParam="hpage" value={filters.to} />
        {filtered ? (
          <Link href={withQuery({ hkind: null, htype: null, hfrom: null, hto: null, hpage: null })} class="button link">
            Clear filters
          </Link>
        ) : null}
      </form>
      <ExportButtons path="/integrations/kaseya-bms/history" filters={filters} what="record history" />
      {error ? <Notice kind="error">{error}</Notice> : null}
      <p class="result-count" role="status">
        {meta ? `${meta.total} ${meta.total === 1 ? 'entry' : 'entries'} found` : ''}
      </p>
      {entries === null && !error ? <Loading what="record history" /> : null}
      {entries ? (
        <div class="table-wrap">
          <table class="data history-log">
            <caption class="visually-hidden">Record history{filtered ? ' (filtered)' : ''}, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Record</th>
                <th scope="col">Kind</th>
                <th scope="col">What happened</th>
              </tr>
            </thead>
            <tbody>
              {entries.length === 0 ? (
                <tr>
                  <td colSpan={4} class="muted">
                    No entries{filtered ? ' match these filters' : ' yet'}.
                  </td>
                </tr>
              ) : null}
              {entries.map((h) => (
                <tr key={String(h.id)} class={h.kind === 'error' ? 'level-error' : h.kind === 'conflict' ? 'level-warn' : undefined}>
                  <td>{formatTime(h.at)}</td>
                  <td>{recordLink(h.recordType, h.recordId) ?? '—'}</td>
                  <td>
                    <span class={`tag kind-${h.kind}`}>{h.kind}</span>
                  </td>
                  <td>{h.summary}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {meta && meta.total > meta.pageSize ? (
        <Pager meta={meta} label="Record history pages" onPage={(p) => navigate(withQuery({ hpage: p === 1 ? null : p }))} />
      ) : null}
    </section>
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
