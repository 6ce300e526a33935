/**
 * Accounts (tenants), users, sessions and API keys. Passwords are hashed with scrypt; session tokens and
 * API keys are random and stored only as SHA-256 hashes. A session token starts with `dss_`, an API key
 * with `dsk_`, so the API can tell a person's save (UI) from automation (API) by the credential alone.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Account, ApiKeyView, User, UserView } from '../api/contract';
import type { Db } from '../db';
import {
  applyUserChange,
  deleteSession,
  findAccount,
  findLiveApiKey,
  findLoginCandidates,
  findSessionUser,
  findUnrevokedKeyRole,
  findUser,
  findUserStanding,
  hasOtherEnabledAdministrator,
  insertApiKey,
  insertSession,
  insertUser,
  lockAccount,
  markApiKeyRevoked,
  passwordHashOf,
  setPasswordEndingSessions as storePasswordEndingSessions,
} from '../db/accounts';
import { type Role, roleWithin } from '../domain/access';
import { normalizeEmail } from '../domain/email';
import { RuleError } from './errors';
import { hashPassword, requireHashingCapacity, UNMATCHABLE_PASSWORD_HASH, verifyPassword } from './passwords';


/** Nobody hands out more than they have: refuses a `role` above the grantor's own. */
export function assertRoleGrantable(grantorRole: Role, role: Role): void {
  if (!roleWithin(role, grantorRole)) {
    throw new RuleError(403, 'role_ceiling', `The ${grantorRole} role cannot grant the ${role} role`, { field: 'role', role, ceiling: grantorRole });
  }
}

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

export type { Account, ApiKeyView, User, UserView };
/** Reading accounts, users and keys needs no rule beyond the account they belong to. */
export { insertAccount as createAccount, findAccount as getAccount, listApiKeys, listUsers } from '../db/accounts';

/** The caller's own account: it outlives every credential of it, so a missing one is a broken link. */
export async function requireAccount(db: Db, id: string): Promise<Account> {
  const account = await findAccount(db, id);
  if (!account) throw new RuleError(404, 'not_found', `No account with id ${id}`);
  return account;
}

export async function createUser(
  db: Db,
  input: { accountId: string; email: string; name: string; role: Role; password: string },
): Promise<User> {
  return insertUser(db, {
    accountId: input.accountId,
    email: input.email.trim(),
    emailNormalized: normalizeEmail(input.email),
    name: input.name,
    role: input.role,
    passwordHash: await hashPassword(input.password),
  });
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
  const checks = accountId ? 1 : LOGIN_ACCOUNTS_CHECKED;
  const candidates = await findLoginCandidates(db, normalizeEmail(email), accountId, checks);
  // Every login computes the same number of hashes, padding with one no password matches: its time tells
  // neither whether the email exists nor in how many accounts (one account could otherwise learn, by adding
  // an email itself, that another account holds it).
  const matched: typeof candidates = [];
  for (let i = 0; i < checks; i++) {
    const candidate = candidates[i];
    const ok = await verifyPassword(password, candidate ? candidate.passwordHash : UNMATCHABLE_PASSWORD_HASH);
    if (candidate && ok) matched.push(candidate);
  }
  if (matched.length > 1) throw new AccountChoiceRequired(matched.map((m) => ({ id: m.user.accountId, name: m.accountName })));
  const user = matched[0]?.user;
  if (!user) return undefined;
  return { user, ...(await startSession(db, user.id)) };
}

async function startSession(db: Db, userId: string): Promise<{ token: string; expiresAt: Date }> {
  const token = newToken(SESSION_PREFIX);
  const expiresAt = new Date(Date.now() + SESSION_IDLE_MS);
  await insertSession(db, { tokenHash: tokenHash(token), userId, expiresAt });
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
  const passwordHash = await passwordHashOf(db, input.userId);
  if (passwordHash === undefined || !(await verifyPassword(input.currentPassword, passwordHash))) return false;
  await setPasswordEndingSessions(db, input.userId, await hashPassword(input.newPassword), input.keepToken);
  return true;
}

/**
 * An administrator sets the password of another user of their account; the user's sessions end. False
 * when the account has no such user.
 */
export async function resetPassword(db: Db, input: { accountId: string; userId: string; password: string }): Promise<boolean> {
  if (!(await findUser(db, input.accountId, input.userId))) return false;
  await setPasswordEndingSessions(db, input.userId, await hashPassword(input.password), undefined);
  return true;
}

async function setPasswordEndingSessions(db: Db, userId: string, passwordHash: string, keepToken: string | undefined): Promise<void> {
  await storePasswordEndingSessions(db, userId, passwordHash, keepToken === undefined ? undefined : tokenHash(keepToken));
}

/** What is known about a user of the account that their password must not be built from; undefined when no such user. */
export async function personalFacts(db: Db, accountId: string, userId: string): Promise<string[] | undefined> {
  const user = await findUser(db, accountId, userId);
  return user ? [user.email, user.name] : undefined;
}

export async function logout(db: Db, token: string): Promise<void> {
  await deleteSession(db, tokenHash(token));
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

/** Resolves a bearer credential to who is calling, sliding the session's expiry; undefined if invalid. */
export async function authenticate(db: Db, credential: string): Promise<Principal | undefined> {
  const hash = tokenHash(credential);
  if (credential.startsWith(SESSION_PREFIX)) {
    const user = await findSessionUser(db, hash, { idleMs: SESSION_IDLE_MS, maxMs: SESSION_MAX_MS, touchIntervalMs: TOUCH_INTERVAL_MS });
    if (!user) return undefined;
    return { kind: 'session', accountId: user.accountId, userId: user.id, role: user.role, name: user.name, apiKeyId: null };
  }
  if (credential.startsWith(API_KEY_PREFIX)) {
    const key = await findLiveApiKey(db, hash, TOUCH_INTERVAL_MS);
    if (!key) return undefined;
    return { kind: 'api_key', accountId: key.accountId, userId: null, role: key.role, name: key.name, apiKeyId: key.id };
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
  const key = newToken(API_KEY_PREFIX);
  const prefix = key.slice(0, 10);
  const createdBy = !grantor
    ? null
    : grantor.kind === 'api_key'
      ? { kind: 'api_key' as const, apiKeyId: grantor.apiKeyId }
      : { kind: 'user' as const, userId: grantor.userId };
  const id = await insertApiKey(db, { accountId: input.accountId, name: input.name, role: input.role, prefix, keyHash: tokenHash(key), createdBy });
  return { id, key, prefix };
}

/**
 * Revokes a key of the account, and so every key made from it; false when the account has no such live
 * key. Like changing a user, nobody revokes a key granted a role above their own: a manager cannot cut off
 * an administrator's automation.
 */
export async function revokeApiKey(db: Db, accountId: string, id: string, revokedBy: Grantor): Promise<boolean> {
  const role = await findUnrevokedKeyRole(db, accountId, id);
  if (!role) return false;
  if (!roleWithin(role, revokedBy.role)) {
    throw new RuleError(403, 'role_ceiling', `The ${revokedBy.role} role cannot revoke a key whose role is ${role}`, {
      field: 'role',
      role,
      ceiling: revokedBy.role,
    });
  }
  return markApiKeyRevoked(db, accountId, id);
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
    await lockAccount(trx, accountId);
    const target = await findUserStanding(trx, accountId, id);
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
    const wasAdministrator = enabledAdministrator(target.role, target.disabled);
    const staysAdministrator = enabledAdministrator(change.role ?? target.role, change.disabled ?? target.disabled);
    if (wasAdministrator && !staysAdministrator) {
      if (!(await hasOtherEnabledAdministrator(trx, accountId, id))) {
        throw new RuleError(409, 'last_administrator', 'The account must keep at least one enabled administrator', {
          field: change.disabled ? 'disabled' : 'role',
        });
      }
    }
    await applyUserChange(trx, id, change);
    return true;
  });
}
