/**
 * The Kaseya BMS integration: the connection (tested when saved; the password is write-only), "Sync now"
 * with the run's live progress, pause/resume, Sync Settings (what syncs, from the BMS lookup lists, and
 * the pull schedule) and the "Enable two-way sync" checkbox. Changing any of it is for administrators and
 * managers (R9); two-way sync needs the Select or Enterprise plan (R10).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, errorMessage } from '../api';
import { ExternalLink } from '../components/ExternalLink';
import { Loading, Notice, PageTitle } from '../components/Page';
import { countsText, RunCountsTable, RunStatus, totals } from '../components/SyncTables';
import { formatTime, PLAN_LABELS, ROLE_LABELS, TYPE_LABELS, TYPE_ORDER } from '../labels';
import { Link, useFocusHash } from '../router';
import { can, useSession } from '../session';
import type { ConnectionRequest, Integration, IntegrationView, LookupEntry, Lookups, SettingsPreview, SettingsRequest, SettingsView, SyncRun, SyncSettings } from '../types';

const INTEGRATION = '/integrations/kaseya-bms';
const POLL_MS = 1000;

function roleNote(role: keyof typeof ROLE_LABELS): string {
  return `Only administrators and managers can change this; your role is ${ROLE_LABELS[role]}.`;
}

export function IntegrationPage() {
  const { session } = useSession();
  const [integration, setIntegration] = useState<Integration | null>(null);
  const [lookups, setLookups] = useState<Lookups | null>(null);
  const [error, setError] = useState<string | null>(null);

  const loadLookups = () =>
    api
      .get<Lookups>(`${INTEGRATION}/lookups`)
      .then((res) => setLookups(res.data))
      .catch((err: unknown) => setError(errorMessage(err)));

  useEffect(() => {
    api
      .get<Integration>(INTEGRATION)
      .then((res) => {
        setIntegration(res.data);
        if (res.data.connected) void loadLookups();
      })
      .catch((err: unknown) => setError(errorMessage(err)));
  }, []);

  return (
    <>
      <PageTitle title="Kaseya BMS integration" />
      {error ? <Notice kind="error">{error}</Notice> : null}
      {!integration && !error ? <Loading what="the integration" /> : null}
      {integration ? (
        <ConnectionSection
          integration={integration}
          onConnected={(view) => {
            setIntegration(view);
            void loadLookups();
          }}
        />
      ) : null}
      {integration?.connected ? (
        <>
          <SyncNowSection integration={integration} onChange={setIntegration} />
          {lookups ? (
            <SyncSettingsSection
              key={integration.connectionCheckedAt ?? ''}
              integration={integration}
              lookups={lookups}
              onSaved={(view) => setIntegration({ ...integration, ...view })}
            />
          ) : (
            <Loading what="the Kaseya BMS lists" />
          )}
          <TwoWaySection integration={integration} onChange={(twoWayEnabled) => setIntegration({ ...integration, twoWayEnabled })} />
        </>
      ) : null}
      {!can(session, 'integration:write') ? null : (
        <p class="muted">
          Records and their sync states: <Link href="/manage">Manage data</Link>. Past runs and errors: <Link href="/logs">Logs</Link>.
        </p>
      )}
    </>
  );
}

interface ConnectionForm {
  apiUrl: string;
  v1Url: string;
  tenant: string;
  username: string;
  password: string;
}

function ConnectionSection({ integration, onConnected }: { integration: Integration; onConnected: (view: IntegrationView) => void }) {
  const { session } = useSession();
  const canWrite = can(session, 'integration:write');
  const [form, setForm] = useState<ConnectionForm>(() =>
    integration.connected
      ? { apiUrl: integration.apiUrl, v1Url: integration.v1Url ?? '', tenant: integration.tenant, username: integration.username, password: '' }
      : { apiUrl: '', v1Url: '', tenant: '', username: '', password: '' },
  );
  const [unmatched, setUnmatched] = useState<'create' | 'hold'>('create');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; message: string; field?: string } | null>(null);

  const set = (name: keyof ConnectionForm) => (e: { currentTarget: HTMLInputElement }) => setForm({ ...form, [name]: e.currentTarget.value });

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setResult(null);
    try {
      const body = {
        apiUrl: form.apiUrl.trim(),
        v1Url: form.v1Url.trim() || null,
        tenant: form.tenant.trim(),
        username: form.username.trim(),
        ...(form.password ? { password: form.password } : {}),
        ...(integration.connected ? {} : { unmatched }),
      } satisfies ConnectionRequest;
      const res = await api.put<IntegrationView>(INTEGRATION, body);
      setForm({ ...form, password: '' });
      setResult({ ok: true, message: `Connection tested and saved: connected to tenant “${res.data.tenant}” as ${res.data.username}.` });
      onConnected(res.data);
    } catch (err) {
      const field = err instanceof ApiError ? err.fields()[0] : undefined;
      setResult({ ok: false, message: errorMessage(err), field });
    } finally {
      setBusy(false);
    }
  };

  const invalid = (name: string) => (result && !result.ok && result.field === name ? ('true' as const) : undefined);
  const input = (name: keyof ConnectionForm, label: string, extra: Record<string, unknown> = {}, hint?: string) => (
    <div class="field">
      <label for={`bms-${name}`}>{label}</label>
      <input
        id={`bms-${name}`}
        type="text"
        name={name}
        value={form[name]}
        onInput={set(name)}
        aria-invalid={invalid(name)}
        aria-describedby={[hint ? `bms-${name}-hint` : '', invalid(name) ? 'connection-result' : ''].filter(Boolean).join(' ') || undefined}
        {...extra}
      />
      {hint ? (
        <p id={`bms-${name}-hint`} class="field-hint">
          {hint}
        </p>
      ) : null}
    </div>
  );

  return (
    <section class="panel" aria-labelledby="connection-heading">
      <h2 id="connection-heading">Connection</h2>
      {integration.connected ? (
        <p data-testid="connection-status">
          {integration.connectionStatus === 'ok' ? 'Connected' : `Connection ${integration.connectionStatus}`} to tenant{' '}
          <strong>{integration.tenant}</strong>; last tested {formatTime(integration.connectionCheckedAt)}.
          {integration.connectionError ? ` Last error: ${integration.connectionError}` : ''}
        </p>
      ) : (
        <p data-testid="connection-status">Not connected. Enter the Kaseya BMS API details of your tenant; they are tested before they are saved.</p>
      )}
      <form onSubmit={(e) => void submit(e)} aria-label="Kaseya BMS connection">
        <fieldset disabled={!canWrite} aria-describedby={canWrite ? undefined : 'connection-role-note'}>
          <legend class="visually-hidden">Kaseya BMS API details</legend>
          {!canWrite ? (
            <p id="connection-role-note" class="field-hint">
              {roleNote(session.me.role)}
            </p>
          ) : null}
          <div class="form-grid">
            {input('apiUrl', 'API URL', { type: 'url', required: true, placeholder: 'https://api.bms.kaseya.com', autoComplete: 'off' })}
            {input('v1Url', 'V1 API URL (optional)', { type: 'url', autoComplete: 'off' }, 'Used for locations; the API URL when empty.')}
            {input('tenant', 'Tenant name', { required: true, autoComplete: 'off' })}
            {input('username', 'API user name', { required: true, autoComplete: 'off' })}
            {input(
              'password',
              'Password',
              { type: 'password', required: !integration.connected, autoComplete: 'new-password' },
              integration.connected
                ? 'Write-only: the saved password is never shown. Leave empty to keep it; enter it again to change the URLs, tenant or user name.'
                : 'Write-only: stored encrypted and never shown again.',
            )}
          </div>
          {!integration.connected ? (
            <div class="field">
              <label for="bms-unmatched">When a Kaseya BMS record matches no documentation record</label>
              <select id="bms-unmatched" value={unmatched} aria-describedby="bms-unmatched-hint" onChange={(e) => setUnmatched((e.currentTarget as HTMLSelectElement).value as 'create' | 'hold')}>
                <option value="create">Create it (records with the same name are linked)</option>
                <option value="hold">Hold it for review before anything is created</option>
              </select>
              <p id="bms-unmatched-hint" class="field-hint">
                The first sync starts as soon as the connection is saved. Held records wait under Review matches, with suggestions such as
                “ACME, Inc” for “Acme Inc.”; you can change this per record type in Sync Settings.
              </p>
            </div>
          ) : null}
          <div class="form-actions">
            <button type="submit" class="button primary" disabled={busy}>
              {busy ? 'Testing the connection…' : integration.connected ? 'Test and save connection' : 'Test and connect'}
            </button>
          </div>
        </fieldset>
      </form>
      <div id="connection-result" aria-live="polite">
        {result ? <Notice kind={result.ok ? 'success' : 'error'}>{result.message}</Notice> : null}
      </div>
    </section>
  );
}

function SyncNowSection({ integration, onChange }: { integration: IntegrationView; onChange: (view: IntegrationView) => void }) {
  const { session } = useSession();
  const canSync = can(session, 'sync:trigger');
  const canWrite = can(session, 'integration:write');
  const [run, setRun] = useState<SyncRun | null>(null);
  const [waitingFor, setWaitingFor] = useState<Set<string> | null>(null);
  const [live, setLive] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [tick, setTick] = useState(0);
  const startedPolling = useRef(0);

  // The latest run, on arrival (a run may be going on already).
  useEffect(() => {
    api
      .get<SyncRun[]>(`${INTEGRATION}/runs?pageSize=1`)
      .then((res) => {
        const latest = res.data[0] ?? null;
        setRun(latest);
        if (latest?.status === 'running') startedPolling.current = Date.now();
      })
      .catch((err: unknown) => setError(errorMessage(err)));
  }, []);

  const following = waitingFor !== null || run?.status === 'running';

  // Follows the run "Sync now" started, or the latest run (a scheduled one, or the first pull after
  // connecting), announcing only when it starts and ends.
  useEffect(() => {
    const idle = !following && run !== null;
    if (idle) return;
    let active = true;
    const timer = setTimeout(
      () => {
        api
          .get<SyncRun[]>(`${INTEGRATION}/runs?pageSize=20`)
          .then((res) => {
            if (!active) return;
            // Runs never overlap: the oldest run not seen before "Sync now" is the one it started.
            const found = waitingFor ? res.data.filter((r) => !waitingFor.has(r.id)).at(-1) : res.data[0];
            if (found) {
              if (waitingFor) {
                setWaitingFor(null);
                if (found.status === 'running') setLive('Sync running…');
              }
              if (found.status !== 'running' && (waitingFor || run?.status === 'running' || run?.id !== found.id)) {
                setLive(
                  found.status === 'completed'
                    ? `Sync completed at ${formatTime(found.finishedAt)}: ${countsText(totals(found.counts))}.`
                    : `Sync ${found.status}${found.error ? `: ${found.error}` : '.'}`,
                );
              }
              setRun(found);
            } else if (waitingFor && Date.now() - startedPolling.current > 120_000) {
              setWaitingFor(null);
              setLive('The sync has not started yet. It may be waiting behind a sync already running; check the Logs later.');
            }
            setTick((t) => t + 1);
          })
          .catch(() => active && setTick((t) => t + 1));
      },
      following ? POLL_MS : 2 * POLL_MS,
    );
    return () => {
      active = false;
      clearTimeout(timer);
    };
  }, [following, tick, waitingFor, run]);

  const syncNow = async () => {
    setBusy(true);
    setError(null);
    try {
      const before = await api.get<SyncRun[]>(`${INTEGRATION}/runs?pageSize=200`);
      await api.post(`${INTEGRATION}/sync`);
      startedPolling.current = Date.now();
      setWaitingFor(new Set(before.data.map((r) => r.id)));
      setLive('Sync requested; starting…');
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const setPaused = async (paused: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const res = await api.post<IntegrationView>(`${INTEGRATION}/${paused ? 'pause' : 'resume'}`);
      onChange(res.data);
      setLive(paused ? 'Sync paused. A run already going on finishes.' : 'Sync resumed.');
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const schedule = integration.settings.pull.cron
    ? `on the cron schedule “${integration.settings.pull.cron}”`
    : `every ${integration.settings.pull.intervalMinutes} minutes`;
  const why = !canSync ? roleNote(session.me.role) : integration.paused ? 'Sync is paused; resume it to sync now.' : null;
  return (
    <section class="panel" aria-labelledby="sync-now-heading">
      <h2 id="sync-now-heading">Sync</h2>
      <p>
        Kaseya BMS is pulled {schedule}
        {integration.paused ? ' — paused' : ''}. <ExternalLink href={integration.scheduleUrl}>Schedule in the Temporal Web UI</ExternalLink>
      </p>
      <div class="button-row">
        <button
          type="button"
          class="button primary"
          disabled={!canSync || integration.paused || busy || following}
          aria-describedby={why ? 'sync-now-why' : undefined}
          onClick={() => void syncNow()}
        >
          {following ? 'Syncing…' : 'Sync now'}
        </button>
        {canWrite ? (
          <button type="button" class="button secondary" disabled={busy} onClick={() => void setPaused(!integration.paused)}>
            {integration.paused ? 'Resume sync' : 'Pause sync'}
          </button>
        ) : null}
      </div>
      {why ? (
        <p id="sync-now-why" class="field-hint">
          {why}
        </p>
      ) : null}
      {integration.paused && integration.pausedAutomatically ? (
        <Notice kind="warning">
          <span data-testid="pause-reason">{integration.pauseReason}</span>. Save the fixed connection above (it is tested first) to resume
          the sync{canWrite ? ', or press Resume sync' : ''}.
        </Notice>
      ) : integration.paused && integration.pauseReason ? (
        <Notice kind="info">{integration.pauseReason}</Notice>
      ) : null}
      {error ? <Notice kind="error">{error}</Notice> : null}
      <p class="sync-live" role="status" aria-live="polite" data-testid="sync-progress">
        {live}
      </p>
      {following ? <progress class="sync-progress" aria-label="Sync in progress" /> : null}
      {run ? (
        <div class="run-summary" data-testid="current-run">
          <p>
            {waitingFor ? 'Previous run' : 'Latest run'}: <RunStatus status={run.status} /> started {formatTime(run.startedAt)}
            {run.finishedAt ? `, finished ${formatTime(run.finishedAt)}` : ''} ({run.trigger}). <Link href={`/logs/${run.id}`}>Run log</Link>
          </p>
          {run.error ? <Notice kind="error">{run.error}</Notice> : null}
          <RunCountsTable counts={run.counts} />
        </div>
      ) : (
        <p class="muted">No sync run yet.</p>
      )}
    </section>
  );
}

function toggle<T>(list: T[], item: T, on: boolean): T[] {
  const without = list.filter((x) => x !== item);
  return on ? [...without, item] : without;
}

function CheckboxList(props: {
  legend: string;
  name: string;
  entries: LookupEntry[];
  selected: number[];
  onChange: (ids: number[]) => void;
}) {
  const { legend, name, entries, selected, onChange } = props;
  return (
    <fieldset class="checkbox-list">
      <legend>{legend}</legend>
      {entries.length === 0 ? <p class="muted">Kaseya BMS returned no entries.</p> : null}
      {entries.length > 0 ? (
        <div class="button-row small-gap">
          <button type="button" class="button link small" onClick={() => onChange(entries.map((e) => e.id))}>
            Select all<span class="visually-hidden"> {legend.toLowerCase()}</span>
          </button>
          <button type="button" class="button link small" onClick={() => onChange([])}>
            Select none<span class="visually-hidden"> {legend.toLowerCase()}</span>
          </button>
        </div>
      ) : null}
      <ul class="checks">
        {entries.map((e) => (
          <li key={e.id}>
            <input
              type="checkbox"
              id={`${name}-${e.id}`}
              checked={selected.includes(e.id)}
              onChange={(ev) => onChange(toggle(selected, e.id, (ev.currentTarget as HTMLInputElement).checked))}
            />
            <label for={`${name}-${e.id}`}>
              {e.name}
              {e.isActive === false ? <span class="muted"> (inactive in Kaseya BMS)</span> : null}
            </label>
          </li>
        ))}
      </ul>
    </fieldset>
  );
}

function StatusChecks({ name, selected, onChange }: { name: string; selected: Array<'Active' | 'Inactive'>; onChange: (s: Array<'Active' | 'Inactive'>) => void }) {
  return (
    <fieldset class="checkbox-list">
      <legend>Statuses to sync</legend>
      <ul class="checks inline">
        {(['Active', 'Inactive'] as const).map((s) => (
          <li key={s}>
            <input
              type="checkbox"
              id={`${name}-status-${s}`}
              checked={selected.includes(s)}
              onChange={(ev) => onChange(toggle(selected, s, (ev.currentTarget as HTMLInputElement).checked))}
            />
            <label for={`${name}-status-${s}`}>{s}</label>
          </li>
        ))}
      </ul>
    </fieldset>
  );
}

function Check({ id, label, checked, onChange, hint }: { id: string; label: string; checked: boolean; onChange: (v: boolean) => void; hint?: string }) {
  return (
    <div class="field field-boolean">
      <input
        type="checkbox"
        id={id}
        checked={checked}
        aria-describedby={hint ? `${id}-hint` : undefined}
        onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked)}
      />
      <label for={id}>{label}</label>
      {hint ? (
        <p id={`${id}-hint`} class="field-hint">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

const UNMATCHED_TYPES: Array<['organizations' | 'configurations' | 'contacts' | 'locations', string]> = [
  ['organizations', 'Organizations'],
  ['configurations', 'Configurations'],
  ['contacts', 'Contacts'],
  ['locations', 'Locations'],
];

function SyncSettingsSection(props: { integration: IntegrationView; lookups: Lookups; onSaved: (view: SettingsView) => void }) {
  const { session } = useSession();
  const canWrite = can(session, 'integration:write');
  const { lookups } = props;
  const [s, setS] = useState<SyncSettings>(() => structuredClone(props.integration.settings));
  const [intervalText, setIntervalText] = useState(String(props.integration.settings.pull.intervalMinutes));
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; message: string; field?: string } | null>(null);
  // A link to a setting (#contact-email-type, from the Problems page) lands on it.
  useFocusHash(true);

  const [preview, setPreview] = useState<SettingsPreview | null>(null);
  // What the preview shows is what saving sends: any edit after it asks for a new one.
  useEffect(() => setPreview(null), [s, intervalText]);

  const body = (): SettingsRequest => {
    const minutes = Number(intervalText);
    return {
      settings: {
        organizations: s.organizations,
        configurations: s.configurations,
        locations: s.locations,
        contacts: s.contacts,
        // Text that is not a number is sent as typed, so the API's refusal names the field.
        pull: { intervalMinutes: Number.isFinite(minutes) && intervalText.trim() !== '' ? minutes : (intervalText as unknown as number), cron: s.pull.cron?.trim() || null },
        contactDefaults: s.contactDefaults,
      },
    };
  };

  const showPreview = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setResult(null);
    setPreview(null);
    try {
      const res = await api.post<SettingsPreview>(`${INTEGRATION}/sync-settings/preview`, body());
      setPreview(res.data);
    } catch (err) {
      const field = err instanceof ApiError ? err.fields()[0] : undefined;
      setResult({ ok: false, message: errorMessage(err), field });
    } finally {
      setBusy(false);
    }
  };

  const save = async () => {
    setBusy(true);
    setResult(null);
    try {
      const res = await api.patch<SettingsView>(`${INTEGRATION}/sync-settings`, body());
      setS(structuredClone(res.data.settings));
      setIntervalText(String(res.data.settings.pull.intervalMinutes));
      props.onSaved(res.data);
      setResult({ ok: true, message: 'Sync Settings saved. They apply from the next sync.' });
    } catch (err) {
      const field = err instanceof ApiError ? err.fields()[0] : undefined;
      setResult({ ok: false, message: errorMessage(err), field });
    } finally {
      setBusy(false);
    }
  };

  const names = (list: LookupEntry[]) => list.map((e) => e.name);
  const section = (key: 'organizations' | 'configurations', label: string, typesLegend: string, entries: LookupEntry[]) => (
    <fieldset class="settings-group">
      <legend>{label}</legend>
      <Check
        id={`sync-${key}`}
        label={`Sync ${label.toLowerCase()}`}
        checked={s[key].enabled}
        onChange={(enabled) => setS({ ...s, [key]: { ...s[key], enabled } })}
      />
      <CheckboxList
        legend={typesLegend}
        name={`${key}-type`}
        entries={entries}
        selected={s[key].types}
        onChange={(types) => setS({ ...s, [key]: { ...s[key], types } })}
      />
      <StatusChecks name={key} selected={s[key].statuses} onChange={(statuses) => setS({ ...s, [key]: { ...s[key], statuses } })} />
    </fieldset>
  );
  const fieldError = (name: string) => (result && !result.ok && result.field?.startsWith(name) ? ('true' as const) : undefined);

  return (
    <section class="panel" aria-labelledby="settings-heading">
      <h2 id="settings-heading">Sync Settings</h2>
      <p class="muted">
        Only records whose Kaseya BMS type and status are selected are pulled or pushed. Records that stop matching become orphans after
        the next sync; they are kept, never deleted. The lists are read from Kaseya BMS when the connection is tested
        {props.lookups.fetchedAt ? ` (last on ${formatTime(props.lookups.fetchedAt)})` : ''}; test it again to refresh them.
      </p>
      <form onSubmit={(e) => void showPreview(e)} aria-label="Sync Settings">
        <fieldset disabled={!canWrite} aria-describedby={canWrite ? undefined : 'settings-role-note'}>
          <legend class="visually-hidden">What syncs</legend>
          {!canWrite ? (
            <p id="settings-role-note" class="field-hint">
              {roleNote(session.me.role)}
            </p>
          ) : null}
          <div class="settings-columns">
            {section('organizations', 'Organizations', 'Account types to sync', lookups.accountTypes)}
            {section('configurations', 'Configurations', 'Asset categories to sync', lookups.assetCategories)}
          </div>
          <div class="settings-columns">
            <fieldset class="settings-group">
              <legend>Locations and contacts</legend>
              <Check
                id="sync-locations"
                label="Sync locations"
                checked={s.locations.enabled}
                onChange={(enabled) => setS({ ...s, locations: { ...s.locations, enabled } })}
              />
              <Check
                id="sync-contacts"
                label="Enable contacts sync"
                checked={s.contacts.enabled}
                hint="Off: contacts are not created from Kaseya BMS."
                onChange={(enabled) => setS({ ...s, contacts: { ...s.contacts, enabled } })}
              />
              <div class="field">
                <label for="contact-email-type">Email type for contacts pushed to Kaseya BMS</label>
                <select
                  id="contact-email-type"
                  value={s.contactDefaults.emailType ?? ''}
                  onChange={(e) => setS({ ...s, contactDefaults: { ...s.contactDefaults, emailType: (e.currentTarget as HTMLSelectElement).value || null } })}
                >
                  <option value="">— Not set —</option>
                  {names(lookups.emailTypes).map((n) => (
                    <option key={n} value={n}>
                      {n}
                    </option>
                  ))}
                </select>
              </div>
              <div class="field">
                <label for="contact-phone-type">Phone type for contacts pushed to Kaseya BMS</label>
                <select
                  id="contact-phone-type"
                  value={s.contactDefaults.phoneType ?? ''}
                  onChange={(e) => setS({ ...s, contactDefaults: { ...s.contactDefaults, phoneType: (e.currentTarget as HTMLSelectElement).value || null } })}
                >
                  <option value="">— Not set —</option>
                  {names(lookups.phoneTypes).map((n) => (
                    <option key={n} value={n}>
                      {n}
                    </option>
                  ))}
                </select>
              </div>
            </fieldset>
            <fieldset class="settings-group">
              <legend>When a Kaseya BMS record matches nothing</legend>
              <p class="field-hint">
                Records whose natural key matches exactly are always linked. Anything else is created as a new documentation record (IT
                Glue's behaviour), or held in <Link href="/review">Review matches</Link> with suggestions, for a person to match, create or
                exclude.
              </p>
              {UNMATCHED_TYPES.map(([key, label]) => (
                <div class="field" key={key}>
                  <label for={`unmatched-${key}`}>{label}</label>
                  <select
                    id={`unmatched-${key}`}
                    value={s[key].unmatched}
                    onChange={(e) => setS({ ...s, [key]: { ...s[key], unmatched: (e.currentTarget as HTMLSelectElement).value as 'create' | 'hold' } })}
                  >
                    <option value="create">Create it</option>
                    <option value="hold">Hold it for review</option>
                  </select>
                </div>
              ))}
            </fieldset>
            <fieldset class="settings-group">
              <legend>Pull schedule</legend>
              <div class="field">
                <label for="pull-interval">Pull interval (minutes)</label>
                <input
                  id="pull-interval"
                  type="number"
                  min={1}
                  max={1440}
                  step={1}
                  required
                  value={intervalText}
                  aria-invalid={fieldError('settings.pull.intervalMinutes')}
                  onInput={(e) => setIntervalText(e.currentTarget.value)}
                />
              </div>
              <div class="field">
                <label for="pull-cron">Cron expression (optional)</label>
                <input
                  id="pull-cron"
                  type="text"
                  value={s.pull.cron ?? ''}
                  aria-describedby="pull-cron-hint"
                  aria-invalid={fieldError('settings.pull.cron')}
                  autoComplete="off"
                  onInput={(e) => setS({ ...s, pull: { ...s.pull, cron: e.currentTarget.value || null } })}
                />
                <p id="pull-cron-hint" class="field-hint">
                  Five fields (minute hour day month weekday), e.g. <code>*/30 * * * *</code>. When set, it replaces the interval.
                </p>
              </div>
            </fieldset>
          </div>
          <div class="form-actions">
            <button type="submit" class="button secondary" disabled={busy}>
              {busy && !preview ? 'Working out what it would do…' : 'Preview changes'}
            </button>
          </div>
        </fieldset>
      </form>
      <div aria-live="polite">
        {preview ? <SettingsPreviewPanel preview={preview} busy={busy} onSave={() => void save()} onCancel={() => setPreview(null)} /> : null}
        {result ? <Notice kind={result.ok ? 'success' : 'error'}>{result.message}</Notice> : null}
      </div>
    </section>
  );
}

function ImpactList({ title, impact, empty, testId }: { title: string; impact: SettingsPreview['orphans']; empty: string; testId: string }) {
  const byType = TYPE_ORDER.filter((t) => impact.byType[t]).map((t) => `${impact.byType[t]} ${TYPE_LABELS[t].many.toLowerCase()}`);
  return (
    <div class="impact" data-testid={testId}>
      <h4>
        {title}: {impact.count}
        {byType.length > 0 ? ` (${byType.join(', ')})` : ''}
      </h4>
      {impact.count === 0 ? (
        <p class="muted">{empty}</p>
      ) : (
        <ul>
          {impact.sample.map((r) => (
            <li key={r.id}>
              <Link href={`/${TYPE_LABELS[r.recordType].path}/${r.id}`}>{r.label || '(no name)'}</Link> <span class="muted">— {r.reason}</span>
            </li>
          ))}
          {impact.count > impact.sample.length ? <li class="muted">and {impact.count - impact.sample.length} more</li> : null}
        </ul>
      )}
    </div>
  );
}

/** What saving would do, shown before it is saved; saving from here is one click. */
function SettingsPreviewPanel({ preview, busy, onSave, onCancel }: { preview: SettingsPreview; busy: boolean; onSave: () => void; onCancel: () => void }) {
  return (
    <section class="notice notice-info settings-preview" aria-labelledby="settings-preview-heading" data-testid="settings-preview">
      <h3 id="settings-preview-heading">What saving these Sync Settings would do</h3>
      <ImpactList
        title="Would become orphans on the next sync"
        impact={preview.orphans}
        empty="No synced record would become an orphan."
        testId="preview-orphans"
      />
      <ImpactList
        title="Would no longer be pushed"
        impact={preview.stopPushing}
        empty="No record's pushes would stop."
        testId="preview-stop-pushing"
      />
      <div class="impact" data-testid="preview-start-sync">
        <h4>Would start to sync from Kaseya BMS</h4>
        {preview.startSync.length === 0 ? (
          <p class="muted">Nothing new would start to sync.</p>
        ) : (
          <ul>
            {preview.startSync.map((s, i) => (
              <li key={i}>
                {TYPE_LABELS[s.recordType].many}
                {s.typeName ? ` of type ${s.typeName}` : ''}
                {s.status ? `, ${s.status}` : ''}:{' '}
                <strong>{s.count === null ? 'not counted' : `${s.atLeast ? 'at least ' : ''}${s.count}`}</strong>
              </li>
            ))}
          </ul>
        )}
        <p class="field-hint">{preview.countedBy}</p>
      </div>
      <div class="form-actions">
        <button type="button" class="button primary" disabled={busy} onClick={onSave}>
          {busy ? 'Saving…' : 'Save Sync Settings'}
        </button>
        <button type="button" class="button secondary" disabled={busy} onClick={onCancel}>
          Keep editing
        </button>
      </div>
    </section>
  );
}

function TwoWaySection({ integration, onChange }: { integration: IntegrationView; onChange: (on: boolean) => void }) {
  const { session } = useSession();
  const roleAllows = can(session, 'integration:write');
  const planAllows = session.account.plan !== 'basic';
  const [busy, setBusy] = useState(false);
  /** The state asked for while the change is being saved. */
  const [pending, setPending] = useState<boolean | null>(null);
  const [status, setStatus] = useState<{ ok: boolean; message: string } | null>(null);

  const change = async (on: boolean) => {
    setBusy(true);
    setPending(on);
    setStatus(null);
    try {
      const res = await api.patch<SettingsView>(`${INTEGRATION}/sync-settings`, { twoWayEnabled: on } satisfies SettingsRequest);
      onChange(res.data.twoWayEnabled);
      setStatus({
        ok: true,
        message: res.data.twoWayEnabled
          ? 'Two-way sync is on. Records that already exist are not pushed until they are edited and saved.'
          : 'Two-way sync is off. Nothing is pushed to Kaseya BMS.',
      });
    } catch (err) {
      setStatus({ ok: false, message: errorMessage(err) });
    } finally {
      setBusy(false);
      setPending(null);
    }
  };

  const why = !planAllows
    ? `Two-way sync is available on the Select and Enterprise plans; this account is on the ${PLAN_LABELS[session.account.plan]} plan.`
    : !roleAllows
      ? roleNote(session.me.role)
      : null;
  return (
    <section class="panel" aria-labelledby="two-way-heading">
      <h2 id="two-way-heading">Two-way sync</h2>
      <div class="field field-boolean two-way">
        <input
          type="checkbox"
          id="two-way"
          checked={pending ?? integration.twoWayEnabled}
          disabled={!planAllows || !roleAllows}
          aria-busy={busy ? 'true' : undefined}
          aria-describedby={`two-way-explain${why ? ' two-way-why' : ''}`}
          onChange={(e) => {
            if (!busy) void change((e.currentTarget as HTMLInputElement).checked);
          }}
        />
        <label for="two-way">Enable two-way sync</label>
      </div>
      {why ? (
        <p id="two-way-why" class="field-hint emphasis" data-testid="two-way-why">
          {why}
        </p>
      ) : null}
      <p id="two-way-explain" class="field-hint">
        Off (the default): Kaseya BMS is pulled into the documentation, nothing is pushed, and the synced fields of synced records are
        read-only. On: new and updated organizations, configurations, contacts and locations saved in this app are pushed to Kaseya BMS at
        once. Records that exist when you turn it on are not pushed until each is edited and saved. Imports and API writes are never pushed
        automatically.
        {integration.twoWayEnabledAt && integration.twoWayEnabled ? ` On since ${formatTime(integration.twoWayEnabledAt)}.` : ''}
      </p>
      <div aria-live="polite">{status ? <Notice kind={status.ok ? 'success' : 'error'}>{status.message}</Notice> : null}</div>
    </section>
  );
}
