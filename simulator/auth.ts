/**
 * Credentials and tokens. Tokens look like JWTs (clients may log or decode them) but are opaque to the
 * simulator: validity is whatever the token table says, so `/_sim/tokens/expire` can end them at once.
 * V2 and V1 tokens are separate kinds; each API refuses the other's.
 */
import crypto from 'node:crypto';

export const TOKEN_KIND = { v2: 'v2', v1: 'v1' } as const;
export type TokenKind = (typeof TOKEN_KIND)[keyof typeof TOKEN_KIND];

export interface Credentials {
  tenant: string;
  username: string;
  password: string;
}

interface AccessToken {
  kind: TokenKind;
  userId: number;
  expiresAt: number;
}

interface RefreshToken {
  accessToken: string;
  userId: number;
  expiresAt: number;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  accessTokenExpiresAt: number;
  refreshTokenExpiresAt: number;
}

export type TokenCheck = { ok: true; userId: number } | { ok: false; reason: 'missing' | 'unknown' | 'expired' | 'wrong-kind' };

const PRUNE_THRESHOLD = 10_000;

/**
 * Told of every token (access and refresh) a service issues and forgets, so the simulator can find a
 * request's tenant from its bearer token with one map lookup.
 */
export interface TokenIndex {
  add(token: string): void;
  remove(token: string): void;
}

const NO_INDEX: TokenIndex = { add: () => undefined, remove: () => undefined };

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

export class AuthService {
  private readonly access = new Map<string, AccessToken>();
  private readonly refresh = new Map<string, RefreshToken>();

  /** `ttl` may be shared by several services: changing one's `tokenTtlSeconds` changes all of theirs. */
  constructor(
    private readonly credentials: Credentials,
    private readonly ttl: { accessSeconds: number; refreshSeconds: number },
    private readonly index: TokenIndex = NO_INDEX,
  ) {}

  get username(): string {
    return this.credentials.username;
  }

  get tokenTtlSeconds(): number {
    return this.ttl.accessSeconds;
  }

  set tokenTtlSeconds(seconds: number) {
    this.ttl.accessSeconds = seconds;
  }

  /**
   * Tenant and user name compare case-insensitively (the real rule is unknown and clients have been
   * seen sending the tenant in lower case); the password compares exactly.
   */
  checkCredentials(given: Partial<Credentials>): boolean {
    return (
      (given.tenant ?? '').trim().toLowerCase() === this.credentials.tenant.toLowerCase() &&
      (given.username ?? '').trim().toLowerCase() === this.credentials.username.toLowerCase() &&
      given.password === this.credentials.password
    );
  }

  issue(kind: TokenKind, userId: number): TokenPair {
    this.prune();
    const now = Date.now();
    const accessTokenExpiresAt = now + this.ttl.accessSeconds * 1000;
    const refreshTokenExpiresAt = now + this.ttl.refreshSeconds * 1000;
    const accessToken = this.makeJwt(kind, userId, now, accessTokenExpiresAt);
    const refreshToken = crypto.randomBytes(32).toString('hex');
    this.access.set(accessToken, { kind, userId, expiresAt: accessTokenExpiresAt });
    this.refresh.set(refreshToken, { accessToken, userId, expiresAt: refreshTokenExpiresAt });
    this.index.add(accessToken);
    this.index.add(refreshToken);
    return { accessToken, refreshToken, accessTokenExpiresAt, refreshTokenExpiresAt };
  }

  /**
   * Exchanges a refresh token for a new pair. The refresh token must belong to the given access token
   * (which may have expired). Refresh tokens are single-use (rotated): a client that retries a refresh
   * after losing the answer must log in again. The old access token stays valid until it expires, as a
   * real JWT would.
   */
  refreshPair(accessToken: string, refreshToken: string): TokenPair | undefined {
    const entry = this.refresh.get(refreshToken);
    if (!entry || entry.accessToken !== accessToken || entry.expiresAt <= Date.now()) return undefined;
    this.refresh.delete(refreshToken);
    this.index.remove(refreshToken);
    return this.issue(TOKEN_KIND.v2, entry.userId);
  }

  verify(authorization: string | undefined, kind: TokenKind): TokenCheck {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match?.[1]) return { ok: false, reason: 'missing' };
    const entry = this.access.get(match[1]);
    if (!entry) return { ok: false, reason: 'unknown' };
    if (entry.kind !== kind) return { ok: false, reason: 'wrong-kind' };
    if (entry.expiresAt <= Date.now()) return { ok: false, reason: 'expired' };
    return { ok: true, userId: entry.userId };
  }

  /**
   * The API user's password is changed in BMS (as an administrator there would): logins need the new one,
   * and every token issued so far, refresh tokens included, stops working.
   */
  changePassword(password: string): void {
    this.credentials.password = password;
    this.reset();
  }

  /** The current password (kept when the simulator's data is saved). */
  get password(): string {
    return this.credentials.password;
  }

  /** Ends every issued access token now (refresh tokens stay usable, so the refresh path can be tested). */
  expireAll(): number {
    const now = Date.now();
    for (const entry of this.access.values()) entry.expiresAt = Math.min(entry.expiresAt, now - 1);
    return this.access.size;
  }

  /** Forgets every token. */
  reset(): void {
    for (const token of this.access.keys()) this.index.remove(token);
    for (const token of this.refresh.keys()) this.index.remove(token);
    this.access.clear();
    this.refresh.clear();
  }

  private makeJwt(kind: TokenKind, userId: number, issuedAt: number, expiresAt: number): string {
    const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const payload = base64url(
      JSON.stringify({
        sub: String(userId),
        unique_name: this.credentials.username,
        tenant: this.credentials.tenant,
        api: kind,
        jti: crypto.randomUUID(),
        iat: Math.floor(issuedAt / 1000),
        exp: Math.floor(expiresAt / 1000),
        iss: 'bms-simulator',
      }),
    );
    return `${header}.${payload}.${base64url(crypto.randomBytes(32))}`;
  }

  private prune(): void {
    if (this.access.size < PRUNE_THRESHOLD && this.refresh.size < PRUNE_THRESHOLD) return;
    const now = Date.now();
    for (const [token, entry] of this.access) {
      if (entry.expiresAt > now) continue;
      this.access.delete(token);
      this.index.remove(token);
    }
    for (const [token, entry] of this.refresh) {
      if (entry.expiresAt > now) continue;
      this.refresh.delete(token);
      this.index.remove(token);
    }
  }
}
