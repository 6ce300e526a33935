/**
 * Manage data (IT Glue's Integrations > Manage Data): synced, orphaned and disconnected records per type,
 * with bulk actions: disable sync (disconnect, keeps the data), enable sync, and delete permanently.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage, query } from '../api';
import { Loading, Notice, PageTitle } from '../components/Page';
import { Pager } from '../components/Pager';
import { SyncBadge } from '../components/SyncBadge';
import { SummaryTable } from '../components/SyncTables';
import { recordTitle, TYPE_LABELS, TYPE_ORDER, typeFromPath } from '../labels';
import { Link, navigate, useRoute, withQuery } from '../router';
import { can, useSession } from '../session';
import type { BulkResult, ListMeta, ManageRequest, RecordJson, RecordType, SyncState, SyncSummary } from '../types';

const SECTIONS: Array<{ id: string; label: string; state: SyncState; explain: string }> = [
  { id: 'synced', label: 'Synced items', state: 'synced', explain: 'Records linked to a Kaseya BMS record and in step with it.' },
  {
    id: 'orphaned',
    label: 'Orphaned data',
    state: 'orphaned',
    explain:
      'The Kaseya BMS record was deleted, made inactive, or no longer matches the Sync Settings. Orphans are kept and never deleted automatically.',
  },
  {
    id: 'disconnected',
    label: 'Disconnected data',
    state: 'disabled',
    explain: 'Sync is disabled for these records: they are neither updated from Kaseya BMS nor pushed to it until sync is enabled again.',
  },
];

type BulkAction = 'disable-sync' | 'enable-sync' | 'delete';
const ACTION_LABELS: Record<BulkAction, string> = { 'disable-sync': 'Disable sync', 'enable-sync': 'Enable sync', delete: 'Delete permanently' };

export function ManageDataPage() {
  const { session } = useSession();
  const route = useRoute();
  const canManage = can(session, 'integration:write');
  const section = SECTIONS.find((s) => s.id === route.query.get('section')) ?? SECTIONS[1]!;
  const type: RecordType = typeFromPath(route.query.get('type') ?? '') ?? 'organization';
  const page = Math.max(1, Number(route.query.get('page') ?? '1') || 1);
  const pageSize = 50;

  const [summary, setSummary] = useState<SyncSummary | null>(null);
  const [items, setItems] = useState<RecordJson[] | null>(null);
  const [listMeta, setListMeta] = useState<ListMeta | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ text: string; failures: BulkResult[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    api
      .get<SyncSummary>('/integrations/kaseya-bms/summary')
      .then((res) => setSummary(res.data))
      .catch((err: unknown) => setError(errorMessage(err)));
  }, [reload]);

  useEffect(() => {
    let live = true;
    setItems(null);
    setSelected(new Set());
    setConfirmDelete(false);
    api
      .get<RecordJson[]>(`/${TYPE_LABELS[type].path}${query({ syncState: section.state, page, pageSize })}`)
      .then((res) => {
        if (!live) return;
        setItems(res.data);
        setListMeta(res.meta ?? null);
      })
      .catch((err: unknown) => live && setError(errorMessage(err)));
    return () => {
      live = false;
    };
  }, [type, section.state, page, reload]);

  const count = (state: SyncState) => (summary ? TYPE_ORDER.reduce((n, t) => n + (summary[t]?.[state] ?? 0), 0) : null);

  const run = async (action: BulkAction) => {
    if (selected.size === 0) return;
    setBusy(true);
    setOutcome(null);
    setError(null);
    try {
      const res = await api.post<BulkResult[]>('/integrations/kaseya-bms/manage', {
        action,
        records: [...selected].map((id) => ({ recordType: type, id })),
      } satisfies ManageRequest);
      const ok = res.data.filter((r) => r.ok).length;
      const failures = res.data.filter((r) => !r.ok);
      setOutcome({
        text: `${ACTION_LABELS[action]}: ${ok} of ${res.data.length} record${res.data.length === 1 ? '' : 's'} done${failures.length ? `, ${failures.length} refused` : ''}.`,
        failures,
      });
      setReload((n) => n + 1);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
      setConfirmDelete(false);
    }
  };

  const all = items ?? [];
  const allSelected = all.length > 0 && all.every((r) => selected.has(r.id));
  const titleOf = (id: string) => recordTitle(all.find((r) => r.id === id)) || id;

  return (
    <>
      <PageTitle title="Manage data" />
      {summary ? (
        <SummaryTable summary={summary} states={session.meta.syncStates} caption="Records of each type in each sync state" />
      ) : (
        <Loading what="the summary" />
      )}
      <nav class="tabs" aria-label="Manage data sections">
        <ul>
          {SECTIONS.map((s) => (
            <li key={s.id}>
              <Link href={withQuery({ section: s.id, page: null })} aria-current={s.id === section.id ? 'page' : undefined}>
                {s.label}
                {count(s.state) !== null ? ` (${count(s.state)})` : ''}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <section class="panel" aria-labelledby="section-heading">
        <h2 id="section-heading">
          {section.label}: {TYPE_LABELS[type].many.toLowerCase()}
        </h2>
        <p class="muted">{section.explain}</p>
        <div class="filters">
          <div class="field">
            <label for="manage-type">Record type</label>
            <select
              id="manage-type"
              value={TYPE_LABELS[type].path}
              onChange={(e) => navigate(withQuery({ type: (e.currentTarget as HTMLSelectElement).value, page: null }))}
            >
              {TYPE_ORDER.map((t) => (
                <option key={t} value={TYPE_LABELS[t].path}>
                  {TYPE_LABELS[t].many}
                  {summary ? ` (${summary[t]?.[section.state] ?? 0})` : ''}
                </option>
              ))}
            </select>
          </div>
        </div>
        {error ? <Notice kind="error">{error}</Notice> : null}
        {canManage ? (
          <div class="bulk-bar" role="group" aria-label="Bulk actions">
            <span class="bulk-count" aria-live="polite">
              {selected.size} selected
            </span>
            <button type="button" class="button secondary" disabled={busy || selected.size === 0} onClick={() => void run('disable-sync')}>
              Disable sync
            </button>
            <button type="button" class="button secondary" disabled={busy || selected.size === 0} onClick={() => void run('enable-sync')}>
              Enable sync
            </button>
            {confirmDelete ? (
              <>
                <span class="confirm-text">Delete {selected.size} record(s) from the documentation? This cannot be undone.</span>
                <button type="button" class="button danger" disabled={busy} onClick={() => void run('delete')}>
                  Yes, delete permanently
                </button>
                <button type="button" class="button secondary" onClick={() => setConfirmDelete(false)}>
                  Cancel
                </button>
              </>
            ) : (
              <button type="button" class="button secondary" disabled={busy || selected.size === 0} onClick={() => setConfirmDelete(true)}>
                Delete permanently…
              </button>
            )}
          </div>
        ) : (
          <p class="field-hint">Only administrators and managers can change what syncs; your role is {session.me.role}.</p>
        )}
        <div aria-live="polite" data-testid="bulk-outcome">
          {outcome ? (
            <Notice kind={outcome.failures.length ? 'warning' : 'success'}>
              <p>{outcome.text}</p>
              {outcome.failures.length ? (
                <ul>
                  {outcome.failures.map((f) => (
                    <li key={f.id}>
                      {titleOf(f.id)}: {f.error?.message ?? 'refused'}
                    </li>
                  ))}
                </ul>
              ) : null}
            </Notice>
          ) : null}
        </div>
        {items === null ? <Loading what="records" /> : null}
        {items ? (
          <div class="table-wrap">
            <table class="data records">
              <caption class="visually-hidden">
                {section.label}: {TYPE_LABELS[type].many}
              </caption>
              <thead>
                <tr>
                  {canManage ? (
                    <th scope="col" class="check-col">
                      <input
                        type="checkbox"
                        id="select-all"
                        aria-label="Select all records on this page"
                        checked={allSelected}
                        disabled={all.length === 0}
                        onChange={(e) => setSelected((e.currentTarget as HTMLInputElement).checked ? new Set(all.map((r) => r.id)) : new Set())}
                      />
                    </th>
                  ) : null}
                  <th scope="col">Name</th>
                  <th scope="col">Kaseya BMS id</th>
                  <th scope="col">State</th>
                  <th scope="col">Message</th>
                </tr>
              </thead>
              <tbody>
                {items.length === 0 ? (
                  <tr>
                    <td colSpan={canManage ? 5 : 4} class="muted">
                      No {TYPE_LABELS[type].many.toLowerCase()} here.
                    </td>
                  </tr>
                ) : null}
                {items.map((r) => (
                  <tr key={r.id}>
                    {canManage ? (
                      <td class="check-col">
                        <input
                          type="checkbox"
                          id={`select-${r.id}`}
                          aria-label={`Select ${recordTitle(r)}`}
                          checked={selected.has(r.id)}
                          onChange={(e) => {
                            const next = new Set(selected);
                            if ((e.currentTarget as HTMLInputElement).checked) next.add(r.id);
                            else next.delete(r.id);
                            setSelected(next);
                          }}
                        />
                      </td>
                    ) : null}
                    <th scope="row">
                      <Link href={`/${TYPE_LABELS[type].path}/${r.id}`}>{recordTitle(r)}</Link>
                    </th>
                    <td>{r.sync.bmsId ?? '—'}</td>
                    <td>
                      <SyncBadge state={r.sync.state} />
                    </td>
                    <td>{r.sync.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {listMeta && listMeta.total > pageSize ? (
          <Pager meta={listMeta} label="Manage data pages" onPage={(p) => navigate(withQuery({ page: p === 1 ? null : p }))} />
        ) : null}
      </section>
    </>
  );
}
