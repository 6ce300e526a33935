/**
 * Notifications: the account's channels (webhooks and email; administrators only, since a channel holds a
 * signing secret), "Send test" per channel, and the delivery log (administrators and managers).
 */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, errorMessage, query } from '../api';
import { Loading, Notice, PageTitle } from '../components/Page';
import { formatTime } from '../labels';
import { can, useSession } from '../session';
import type { ChannelView, DeliveryView, NewChannelAnswer, NewChannelRequest, NotificationEventKind, TestSent } from '../types';

const EVENT_LABELS: Record<Exclude<NotificationEventKind, 'test'>, string> = {
  'connection.failed': 'Kaseya BMS connection fails',
  'pull.failed': 'A pull fails',
  'schedule.late': 'A scheduled pull runs late',
  'push.failed': 'Pushes fail (one digest per interval)',
  'budget.exhausted': 'The request budget stays exhausted',
  'sync.paused': 'The sync pauses itself',
};
const EVENTS = Object.keys(EVENT_LABELS) as Array<keyof typeof EVENT_LABELS>;

const STATUS_LABELS: Record<DeliveryView['status'], string> = { pending: 'Pending', retrying: 'Retrying', delivered: 'Delivered', failed: 'Failed' };
const STATUS_CLASS: Record<DeliveryView['status'], string> = { pending: 'run-running', retrying: 'run-running', delivered: 'run-completed', failed: 'run-failed' };

export function NotificationsPage() {
  const { session } = useSession();
  const manage = can(session, 'notifications:manage');
  const [channels, setChannels] = useState<ChannelView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    if (!manage) return;
    api
      .get<ChannelView[]>('/notifications/channels')
      .then((res) => setChannels(res.data))
      .catch((err: unknown) => setError(errorMessage(err)));
  }, [manage, tick]);

  return (
    <>
      <PageTitle title="Notifications" />
      <p class="muted">
        Who is told when the sync breaks: the Kaseya BMS connection fails, a pull fails or runs late, pushes fail, or the sync pauses itself.
      </p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {manage ? (
        <>
          {channels ? <ChannelsSection channels={channels} onChanged={() => setTick((t) => t + 1)} /> : !error ? <Loading what="channels" /> : null}
          <NewChannelSection onCreated={() => setTick((t) => t + 1)} />
        </>
      ) : (
        <p class="muted">Channels are set by administrators.</p>
      )}
      <DeliveriesSection refresh={tick} />
    </>
  );
}

function destination(channel: ChannelView): string {
  return channel.kind === 'webhook' ? (channel.url ?? '') : channel.recipients.join(', ');
}

function ChannelsSection({ channels, onChanged }: { channels: ChannelView[]; onChanged: () => void }) {
  const [status, setStatus] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);

  const test = async (channel: ChannelView) => {
    setStatus(null);
    try {
      await api.post<TestSent>(`/notifications/channels/${channel.id}/test`);
      setStatus({ kind: 'success', text: `Test sent to “${channel.name}”; see the delivery log below.` });
      onChanged();
    } catch (err) {
      setStatus({ kind: 'error', text: errorMessage(err) });
    }
  };
  const toggle = async (channel: ChannelView) => {
    try {
      await api.patch(`/notifications/channels/${channel.id}`, { enabled: !channel.enabled, version: channel.version });
      onChanged();
    } catch (err) {
      setStatus({ kind: 'error', text: errorMessage(err) });
    }
  };
  const remove = async (channel: ChannelView) => {
    if (!confirm(`Delete the channel “${channel.name}” and its delivery log?`)) return;
    try {
      await api.delete(`/notifications/channels/${channel.id}`);
      onChanged();
    } catch (err) {
      setStatus({ kind: 'error', text: errorMessage(err) });
    }
  };

  return (
    <section class="panel" aria-labelledby="channels-heading">
      <h2 id="channels-heading">Channels</h2>
      {status ? <Notice kind={status.kind}>{status.text}</Notice> : null}
      <div class="table-wrap">
        <table class="data" data-testid="channels">
          <caption class="visually-hidden">Notification channels</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Sends to</th>
              <th scope="col">Events</th>
              <th scope="col">State</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {channels.length === 0 ? (
              <tr>
                <td colSpan={6} class="muted">
                  No channels yet: nobody is told when the sync breaks.
                </td>
              </tr>
            ) : null}
            {channels.map((c) => (
              <tr key={c.id}>
                <td>{c.name}</td>
                <td>{c.kind === 'webhook' ? 'Webhook' : 'Email'}</td>
                <td class="break">{destination(c)}</td>
                <td>{c.events.length === EVENTS.length ? 'All events' : c.events.map((e) => EVENT_LABELS[e as keyof typeof EVENT_LABELS] ?? e).join('; ')}</td>
                <td>{c.enabled ? 'On' : 'Off'}</td>
                <td>
                  <div class="button-row small-gap">
                    <button type="button" class="button secondary small" onClick={() => void test(c)}>
                      Send test<span class="visually-hidden"> to {c.name}</span>
                    </button>
                    <button type="button" class="button secondary small" onClick={() => void toggle(c)}>
                      {c.enabled ? 'Turn off' : 'Turn on'}
                      <span class="visually-hidden"> {c.name}</span>
                    </button>
                    <button type="button" class="button link small" onClick={() => void remove(c)}>
                      Delete<span class="visually-hidden"> {c.name}</span>
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function NewChannelSection({ onCreated }: { onCreated: () => void }) {
  const [kind, setKind] = useState<'webhook' | 'email'>('webhook');
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [recipients, setRecipients] = useState('');
  const [events, setEvents] = useState<string[]>([...EVENTS]);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; message: string; field?: string; secret?: string } | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setResult(null);
    const chosen = events as NonNullable<NewChannelRequest['events']>;
    const body: NewChannelRequest =
      kind === 'webhook'
        ? { kind, name: name.trim(), url: url.trim(), events: chosen }
        : { kind, name: name.trim(), recipients: recipients.split(/[,;\s]+/).filter(Boolean), events: chosen };
    try {
      const res = await api.post<NewChannelAnswer>('/notifications/channels', body);
      setResult({ ok: true, message: `Channel “${res.data.name}” added.`, secret: res.data.secret ?? undefined });
      setName('');
      setUrl('');
      setRecipients('');
      onCreated();
    } catch (err) {
      const field = err instanceof ApiError ? err.fields()[0] : undefined;
      setResult({ ok: false, message: errorMessage(err), field });
    } finally {
      setBusy(false);
    }
  };
  const invalid = (field: string) => (result && !result.ok && result.field?.split('.')[0] === field ? ('true' as const) : undefined);

  return (
    <section class="panel" aria-labelledby="new-channel-heading">
      <h2 id="new-channel-heading">Add a channel</h2>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <div class="field">
          <label for="channel-kind">Kind</label>
          <select id="channel-kind" value={kind} onChange={(e) => setKind((e.currentTarget as HTMLSelectElement).value as 'webhook' | 'email')}>
            <option value="webhook">Webhook (signed JSON POST)</option>
            <option value="email">Email</option>
          </select>
        </div>
        <div class="field">
          <label for="channel-name">Name</label>
          <input id="channel-name" type="text" value={name} aria-invalid={invalid('name')} onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        {kind === 'webhook' ? (
          <div class="field">
            <label for="channel-url">Webhook address</label>
            <input
              id="channel-url"
              type="url"
              value={url}
              aria-invalid={invalid('url')}
              aria-describedby="channel-url-hint"
              onInput={(e) => setUrl(e.currentTarget.value)}
            />
            <p id="channel-url-hint" class="field-hint">
              Must be allowed by the server's outbound destination policy, like the Kaseya BMS address. Each request is signed with a secret shown once when the channel is added.
            </p>
          </div>
        ) : (
          <div class="field">
            <label for="channel-recipients">Recipients</label>
            <input
              id="channel-recipients"
              type="text"
              value={recipients}
              aria-invalid={invalid('recipients')}
              aria-describedby="channel-recipients-hint"
              onInput={(e) => setRecipients(e.currentTarget.value)}
            />
            <p id="channel-recipients-hint" class="field-hint">
              Email addresses, separated by commas. Mail goes through the server's SMTP settings.
            </p>
          </div>
        )}
        <fieldset class="checkbox-list">
          <legend>Events</legend>
          <ul class="checks">
            {EVENTS.map((e) => (
              <li key={e}>
                <input
                  type="checkbox"
                  id={`channel-event-${e}`}
                  checked={events.includes(e)}
                  onChange={(ev) => {
                    const on = (ev.currentTarget as HTMLInputElement).checked;
                    setEvents(on ? [...events, e] : events.filter((x) => x !== e));
                  }}
                />
                <label for={`channel-event-${e}`}>{EVENT_LABELS[e]}</label>
              </li>
            ))}
          </ul>
        </fieldset>
        <div class="button-row">
          <button type="submit" class="button primary" disabled={busy}>
            Add channel
          </button>
        </div>
      </form>
      {result ? (
        <Notice kind={result.ok ? 'success' : 'error'}>
          {result.message}
          {result.secret ? (
            <>
              {' '}
              Signing secret (shown only now; store it with the receiver): <code data-testid="channel-secret">{result.secret}</code>
            </>
          ) : null}
        </Notice>
      ) : null}
    </section>
  );
}

function DeliveriesSection({ refresh }: { refresh: number }) {
  const [deliveries, setDeliveries] = useState<DeliveryView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    api
      .get<DeliveryView[]>(`/notifications/deliveries${query({ pageSize: 50 })}`)
      .then((res) => live && setDeliveries(res.data))
      .catch((err: unknown) => live && setError(errorMessage(err)));
    return () => {
      live = false;
    };
  }, [refresh, tick]);

  // While a delivery is under way, keep the log current.
  useEffect(() => {
    if (!deliveries?.some((d) => d.status === 'pending' || d.status === 'retrying')) return;
    const timer = setTimeout(() => setTick((t) => t + 1), 2000);
    return () => clearTimeout(timer);
  }, [deliveries]);

  return (
    <section class="panel" aria-labelledby="deliveries-heading">
      <h2 id="deliveries-heading">Delivery log</h2>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {!deliveries && !error ? <Loading what="the delivery log" /> : null}
      {deliveries ? (
        <div class="table-wrap">
          <table class="data" data-testid="deliveries">
            <caption class="visually-hidden">Notification deliveries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Raised</th>
                <th scope="col">Channel</th>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Response</th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              {deliveries.length === 0 ? (
                <tr>
                  <td colSpan={7} class="muted">
                    Nothing sent yet.
                  </td>
                </tr>
              ) : null}
              {deliveries.map((d) => (
                <tr key={d.id}>
                  <td>{formatTime(d.createdAt)}</td>
                  <td>
                    {d.channelName} <span class="muted">({d.channelKind === 'webhook' ? 'webhook' : 'email'})</span>
                  </td>
                  <td>{d.event.title}</td>
                  <td>
                    <span class={`badge ${STATUS_CLASS[d.status]}`}>{STATUS_LABELS[d.status]}</span>
                  </td>
                  <td>{d.attempts}</td>
                  <td>{d.responseCode ?? '—'}</td>
                  <td class="break">{d.lastError ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
