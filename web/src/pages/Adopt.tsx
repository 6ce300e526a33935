/**
 * Adopt records: push records that already existed (before two-way sync, imported, or written through
 * the API) to Kaseya BMS, reviewed first. Filter and select records, preview exactly what a push of each
 * would do in Kaseya BMS (create, link to an existing BMS record with the same natural key, the fields
 * that would change, or why it would not be pushed), then confirm that preview and follow each record's
 * push. For administrators and managers.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, errorMessage, query } from '../api';
import { Loading, Notice, PageTitle } from '../components/Page';
import { Pager } from '../components/Pager';
import { SyncBadge } from '../components/SyncBadge';
import { displayValue, fieldLabel, formatTime, recordTitle, ROLE_LABELS, STATE_LABELS, TYPE_LABELS, TYPE_ORDER, typeFromPath } from '../labels';
import { Link, navigate, useRoute, withQuery } from '../router';
import { can, useSession } from '../session';
import type { AdoptionItemView, AdoptionView, ListMeta, RecordJson, RecordType, SyncState } from '../types';

const POLL_MS = 1000;
const MAX_SELECTED = 500;

const ORIGINS: Array<{ value: string; label: string }> = [
  { value: '', label: 'Any origin' },
  { value: 'created', label: 'Created here (web UI or API)' },
  { value: 'imported', label: 'Imported' },
  { value: 'pulled', label: 'Pulled from Kaseya BMS' },
];

const STATES: SyncState[] = ['not_pushed', 'failed', 'excluded', 'synced', 'queued', 'orphaned', 'disabled'];

const ACTION_LABELS: Record<string, string> = {
  create: 'Create in Kaseya BMS',
  link: 'Link to existing BMS record',
  update: 'Update the linked BMS record',
  unchanged: 'Nothing to send',
  excluded: 'Not pushed',
  refused: 'Would be refused',
  skipped: 'Not pushed',
};

const PROGRESS_LABELS: Record<string, string> = { not_queued: 'Not queued', queued: 'Queued', pushed: 'Pushed', failed: 'Failed' };

const PUSHABLE = ['create', 'link', 'update'];

interface Selected {
  recordType: RecordType;
  id: string;
  label: string;
}

export function AdoptPage() {
  const { session } = useSession();
  const allowed = can(session, 'records:adopt');
  const route = useRoute();
  const previewId = route.query.get('preview');
  return (
    <>
      <PageTitle title="Adopt records" />
      <p class="muted">
        Records that existed before two-way sync was turned on, were imported, or were written through the API are not pushed to Kaseya BMS
        on their own. Choose some here, see exactly what a push would do in Kaseya BMS, and confirm to push them.
      </p>
      {!allowed ? (
        <Notice kind="info">Only administrators and managers can adopt records; your role is {ROLE_LABELS[session.me.role]}.</Notice>
      ) : previewId ? (
        <PreviewPanel key={previewId} id={previewId} />
      ) : (
        <SelectPanel />
      )}
    </>
  );
}

function SelectPanel() {
  const route = useRoute();
  const type: RecordType = typeFromPath(route.query.get('type') ?? '') ?? 'organization';
  const state = route.query.get('state') ?? 'not_pushed';
  const origin = route.query.get('origin') ?? '';
  const organizationId = route.query.get('organizationId') ?? '';
  const page = Math.max(1, Number(route.query.get('page') ?? '1') || 1);
  const pageSize = 50;

  const [organizations, setOrganizations] = useState<RecordJson[]>([]);
  const [items, setItems] = useState<RecordJson[] | null>(null);
  const [meta, setMeta] = useState<ListMeta | null>(null);
  const [selected, setSelected] = useState<Map<string, Selected>>(new Map());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api
      .get<RecordJson[]>(`/organizations${query({ pageSize: 200 })}`)
      .then((res) => setOrganizations(res.data))
      .catch((err: unknown) => setError(errorMessage(err)));
  }, []);

  useEffect(() => {
    let live = true;
    setItems(null);
    api
      .get<RecordJson[]>(
        `/${TYPE_LABELS[type].path}${query({ syncState: state || undefined, origin: origin || undefined, organizationId: type === 'organization' ? undefined : organizationId || undefined, page, pageSize })}`,
      )
      .then((res) => {
        if (!live) return;
        setItems(res.data);
        setMeta(res.meta ?? null);
      })
      .catch((err: unknown) => live && setError(errorMessage(err)));
    return () => {
      live = false;
    };
  }, [type, state, origin, organizationId, page]);

  const key = (t: RecordType, id: string) => `${t}:${id}`;
  const toggle = (record: RecordJson, on: boolean) => {
    const next = new Map(selected);
    if (on) next.set(key(record.recordType, record.id), { recordType: record.recordType, id: record.id, label: recordTitle(record) });
    else next.delete(key(record.recordType, record.id));
    setSelected(next);
  };
  const all = items ?? [];
  const allSelected = all.length > 0 && all.every((r) => selected.has(key(r.recordType, r.id)));
  const tooMany = selected.size > MAX_SELECTED;

  const preview = async () => {
    setBusy(true);
    setError(null);
    try {
      const res = await api.post<AdoptionView>('/adoptions', { records: [...selected.values()].map((s) => ({ recordType: s.recordType, id: s.id })) });
      navigate(withQuery({ preview: res.data.id }));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const filter = (name: string, value: string) => navigate(withQuery({ [name]: value || null, page: null }));

  return (
    <section class="panel" aria-labelledby="adopt-select-heading">
      <h2 id="adopt-select-heading">1. Choose records</h2>
      <div class="filters">
        <div class="field">
          <label for="adopt-type">Record type</label>
          <select id="adopt-type" value={TYPE_LABELS[type].path} onChange={(e) => filter('type', (e.currentTarget as HTMLSelectElement).value)}>
            {TYPE_ORDER.map((t) => (
              <option key={t} value={TYPE_LABELS[t].path}>
                {TYPE_LABELS[t].many}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="adopt-state">Sync state</label>
          <select id="adopt-state" value={state} onChange={(e) => filter('state', (e.currentTarget as HTMLSelectElement).value)}>
            <option value="">Any state</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {STATE_LABELS[s]}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="adopt-origin">Origin</label>
          <select id="adopt-origin" value={origin} onChange={(e) => filter('origin', (e.currentTarget as HTMLSelectElement).value)}>
            {ORIGINS.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </div>
        {type !== 'organization' ? (
          <div class="field">
            <label for="adopt-organization">Organization</label>
            <select id="adopt-organization" value={organizationId} onChange={(e) => filter('organizationId', (e.currentTarget as HTMLSelectElement).value)}>
              <option value="">Any organization</option>
              {organizations.map((o) => (
                <option key={o.id} value={o.id}>
                  {recordTitle(o)}
                </option>
              ))}
            </select>
          </div>
        ) : null}
      </div>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <div class="bulk-bar" role="group" aria-label="Selection">
        <span class="bulk-count" aria-live="polite" data-testid="adopt-selected">
          {selected.size} selected
        </span>
        <button type="button" class="button primary" disabled={busy || selected.size === 0 || tooMany} onClick={() => void preview()}>
          {busy ? 'Starting the preview…' : 'Preview push'}
        </button>
        {selected.size > 0 ? (
          <button type="button" class="button secondary" disabled={busy} onClick={() => setSelected(new Map())}>
            Clear selection
          </button>
        ) : null}
        {tooMany ? <span class="confirm-text">At most {MAX_SELECTED} records in one preview.</span> : null}
      </div>
      {items === null ? <Loading what="records" /> : null}
      {items ? (
        <div class="table-wrap">
          <table class="data records">
            <caption class="visually-hidden">{TYPE_LABELS[type].many} to choose from</caption>
            <thead>
              <tr>
                <th scope="col" class="check-col">
                  <input
                    type="checkbox"
                    id="adopt-select-all"
                    aria-label="Select all records on this page"
                    checked={allSelected}
                    disabled={all.length === 0}
                    onChange={(e) => {
                      const on = (e.currentTarget as HTMLInputElement).checked;
                      const next = new Map(selected);
                      for (const r of all) {
                        if (on) next.set(key(r.recordType, r.id), { recordType: r.recordType, id: r.id, label: recordTitle(r) });
                        else next.delete(key(r.recordType, r.id));
                      }
                      setSelected(next);
                    }}
                  />
                </th>
                <th scope="col">Name</th>
                <th scope="col">State</th>
                <th scope="col">Message</th>
              </tr>
            </thead>
            <tbody>
              {items.length === 0 ? (
                <tr>
                  <td colSpan={4} class="muted">
                    No {TYPE_LABELS[type].many.toLowerCase()} match these filters.
                  </td>
                </tr>
              ) : null}
              {items.map((r) => (
                <tr key={r.id}>
                  <td class="check-col">
                    <input
                      type="checkbox"
                      id={`adopt-${r.id}`}
                      aria-label={`Select ${recordTitle(r)}`}
                      checked={selected.has(key(r.recordType, r.id))}
                      onChange={(e) => toggle(r, (e.currentTarget as HTMLInputElement).checked)}
                    />
                  </td>
                  <th scope="row">
                    <Link href={`/${TYPE_LABELS[type].path}/${r.id}`}>{recordTitle(r)}</Link>
                  </th>
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
      {meta && meta.total > pageSize ? <Pager meta={meta} label="Record pages" onPage={(p) => navigate(withQuery({ page: p === 1 ? null : p }))} /> : null}
    </section>
  );
}

function Changes({ item }: { item: AdoptionItemView }) {
  if (item.changes.length === 0) return <span class="muted">—</span>;
  return (
    <ul class="changes">
      {item.changes.map((c) => (
        <li key={c.field}>
          <span class="field-name">{fieldLabel(c.field)}</span>: <del>{displayValue(c.from)}</del> → <ins>{displayValue(c.to)}</ins>
        </li>
      ))}
    </ul>
  );
}

function PreviewPanel({ id }: { id: string }) {
  const [view, setView] = useState<AdoptionView | null>(null);
  const [error, setError] = useState<{ message: string; records?: string[] } | null>(null);
  const [busy, setBusy] = useState(false);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    api
      .get<AdoptionView>(`/adoptions/${id}`)
      .then((res) => live && setView(res.data))
      .catch((err: unknown) => live && setError({ message: errorMessage(err) }));
    return () => {
      live = false;
    };
  }, [id, tick]);

  // Poll while the preview is computed and while confirmed records are still on their way.
  const moving = view !== null && (view.status === 'computing' || (view.status === 'confirmed' && view.items.some((i) => i.progress === 'queued')));
  useEffect(() => {
    if (!moving) return;
    const timer = setTimeout(() => setTick((t) => t + 1), POLL_MS);
    return () => clearTimeout(timer);
  }, [moving, tick]);

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      const res = await api.post<AdoptionView>(`/adoptions/${id}/confirm`, {});
      setView(res.data);
    } catch (err) {
      const records = err instanceof ApiError && Array.isArray(err.details?.records) ? (err.details.records as Array<{ id: string }>).map((r) => r.id) : undefined;
      setError({ message: errorMessage(err), records });
    } finally {
      setBusy(false);
    }
  };

  if (!view) return error ? <Notice kind="error">{error.message}</Notice> : <Loading what="the preview" />;
  const pushable = view.items.filter((i) => i.action && PUSHABLE.includes(i.action));
  const confirmed = view.status === 'confirmed';
  const count = (k: string) => view.counts[k] ?? 0;

  return (
    <section class="panel" aria-labelledby="adopt-preview-heading">
      <h2 id="adopt-preview-heading">{confirmed ? '3. Pushing to Kaseya BMS' : '2. What a push would do in Kaseya BMS'}</h2>
      <p class="muted">
        Previewed by {view.requestedBy}, {formatTime(view.createdAt)}
        {confirmed
          ? `; confirmed by ${view.confirmedBy ?? 'someone'}, ${formatTime(view.confirmedAt)}. Each record goes through its own push, under the Kaseya BMS rate budget.`
          : '. Nothing has been written to Kaseya BMS.'}
      </p>
      {view.status === 'computing' ? <Loading what="what Kaseya BMS holds for these records" /> : null}
      {view.status === 'failed' ? <Notice kind="error">The preview failed: {view.error}</Notice> : null}
      {view.status === 'ready' || confirmed ? (
        <p data-testid="adopt-counts" aria-live="polite">
          {confirmed
            ? `${count('pushed')} pushed, ${count('queued')} queued, ${count('failed')} failed, ${count('not_queued')} not queued.`
            : `${count('create')} to create, ${count('link')} to link, ${count('update')} to update, ${count('unchanged') + count('excluded') + count('skipped')} not pushed, ${count('refused')} would be refused.`}
        </p>
      ) : null}
      {error ? (
        <Notice kind="error">
          {error.message}
        </Notice>
      ) : null}
      {view.status === 'ready' ? (
        <div class="bulk-bar" role="group" aria-label="Confirm">
          <button type="button" class="button primary" disabled={busy || pushable.length === 0} onClick={() => void confirm()}>
            {busy ? 'Queuing…' : `Push ${pushable.length} record${pushable.length === 1 ? '' : 's'} to Kaseya BMS`}
          </button>
          <button type="button" class="button secondary" disabled={busy} onClick={() => navigate(withQuery({ preview: null }))}>
            Back to the selection
          </button>
          <span class="field-hint">Confirm by {formatTime(view.expiresAt)}; after that, make a new preview.</span>
        </div>
      ) : (
        <p>
          <Link href={withQuery({ preview: null })}>Choose other records</Link>
        </p>
      )}
      <div class="table-wrap">
        <table class="data records adopt-preview">
          <caption class="visually-hidden">What a push would do for each record</caption>
          <thead>
            <tr>
              <th scope="col">Record</th>
              <th scope="col">Push would</th>
              <th scope="col">Kaseya BMS id</th>
              <th scope="col">Changes (Kaseya BMS → documentation)</th>
              <th scope="col">Note</th>
              {confirmed ? <th scope="col">Progress</th> : null}
            </tr>
          </thead>
          <tbody>
            {view.items.map((item) => (
              <tr key={`${item.recordType}:${item.recordId}`} class={error?.records?.includes(item.recordId) ? 'row-error' : undefined}>
                <th scope="row">
                  <span class="muted">{TYPE_LABELS[item.recordType].one}</span>{' '}
                  <Link href={`/${TYPE_LABELS[item.recordType].path}/${item.recordId}`}>{item.label || '(deleted)'}</Link>
                </th>
                <td data-testid={`action-${item.recordId}`}>{item.action ? ACTION_LABELS[item.action] : '…'}</td>
                <td>{item.bmsId ?? '—'}</td>
                <td>
                  <Changes item={item} />
                </td>
                <td>{item.reason ?? ''}</td>
                {confirmed ? (
                  <td data-testid={`progress-${item.recordId}`}>
                    {item.progress ? PROGRESS_LABELS[item.progress] : ''}
                    {item.error ? <span class="muted"> — {item.error}</span> : null}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
