/**
 * A record's page: its fields (the synced ones read-only on a synced record while two-way sync is off),
 * its sync status with the API's message shown word for word, the push / disable / delete actions, its
 * history of syncs and conflicts, and links to its workflows in the Temporal Web UI. Also the "new" form.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, errorMessage, newIdempotencyKey } from '../api';
import { ExternalLink } from '../components/ExternalLink';
import { FieldInput } from '../components/FieldInput';
import { Loading, Notice, PageTitle } from '../components/Page';
import { SyncBadge } from '../components/SyncBadge';
import { displayValue, fieldLabel, formatTime, recordTitle, TYPE_LABELS } from '../labels';
import { forgetTitle } from '../records';
import { Link, navigate, useFocusHash, useRoute } from '../router';
import { can, typeMeta, useSession } from '../session';
import type { FieldMeta, HistoryEntry, Integration, ListItem, Lookups, RecordJson, RecordType } from '../types';

type Values = Record<string, unknown>;

interface FormErrors {
  form?: string;
  fields: Record<string, string>;
}

const NO_ERRORS: FormErrors = { fields: {} };

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function suggestionsFor(type: RecordType, name: string, lookups: Lookups | null): string[] | undefined {
  const names = (list: Array<{ name: string }> | undefined) => (list ?? []).map((e) => e.name);
  switch (name) {
    case 'status':
      return type === 'organization' || type === 'configuration' ? ['Active', 'Inactive'] : undefined;
    case 'type':
      return type === 'organization' ? names(lookups?.accountTypes) : type === 'configuration' ? names(lookups?.assetCategories) : undefined;
    case 'manufacturer':
      return names(lookups?.manufacturers);
    case 'country':
      return names(lookups?.countries);
    case 'emails':
      return names(lookups?.emailTypes);
    case 'phones':
      return names(lookups?.phoneTypes);
    default:
      return undefined;
  }
}

/** Empty rows of emails/phones are not sent. */
function cleanValue(field: FieldMeta, value: unknown): unknown {
  if ((field.kind === 'emails' || field.kind === 'phones') && Array.isArray(value)) {
    return (value as ListItem[]).filter((i) => i.value.trim() !== '').map((i) => ({ ...i, value: i.value.trim() }));
  }
  return value;
}

function toFormErrors(err: unknown): FormErrors {
  if (err instanceof ApiError) {
    const fields: Record<string, string> = {};
    for (const name of err.fields()) fields[name.split('.')[0]!] = err.message;
    return { form: err.message, fields };
  }
  return { form: errorMessage(err), fields: {} };
}

function RecordForm(props: {
  type: RecordType;
  values: Values;
  draft: Values;
  setDraft: (next: Values) => void;
  locked: boolean;
  readOnly: boolean;
  twoWay: boolean;
  errors: FormErrors;
  lookups: Lookups | null;
}) {
  const { session } = useSession();
  const meta = typeMeta(session, props.type);
  const value = (name: string) => (name in props.draft ? props.draft[name] : props.values[name]);
  const organizationId = value('organizationId');
  return (
    <div class="form-grid">
      {meta.fields.map((field) => {
        const lockedField = props.locked && field.synced;
        const hint = field.synced
          ? lockedField
            ? 'Synced from Kaseya BMS: read-only while two-way sync is off.'
            : props.twoWay
              ? 'Synced with Kaseya BMS: saved changes are pushed.'
              : 'Synced with Kaseya BMS.'
          : 'Documentation only: not synced.';
        return (
          <FieldInput
            key={field.name}
            field={field}
            value={value(field.name)}
            readOnly={props.readOnly || lockedField}
            hint={hint}
            error={props.errors.fields[field.name]}
            suggestions={suggestionsFor(props.type, field.name, props.lookups)}
            organizationId={typeof organizationId === 'string' ? organizationId : null}
            onChange={(v) => props.setDraft({ ...props.draft, [field.name]: v })}
          />
        );
      })}
    </div>
  );
}

function useIntegrationAndLookups(): { integration: Integration | null; lookups: Lookups | null } {
  const [integration, setIntegration] = useState<Integration | null>(null);
  const [lookups, setLookups] = useState<Lookups | null>(null);
  useEffect(() => {
    let live = true;
    api
      .get<Integration>('/integrations/kaseya-bms')
      .then(async (res) => {
        if (!live) return;
        setIntegration(res.data);
        if (res.data.connected) {
          const l = await api.get<Lookups>('/integrations/kaseya-bms/lookups');
          if (live) setLookups(l.data);
        }
      })
      .catch(() => live && setIntegration({ connected: false }));
    return () => {
      live = false;
    };
  }, []);
  return { integration, lookups };
}

const KIND_LABELS: Record<string, string> = {
  created: 'Created',
  updated: 'Updated',
  queued: 'Queued',
  pulled: 'Pulled',
  linked: 'Linked',
  pushed: 'Pushed',
  conflict: 'Conflict',
  error: 'Error',
  orphaned: 'Orphaned',
  excluded: 'Not pushed',
  sync_disabled: 'Sync disabled',
  sync_enabled: 'Sync enabled',
  previewed: 'Push previewed',
  adopted: 'Adopted',
  unlinked: 'Unlinked',
  review_excluded: 'Excluded from match review',
  review_included: 'Back in match review',
};

function Changes({ entry }: { entry: HistoryEntry }) {
  const changes = entry.changes;
  if (!changes || typeof changes !== 'object') return null;
  if (entry.kind === 'conflict') {
    const c = changes as { field?: string; local?: unknown; remote?: unknown; base?: unknown; winner?: string };
    return (
      <table class="data compact">
        <caption class="visually-hidden">Conflicting values</caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Before</th>
            <th scope="col">In the documentation</th>
            <th scope="col">In Kaseya BMS</th>
            <th scope="col">Kept</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">{fieldLabel(String(c.field ?? ''))}</th>
            <td>{displayValue(c.base)}</td>
            <td>{displayValue(c.local)}</td>
            <td>{displayValue(c.remote)}</td>
            <td>{c.winner === 'local' ? 'Documentation' : 'Kaseya BMS'}</td>
          </tr>
        </tbody>
      </table>
    );
  }
  const rows = Object.entries(changes as Record<string, { from?: unknown; to?: unknown }>).filter(
    ([, v]) => v && typeof v === 'object' && ('from' in v || 'to' in v),
  );
  if (rows.length === 0) return null;
  return (
    <table class="data compact">
      <caption class="visually-hidden">Changed fields</caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">From</th>
          <th scope="col">To</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([field, v]) => (
          <tr key={field}>
            <th scope="row">{fieldLabel(field)}</th>
            <td>{displayValue(v.from)}</td>
            <td>{displayValue(v.to)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function History({ entries }: { entries: HistoryEntry[] | null }) {
  if (!entries) return <Loading what="the history" />;
  if (entries.length === 0) return <p class="muted">No history yet.</p>;
  return (
    <ol class="history" data-testid="history">
      {entries.map((e) => (
        <li key={e.id} class={`history-entry history-${e.kind}`}>
          <p class="history-head">
            <span class={`tag kind-${e.kind}`}>{KIND_LABELS[e.kind] ?? e.kind}</span> <time dateTime={e.at}>{formatTime(e.at)}</time>
            {e.origin ? <span class="muted"> · {e.origin === 'ui' ? 'web UI' : e.origin}</span> : null}
          </p>
          <p class="history-summary">{e.summary}</p>
          <Changes entry={e} />
        </li>
      ))}
    </ol>
  );
}

export function RecordEditPage({ type, id }: { type: RecordType; id: string }) {
  const { session } = useSession();
  const labels = TYPE_LABELS[type];
  const base = `/${labels.path}/${encodeURIComponent(id)}`;
  const { integration, lookups } = useIntegrationAndLookups();
  const [record, setRecord] = useState<RecordJson | null>(null);
  const [history, setHistory] = useState<HistoryEntry[] | null>(null);
  const [draft, setDraft] = useState<Values>({});
  // The version the person's changes are based on: the record as it was when they started typing.
  const [draftVersion, setDraftVersion] = useState<number | null>(null);
  const [conflict, setConflict] = useState(false);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [saved, setSaved] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [pollTick, setPollTick] = useState(0);
  // A link to a field (#field-emails, from the Problems page) lands on it once the record is shown.
  useFocusHash(record !== null);

  const refreshHistory = () => {
    api
      .get<HistoryEntry[]>(`${base}/history`)
      .then((res) => setHistory(res.data))
      .catch(() => undefined);
  };

  useEffect(() => {
    let live = true;
    api
      .get<RecordJson>(base)
      .then((res) => live && setRecord(res.data))
      .catch((err: unknown) => live && setLoadError(errorMessage(err)));
    refreshHistory();
    return () => {
      live = false;
    };
  }, [base]);

  // While a push is queued, follow the record until the push is done (or refused).
  useEffect(() => {
    if (!record || record.sync.state !== 'queued') return;
    let live = true;
    const timer = setTimeout(() => {
      api
        .get<RecordJson>(base)
        .then((res) => {
          if (!live) return;
          if (res.data.sync.state !== 'queued') refreshHistory();
          setRecord(res.data);
        })
        .catch(() => live && setPollTick((t) => t + 1));
    }, 1000);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [record, pollTick, base]);

  if (loadError) {
    return (
      <>
        <PageTitle title={labels.one} />
        <Notice kind="error">{loadError}</Notice>
        <p>
          <Link href={`/${labels.path}`}>Back to {labels.many.toLowerCase()}</Link>
        </p>
      </>
    );
  }
  if (!record || !integration) {
    return (
      <>
        <PageTitle title={labels.one} />
        <Loading what={labels.one.toLowerCase()} />
      </>
    );
  }

  const meta = typeMeta(session, type);
  const canWrite = can(session, 'records:write');
  const canManage = can(session, 'integration:write');
  const twoWay = integration.connected && integration.twoWayEnabled;
  const locked = integration.connected && !integration.twoWayEnabled && record.sync.live;
  const changed = meta.fields.filter((f) => f.name in draft && !same(cleanValue(f, draft[f.name]), record[f.name]));
  const dirty = changed.length > 0;
  const disabled = record.sync.state === 'disabled';

  const edit = (next: Values) => {
    if (draftVersion === null) setDraftVersion(record.version);
    setDraft(next);
  };
  const forgetDraft = () => {
    setDraft({});
    setDraftVersion(null);
    setErrors(NO_ERRORS);
    setConflict(false);
  };

  const save = async (event: Event) => {
    event.preventDefault();
    setSaved(null);
    setActionError(null);
    if (!dirty) {
      setErrors(NO_ERRORS);
      setSaved('Nothing to save: no field was changed.');
      return;
    }
    setBusy('save');
    try {
      const patch = Object.fromEntries(changed.map((f) => [f.name, cleanValue(f, draft[f.name])]));
      // Based on the version the person saw: a change made by someone else meanwhile is not overwritten.
      const res = await api.patch<RecordJson>(base, { ...patch, version: draftVersion ?? record.version });
      forgetTitle(type, id);
      setRecord(res.data);
      forgetDraft();
      setSaved(`Saved ${changed.map((f) => fieldLabel(f.name).toLowerCase()).join(', ')}.`);
      refreshHistory();
    } catch (err) {
      if (err instanceof ApiError && err.code === 'version_conflict') {
        setErrors(NO_ERRORS);
        setConflict(true);
      } else setErrors(toFormErrors(err));
    } finally {
      setBusy(null);
    }
  };

  const act = async (name: string, run: () => Promise<void>) => {
    setBusy(name);
    setActionError(null);
    setSaved(null);
    try {
      await run();
      refreshHistory();
    } catch (err) {
      setActionError(errorMessage(err));
    } finally {
      setBusy(null);
    }
  };

  /** After a conflict: the record as it is now, with the person's changes kept on top of it. */
  const reloadKeepingChanges = () =>
    act('reload', async () => {
      const res = await api.get<RecordJson>(base);
      forgetTitle(type, id);
      setRecord(res.data);
      setDraftVersion(res.data.version);
      setConflict(false);
    });

  const push = () =>
    act('push', async () => {
      setRecord((await api.post<RecordJson>(`${base}/push`)).data);
    });
  const setSync = (enable: boolean) =>
    act('sync', async () => {
      setRecord((await api.post<RecordJson>(`${base}/sync/${enable ? 'enable' : 'disable'}`)).data);
    });
  const remove = () =>
    act('delete', async () => {
      await api.delete(base);
      forgetTitle(type, id);
      navigate(`/${labels.path}`);
    });

  const title = recordTitle(record);
  return (
    <>
      <p class="breadcrumb">
        <Link href={`/${labels.path}`}>{labels.many}</Link> <span aria-hidden="true">›</span>
      </p>
      <PageTitle title={title} />
      <div class="record-layout">
        <div class="record-main">
          {locked ? (
            <Notice kind="info" id="one-way-note">
              Two-way sync is off, so the fields synced with Kaseya BMS are read-only here: Kaseya BMS data has priority. Fields marked
              “Documentation only” can still be edited.
            </Notice>
          ) : null}
          {!canWrite ? <Notice kind="info">Your role ({session.me.role}) can read records but not change them.</Notice> : null}
          <form class="record-form" aria-label={`${labels.one} ${title}`} onSubmit={(e) => void save(e)}>
            <RecordForm
              type={type}
              values={record}
              draft={draft}
              setDraft={edit}
              locked={locked}
              readOnly={!canWrite}
              twoWay={twoWay}
              errors={errors}
              lookups={lookups}
            />
            {errors.form ? <Notice kind="error">Not saved: {errors.form}</Notice> : null}
            {conflict ? (
              <Notice kind="error" id="version-conflict">
                <p>
                  Not saved: this {labels.one.toLowerCase()} was changed by someone else since you opened it. Your changes are still in the form.
                  Reload it to see the current version with your changes on top, check them, then save again.
                </p>
                <button type="button" class="button secondary" disabled={busy !== null} onClick={() => void reloadKeepingChanges()}>
                  {busy === 'reload' ? 'Reloading…' : 'Reload the current version'}
                </button>
              </Notice>
            ) : null}
            <div class="form-actions">
              {canWrite ? (
                <>
                  <button type="submit" class="button primary" disabled={busy !== null}>
                    {busy === 'save' ? 'Saving…' : 'Save'}
                  </button>
                  <button
                    type="button"
                    class="button secondary"
                    disabled={!dirty || busy !== null}
                    onClick={forgetDraft}
                  >
                    Discard changes
                  </button>
                </>
              ) : null}
              <p class="save-status" role="status">
                {saved ?? (dirty ? `Unsaved changes: ${changed.map((f) => fieldLabel(f.name)).join(', ')}` : '')}
              </p>
            </div>
          </form>
          {type === 'organization' ? (
            <section class="panel" aria-labelledby="related-heading">
              <h2 id="related-heading">Belonging to this organization</h2>
              <ul class="inline-list">
                {(['configuration', 'contact', 'location'] as const).map((t) => (
                  <li key={t}>
                    <Link href={`/${TYPE_LABELS[t].path}?organizationId=${record.id}`}>{TYPE_LABELS[t].many}</Link>
                  </li>
                ))}
              </ul>
            </section>
          ) : null}
        </div>
        <aside class="record-side">
          <section class="panel sync-panel" aria-labelledby="sync-heading">
            <h2 id="sync-heading">Kaseya BMS sync</h2>
            <div class="sync-state">
              <SyncBadge state={record.sync.state} />
              <p class="sync-message" role="status" aria-live="polite" data-testid="sync-message">
                {record.sync.message}
              </p>
            </div>
            <dl class="facts-grid">
              <dt>Kaseya BMS id</dt>
              <dd data-testid="bms-id">{record.sync.bmsId ?? '—'}</dd>
              <dt>Last pushed</dt>
              <dd>{formatTime(record.sync.lastPushedAt)}</dd>
              <dt>Last pulled</dt>
              <dd>{formatTime(record.sync.lastPulledAt)}</dd>
              <dt>Last saved</dt>
              <dd>
                {formatTime(record.updatedAt)} ({record.updatedOrigin === 'ui' ? 'web UI' : record.updatedOrigin})
              </dd>
            </dl>
            {record.sync.lastError ? (
              <Notice kind="warning">
                Last error ({record.sync.lastError.type}, {formatTime(record.sync.lastError.at)}
                {record.sync.lastError.retrying ? ', retrying' : ''}): {record.sync.lastError.message}
              </Notice>
            ) : null}
            <div class="sync-actions">
              {canWrite && twoWay && !disabled ? (
                <button type="button" class="button secondary" disabled={busy !== null || dirty} aria-describedby="push-hint" onClick={() => void push()}>
                  {busy === 'push' ? 'Pushing…' : 'Push to Kaseya BMS'}
                </button>
              ) : null}
              {canWrite && twoWay && !disabled ? (
                <p id="push-hint" class="field-hint">
                  {dirty ? 'Save your changes first; the push sends the saved record.' : 'Queues this record for push now, as a save does.'}
                </p>
              ) : null}
              {canManage && integration.connected ? (
                <button type="button" class="button secondary" disabled={busy !== null} onClick={() => void setSync(disabled)}>
                  {disabled ? 'Enable sync for this record' : 'Disable sync for this record'}
                </button>
              ) : null}
            </div>
            {actionError ? <Notice kind="error">{actionError}</Notice> : null}
            <ul class="links">
              <li>
                <ExternalLink href={record.sync.workflowUrl}>Push workflow in the Temporal Web UI</ExternalLink>
              </li>
              <li>
                <ExternalLink href={record.sync.historyUrl}>All workflows of this record</ExternalLink>
              </li>
            </ul>
          </section>
          {canWrite ? (
            <section class="panel danger-zone" aria-labelledby="delete-heading">
              <h2 id="delete-heading">Delete</h2>
              {confirmDelete ? (
                <>
                  <p>
                    Delete “{title}” from the documentation? It is not deleted in Kaseya BMS.
                    {type === 'organization' ? ' Its locations, contacts and configurations are deleted with it.' : ''}
                  </p>
                  <div class="button-row">
                    <button type="button" class="button danger" disabled={busy !== null} onClick={() => void remove()}>
                      Yes, delete
                    </button>
                    <button type="button" class="button secondary" onClick={() => setConfirmDelete(false)}>
                      Cancel
                    </button>
                  </div>
                </>
              ) : (
                <button type="button" class="button secondary" onClick={() => setConfirmDelete(true)}>
                  Delete {labels.one.toLowerCase()}…
                </button>
              )}
            </section>
          ) : null}
        </aside>
      </div>
      <section class="panel" aria-labelledby="history-heading">
        <h2 id="history-heading">History of syncs and changes</h2>
        <History entries={history} />
      </section>
    </>
  );
}

export function RecordCreatePage({ type }: { type: RecordType }) {
  const { session } = useSession();
  const route = useRoute();
  const labels = TYPE_LABELS[type];
  const { integration, lookups } = useIntegrationAndLookups();
  const presetOrganization = route.query.get('organizationId');
  const [draft, setDraft] = useState<Values>(() => {
    const initial: Values = {};
    for (const f of typeMeta(session, type).fields) {
      if (f.kind === 'boolean') initial[f.name] = false;
      if (f.kind === 'emails' || f.kind === 'phones') initial[f.name] = [];
    }
    if (presetOrganization && type !== 'organization') initial.organizationId = presetOrganization;
    return initial;
  });
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  // Sending the same form again (a retry after a lost answer) reuses its key, so it creates one record.
  const lastAttempt = useRef<{ body: string; key: string } | null>(null);

  if (!can(session, 'records:write')) {
    return (
      <>
        <PageTitle title={`New ${labels.one.toLowerCase()}`} />
        <Notice kind="info">Your role ({session.me.role}) cannot create records.</Notice>
      </>
    );
  }

  const create = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const body: Values = {};
      for (const f of typeMeta(session, type).fields) {
        const v = cleanValue(f, draft[f.name]);
        if (v !== undefined && v !== null && v !== '') body[f.name] = v;
      }
      const sent = JSON.stringify(body);
      if (lastAttempt.current?.body !== sent) lastAttempt.current = { body: sent, key: newIdempotencyKey() };
      const res = await api.post<RecordJson>(`/${labels.path}`, body, { 'idempotency-key': lastAttempt.current.key });
      navigate(`/${labels.path}/${res.data.id}`, { replace: true });
    } catch (err) {
      setErrors(toFormErrors(err));
      setBusy(false);
    }
  };

  const twoWay = Boolean(integration?.connected && integration.twoWayEnabled);
  return (
    <>
      <p class="breadcrumb">
        <Link href={`/${labels.path}`}>{labels.many}</Link> <span aria-hidden="true">›</span>
      </p>
      <PageTitle title={`New ${labels.one.toLowerCase()}`} />
      <p class="muted">
        {twoWay
          ? 'Two-way sync is on: when you create it, the record is pushed to Kaseya BMS if its type and status are set to sync.'
          : 'Two-way sync is off: the record stays in the documentation and is not pushed to Kaseya BMS.'}{' '}
        Fields marked * are required.
      </p>
      <form class="record-form" aria-label={`New ${labels.one.toLowerCase()}`} onSubmit={(e) => void create(e)}>
        <RecordForm
          type={type}
          values={{}}
          draft={draft}
          setDraft={setDraft}
          locked={false}
          readOnly={false}
          twoWay={twoWay}
          errors={errors}
          lookups={lookups}
        />
        {errors.form ? <Notice kind="error">Not created: {errors.form}</Notice> : null}
        <div class="form-actions">
          <button type="submit" class="button primary" disabled={busy}>
            {busy ? 'Creating…' : `Create ${labels.one.toLowerCase()}`}
          </button>
          <Link href={`/${labels.path}`} class="button secondary">
            Cancel
          </Link>
        </div>
      </form>
    </>
  );
}
