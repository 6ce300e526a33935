/**
 * The Kaseya BMS integration of an account: connection (password encrypted, never returned), Sync
 * Settings, the two-way switch, pause, and the cached BMS lookups used by the mapping.
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { EMPTY_LOOKUPS } from '../domain/mapping';
import { readStoredSettings, type SyncSettings } from '../domain/settings';
import { checkBaseUrlSyntax } from '../lib/outbound';
import type { SecretBox } from '../lib/secrets';
import type { BmsConnection } from '../bms/client';
import type { BmsLookups } from '../bms/lookups';
import type { Db } from './index';
import type { ReachabilitySource } from './operations';
import { isoOrNull } from './rows';

type Conn = Db | Knex.Transaction;
type Row = Record<string, unknown>;

export interface Integration {
  accountId: string;
  apiUrl: string;
  v1Url: string | null;
  tenant: string;
  username: string;
  settings: SyncSettings;
  twoWayEnabled: boolean;
  twoWayEnabledAt: string | null;
  paused: boolean;
  /** Why the sync is paused (the person's pause, or the cause of an automatic one); null when it runs. */
  pauseReason: string | null;
  /** The sync paused itself after consecutive failed pulls (domain/notifications.ts). */
  pausedAutomatically: boolean;
  /** When "Sync now" was last asked for. */
  syncRequestedAt: string | null;
  lookups: BmsLookups;
  connectionStatus: 'unchecked' | 'ok' | 'failed';
  connectionError: string | null;
  connectionCheckedAt: string | null;
  /** Changes whenever any connection setting (or the password) changes; keys client caches. */
  connectionStamp: string;
  createdAt: string;
  updatedAt: string;
}

export function emptyLookups(): BmsLookups {
  return { ...EMPTY_LOOKUPS, userId: null, fetchedAt: null };
}

function fromRow(row: Row): Integration {
  return {
    accountId: String(row.account_id),
    apiUrl: String(row.api_url),
    v1Url: (row.v1_url as string | null) ?? null,
    tenant: String(row.tenant),
    username: String(row.username),
    settings: readStoredSettings(row.settings),
    twoWayEnabled: Boolean(row.two_way_enabled),
    twoWayEnabledAt: isoOrNull(row.two_way_enabled_at),
    paused: Boolean(row.paused),
    pauseReason: (row.pause_reason as string | null) ?? null,
    pausedAutomatically: Boolean(row.paused_automatically),
    syncRequestedAt: isoOrNull(row.sync_requested_at),
    lookups: { ...emptyLookups(), ...((row.lookups as Partial<BmsLookups> | null) ?? {}) },
    connectionStatus: row.connection_status as Integration['connectionStatus'],
    connectionError: (row.connection_error as string | null) ?? null,
    connectionCheckedAt: isoOrNull(row.connection_checked_at),
    connectionStamp: createHash('sha256')
      .update([row.api_url, row.v1_url, row.tenant, row.username, row.password_enc].map(String).join('\n'))
      .digest('hex'),
    createdAt: isoOrNull(row.created_at) ?? '',
    updatedAt: isoOrNull(row.updated_at) ?? '',
  };
}

export async function getIntegration(db: Conn, accountId: string): Promise<Integration | undefined> {
  const row = (await db('integrations').where({ account_id: accountId }).first()) as Row | undefined;
  return row ? fromRow(row) : undefined;
}

/** The connection with the password decrypted: for the BMS client only, never for responses or logs. */
export async function getBmsConnection(db: Conn, accountId: string, secrets: SecretBox): Promise<BmsConnection | undefined> {
  const row = (await db('integrations')
    .where({ account_id: accountId })
    .first('api_url', 'v1_url', 'tenant', 'username', 'password_enc')) as Row | undefined;
  if (!row) return undefined;
  return {
    apiUrl: String(row.api_url),
    v1Url: (row.v1_url as string | null) ?? null,
    tenant: String(row.tenant),
    username: String(row.username),
    password: secrets.decrypt(String(row.password_enc)),
  };
}

export interface ConnectionInput {
  apiUrl: string;
  v1Url?: string | null;
  tenant: string;
  username: string;
  /** Omitted on update: keep the stored password. */
  password?: string;
}

export type ConnectionTarget = Pick<Integration, 'apiUrl' | 'v1Url' | 'tenant' | 'username'>;

/** The settings that decide where the password goes, in which `target` differs from what is stored. */
export function changedConnectionTarget(stored: ConnectionTarget, target: ConnectionTarget): Array<keyof ConnectionTarget> {
  const base = (url: string | null) => {
    if (url === null) return null;
    const check = checkBaseUrlSyntax(url);
    return check.ok ? check.url : undefined;
  };
  const changed: Array<keyof ConnectionTarget> = [];
  if (base(stored.apiUrl) === undefined || base(stored.apiUrl) !== base(target.apiUrl)) changed.push('apiUrl');
  if (base(stored.v1Url) === undefined || base(stored.v1Url) !== base(target.v1Url)) changed.push('v1Url');
  if (stored.tenant !== target.tenant) changed.push('tenant');
  if (stored.username !== target.username) changed.push('username');
  return changed;
}

/** The stored connection was moved elsewhere while a change without its password was under way. */
export class ConnectionChangedError extends Error {
  override readonly name = 'ConnectionChangedError';
}

/**
 * Stores the connection. Without a password, its address, tenant and user name must be the stored ones:
 * checked and written in one transaction, one save per account at a time, so a change landing meanwhile is
 * never overwritten to send its password to the address it replaced (ConnectionChangedError instead).
 */
export async function saveConnection(
  db: Conn,
  accountId: string,
  input: ConnectionInput,
  secrets: SecretBox,
  initialSettings: SyncSettings,
): Promise<Integration> {
  const row: Row = {
    api_url: input.apiUrl,
    v1_url: input.v1Url ?? null,
    tenant: input.tenant,
    username: input.username,
    updated_at: db.fn.now(),
  };
  if (input.password !== undefined) row.password_enc = secrets.encrypt(input.password);
  return db.transaction(async (trx) => {
    // Saves of an account's connection wait on the account's row: a first connection has no row of its
    // own to lock yet, and two of them at once must not both insert.
    await trx('accounts').where({ id: accountId }).forNoKeyUpdate().first('id');
    const existing = (await trx('integrations').where({ account_id: accountId }).first()) as Row | undefined;
    if (existing) {
      const target = { apiUrl: input.apiUrl, v1Url: input.v1Url ?? null, tenant: input.tenant, username: input.username };
      if (input.password === undefined && changedConnectionTarget(fromRow(existing), target).length > 0) {
        throw new ConnectionChangedError('Changing the address, tenant or user name of a connection needs its password');
      }
      await trx('integrations').where({ account_id: accountId }).update(row);
    } else {
      if (input.password === undefined) throw new ConnectionChangedError('A new connection needs a password');
      await trx('integrations').insert({ ...row, account_id: accountId, settings: JSON.stringify(initialSettings) });
    }
    return (await getIntegration(trx, accountId))!;
  });
}

export async function updateIntegration(
  db: Conn,
  accountId: string,
  changes: {
    settings?: SyncSettings;
    twoWayEnabled?: boolean;
    paused?: boolean;
    /** With `paused`: why, and whether the sync paused itself. */
    pause?: { reason: string | null; automatic: boolean };
    /** Forget the failure streak (a resume or a working connection starts counting afresh). */
    resetFailures?: true;
    syncRequested?: true;
    lookups?: BmsLookups;
    /** The connection's state as last seen, and by what (a connection test unless said otherwise). */
    connection?: { status: Integration['connectionStatus']; error: string | null; seenBy?: ReachabilitySource };
  },
): Promise<void> {
  const row: Row = { updated_at: db.fn.now() };
  if (changes.settings) row.settings = JSON.stringify(changes.settings);
  if (changes.twoWayEnabled !== undefined) {
    row.two_way_enabled = changes.twoWayEnabled;
    row.two_way_enabled_at = changes.twoWayEnabled ? db.fn.now() : null;
  }
  if (changes.paused !== undefined) {
    row.paused = changes.paused;
    row.pause_reason = changes.paused ? (changes.pause?.reason ?? null) : null;
    row.paused_automatically = changes.paused ? (changes.pause?.automatic ?? false) : false;
  }
  if (changes.resetFailures) {
    row.failure_cause = null;
    row.failure_streak = 0;
    row.failure_last_run = null;
  }
  if (changes.syncRequested) row.sync_requested_at = db.fn.now();
  if (changes.lookups) row.lookups = JSON.stringify(changes.lookups);
  if (changes.connection) {
    row.connection_status = changes.connection.status;
    row.connection_error = changes.connection.error;
    row.connection_checked_at = db.fn.now();
    // It is also the latest word on whether BMS is reachable (db/operations.ts).
    row.bms_reachability = changes.connection.status;
    row.bms_reachability_error = changes.connection.error;
    row.bms_reachability_at = db.fn.now();
    row.bms_reachability_by = changes.connection.seenBy ?? 'connection_test';
  }
  await db('integrations').where({ account_id: accountId }).update(row);
}
