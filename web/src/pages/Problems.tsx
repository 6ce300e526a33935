/**
 * Problems: every record that needs a person, grouped by kind, each with its cause in plain words, a link
 * to what fixes it (the field, the record it waits for, the Sync Settings section) and, for administrators
 * and managers, retry one or retry all of a kind. Held BMS records awaiting a match are listed too, and
 * resolved in Review matches.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage, query } from '../api';
import { PROBLEMS_CHANGED } from '../components/Layout';
import { Loading, Notice, PageTitle } from '../components/Page';
import { TYPE_LABELS, TYPE_ORDER, typeFromPath } from '../labels';
import { Link, navigate, useRoute, withQuery } from '../router';
import { can, useSession } from '../session';
import type { ProblemEntry, ProblemKind, ProblemsPageMeta, RecordType, RetryAllRequest, RetryAllResult, RetryOneRequest, RetryResult } from '../types';

const KINDS: Array<{ kind: ProblemKind; label: string; explain: string; retry: boolean }> = [
  { kind: 'failed', label: 'Pushes Kaseya BMS refused', explain: 'Kaseya BMS refused these pushes; its reason is shown. Correct the record, then retry.', retry: true },
  {
    kind: 'missing_value',
    label: 'Missing a value Kaseya BMS requires',
    explain: 'Checked before pushing: Kaseya BMS would refuse these records, so nothing was sent. Fill in the value, then retry.',
    retry: true,
  },
  { kind: 'waiting', label: 'Waiting on another record', explain: 'These pushes wait for another record (their organization, location…) to reach Kaseya BMS first.', retry: true },
  { kind: 'excluded', label: 'Excluded by a rule', explain: 'Their type or status is not set to sync, or what they belong to does not sync (R7).', retry: true },
  {
    kind: 'orphaned',
    label: 'Disconnected from Kaseya BMS',
    explain: 'Their Kaseya BMS record is gone or no longer matches the Sync Settings. They are kept; reconnect or delete them.',
    retry: false,
  },
  {
    kind: 'held',
    label: 'Held for a match',
    explain: 'Kaseya BMS records that matched no documentation record exactly, held as Sync Settings say. Match, create or exclude them in Review matches.',
    retry: false,
  },
];

const PER_KIND = 50;

function formatSince(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function ProblemsPage() {
  const { session } = useSession();
  const route = useRoute();
  const canRetry = can(session, 'problems:retry');
  const type: RecordType | undefined = typeFromPath(route.query.get('type') ?? '');
  const [groups, setGroups] = useState<Partial<Record<ProblemKind, ProblemEntry[]>> | null>(null);
  const [meta, setMeta] = useState<ProblemsPageMeta | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<{ kind: 'success' | 'warning'; text: string; details: string[] } | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let live = true;
    Promise.all(
      KINDS.map(async ({ kind }) => {
        const res = await api.get<ProblemEntry[]>(`/problems${query({ kind, type, limit: PER_KIND })}`);
        return { kind, items: res.data, meta: res.meta as unknown as ProblemsPageMeta };
      }),
    )
      .then((answers) => {
        if (!live) return;
        setGroups(Object.fromEntries(answers.map((a) => [a.kind, a.items])));
        setMeta(answers[0]!.meta);
        // The menu's count follows what this page shows.
        window.dispatchEvent(new Event(PROBLEMS_CHANGED));
        setError(null);
      })
      .catch((err: unknown) => live && setError(errorMessage(err)));
    return () => {
      live = false;
    };
  }, [type, reload]);

  const nameOf = (type: RecordType, id: string) =>
    Object.values(groups ?? {})
      .flat()
      .find((p) => p.record.type === type && p.record.id === id)?.record.name ?? id;

  const retryOne = async (entry: ProblemEntry) => {
    setBusy(entry.record.id);
    setOutcome(null);
    try {
      const res = await api.post<RetryResult>('/problems/retry', { recordType: entry.record.type, recordId: entry.record.id } satisfies RetryOneRequest);
      setOutcome(
        res.data.queued
          ? { kind: 'success', text: `${entry.record.name}: queued for push to Kaseya BMS.`, details: [] }
          : { kind: 'warning', text: `${entry.record.name}: not queued. ${res.data.cause ?? ''}`, details: [] },
      );
      setReload((n) => n + 1);
    } catch (err) {
      setOutcome({ kind: 'warning', text: `${entry.record.name}: ${errorMessage(err)}`, details: [] });
    } finally {
      setBusy(null);
    }
  };

  const retryAll = async (kind: ProblemKind, label: string) => {
    setBusy(kind);
    setOutcome(null);
    try {
      const body: RetryAllRequest = type ? { kind, recordType: type } : { kind };
      const res = await api.post<RetryAllResult>('/problems/retry-all', body);
      const { queued, notQueued, more, results } = res.data;
      setOutcome({
        kind: notQueued > 0 ? 'warning' : 'success',
        text: `${label}: ${queued} queued for push, ${notQueued} not queued${more ? '; more remain, retry again for them' : ''}.`,
        details: results
          .filter((r) => !r.queued)
          .slice(0, 20)
          .map((r) => `${nameOf(r.recordType, r.id)} (${TYPE_LABELS[r.recordType].one.toLowerCase()}): ${r.cause ?? 'not queued'}`),
      });
      setReload((n) => n + 1);
    } catch (err) {
      setOutcome({ kind: 'warning', text: errorMessage(err), details: [] });
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      <PageTitle title="Problems" />
      <p class="muted">
        Every record that needs a person before it can sync with Kaseya BMS, with what to do about it. Kaseya BMS records held for a match are
        resolved in <Link href="/review">Review matches</Link>.
      </p>
      <div class="filters">
        <div class="field">
          <label for="problems-type">Record type</label>
          <select
            id="problems-type"
            value={type ? TYPE_LABELS[type].path : ''}
            onChange={(e) => navigate(withQuery({ type: (e.currentTarget as HTMLSelectElement).value || null }))}
          >
            <option value="">All types</option>
            {TYPE_ORDER.map((t) => (
              <option key={t} value={TYPE_LABELS[t].path}>
                {TYPE_LABELS[t].many}
              </option>
            ))}
          </select>
        </div>
      </div>
      {!canRetry ? <p class="field-hint">Only administrators and managers can retry pushes; your role is {session.me.role}.</p> : null}
      {error ? <Notice kind="error">{error}</Notice> : null}
      <div aria-live="polite" data-testid="retry-outcome">
        {outcome ? (
          <Notice kind={outcome.kind}>
            <p>{outcome.text}</p>
            {outcome.details.length ? (
              <ul>
                {outcome.details.map((d) => (
                  <li key={d}>{d}</li>
                ))}
              </ul>
            ) : null}
          </Notice>
        ) : null}
      </div>
      {groups === null || meta === null ? (
        error ? null : <Loading what="problems" />
      ) : meta.total === 0 ? (
        <Notice kind="success">Nothing needs you: every record syncs as it should.</Notice>
      ) : (
        KINDS.filter(({ kind }) => meta.counts[kind] > 0).map(({ kind, label, explain, retry }) => {
          const items = groups[kind] ?? [];
          const count = meta.counts[kind];
          return (
            <section class="panel problems-group" aria-labelledby={`problems-${kind}`} data-testid={`problems-${kind}`} key={kind}>
              <div class="panel-heading">
                <h2 id={`problems-${kind}`}>
                  {label} <span class="count">({count})</span>
                </h2>
                {canRetry && retry ? (
                  <button type="button" class="button secondary" disabled={busy !== null} onClick={() => void retryAll(kind, label)}>
                    Retry all {count}
                  </button>
                ) : null}
              </div>
              <p class="muted">{explain}</p>
              <div class="table-wrap">
                <table class="data problems">
                  <caption class="visually-hidden">{label}</caption>
                  <thead>
                    <tr>
                      <th scope="col">Record</th>
                      <th scope="col">Organization</th>
                      <th scope="col">Cause</th>
                      <th scope="col">Fix</th>
                      <th scope="col">Since</th>
                      {canRetry && retry ? <th scope="col">Action</th> : null}
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((p) => (
                      <tr key={`${p.record.type}:${p.record.id}`} data-record={p.record.id}>
                        <th scope="row">
                          <Link href={p.record.href}>{p.record.name}</Link> <span class="tag">{TYPE_LABELS[p.record.type].one}</span>
                        </th>
                        <td>{p.record.organization ? <Link href={`/organizations/${p.record.organization.id}`}>{p.record.organization.name}</Link> : '—'}</td>
                        <td class="cause">{p.cause}</td>
                        <td>
                          <Link href={p.fix.href} class="fix-link">
                            {p.fix.label}
                          </Link>
                        </td>
                        <td>{formatSince(p.since)}</td>
                        {canRetry && retry ? (
                          <td>
                            <button
                              type="button"
                              class="button secondary small"
                              disabled={busy !== null}
                              aria-label={`Retry ${p.record.name}`}
                              onClick={() => void retryOne(p)}
                            >
                              Retry
                            </button>
                          </td>
                        ) : null}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              {count > items.length ? (
                <p class="muted">
                  Showing the {items.length} newest of {count}.
                </p>
              ) : null}
            </section>
          );
        })
      )}
    </>
  );
}
