/**
 * Accounts (tenants), users, sessions and API keys. Passwords are hashed with scrypt; session tokens and
 * API keys are random and stored only as SHA-256 hashes. A session token starts with `dss_`, an API key
 * with `dsk_`, so the API can tell a person's save (UI) from automation (API) by the credential alone.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db';
import { iso, isoOrNull } from '../db/rows';
import { normalizeEmail } from '../domain/email';
import { RuleError } from './errors';
import { hashPassword, requireHashingCapacity, UNMATCHABLE_PASSWORD_HASH, verifyPassword } from './passwords';

export const ROLES = ['administrator', 'manager', 'editor', 'read-only'] as const;
export type Role = (typeof ROLES)[number];
export const PLANS = ['basic', 'select', 'enterprise'] as const;
export type Plan = (typeof PLANS)[number];

export const SESSION_PREFIX = 'dss_';
export const API_KEY_PREFIX = 'dsk_';
/** Sessions last this long after their last use. */
export const SESSION_IDLE_MS = 12 * 60 * 60_000;
/** Sessions end this long after logging in however busy they are: a stolen token does not live forever. */
export const SESSION_MAX_MS = 7 * 24 * 60 * 60_000;
/**
 * A session's expiry slides, and an API key's last use is stamped, at most this often: a client making
 * many requests reads its credential instead of writing it each time. A session may so end up to this
 * much before its idle lifetime.
 */
export const TOUCH_INTERVAL_MS = 60_000;

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function newToken(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

export interface Account {
  id: string;
  name: string;
  plan: Plan;
  createdAt: string;
}

export interface User {
  id: string;
  accountId: string;
  email: string;
  name: string;
  role: Role;
}

export async function createAccount(db: Db, input: { name: string; plan: Plan }): Promise<Account> {
  const [row] = (await db('accounts').insert({ name: input.name, plan: input.plan }).returning('*')) as Array<Record<string, unknown>>;
  return { id: String(row!.id), name: String(row!.name), plan: row!.plan as Plan, createdAt: iso(row!.created_at) };
}

export async function getAccount(db: Db, id: string): Promise<Account | undefined> {
  const row = (await db('accounts').where({ id }).first()) as Record<string, unknown> | undefined;
  return row ? { id: String(row.id), name: String(row.name), plan: row.plan as Plan, createdAt: iso(row.created_at) } : undefined;
}

export async function setAccountPlan(db: Db, id: string, plan: Plan): Promise<void> {
  await db('accounts').where({ id }).update({ plan });
}

export async function createUser(
  db: Db,
  input: { accountId: string; email: string; name: string; role: Role; password: string },
): Promise<User> {
  const [row] = (await db('users')
    .insert({
      account_id: input.accountId,
      email: input.email.trim(),
      email_normalized: normalizeEmail(input.email),
      name: input.name,
      role: input.role,
      password_hash: await hashPassword(input.password),
    })
    .returning(['id', 'account_id', 'email', 'name', 'role'])) as Array<Record<string, unknown>>;
  return userOf(row!);
}

function userOf(row: Record<string, unknown>): User {
  return { id: String(row.id), accountId: String(row.account_id), email: String(row.email), name: String(row.name), role: row.role as Role };
}

/**
 * An email may be a user in several accounts: a login that names no account checks the password of at
 * most this many of them (each check is a hash), the oldest first, so that accounts created later cannot
 * push an existing user out of the check. Beyond it, the person names the account.
 */
export const LOGIN_ACCOUNTS_CHECKED = 5;

/** The password matched users in several accounts: the person must say which one. */
export class AccountChoiceRequired extends RuleError {
  constructor(readonly accounts: Array<{ id: string; name: string }>) {
    super(409, 'account_required', 'This email and password open several accounts; log in again naming one as accountId', { field: 'accountId', accounts });
  }
}

/**
 * Checks credentials; returns the user and a new session token, or undefined. With `accountId`, only that
 * account's user is considered; without it, when the password matches users in several accounts, throws
 * AccountChoiceRequired listing those (and only those) accounts.
 */
export async function login(
  db: Db,
  email: string,
  password: string,
  accountId?: string,
): Promise<{ user: User; token: string; expiresAt: Date } | undefined> {
  // A login that could not get its hash checked is refused before it costs a query.
  requireHashingCapacity();
  const candidates = (await db('users')
    .join('accounts', 'accounts.id', 'users.account_id')
    .where('users.email_normalized', normalizeEmail(email))
    .modify((q) => {
      if (accountId) void q.where('users.account_id', accountId);
    })
    .whereNull('users.disabled_at')
    .orderBy('users.created_at', 'asc')
    .limit(LOGIN_ACCOUNTS_CHECKED)
    .select('users.*', 'accounts.name as account_name')) as Array<Record<string, unknown>>;
  // Hash anyway when the user is unknown, so timing does not reveal which emails exist.
  if (candidates.length === 0) await verifyPassword(password, UNMATCHABLE_PASSWORD_HASH);
  const matched: Array<Record<string, unknown>> = [];
  for (const row of candidates) if (await verifyPassword(password, String(row.password_hash))) matched.push(row);
  if (matched.length > 1) throw new AccountChoiceRequired(matched.map((r) => ({ id: String(r.account_id), name: String(r.account_name) })));
  const row = matched[0];
  if (!row) return undefined;
  return { user: userOf(row), ...(await startSession(db, String(row.id))) };
}

async function startSession(db: Db, userId: string): Promise<{ token: string; expiresAt: Date }> {
  const token = newToken(SESSION_PREFIX);
  const expiresAt = new Date(Date.now() + SESSION_IDLE_MS);
  await db('sessions').insert({ token_hash: tokenHash(token), user_id: userId, expires_at: expiresAt });
  return { token, expiresAt };
}

/**
 * A person changes their own password, proving the current one; their other sessions end, the one
 * `keepToken` belongs to stays. False when the current password is wrong.
 */
export async function changeOwnPassword(
  db: Db,
  input: { userId: string; currentPassword: string; newPassword: string; keepToken: string },
): Promise<boolean> {
  const row = (await db('users').where({ id: input.userId }).first('password_hash')) as { password_hash: string } | undefined;
  if (!row || !(await verifyPassword(input.currentPassword, row.password_hash))) return false;
  await setPasswordEndingSessions(db, input.userId, await hashPassword(input.newPassword), input.keepToken);
  return true;
}

/**
 * An administrator sets the password of a user of their account; the user's sessions end (except
 * `keepToken`'s, when administrators reset their own). False when the account has no such user.
 */
export async function resetPassword(
  db: Db,
  input: { accountId: string; userId: string; password: string; keepToken?: string },
): Promise<boolean> {
  const user = (await db('users').where({ account_id: input.accountId, id: input.userId }).first('id')) as { id: string } | undefined;
  if (!user) return false;
  await setPasswordEndingSessions(db, input.userId, await hashPassword(input.password), input.keepToken);
  return true;
}

async function setPasswordEndingSessions(db: Db, userId: string, passwordHash: string, keepToken: string | undefined): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('users').where({ id: userId }).update({ password_hash: passwordHash });
    await trx('sessions')
      .where({ user_id: userId })
      .modify((q) => {
        if (keepToken) void q.whereNot({ token_hash: tokenHash(keepToken) });
      })
      .delete();
  });
}

/** What is known about a user of the account that their password must not be built from; undefined when no such user. */
export async function personalFacts(db: Db, accountId: string, userId: string): Promise<string[] | undefined> {
  const row = (await db('users').where({ account_id: accountId, id: userId }).first('email', 'name')) as { email: string; name: string } | undefined;
  return row ? [row.email, row.name] : undefined;
}

export async function logout(db: Db, token: string): Promise<void> {
  await db('sessions').where({ token_hash: tokenHash(token) }).delete();
}

export interface Principal {
  kind: 'session' | 'api_key';
  accountId: string;
  userId: string | null;
  role: Role;
  /** Display name: the user's name or the API key's. */
  name: string;
  apiKeyId: string | null;
}

/** Resolves a bearer credential to who is calling, sliding the session's expiry; undefined if invalid. */
export async function authenticate(db: Db, credential: string): Promise<Principal | undefined> {
  const hash = tokenHash(credential);
  if (credential.startsWith(SESSION_PREFIX)) {
    // Finds a live session of an enabled user, in one statement that slides its expiry only when it was
    // last slid over a minute ago: a busy client's requests read the session instead of each writing it.
    // However busy, a session ends SESSION_MAX_MS after its login: the slide never passes that.
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
      [hash, SESSION_MAX_MS / 1000, new Date(Date.now() + SESSION_IDLE_MS), SESSION_MAX_MS / 1000, TOUCH_INTERVAL_MS / 1000],
    )) as { rows: Array<Record<string, unknown>> };
    const row = rows[0];
    if (!row) return undefined;
    return { kind: 'session', accountId: String(row.account_id), userId: String(row.id), role: row.role as Role, name: String(row.name), apiKeyId: null };
  }
  if (credential.startsWith(API_KEY_PREFIX)) {
    // The same rule as sessions, in one statement: the use is stamped only when the last stamp is older.
    const { rows } = (await db.raw(
      `WITH live AS (
         SELECT id, account_id, role, name, last_used_at FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL
       ), stamped AS (
         UPDATE api_keys AS k SET last_used_at = CURRENT_TIMESTAMP
         FROM live WHERE k.id = live.id
           AND (live.last_used_at IS NULL OR live.last_used_at < CURRENT_TIMESTAMP - make_interval(secs => ?))
       )
       SELECT id, account_id, role, name FROM live`,
      [hash, TOUCH_INTERVAL_MS / 1000],
    )) as { rows: Array<Record<string, unknown>> };
    const row = rows[0];
    if (!row) return undefined;
    return { kind: 'api_key', accountId: String(row.account_id), userId: null, role: row.role as Role, name: String(row.name), apiKeyId: String(row.id) };
  }
  return undefined;
}

/** Creates an API key; the key itself is returned once and never stored. */
export async function createApiKey(
  db: Db,
  input: { accountId: string; name: string; role: Role; createdBy: string | null },
): Promise<{ id: string; key: string; prefix: string }> {
  const key = newToken(API_KEY_PREFIX);
  const prefix = key.slice(0, 10);
  const [row] = (await db('api_keys')
    .insert({ account_id: input.accountId, name: input.name, role: input.role, key_prefix: prefix, key_hash: tokenHash(key), created_by: input.createdBy })
    .returning('id')) as Array<{ id: string }>;
  return { id: String(row!.id), key, prefix };
}

export interface ApiKeyView {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export async function listApiKeys(db: Db, accountId: string): Promise<ApiKeyView[]> {
  const rows = (await db('api_keys').where({ account_id: accountId }).orderBy('created_at', 'asc')) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    id: String(r.id),
    name: String(r.name),
    role: r.role as Role,
    prefix: String(r.key_prefix),
    createdAt: iso(r.created_at),
    lastUsedAt: isoOrNull(r.last_used_at),
    revokedAt: isoOrNull(r.revoked_at),
  }));
}

/** Revokes a key of the account; false when the account has no such key. */
export async function revokeApiKey(db: Db, accountId: string, id: string): Promise<boolean> {
  const count = await db('api_keys').where({ account_id: accountId, id }).whereNull('revoked_at').update({ revoked_at: db.fn.now() });
  return count > 0;
}

export interface UserView extends User {
  disabled: boolean;
  createdAt: string;
}

export async function listUsers(db: Db, accountId: string): Promise<UserView[]> {
  const rows = (await db('users').where({ account_id: accountId }).orderBy('created_at', 'asc')) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    id: String(r.id),
    accountId: String(r.account_id),
    email: String(r.email),
    name: String(r.name),
    role: r.role as Role,
    disabled: r.disabled_at !== null,
    createdAt: iso(r.created_at),
  }));
}

/** Changes a user's role or disables them (their sessions end); false when the account has no such user. */
export async function updateUser(db: Db, accountId: string, id: string, change: { role?: Role; disabled?: boolean }): Promise<boolean> {
  const row: Record<string, unknown> = {};
  if (change.role) row.role = change.role;
  if (change.disabled !== undefined) row.disabled_at = change.disabled ? db.fn.now() : null;
  if (Object.keys(row).length === 0) return (await db('users').where({ account_id: accountId, id }).first('id')) !== undefined;
  const count = await db('users').where({ account_id: accountId, id }).update(row);
  if (count > 0 && change.disabled) await db('sessions').where({ user_id: id }).delete();
  return count > 0;
}
