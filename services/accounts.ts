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

/** From the most to the least powerful: each role may do at least what every role after it may. */
export const ROLES = ['administrator', 'manager', 'editor', 'read-only'] as const;
export type Role = (typeof ROLES)[number];

/** Whether `role` is no more than `ceiling`. */
export function roleWithin(role: Role, ceiling: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(ceiling);
}

/** Nobody hands out more than they have: refuses a `role` above the grantor's own. */
export function assertRoleGrantable(grantorRole: Role, role: Role): void {
  if (!roleWithin(role, grantorRole)) {
    throw new RuleError(403, 'role_ceiling', `The ${grantorRole} role cannot grant the ${role} role`, { field: 'role', role, ceiling: grantorRole });
  }
}

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

/** Who grants access: a principal of the account, held to its own role. */
export type Grantor = Pick<Principal, 'kind' | 'userId' | 'apiKeyId' | 'role'>;

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
    // A live key (see keyStandingCtes), found in one statement that, like a session's slide, stamps its
    // use only when the last stamp is older.
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
      [hash, TOUCH_INTERVAL_MS / 1000],
    )) as { rows: Array<Record<string, unknown>> };
    const row = rows[0];
    if (!row) return undefined;
    return { kind: 'api_key', accountId: String(row.account_id), userId: null, role: row.role as Role, name: String(row.name), apiKeyId: String(row.id) };
  }
  return undefined;
}

/**
 * Creates an API key, no more powerful than its grantor, remembering what made it (the key lives only as
 * long as that does); a null grantor is the operator's own scripts. The key itself is returned once and
 * never stored.
 */
export async function createApiKey(
  db: Db,
  input: { accountId: string; name: string; role: Role; createdBy: Grantor | null },
): Promise<{ id: string; key: string; prefix: string }> {
  const grantor = input.createdBy;
  if (grantor) assertRoleGrantable(grantor.role, input.role);
  const creator = !grantor
    ? { created_by_kind: 'operator' }
    : grantor.kind === 'api_key'
      ? { created_by_kind: 'api_key', created_by_api_key_id: grantor.apiKeyId }
      : { created_by_kind: 'user', created_by: grantor.userId };
  const key = newToken(API_KEY_PREFIX);
  const prefix = key.slice(0, 10);
  const [row] = (await db('api_keys')
    .insert({ account_id: input.accountId, name: input.name, role: input.role, key_prefix: prefix, key_hash: tokenHash(key), ...creator })
    .returning('id')) as Array<{ id: string }>;
  return { id: String(row!.id), key, prefix };
}

/** What made a key; the creator's fields are null once it is deleted. */
export type ApiKeyCreator =
  | { kind: 'operator' }
  | { kind: 'user'; userId: string | null; name: string | null; email: string | null }
  | { kind: 'api_key'; apiKeyId: string | null; name: string | null };

export interface ApiKeyView {
  id: string;
  name: string;
  /** The role it was granted. */
  role: Role;
  /** The role it acts with now: its own, lowered to that of whatever made it; null when not live. */
  effectiveRole: Role | null;
  /** Whether it authenticates now: unrevoked, and the user or key that made it still standing. */
  live: boolean;
  createdBy: ApiKeyCreator;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function apiKeyCreator(row: Record<string, unknown>): ApiKeyCreator {
  switch (row.created_by_kind) {
    case 'user':
      return { kind: 'user', userId: stringOrNull(row.created_by), name: stringOrNull(row.creator_name), email: stringOrNull(row.creator_email) };
    case 'api_key':
      return { kind: 'api_key', apiKeyId: stringOrNull(row.created_by_api_key_id), name: stringOrNull(row.creator_key_name) };
    default:
      return { kind: 'operator' };
  }
}

export async function listApiKeys(db: Db, accountId: string): Promise<ApiKeyView[]> {
  const { rows } = (await db.raw(
    `WITH RECURSIVE ${keyStandingCtes('k.account_id = ?')}
     SELECT k.*, standing.live, standing.role AS effective_role,
       creator.name AS creator_name, creator.email AS creator_email, creator_key.name AS creator_key_name
     FROM api_keys AS k JOIN standing ON standing.key_id = k.id
       LEFT JOIN users AS creator ON creator.id = k.created_by
       LEFT JOIN api_keys AS creator_key ON creator_key.id = k.created_by_api_key_id
     ORDER BY k.created_at, k.id`,
    [accountId],
  )) as { rows: Array<Record<string, unknown>> };
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

/** Revokes a key of the account; false when the account has no such key. */
/**
 * Revokes a key of the account, and so every key made from it; false when the account has no such live
 * key. Like changing a user, nobody revokes a key granted a role above their own: a manager cannot cut off
 * an administrator's automation.
 */
export async function revokeApiKey(db: Db, accountId: string, id: string, revokedBy: Grantor): Promise<boolean> {
  const key = (await db('api_keys').where({ account_id: accountId, id }).whereNull('revoked_at').first('role')) as { role: Role } | undefined;
  if (!key) return false;
  if (!roleWithin(key.role, revokedBy.role)) {
    throw new RuleError(403, 'role_ceiling', `The ${revokedBy.role} role cannot revoke a key whose role is ${key.role}`, {
      field: 'role',
      role: key.role,
      ceiling: revokedBy.role,
    });
  }
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

/**
 * Changes a user's role or disables them. A disabled user's sessions end and every key they made is
 * revoked for good, so enabling them again brings back none of it. Nobody changes a user above their own
 * role or raises one above it, and the account always keeps an enabled administrator; changes to an
 * account's users wait on its row, so two demotions at once cannot both pass that check. False when the
 * account has no such user.
 */
export async function updateUser(
  db: Db,
  accountId: string,
  id: string,
  change: { role?: Role; disabled?: boolean },
  changedBy: Grantor,
): Promise<boolean> {
  return db.transaction(async (trx) => {
    await trx('accounts').where({ id: accountId }).forNoKeyUpdate().first('id');
    const target = (await trx('users').where({ account_id: accountId, id }).first('role', 'disabled_at')) as
      | { role: Role; disabled_at: Date | null }
      | undefined;
    if (!target) return false;
    if (!roleWithin(target.role, changedBy.role)) {
      throw new RuleError(403, 'role_ceiling', `The ${changedBy.role} role cannot change a user whose role is ${target.role}`, {
        field: 'role',
        role: target.role,
        ceiling: changedBy.role,
      });
    }
    if (change.role) assertRoleGrantable(changedBy.role, change.role);
    const enabledAdministrator = (role: Role, disabled: boolean) => role === 'administrator' && !disabled;
    const wasAdministrator = enabledAdministrator(target.role, target.disabled_at !== null);
    const staysAdministrator = enabledAdministrator(change.role ?? target.role, change.disabled ?? target.disabled_at !== null);
    if (wasAdministrator && !staysAdministrator) {
      const another = (await trx('users').where({ account_id: accountId, role: 'administrator' }).whereNull('disabled_at').whereNot({ id }).first('id')) as { id: string } | undefined;
      if (!another) {
        throw new RuleError(409, 'last_administrator', 'The account must keep at least one enabled administrator', {
          field: change.disabled ? 'disabled' : 'role',
        });
      }
    }
    const row: Record<string, unknown> = {};
    if (change.role) row.role = change.role;
    if (change.disabled !== undefined) row.disabled_at = change.disabled ? trx.fn.now() : null;
    if (Object.keys(row).length > 0) await trx('users').where({ id }).update(row);
    if (change.disabled) {
      await trx('sessions').where({ user_id: id }).delete();
      await trx('api_keys').where({ created_by: id }).whereNull('revoked_at').update({ revoked_at: trx.fn.now() });
    }
    return true;
  });
}
