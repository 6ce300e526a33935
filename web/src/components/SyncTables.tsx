/** Tables shared by the overview, Manage data and Logs: sync states per type, and pull runs. */
import { entityLabel, formatDuration, formatTime, stateLabel, TYPE_LABELS, TYPE_ORDER } from '../labels';
import { Link } from '../router';
import type { RunCounts, SyncRun, SyncState, SyncSummary } from '../types';

export function SummaryTable({ summary, states, caption }: { summary: SyncSummary; states: SyncState[]; caption: string }) {
  return (
    <div class="table-wrap">
      <table class="data summary">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Type</th>
            {states.map((s) => (
              <th scope="col" key={s} class="num">
                {stateLabel(s)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {TYPE_ORDER.map((type) => (
            <tr key={type}>
              <th scope="row">
                <Link href={`/${TYPE_LABELS[type].path}`}>{TYPE_LABELS[type].many}</Link>
              </th>
              {states.map((s) => {
                const n = summary[type]?.[s] ?? 0;
                return (
                  <td key={s} class="num">
                    {n > 0 ? (
                      <Link href={`/${TYPE_LABELS[type].path}?state=${s}`} aria-label={`${n} ${TYPE_LABELS[type].many.toLowerCase()} ${stateLabel(s).toLowerCase()}`}>
                        {n}
                      </Link>
                    ) : (
                      <span class="muted">0</span>
                    )}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const COUNTERS = ['seen', 'created', 'updated', 'linked', 'held', 'unchanged', 'orphaned', 'skipped', 'failed'] as const;

export function totals(counts: RunCounts): Record<string, number> {
  const out: Record<string, number> = {};
  for (const values of Object.values(counts)) {
    for (const [k, n] of Object.entries(values)) out[k] = (out[k] ?? 0) + (n ?? 0);
  }
  return out;
}

/** "12 seen, 3 updated, 1 failed" — only the counters that are not zero. */
export function countsText(counts: Record<string, number | undefined>): string {
  const parts = COUNTERS.filter((k) => (counts[k] ?? 0) > 0).map((k) => `${counts[k]} ${k}`);
  return parts.length ? parts.join(', ') : 'no changes';
}

export function RunStatus({ status }: { status: string }) {
  const label = { running: 'Running', completed: 'Completed', failed: 'Failed', skipped: 'Skipped' }[status] ?? status;
  return <span class={`badge run-${status}`}>{label}</span>;
}

export function RunsTable({ runs, caption }: { runs: SyncRun[]; caption: string }) {
  return (
    <div class="table-wrap">
      <table class="data runs">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">Trigger</th>
            <th scope="col">Status</th>
            <th scope="col">Duration</th>
            <th scope="col">Counts</th>
            <th scope="col">Error</th>
          </tr>
        </thead>
        <tbody>
          {runs.length === 0 ? (
            <tr>
              <td colSpan={6} class="muted">
                No sync runs yet.
              </td>
            </tr>
          ) : null}
          {runs.map((run) => (
            <tr key={run.id}>
              <td>
                <Link href={`/logs/${run.id}`}>{formatTime(run.startedAt)}</Link>
              </td>
              <td>{run.trigger}</td>
              <td>
                <RunStatus status={run.status} />
              </td>
              <td>{formatDuration(run.startedAt, run.finishedAt)}</td>
              <td>{countsText(totals(run.counts))}</td>
              <td class="error-cell">{run.error ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function RunCountsTable({ counts }: { counts: RunCounts }) {
  const entities = Object.keys(counts);
  if (entities.length === 0) return <p class="muted">Nothing counted yet.</p>;
  return (
    <div class="table-wrap">
      <table class="data">
        <caption>Counts by type</caption>
        <thead>
          <tr>
            <th scope="col">Type</th>
            {COUNTERS.map((c) => (
              <th scope="col" class="num" key={c}>
                {c.charAt(0).toUpperCase() + c.slice(1)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {entities.map((e) => (
            <tr key={e}>
              <th scope="row">{entityLabel(e)}</th>
              {COUNTERS.map((c) => (
                <td class="num" key={c}>
                  {counts[e]?.[c] ?? 0}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
