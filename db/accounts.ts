/**
 * Accounts, users, sessions and API keys as stored. Credentials live only as hashes: callers hash
 * tokens and passwords (services/accounts.ts) before they reach these queries.
 */
import type { Knex } from 'knex';
import type { Account, ApiKeyCreator, ApiKeyView, User, UserView } from '../api/contract';
import { type Plan, type Role, ROLES } from '../domain/access';
import type { Db } from './index';
import { iso, isoOrNull } from './rows';

type Conn = Db | Knex.Transaction;
type Row = Record<string, unknown>;

function accountOf(row: Row): Account {
  return { id: String(row.id), name: String(row.name), plan: row.plan as Plan, createdAt: iso(row.created_at) };
}

function userOf(row: Row): User {
  return { id: String(row.id), accountId: String(row.account_id), email: String(row.email), name: String(row.name), role: row.role as Role };
}

export async function insertAccount(db: Conn, input: { name: string; plan: Plan }): Promise<Account> {
  const [row] = (await db('accounts').insert({ name: input.name, plan: input.plan }).returning('*')) as Row[];
  return accountOf(row!);
}

export async function findAccount(db: Conn, id: string): Promise<Account | undefined> {
  const row = (await db('accounts').where({ id }).first()) as Row | undefined;
  return row ? accountOf(row) : undefined;
}

/** Holds the account's row until the transaction ends: changes to its users wait on one another. */
export async function lockAccount(trx: Knex.Transaction, accountId: string): Promise<void> {
  await trx('accounts').where({ id: accountId }).forNoKeyUpdate().first('id');
}

export async function insertUser(
  db: Conn,
  input: { accountId: string; email: string; emailNormalized: string; name: string; role: Role; passwordHash: string },
): Promise<User> {
  const [row] = (await db('users')
    .insert({
      account_id: input.accountId,
      email: input.email,
      email_normalized: input.emailNormalized,
      name: input.name,
      role: input.role,
      password_hash: input.passwordHash,
    })
    .returning(['id', 'account_id', 'email', 'name', 'role'])) as Row[];
  return userOf(row!);
}

/** A user a login may open, with the password hash to check and the account's name. */
export interface LoginCandidate {
  user: User;
  passwordHash: string;
  accountName: string;
}

/** The enabled users with this (normalized) email, in `accountId` only when given, the oldest first. */
export async function findLoginCandidates(db: Conn, emailNormalized: string, accountId: string | undefined, limit: number): Promise<LoginCandidate[]> {
  const rows = (await db('users')
    .join('accounts', 'accounts.id', 'users.account_id')
    .where('users.email_normalized', emailNormalized)
    .modify((q) => {
      if (accountId) void q.where('users.account_id', accountId);
    })
    .whereNull('users.disabled_at')
    .orderBy('users.created_at', 'asc')
    .limit(limit)
    .select('users.*', 'accounts.name as account_name')) as Row[];
  return rows.map((row) => ({ user: userOf(row), passwordHash: String(row.password_hash), accountName: String(row.account_name) }));
}

export async function passwordHashOf(db: Conn, userId: string): Promise<string | undefined> {
  const row = (await db('users').where({ id: userId }).first('password_hash')) as { password_hash: string } | undefined;
  return row?.password_hash;
}

/** The account's user, or undefined when the account has no such user. */
export async function findUser(db: Conn, accountId: string, userId: string): Promise<{ email: string; name: string } | undefined> {
  return (await db('users').where({ account_id: accountId, id: userId }).first('email', 'name')) as { email: string; name: string } | undefined;
}

/** Sets the password and ends the user's sessions, except the one whose token hashes to `keepTokenHash`. */
export async function setPasswordEndingSessions(db: Db, userId: string, passwordHash: string, keepTokenHash: string | undefined): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('users').where({ id: userId }).update({ password_hash: passwordHash });
    await trx('sessions')
      .where({ user_id: userId })
      .modify((q) => {
        if (keepTokenHash) void q.whereNot({ token_hash: keepTokenHash });
      })
      .delete();
  });
}

export async function insertSession(db: Conn, input: { tokenHash: string; userId: string; expiresAt: Date }): Promise<void> {
  await db('sessions').insert({ token_hash: input.tokenHash, user_id: input.userId, expires_at: input.expiresAt });
}

export async function deleteSession(db: Conn, tokenHash: string): Promise<void> {
  await db('sessions').where({ token_hash: tokenHash }).delete();
}

/** Who a live credential belongs to, as stored now. */
export interface CredentialHolder {
  id: string;
  accountId: string;
  role: Role;
  name: string;
}

function holderOf(row: Row): CredentialHolder {
  return { id: String(row.id), accountId: String(row.account_id), role: row.role as Role, name: String(row.name) };
}

/** How long sessions live and how often their use is written. */
export interface SessionTimes {
  idleMs: number;
  maxMs: number;
  touchIntervalMs: number;
}

/**
 * The user of a live session of an enabled user, found in one statement that slides its expiry only
 * when it was last slid over `touchIntervalMs` ago: a busy client's requests read the session instead of
 * each writing it. However busy, a session ends `maxMs` after its login: the slide never passes that.
 */
export async function findSessionUser(db: Conn, tokenHash: string, times: SessionTimes): Promise<CredentialHolder | undefined> {
  const { rows } = (await db.raw(
    `WITH live AS (
       SELECT s.token_hash, s.last_seen_at, u.id, u.account_id, u.role, u.name
       FROM sessions AS s JOIN users AS u ON u.id = s.user_id
       WHERE s.token_hash = ? AND s.expires_at > CURRENT_TIMESTAMP AND u.disabled_at IS NULL
         AND s.created_at > CURRENT_TIMESTAMP - make_interval(secs => ?)
     ), slid AS (
       UPDATE sessions AS s SET last_seen_at = CURRENT_TIMESTAMP, expires_at = LEAST(?, s.created_at + make_interval(secs => ?))
       FROM live WHERE s.token_hash = live.token_hash AND live.last_seen_at < CURRENT_TIMESTAMP - make_interval(secs => ?)
     )
     SELECT id, account_id, role, name FROM live`,
    [tokenHash, times.maxMs / 1000, new Date(Date.now() + times.idleMs), times.maxMs / 1000, times.touchIntervalMs / 1000],
  )) as { rows: Row[] };
  return rows[0] && holderOf(rows[0]);
}

const ROLE_ORDER_SQL = `ARRAY[${ROLES.map((role) => `'${role}'`).join(', ')}]`;

/**
 * The standing of the API keys matching `start` (a condition on `k`), as CTEs ending in
 * `standing(key_id, live, role)`. A key is live while it and every key up the chain that made it are
 * unrevoked and each user who made a key of the chain still exists and is enabled. It acts with the
 * least role met along the chain, keys and their makers as they are now, so no key outranks whoever
 * made it, even after that person is demoted.
 */
function keyStandingCtes(start: string): string {
  return `chain AS (
         SELECT k.id AS key_id, k.revoked_at, k.role, k.created_by_kind, k.created_by, k.created_by_api_key_id
         FROM api_keys AS k WHERE ${start}
         UNION ALL
         SELECT chain.key_id, p.revoked_at, p.role, p.created_by_kind, p.created_by, p.created_by_api_key_id
         FROM chain JOIN api_keys AS p ON p.id = chain.created_by_api_key_id
       ), standing AS (
         SELECT chain.key_id,
           bool_and(chain.revoked_at IS NULL AND CASE chain.created_by_kind
             WHEN 'user' THEN u.id IS NOT NULL AND u.disabled_at IS NULL
             WHEN 'api_key' THEN chain.created_by_api_key_id IS NOT NULL
             ELSE true END) AS live,
           (${ROLE_ORDER_SQL})[max(greatest(array_position(${ROLE_ORDER_SQL}, chain.role), array_position(${ROLE_ORDER_SQL}, u.role)))] AS role
         FROM chain LEFT JOIN users AS u ON u.id = chain.created_by
         GROUP BY chain.key_id
       )`;
}

/**
 * A live key (see keyStandingCtes) with the role it acts with, found in one statement that, like a
 * session's slide, stamps its use only when the last stamp is older than `touchIntervalMs`.
 */
export async function findLiveApiKey(db: Conn, keyHash: string, touchIntervalMs: number): Promise<CredentialHolder | undefined> {
  const { rows } = (await db.raw(
    `WITH RECURSIVE ${keyStandingCtes('k.key_hash = ?')}, live AS (
       SELECT k.id, k.account_id, standing.role, k.name, k.last_used_at
       FROM api_keys AS k JOIN standing ON standing.key_id = k.id WHERE standing.live
     ), stamped AS (
       UPDATE api_keys AS k SET last_used_at = CURRENT_TIMESTAMP
       FROM live WHERE k.id = live.id
         AND (live.last_used_at IS NULL OR live.last_used_at < CURRENT_TIMESTAMP - make_interval(secs => ?))
     )
     SELECT id, account_id, role, name FROM live`,
    [keyHash, touchIntervalMs / 1000],
  )) as { rows: Row[] };
  return rows[0] && holderOf(rows[0]);
}

/** What made a key, as its columns store it; null for the operator's own scripts. */
export type KeyMaker = { kind: 'user'; userId: string | null } | { kind: 'api_key'; apiKeyId: string | null } | null;

export async function insertApiKey(
  db: Conn,
  input: { accountId: string; name: string; role: Role; prefix: string; keyHash: string; createdBy: KeyMaker },
): Promise<string> {
  const maker = input.createdBy;
  const creator = !maker
    ? { created_by_kind: 'operator' }
    : maker.kind === 'api_key'
      ? { created_by_kind: 'api_key', created_by_api_key_id: maker.apiKeyId }
      : { created_by_kind: 'user', created_by: maker.userId };
  const [row] = (await db('api_keys')
    .insert({ account_id: input.accountId, name: input.name, role: input.role, key_prefix: input.prefix, key_hash: input.keyHash, ...creator })
    .returning('id')) as Array<{ id: string }>;
  return String(row!.id);
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function apiKeyCreator(row: Row): ApiKeyCreator {
  switch (row.created_by_kind) {
    case 'user':
      return { kind: 'user', userId: stringOrNull(row.created_by), name: stringOrNull(row.creator_name), email: stringOrNull(row.creator_email) };
    case 'api_key':
      return { kind: 'api_key', apiKeyId: stringOrNull(row.created_by_api_key_id), name: stringOrNull(row.creator_key_name) };
    default:
      return { kind: 'operator' };
  }
}

export async function listApiKeys(db: Conn, accountId: string): Promise<ApiKeyView[]> {
  const { rows } = (await db.raw(
    `WITH RECURSIVE ${keyStandingCtes('k.account_id = ?')}
     SELECT k.*, standing.live, standing.role AS effective_role,
       creator.name AS creator_name, creator.email AS creator_email, creator_key.name AS creator_key_name
     FROM api_keys AS k JOIN standing ON standing.key_id = k.id
       LEFT JOIN users AS creator ON creator.id = k.created_by
       LEFT JOIN api_keys AS creator_key ON creator_key.id = k.created_by_api_key_id
     ORDER BY k.created_at, k.id`,
    [accountId],
  )) as { rows: Row[] };
  return rows.map((r) => ({
    id: String(r.id),
    name: String(r.name),
    role: r.role as Role,
    effectiveRole: r.live ? (r.effective_role as Role) : null,
    live: r.live === true,
    createdBy: apiKeyCreator(r),
    prefix: String(r.key_prefix),
    createdAt: iso(r.created_at),
    lastUsedAt: isoOrNull(r.last_used_at),
    revokedAt: isoOrNull(r.revoked_at),
  }));
}

/** The role an unrevoked key of the account was granted; undefined when there is no such key. */
export async function findUnrevokedKeyRole(db: Conn, accountId: string, id: string): Promise<Role | undefined> {
  const key = (await db('api_keys').where({ account_id: accountId, id }).whereNull('revoked_at').first('role')) as { role: Role } | undefined;
  return key?.role;
}

/** Revokes an unrevoked key of the account; false when it had none to revoke. */
export async function markApiKeyRevoked(db: Conn, accountId: string, id: string): Promise<boolean> {
  const count = await db('api_keys').where({ account_id: accountId, id }).whereNull('revoked_at').update({ revoked_at: db.fn.now() });
  return count > 0;
}

export async function listUsers(db: Conn, accountId: string): Promise<UserView[]> {
  const rows = (await db('users').where({ account_id: accountId }).orderBy('created_at', 'asc')) as Row[];
  return rows.map((r) => ({ ...userOf(r), disabled: r.disabled_at !== null, createdAt: iso(r.created_at) }));
}

/** A user's role and whether they are disabled; undefined when the account has no such user. */
export async function findUserStanding(db: Conn, accountId: string, id: string): Promise<{ role: Role; disabled: boolean } | undefined> {
  const row = (await db('users').where({ account_id: accountId, id }).first('role', 'disabled_at')) as { role: Role; disabled_at: Date | null } | undefined;
  return row && { role: row.role, disabled: row.disabled_at !== null };
}

/** Whether the account has an enabled administrator other than `exceptId`. */
export async function hasOtherEnabledAdministrator(db: Conn, accountId: string, exceptId: string): Promise<boolean> {
  const row = (await db('users').where({ account_id: accountId, role: 'administrator' }).whereNull('disabled_at').whereNot({ id: exceptId }).first('id')) as
    | { id: string }
    | undefined;
  return row !== undefined;
}

/**
 * Changes a user's role and/or enabled state. Disabling also ends their sessions and revokes, for good,
 * every key they made.
 */
export async function applyUserChange(trx: Knex.Transaction, id: string, change: { role?: Role; disabled?: boolean }): Promise<void> {
  const row: Row = {};
  if (change.role) row.role = change.role;
  if (change.disabled !== undefined) row.disabled_at = change.disabled ? trx.fn.now() : null;
  if (Object.keys(row).length > 0) await trx('users').where({ id }).update(row);
  if (change.disabled) {
    await trx('sessions').where({ user_id: id }).delete();
    await trx('api_keys').where({ created_by: id }).whereNull('revoked_at').update({ revoked_at: trx.fn.now() });
  }
}
