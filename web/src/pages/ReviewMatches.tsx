/**
 * Review matches: Kaseya BMS records held instead of created (Sync Settings "hold it for review") and
 * documentation records without a BMS record, per type, each with ranked suggestions and their reasons.
 * Administrators and managers match, create, exclude (one by one or selected in bulk), un-exclude, unlink
 * a match, and reconnect disconnected records; everyone else sees the list.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage, query, request } from '../api';
import { Loading, Notice, PageTitle } from '../components/Page';
import { SyncBadge } from '../components/SyncBadge';
import { recordTitle, TYPE_LABELS, TYPE_ORDER, typeFromPath } from '../labels';
import { Link, navigate, useRoute, withQuery } from '../router';
import { can, useSession } from '../session';
import type { RecordJson, RecordType, ReviewActionResult, ReviewBulkResult, ReviewHeldItem, ReviewList, ReviewMeta, ReviewRecordItem, ReviewSuggestion } from '../types';

const REVIEW = '/integrations/kaseya-bms/review';
type Action = Record<string, unknown> & { action: string };

const STATES: Array<{ id: ReviewMeta['state']; label: string; explain: string }> = [
  {
    id: 'open',
    label: 'To review',
    explain:
      'Kaseya BMS records that matched no documentation record exactly, held for you to decide, and documentation records with no Kaseya BMS record. Suggestions are ranked by how alike the two are.',
  },
  { id: 'excluded', label: 'Excluded', explain: 'Records you chose never to have suggested. An excluded Kaseya BMS record is neither created nor matched.' },
  { id: 'resolved', label: 'Matched and created', explain: 'Held records a person matched or created a record from. Unlink one to match it again.' },
];

function Suggestions(props: { items: ReviewSuggestion[]; canAct: boolean; busy: boolean; onMatch: (s: ReviewSuggestion) => void; subject: string }) {
  if (props.items.length === 0) return <span class="muted">No suggestion</span>;
  return (
    <ol class="suggestions">
      {props.items.map((s) => (
        <li key={s.id}>
          <strong>{s.name || '(no name)'}</strong>
          {s.bmsId !== null ? <span class="muted"> · BMS {s.bmsId}</span> : null}
          {s.organizationName ? <span class="muted"> · {s.organizationName}</span> : null} <span class="tag">{s.score}%</span>
          <div class="field-hint">{s.reasons.join('; ')}</div>
          {props.canAct ? (
            <button type="button" class="button small primary" disabled={props.busy} onClick={() => props.onMatch(s)} aria-label={`Match ${props.subject} to ${s.name}`}>
              Match
            </button>
          ) : null}
        </li>
      ))}
    </ol>
  );
}

/** How often an idle review list is read again. */
const REFRESH_MS = 4000;

export function ReviewMatchesPage() {
  const { session } = useSession();
  const route = useRoute();
  const canAct = can(session, 'integration:write');
  const type: RecordType = typeFromPath(route.query.get('type') ?? '') ?? 'organization';
  const state = STATES.find((s) => s.id === route.query.get('state')) ?? STATES[0]!;
  const [list, setList] = useState<ReviewList | null>(null);
  const [meta, setMeta] = useState<ReviewMeta | null>(null);
  const [orphans, setOrphans] = useState<RecordJson[]>([]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [bmsIds, setBmsIds] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string; details: string[] } | null>(null);
  const [reload, setReload] = useState(0);
  const [refreshes, setRefreshes] = useState(0);

  // A note about an action stays until another page of the list is chosen.
  useEffect(() => setOutcome(null), [type, state.id]);

  /** The shown page of the review list, as the API has it now. */
  const readList = () => request<ReviewList>('GET', `${REVIEW}${query({ type, state: state.id, pageSize: 50 })}`);

  useEffect(() => {
    let live = true;
    setList(null);
    setSelected(new Set());
    readList()
      .then((res) => {
        if (!live) return;
        setList(res.data);
        setMeta(res.meta as unknown as ReviewMeta);
      })
      .catch((err: unknown) => live && setOutcome({ ok: false, text: errorMessage(err), details: [] }));
    if (state.id === 'open') {
      api
        .get<RecordJson[]>(`/${TYPE_LABELS[type].path}${query({ syncState: 'orphaned', pageSize: 50 })}`)
        .then((res) => live && setOrphans(res.data))
        .catch(() => live && setOrphans([]));
    } else setOrphans([]);
    return () => {
      live = false;
    };
  }, [type, state.id, reload]);

  // Pulls keep adding held records (the first sync of a new connection, above all): while nothing is
  // selected and no action runs, the list is read again every few seconds and replaced only when it moved.
  useEffect(() => {
    if (!list || busy || selected.size > 0) return;
    let live = true;
    const timer = setTimeout(() => {
      readList()
        .then((res) => {
          if (!live || JSON.stringify(res.data) === JSON.stringify(list)) return;
          setList(res.data);
          setMeta(res.meta as unknown as ReviewMeta);
        })
        .catch(() => undefined)
        .finally(() => live && setRefreshes((n) => n + 1));
    }, REFRESH_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [list, busy, selected, type, state.id, refreshes]);

  const one = async (body: Action, what: string) => {
    setBusy(true);
    setOutcome(null);
    try {
      const res = await api.post<ReviewActionResult>(`${REVIEW}/actions`, body);
      setOutcome({ ok: true, text: `${what}: ${res.data.summary}.`, details: [] });
      setReload((n) => n + 1);
    } catch (err) {
      setOutcome({ ok: false, text: `${what}: ${errorMessage(err)}`, details: [] });
    } finally {
      setBusy(false);
    }
  };

  const bulk = async (actions: Action[], what: string) => {
    if (actions.length === 0) return;
    setBusy(true);
    setOutcome(null);
    try {
      const res = await api.post<ReviewBulkResult[]>(`${REVIEW}/actions/bulk`, { actions });
      const failures = res.data.filter((r) => !r.ok);
      setOutcome({
        ok: failures.length === 0,
        text: `${what}: ${res.data.length - failures.length} of ${res.data.length} done${failures.length ? `, ${failures.length} refused` : ''}.`,
        details: failures.map((f) => f.error?.message ?? 'refused'),
      });
      setReload((n) => n + 1);
    } catch (err) {
      setOutcome({ ok: false, text: `${what}: ${errorMessage(err)}`, details: [] });
    } finally {
      setBusy(false);
    }
  };

  const held = list?.held ?? [];
  const records = list?.records ?? [];
  const selectedHeld = held.filter((h) => selected.has(h.id));
  const toggle = (id: string, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(id);
    else next.delete(id);
    setSelected(next);
  };
  const label = TYPE_LABELS[type];

  return (
    <>
      <PageTitle title="Review matches" />
      <p class="muted">{state.explain}</p>
      <nav class="tabs" aria-label="Review sections">
        <ul>
          {STATES.map((s) => (
            <li key={s.id}>
              <Link href={withQuery({ state: s.id === 'open' ? null : s.id })} aria-current={s.id === state.id ? 'page' : undefined}>
                {s.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <div class="filters">
        <div class="field">
          <label for="review-type">Record type</label>
          <select id="review-type" value={label.path} onChange={(e) => navigate(withQuery({ type: (e.currentTarget as HTMLSelectElement).value }))}>
            {TYPE_ORDER.map((t) => (
              <option key={t} value={TYPE_LABELS[t].path}>
                {TYPE_LABELS[t].many}
              </option>
            ))}
          </select>
        </div>
      </div>
      {!canAct ? <p class="field-hint">Only administrators and managers can match, create or exclude records; your role is {session.me.role}.</p> : null}
      <div aria-live="polite" data-testid="review-outcome">
        {outcome ? (
          <Notice kind={outcome.ok ? 'success' : 'warning'}>
            <p>{outcome.text}</p>
            {outcome.details.length ? (
              <ul>
                {outcome.details.map((d, i) => (
                  <li key={i}>{d}</li>
                ))}
              </ul>
            ) : null}
          </Notice>
        ) : null}
      </div>
      {list === null ? <Loading what="the review list" /> : null}
      {list ? (
        <section class="panel" aria-labelledby="held-heading">
          <h2 id="held-heading">
            Kaseya BMS {label.many.toLowerCase()} {state.id === 'open' ? 'held for review' : state.id === 'excluded' ? 'excluded' : 'matched or created'} ({meta?.heldTotal ?? held.length})
          </h2>
          {canAct && state.id === 'open' ? (
            <div class="bulk-bar" role="group" aria-label="Bulk actions on held records">
              <span class="bulk-count" aria-live="polite">
                {selectedHeld.length} selected
              </span>
              <button
                type="button"
                class="button secondary"
                disabled={busy || selectedHeld.filter((h) => h.suggestions.length > 0).length === 0}
                onClick={() =>
                  void bulk(
                    selectedHeld.filter((h) => h.suggestions.length > 0).map((h) => ({ action: 'match', heldId: h.id, recordId: h.suggestions[0]!.id })),
                    'Match to the top suggestion',
                  )
                }
              >
                Match each to its top suggestion
              </button>
              <button type="button" class="button secondary" disabled={busy || selectedHeld.length === 0} onClick={() => void bulk(selectedHeld.map((h) => ({ action: 'create', heldId: h.id })), 'Create new')}>
                Create new records
              </button>
              <button type="button" class="button secondary" disabled={busy || selectedHeld.length === 0} onClick={() => void bulk(selectedHeld.map((h) => ({ action: 'exclude', heldId: h.id })), 'Exclude')}>
                Exclude
              </button>
            </div>
          ) : null}
          <div class="table-wrap">
            <table class="data records">
              <thead>
                <tr>
                  {canAct && state.id === 'open' ? (
                    <th scope="col" class="check-col">
                      <input
                        type="checkbox"
                        id="select-all-held"
                        aria-label="Select all held records on this page"
                        checked={held.length > 0 && held.every((h) => selected.has(h.id))}
                        disabled={held.length === 0}
                        onChange={(e) => setSelected((e.currentTarget as HTMLInputElement).checked ? new Set(held.map((h) => h.id)) : new Set())}
                      />
                    </th>
                  ) : null}
                  <th scope="col">Kaseya BMS record</th>
                  <th scope="col">{state.id === 'open' ? 'Suggested documentation records' : 'Record'}</th>
                  {canAct ? <th scope="col">Actions</th> : null}
                </tr>
              </thead>
              <tbody>
                {held.length === 0 ? (
                  <tr>
                    <td colSpan={4} class="muted">
                      Nothing here.
                    </td>
                  </tr>
                ) : null}
                {held.map((h: ReviewHeldItem) => (
                  <tr key={h.id} data-testid={`held-${h.bmsId}`}>
                    {canAct && state.id === 'open' ? (
                      <td class="check-col">
                        <input type="checkbox" aria-label={`Select ${h.name}`} checked={selected.has(h.id)} onChange={(e) => toggle(h.id, (e.currentTarget as HTMLInputElement).checked)} />
                      </td>
                    ) : null}
                    <th scope="row">
                      {h.name || '(no name)'}
                      <div class="field-hint">
                        BMS id {h.bmsId}
                        {h.organizationName ? ` · ${h.organizationName}` : ''}
                      </div>
                    </th>
                    <td>
                      {state.id === 'open' ? (
                        <Suggestions items={h.suggestions} canAct={canAct} busy={busy} subject={h.name} onMatch={(s) => void one({ action: 'match', heldId: h.id, recordId: s.id }, `Match ${h.name}`)} />
                      ) : h.recordId ? (
                        <Link href={`/${label.path}/${h.recordId}`}>Open the record</Link>
                      ) : (
                        '—'
                      )}
                    </td>
                    {canAct ? (
                      <td class="actions">
                        {state.id === 'open' ? (
                          <>
                            <button type="button" class="button small secondary" disabled={busy} onClick={() => void one({ action: 'create', heldId: h.id }, `Create ${h.name}`)}>
                              Create new
                            </button>{' '}
                            <button type="button" class="button small secondary" disabled={busy} onClick={() => void one({ action: 'exclude', heldId: h.id }, `Exclude ${h.name}`)}>
                              Exclude
                            </button>
                          </>
                        ) : state.id === 'excluded' ? (
                          <button type="button" class="button small secondary" disabled={busy} onClick={() => void one({ action: 'unexclude', heldId: h.id }, `Un-exclude ${h.name}`)}>
                            Un-exclude
                          </button>
                        ) : h.recordId ? (
                          <button
                            type="button"
                            class="button small secondary"
                            disabled={busy}
                            onClick={() => void one({ action: 'unlink', recordType: type, recordId: h.recordId }, `Unlink ${h.name}`)}
                          >
                            Unlink to re-match
                          </button>
                        ) : null}
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ) : null}
      {list && state.id !== 'resolved' ? (
        <section class="panel" aria-labelledby="records-heading">
          <h2 id="records-heading">
            Documentation {label.many.toLowerCase()} without a Kaseya BMS record{state.id === 'excluded' ? ', excluded' : ''} ({meta?.recordsTotal ?? records.length})
          </h2>
          <div class="table-wrap">
            <table class="data records">
              <thead>
                <tr>
                  <th scope="col">Documentation record</th>
                  <th scope="col">{state.id === 'open' ? 'Suggested Kaseya BMS records' : 'State'}</th>
                  {canAct ? <th scope="col">Actions</th> : null}
                </tr>
              </thead>
              <tbody>
                {records.length === 0 ? (
                  <tr>
                    <td colSpan={3} class="muted">
                      Nothing here.
                    </td>
                  </tr>
                ) : null}
                {records.map((r: ReviewRecordItem) => (
                  <tr key={r.id}>
                    <th scope="row">
                      <Link href={`/${label.path}/${r.id}`}>{r.name || '(no name)'}</Link>
                      {r.organizationName ? <div class="field-hint">{r.organizationName}</div> : null}
                    </th>
                    <td>
                      {state.id === 'open' ? (
                        <Suggestions items={r.suggestions} canAct={canAct} busy={busy} subject={r.name} onMatch={(s) => void one({ action: 'match', heldId: s.id, recordId: r.id }, `Match ${r.name}`)} />
                      ) : (
                        <SyncBadge state={r.syncState} />
                      )}
                    </td>
                    {canAct ? (
                      <td class="actions">
                        <button
                          type="button"
                          class="button small secondary"
                          disabled={busy}
                          onClick={() => void one({ action: state.id === 'open' ? 'exclude' : 'unexclude', recordType: type, recordId: r.id }, `${state.id === 'open' ? 'Exclude' : 'Un-exclude'} ${r.name}`)}
                        >
                          {state.id === 'open' ? 'Exclude' : 'Un-exclude'}
                        </button>
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ) : null}
      {state.id === 'open' && orphans.length > 0 ? (
        <section class="panel" aria-labelledby="orphans-heading">
          <h2 id="orphans-heading">Disconnected {label.many.toLowerCase()}</h2>
          <p class="muted">
            Their Kaseya BMS record was deleted, made inactive or no longer matches the Sync Settings. Reconnect one to the held Kaseya BMS record with
            the same natural key, or to a Kaseya BMS record by its id (checked in Kaseya BMS first).
          </p>
          <div class="table-wrap">
            <table class="data records">
              <thead>
                <tr>
                  <th scope="col">Record</th>
                  <th scope="col">Why</th>
                  {canAct ? <th scope="col">Reconnect</th> : null}
                </tr>
              </thead>
              <tbody>
                {orphans.map((o) => (
                  <tr key={o.id}>
                    <th scope="row">
                      <Link href={`/${label.path}/${o.id}`}>{recordTitle(o)}</Link>
                      <div class="field-hint">was BMS id {o.sync.bmsId ?? '—'}</div>
                    </th>
                    <td>{o.sync.message}</td>
                    {canAct ? (
                      <td class="actions">
                        <button type="button" class="button small secondary" disabled={busy} onClick={() => void one({ action: 'reconnect', recordType: type, recordId: o.id }, `Reconnect ${recordTitle(o)}`)}>
                          By natural key
                        </button>{' '}
                        <label class="visually-hidden" for={`bms-id-${o.id}`}>
                          Kaseya BMS id for {recordTitle(o)}
                        </label>
                        <input
                          id={`bms-id-${o.id}`}
                          class="small-input"
                          inputMode="numeric"
                          placeholder="BMS id"
                          value={bmsIds[o.id] ?? ''}
                          onInput={(e) => setBmsIds({ ...bmsIds, [o.id]: (e.currentTarget as HTMLInputElement).value })}
                        />{' '}
                        <button
                          type="button"
                          class="button small secondary"
                          disabled={busy || !(bmsIds[o.id] ?? '').trim()}
                          onClick={() => {
                            const raw = (bmsIds[o.id] ?? '').trim();
                            void one({ action: 'reconnect', recordType: type, recordId: o.id, bmsId: /^\d+$/.test(raw) ? Number(raw) : raw }, `Reconnect ${recordTitle(o)}`);
                          }}
                        >
                          To this id
                        </button>
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ) : null}
    </>
  );
}
