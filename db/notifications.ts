/**
 * Notification channels (secrets encrypted), the delivery log that is also the outbox the delivery
 * workflow works from, the failure streak on the integration, and the push failures a digest lists.
 */
import type { Knex } from 'knex';
import type { ChannelKind, DeliveryStatus, FailureStreak, NotificationEvent, NotificationEventKind, PushFailureItem } from '../domain/notifications';
import type { SecretBox } from '../lib/secrets';
import type { Db } from './index';
import { iso, isoOrNull } from './rows';

type Conn = Db | Knex.Transaction;
type Row = Record<string, unknown>;

export interface Channel {
  id: string;
  accountId: string;
  kind: ChannelKind;
  name: string;
  url: string | null;
  recipients: string[];
  events: NotificationEventKind[];
  enabled: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
}

function channelFromRow(r: Row): Channel {
  return {
    id: String(r.id),
    accountId: String(r.account_id),
    kind: r.kind as ChannelKind,
    name: String(r.name),
    url: (r.url as string | null) ?? null,
    recipients: (r.recipients as string[] | null) ?? [],
    events: (r.events as NotificationEventKind[] | null) ?? [],
    enabled: Boolean(r.enabled),
    version: Number(r.version),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

export interface ChannelInput {
  kind: ChannelKind;
  name: string;
  url?: string | null;
  recipients?: string[];
  events: NotificationEventKind[];
  enabled: boolean;
}

export async function createChannel(db: Conn, accountId: string, input: ChannelInput, secret: string | null, secrets: SecretBox): Promise<Channel> {
  const [row] = (await db('notification_channels')
    .insert({
      account_id: accountId,
      kind: input.kind,
      name: input.name,
      url: input.url ?? null,
      recipients: JSON.stringify(input.recipients ?? []),
      events: JSON.stringify(input.events),
      enabled: input.enabled,
      secret_enc: secret === null ? null : secrets.encrypt(secret),
    })
    .returning('*')) as Row[];
  return channelFromRow(row!);
}

export async function listChannels(db: Conn, accountId: string): Promise<Channel[]> {
  const rows = (await db('notification_channels').where({ account_id: accountId }).orderBy('created_at')) as Row[];
  return rows.map(channelFromRow);
}

export async function getChannel(db: Conn, accountId: string, id: string): Promise<Channel | undefined> {
  const row = (await db('notification_channels').where({ account_id: accountId, id }).first()) as Row | undefined;
  return row ? channelFromRow(row) : undefined;
}

/** The channel's signing secret, decrypted: for signing only, never for answers or logs. */
export async function getChannelSecret(db: Conn, id: string, secrets: SecretBox): Promise<string | null> {
  const row = (await db('notification_channels').where({ id }).first('secret_enc')) as Row | undefined;
  const sealed = row?.secret_enc as string | null | undefined;
  return sealed ? secrets.decrypt(sealed) : null;
}

/** Updates the channel if it is still at `version` (undefined: any); answers undefined when it moved on. */
export async function updateChannel(
  db: Conn,
  accountId: string,
  id: string,
  changes: Partial<Omit<ChannelInput, 'kind'>>,
  version: number | undefined,
  newSecret?: { secret: string; secrets: SecretBox },
): Promise<Channel | undefined> {
  const row: Row = { updated_at: db.fn.now(), version: db.raw('version + 1') };
  if (changes.name !== undefined) row.name = changes.name;
  if (changes.url !== undefined) row.url = changes.url;
  if (changes.recipients !== undefined) row.recipients = JSON.stringify(changes.recipients);
  if (changes.events !== undefined) row.events = JSON.stringify(changes.events);
  if (changes.enabled !== undefined) row.enabled = changes.enabled;
  if (newSecret) row.secret_enc = newSecret.secrets.encrypt(newSecret.secret);
  const query = db('notification_channels').where({ account_id: accountId, id });
  if (version !== undefined) void query.andWhere({ version });
  const rows = (await query.update(row).returning('*')) as Row[];
  return rows[0] ? channelFromRow(rows[0]) : undefined;
}

export async function deleteChannel(db: Conn, accountId: string, id: string): Promise<boolean> {
  return (await db('notification_channels').where({ account_id: accountId, id }).delete()) > 0;
}

export interface Delivery {
  id: string;
  accountId: string;
  channelId: string;
  /** The channel's name and kind (not its address or secret), for the log. */
  channelName: string;
  channelKind: ChannelKind;
  eventKind: NotificationEventKind;
  event: NotificationEvent;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  responseCode: number | null;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
}

function deliveryFromRow(r: Row): Delivery {
  return {
    id: String(r.id),
    accountId: String(r.account_id),
    channelId: String(r.channel_id),
    channelName: (r.channel_name as string | null) ?? '',
    channelKind: r.channel_kind as ChannelKind,
    eventKind: r.event_kind as NotificationEventKind,
    event: r.event as NotificationEvent,
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    lastError: (r.last_error as string | null) ?? null,
    responseCode: r.response_code === null || r.response_code === undefined ? null : Number(r.response_code),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    deliveredAt: isoOrNull(r.delivered_at),
  };
}

/**
 * Writes one delivery of `event` per enabled channel subscribed to it (or to `onlyChannel`), once per
 * (channel, key): a retried step that raises the same event again adds nothing. Answers the ids of
 * deliveries not yet delivered, for the caller to start (again; starting is idempotent).
 */
export async function addDeliveries(db: Conn, event: NotificationEvent, key: string, onlyChannel?: string): Promise<string[]> {
  const query = db('notification_channels').where({ account_id: event.accountId });
  if (onlyChannel) void query.andWhere({ id: onlyChannel });
  else void query.andWhere({ enabled: true }).andWhereRaw('events \\? ?', [event.kind]);
  const channels = (await query.select('id')) as Row[];
  if (channels.length === 0) return [];
  await db('notification_deliveries')
    .insert(
      channels.map((c) => ({
        account_id: event.accountId,
        channel_id: c.id,
        event_kind: event.kind,
        event_key: key,
        event: JSON.stringify(event),
      })),
    )
    .onConflict(['channel_id', 'event_key'])
    .ignore();
  const rows = (await db('notification_deliveries')
    .whereIn(
      'channel_id',
      channels.map((c) => c.id as string),
    )
    .andWhere({ event_key: key })
    .whereNot({ status: 'delivered' })
    .select('id')) as Row[];
  return rows.map((r) => String(r.id));
}

function withChannel(db: Conn) {
  return db('notification_deliveries as d')
    .join('notification_channels as c', 'c.id', 'd.channel_id')
    .select('d.*', 'c.name as channel_name', 'c.kind as channel_kind');
}

export async function getDelivery(db: Conn, id: string): Promise<Delivery | undefined> {
  const row = (await withChannel(db).where('d.id', id).first()) as Row | undefined;
  return row ? deliveryFromRow(row) : undefined;
}

export async function listDeliveries(
  db: Conn,
  accountId: string,
  filter: { channelId?: string; limit: number; offset: number },
): Promise<{ items: Delivery[]; total: number }> {
  const where = (q: Knex.QueryBuilder) => {
    void q.where('d.account_id', accountId);
    if (filter.channelId) void q.andWhere('d.channel_id', filter.channelId);
    return q;
  };
  const [rows, count] = (await Promise.all([
    where(withChannel(db)).orderBy('d.created_at', 'desc').orderBy('d.id').limit(filter.limit).offset(filter.offset),
    where(db('notification_deliveries as d')).count('* as count'),
  ])) as [Row[], Row[]];
  return { items: rows.map(deliveryFromRow), total: Number(count[0]?.count ?? 0) };
}

/** One attempt's outcome. */
export async function recordDeliveryAttempt(
  db: Conn,
  id: string,
  outcome: { status: DeliveryStatus; attempts: number; error: string | null; responseCode: number | null },
): Promise<void> {
  const row: Row = {
    status: outcome.status,
    attempts: outcome.attempts,
    last_error: outcome.error,
    response_code: outcome.responseCode,
    updated_at: db.fn.now(),
  };
  if (outcome.status === 'delivered') row.delivered_at = db.fn.now();
  await db('notification_deliveries').where({ id }).update(row);
}

export async function markDeliveryFailed(db: Conn, id: string, error: string): Promise<void> {
  await db('notification_deliveries')
    .where({ id })
    .whereNot({ status: 'delivered' })
    .update({ status: 'failed', last_error: error, updated_at: db.fn.now() });
}

// ------------------------------------------------------------------ the integration's failure streak

export async function getFailureStreak(db: Conn, accountId: string): Promise<FailureStreak> {
  const row = (await db('integrations').where({ account_id: accountId }).first('failure_cause', 'failure_streak', 'failure_last_run')) as Row | undefined;
  return {
    cause: (row?.failure_cause as string | null) ?? null,
    streak: Number(row?.failure_streak ?? 0),
    lastRunId: (row?.failure_last_run as string | null) ?? null,
  };
}

export async function setFailureStreak(db: Conn, accountId: string, streak: FailureStreak): Promise<void> {
  await db('integrations')
    .where({ account_id: accountId })
    .update({ failure_cause: streak.cause, failure_streak: streak.streak, failure_last_run: streak.lastRunId });
}

// ------------------------------------------------------------------ push failures for the digest

/**
 * Push refusals recorded after the last digest (or, for the first, after `since`): the newest first,
 * `limit` of them, with their total and the time of the newest.
 */
export async function pushFailuresSinceDigest(
  db: Conn,
  accountId: string,
  since: Date,
  limit: number,
): Promise<{ items: PushFailureItem[]; total: number; newest: string | null }> {
  // Compared in PostgreSQL, to the microsecond (a JS Date would round the last digest's time down).
  const lastDigest = db('integrations').where({ account_id: accountId }).select('push_digest_at');
  const base = db('record_history')
    .where({ account_id: accountId, kind: 'error', origin: 'push' })
    .andWhere('at', '>', db.raw('coalesce((?), ?::timestamptz)', [lastDigest, since.toISOString()]));
  const [rows, agg] = await Promise.all([
    base.clone().orderBy('at', 'desc').limit(limit).select('record_type', 'record_id', 'summary', 'at'),
    base.clone().select(db.raw('count(*)::int as total'), db.raw('max(at)::text as newest')),
  ]);
  const first = (agg as Row[])[0];
  return {
    items: (rows as Row[]).map((r) => ({ recordType: String(r.record_type), recordId: String(r.record_id), summary: String(r.summary), at: iso(r.at) })),
    total: Number(first?.total ?? 0),
    // As PostgreSQL writes it, to the microsecond: the next digest starts exactly after it.
    newest: (first?.newest as string | null) ?? null,
  };
}

export async function setPushDigestAt(db: Conn, accountId: string, at: string): Promise<void> {
  await db('integrations').where({ account_id: accountId }).update({ push_digest_at: at });
}

/** When an event of `kind` was last raised for the account (any channel), or null. */
export async function lastRaisedAt(db: Conn, accountId: string, kind: NotificationEventKind): Promise<Date | null> {
  const row = (await db('notification_deliveries').where({ account_id: accountId, event_kind: kind }).max('created_at as at').first()) as Row | undefined;
  return row?.at instanceof Date ? row.at : null;
}
