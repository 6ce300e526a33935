/**
 * The Kaseya BMS REST client: V2 for accounts, contacts, hardware assets and lookups; V1 for account
 * location writes (V2 has none). Tokens are cached per connection and refreshed before they expire; a
 * 401 re-authenticates once. Every call passes through the rate budget first. A read (GET) that failed
 * in a way a retry can fix is repeated here with a short backoff (`readRetries`), since reads are safe
 * to repeat and one request is cheaper to retry than the page around it; writes are never repeated
 * here: their retries belong to Temporal, which knows what is safe to repeat.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Dispatcher, errors as undiciErrors, request } from 'undici';
import type { Logger } from '../lib/logger';
import { DestinationRefusedError, findDestinationRefusal, type OutboundPolicy } from '../lib/outbound';
import {
  BmsAuthError,
  BmsDestinationRefusedError,
  type BmsErrorDetails,
  BmsNetworkError,
  BmsNotFoundError,
  BmsPermissionError,
  BmsProtocolError,
  BmsRateLimitedError,
  BmsServerError,
  BmsValidationError,
  isBmsError,
  RateBudgetBusyError,
} from './errors';
import { type RateBudget, unlimitedBudget } from './rate-budget';
import type {
  BmsAccount,
  BmsAccountLookup,
  BmsAsset,
  BmsAssetSummary,
  BmsContact,
  BmsContactSearchItem,
  BmsEmailPatch,
  BmsLookupItem,
  BmsPatchOperation,
  BmsPhonePatch,
  BmsToken,
  BmsUserInfo,
  BmsV1Location,
} from './types';
import { normalizeKeys, parseBmsTime, readEnvelope, readProblemDetails } from './wire';

export interface BmsConnection {
  /** V2 API base, e.g. https://api.bms.kaseya.com */
  apiUrl: string;
  /** V1 base (the UI host), e.g. https://bms.kaseya.com; derived from apiUrl when omitted. */
  v1Url?: string | null;
  /** The BMS company name shown under My Settings. */
  tenant: string;
  username: string;
  password: string;
}

export interface BmsClientOptions {
  connection: BmsConnection;
  /** Per-request timeout in ms (default 15000). */
  timeoutMs?: number;
  /** Shared request budget (default: unlimited). */
  budget?: RateBudget;
  /** Where the client may send requests; its connection pool checks and pins every address. */
  policy: OutboundPolicy;
  /** Where the detail of an answer that is not from BMS is logged (answers and errors only carry a reference). */
  logger?: Logger;
  /**
   * Refresh the access token this long before it expires (default 60 s), and never earlier than three
   * quarters into its life: a short-lived token is still reused for most of it.
   */
  tokenMarginMs?: number;
  /**
   * Extra attempts for a read (GET) that failed in a way a retry can fix (default 3). Reads are safe to
   * repeat, and retrying one request is far cheaper than retrying the page or pass around it. Writes are
   * never repeated here: Temporal retries them, knowing what is safe.
   */
  readRetries?: number;
  /** The connection's tokens, shared with other clients of the same connection (default: this client's own). */
  tokens?: BmsTokens;
}

export const PAGE_SIZE = 100;

type Query = Record<string, string | number | boolean | Array<string | number> | null | undefined>;
type AuthMode = 'v2' | 'v1' | 'none';

interface CallOptions {
  params?: Record<string, string | number>;
  query?: Query;
  body?: unknown;
  form?: Record<string, string>;
  contentType?: string;
  auth?: AuthMode;
  signal?: AbortSignal;
}

interface Answer {
  endpoint: string;
  status: number;
  body: unknown;
  totalRecords: number | undefined;
}

/** V1 lives on the UI host: `api.bms.kaseya.com` → `bms.kaseya.com`. */
export function deriveV1Url(apiUrl: string): string {
  const url = new URL(apiUrl);
  url.hostname = url.hostname.replace(/^api\./i, '');
  return url.origin;
}

export interface CachedToken {
  accessToken: string;
  refreshToken: string | undefined;
  /** When to get a new one: `refreshMarginMs` before it expires. */
  refreshAt: number;
}

/**
 * A connection's tokens and the logins in flight. Clients of one connection that share it log in once
 * between them, however many of their requests need a token at the same moment.
 */
export class BmsTokens {
  readonly held: Partial<Record<TokenKind, CachedToken>> = {};
  readonly logins: Partial<Record<TokenKind, Promise<CachedToken>>> = {};
}

type TokenKind = 'v1' | 'v2';

/** A login that failed for its own caller's reasons (that caller's signal or rate-budget wait limit), not the connection's. */
function endedByItsCaller(err: unknown): boolean {
  return err instanceof RateBudgetBusyError || (err instanceof Error && err.name === 'AbortError');
}

/**
 * How long before its expiry a token is replaced: `marginMs`, but at most a quarter of its lifetime.
 * A fixed margin as long as the lifetime itself would replace the token before nearly every request.
 */
export function refreshMarginMs(lifetimeMs: number, marginMs: number): number {
  return Math.max(0, Math.min(marginMs, lifetimeMs / 4));
}

export class BmsClient {
  readonly connection: BmsConnection;
  private readonly apiBase: string;
  private readonly v1Base: string;
  private readonly timeoutMs: number;
  private readonly budget: RateBudget;
  private readonly budgetKey: string;
  private readonly dispatcher: Dispatcher;
  private readonly logger: Logger | undefined;
  private readonly tokenMarginMs: number;
  private readonly readRetries: number;
  private readonly tokens: BmsTokens;

  constructor(options: BmsClientOptions) {
    this.connection = options.connection;
    this.apiBase = checkedBase(options.policy, options.connection.apiUrl, 'apiUrl');
    this.v1Base = checkedBase(options.policy, options.connection.v1Url ?? deriveV1Url(this.apiBase), 'v1Url');
    this.logger = options.logger;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.budget = options.budget ?? unlimitedBudget;
    this.budgetKey = `${new URL(this.apiBase).host}|${options.connection.tenant.trim().toLowerCase()}`;
    this.dispatcher = options.policy.dispatcher;
    this.tokenMarginMs = options.tokenMarginMs ?? 60_000;
    this.readRetries = options.readRetries ?? 3;
    this.tokens = options.tokens ?? new BmsTokens();
  }

  // ---------------------------------------------------------------- security

  /** Logs in (V2) and returns the token; also proves the connection settings work. */
  async authenticate(signal?: AbortSignal): Promise<BmsToken> {
    const answer = await this.call('POST', '/v2/security/authenticate', {
      auth: 'none',
      signal,
      form: {
        GrantType: 'password',
        UserName: this.connection.username,
        Password: this.connection.password,
        Tenant: this.connection.tenant,
      },
    });
    const token = answer.body as BmsToken | undefined;
    if (!token?.accessToken) {
      throw new BmsProtocolError('Authentication answer carried no access token', {
        endpoint: 'POST /v2/security/authenticate',
        status: answer.status,
      });
    }
    return token;
  }

  /** Logs in to V1 (the UI host): proves the V1 address takes these credentials before it is stored. */
  async authenticateV1(signal?: AbortSignal): Promise<void> {
    await this.token('v1', signal);
  }

  async userInfo(signal?: AbortSignal): Promise<BmsUserInfo> {
    return (await this.call('GET', '/v2/security/userinfo', { signal })).body as BmsUserInfo;
  }

  // ---------------------------------------------------------------- accounts

  async accountsPage(
    options: { modifiedFrom?: string; pageNumber: number; pageSize?: number; accountName?: string; isActive?: boolean },
    signal?: AbortSignal,
  ): Promise<{ items: BmsAccount[]; total: number | undefined }> {
    const answer = await this.call('GET', '/v2/crm/accounts/summary', {
      signal,
      query: {
        'Filter.ModifiedOnFrom': options.modifiedFrom,
        'Filter.AccountName': options.accountName,
        'Filter.IsActive': options.isActive,
        PageSize: options.pageSize ?? PAGE_SIZE,
        PageNumber: options.pageNumber,
      },
    });
    return { items: asArray<BmsAccount>(answer), total: answer.totalRecords };
  }

  async getAccount(id: number, signal?: AbortSignal): Promise<BmsAccount> {
    return record<BmsAccount>(await this.call('GET', '/v2/crm/accounts/summary/{id}', { params: { id }, signal }), 'GET /v2/crm/accounts/summary/{id}');
  }

  /** Accounts whose name equals `name` (BMS matches case-insensitively), active or not. */
  async lookupAccountsByName(name: string, signal?: AbortSignal): Promise<BmsAccountLookup[]> {
    const answer = await this.call('GET', '/v2/crm/accounts/lookup', {
      signal,
      query: { 'Filter.Name': name, 'Filter.WithInactiveAccounts': true, PageSize: PAGE_SIZE, PageNumber: 1 },
    });
    return asArray<BmsAccountLookup>(answer);
  }

  /**
   * The accounts among `ids` (at most one page) that BMS still has, active or not, by
   * `GET /v2/crm/accounts/lookup` with `Filter.Ids`: one request checks a whole page of ids.
   */
  async accountsByIds(ids: number[], signal?: AbortSignal): Promise<BmsAccountLookup[]> {
    if (ids.length === 0) return [];
    if (ids.length > PAGE_SIZE) throw new RangeError(`accountsByIds takes at most ${PAGE_SIZE} ids, got ${ids.length}`);
    const answer = await this.call('GET', '/v2/crm/accounts/lookup', {
      signal,
      query: { 'Filter.Ids': ids, 'Filter.WithInactiveAccounts': true, PageSize: PAGE_SIZE, PageNumber: 1 },
    });
    return asArray<BmsAccountLookup>(answer);
  }

  async createAccount(body: Record<string, unknown>, signal?: AbortSignal): Promise<BmsAccount> {
    return record<BmsAccount>(await this.call('POST', '/v2/crm/accounts', { body, signal }), 'POST /v2/crm/accounts');
  }

  async patchAccount(id: number, operations: BmsPatchOperation[], signal?: AbortSignal): Promise<BmsAccount> {
    const answer = await this.call('PATCH', '/v2/crm/accounts/{id}', {
      params: { id },
      body: operations,
      contentType: 'application/json-patch+json',
      signal,
    });
    return answer.body as BmsAccount;
  }

  async accountLocationIds(accountId: number, signal?: AbortSignal): Promise<Array<{ id: number; name?: string; isMain?: boolean }>> {
    const answer = await this.call('GET', '/v2/crm/accounts/{accountId}/locations/lookup', {
      params: { accountId },
      signal,
    });
    return asArray(answer);
  }

  // ---------------------------------------------------------------- lookups

  async accountTypes(signal?: AbortSignal): Promise<BmsLookupItem[]> {
    return asArray(await this.call('GET', '/v2/system/accounttypes/lookup', { signal }));
  }

  async lookup(tableName: string, signal?: AbortSignal): Promise<BmsLookupItem[]> {
    const answer = await this.call('GET', '/v2/system/lookup/{tableName}', { params: { tableName }, signal });
    return asArray(answer);
  }

  // ---------------------------------------------------------------- contacts

  async contactsPage(
    options: { modifiedFrom?: string; pageNumber: number; pageSize?: number; accountId?: number },
    signal?: AbortSignal,
  ): Promise<{ items: BmsContact[]; total: number | undefined }> {
    const answer = await this.call('GET', '/v2/crm/contacts/summary', {
      signal,
      query: {
        'Filter.ModifiedOnFrom': options.modifiedFrom,
        'Filter.AccountId': options.accountId,
        PageSize: options.pageSize ?? PAGE_SIZE,
        PageNumber: options.pageNumber,
      },
    });
    return { items: asArray<BmsContact>(answer), total: answer.totalRecords };
  }

  async getContact(id: number, signal?: AbortSignal): Promise<BmsContact> {
    return record<BmsContact>(await this.call('GET', '/v2/crm/contacts/summary/{id}', { params: { id }, signal }), 'GET /v2/crm/contacts/summary/{id}');
  }

  /**
   * The contacts among `ids` (at most one page) that BMS still has, by `GET /v2/crm/contacts/search` with
   * `Filter.Ids`: one request checks a whole page of ids. Whether the search leaves out inactive contacts
   * by default is not documented; callers treat an id it does not return as "look closer", not as gone.
   */
  async contactsByIds(ids: number[], signal?: AbortSignal): Promise<BmsContactSearchItem[]> {
    if (ids.length === 0) return [];
    if (ids.length > PAGE_SIZE) throw new RangeError(`contactsByIds takes at most ${PAGE_SIZE} ids, got ${ids.length}`);
    const answer = await this.call('GET', '/v2/crm/contacts/search', {
      signal,
      query: { 'Filter.Ids': ids, PageSize: PAGE_SIZE, PageNumber: 1 },
    });
    return asArray(answer);
  }

  async searchContacts(
    filter: { accountId: number; firstName?: string; lastName?: string },
    signal?: AbortSignal,
  ): Promise<BmsContactSearchItem[]> {
    const answer = await this.call('GET', '/v2/crm/contacts/search', {
      signal,
      query: {
        'Filter.AccountIds': [filter.accountId],
        'Filter.FirstName': filter.firstName,
        'Filter.LastName': filter.lastName,
        PageSize: PAGE_SIZE,
        PageNumber: 1,
      },
    });
    return asArray(answer);
  }

  async createContact(body: Record<string, unknown>, signal?: AbortSignal): Promise<{ id: number }> {
    return record<{ id: number }>(await this.call('POST', '/v2/crm/contacts/summary', { body, signal }), 'POST /v2/crm/contacts/summary');
  }

  async patchContact(id: number, operations: BmsPatchOperation[], signal?: AbortSignal): Promise<BmsContact> {
    const answer = await this.call('PATCH', '/v2/crm/contacts/{id}', {
      params: { id },
      body: operations,
      contentType: 'application/json-patch+json',
      signal,
    });
    return answer.body as BmsContact;
  }

  async patchContactEmails(contactId: number, operations: BmsEmailPatch[], signal?: AbortSignal): Promise<unknown> {
    const answer = await this.call('PATCH', '/v2/crm/contacts/{contactId}/emails', {
      params: { contactId },
      body: operations,
      signal,
    });
    return answer.body;
  }

  async patchContactPhones(contactId: number, operations: BmsPhonePatch[], signal?: AbortSignal): Promise<unknown> {
    const answer = await this.call('PATCH', '/v2/crm/contacts/{contactId}/phones', {
      params: { contactId },
      body: operations,
      signal,
    });
    return answer.body;
  }

  // ---------------------------------------------------------------- hardware assets

  async assetsPage(
    options: { pageNumber: number; pageSize?: number; accountId?: number; assetName?: string; serialNumber?: string },
    signal?: AbortSignal,
  ): Promise<BmsAssetSummary[]> {
    const answer = await this.call('GET', '/v2/servicedesk/hardwareasset/searchselect', {
      signal,
      query: {
        'Filter.AccountId': options.accountId,
        'Filter.AssetName': options.assetName,
        'Filter.SerialNumber': options.serialNumber,
        PageSize: options.pageSize ?? PAGE_SIZE,
        PageNumber: options.pageNumber,
      },
    });
    return asArray(answer);
  }

  async getAsset(assetId: number, signal?: AbortSignal): Promise<BmsAsset> {
    return record<BmsAsset>(
      await this.call('GET', '/v2/servicedesk/hardwareasset/{assetId}', { params: { assetId }, signal }),
      'GET /v2/servicedesk/hardwareasset/{assetId}',
    );
  }

  async createAsset(body: Record<string, unknown>, signal?: AbortSignal): Promise<BmsAsset> {
    return record<BmsAsset>(await this.call('POST', '/v2/servicedesk/hardwareasset', { body, signal }), 'POST /v2/servicedesk/hardwareasset');
  }

  async putAsset(assetId: number, body: Record<string, unknown>, signal?: AbortSignal): Promise<BmsAsset> {
    return (await this.call('PUT', '/v2/servicedesk/hardwareasset/{assetId}', { params: { assetId }, body, signal }))
      .body as BmsAsset;
  }

  // ---------------------------------------------------------------- V1 locations

  async v1AccountLocations(accountId: number, signal?: AbortSignal): Promise<BmsV1Location[]> {
    const answer = await this.call('GET', '/api/crm/accounts/{id}/locations', { params: { id: accountId }, auth: 'v1', signal });
    return asArray(answer);
  }

  async v1CreateLocation(body: Record<string, unknown>, signal?: AbortSignal): Promise<BmsV1Location> {
    return record<BmsV1Location>(await this.call('POST', '/api/crm/locations', { body, auth: 'v1', signal }), 'POST /api/crm/locations');
  }

  async v1UpdateLocation(id: number, body: Record<string, unknown>, signal?: AbortSignal): Promise<BmsV1Location> {
    return (await this.call('PUT', '/api/crm/locations/{id}', { params: { id }, body, auth: 'v1', signal }))
      .body as BmsV1Location;
  }

  // ---------------------------------------------------------------- plumbing

  /** One call: budget, token, HTTP, envelope; on a 401 it logs in again and repeats once; reads retry. */
  async call(method: string, route: string, options: CallOptions = {}): Promise<Answer> {
    if (method !== 'GET') return this.callOnce(method, route, options);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.callOnce(method, route, options);
      } catch (err) {
        if (attempt >= this.readRetries || !isBmsError(err) || !err.retryable || options.signal?.aborted) throw err;
        const retryAfter = err instanceof BmsRateLimitedError ? (err.retryAfterMs ?? 0) : 0;
        const backoff = Math.min(5_000, Math.max(retryAfter, 200 * 2 ** attempt)) * (0.75 + Math.random() / 2);
        await sleep(backoff, undefined, { signal: options.signal });
      }
    }
  }

  private async callOnce(method: string, route: string, options: CallOptions): Promise<Answer> {
    const auth: AuthMode = options.auth ?? (route.startsWith('/api/') ? 'v1' : 'v2');
    try {
      return await this.send(method, route, options, auth);
    } catch (err) {
      if (auth !== 'none' && err instanceof UnauthorizedOnce) {
        this.forgetToken(auth);
        try {
          return await this.send(method, route, options, auth);
        } catch (second) {
          if (second instanceof UnauthorizedOnce) {
            throw new BmsAuthError('Kaseya BMS refused the credentials (401 after logging in again)', second.details);
          }
          throw second;
        }
      }
      if (err instanceof UnauthorizedOnce) throw new BmsAuthError('Kaseya BMS answered 401', err.details);
      throw err;
    }
  }

  private async send(method: string, route: string, options: CallOptions, auth: AuthMode): Promise<Answer> {
    const endpoint = `${method} ${route}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (auth !== 'none') headers.authorization = `Bearer ${await this.token(auth, options.signal)}`;

    let payload: string | undefined;
    if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      payload = new URLSearchParams(options.form).toString();
    } else if (options.body !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      payload = JSON.stringify(options.body);
    }

    const base = route.startsWith('/api/') ? this.v1Base : this.apiBase;
    const url = base + fillRoute(route, options.params) + queryString(options.query);
    await this.budget.acquire(this.budgetKey, endpoint, options.signal);

    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let status: number;
    let text: string;
    let responseHeaders: Record<string, string | string[] | undefined>;
    try {
      const res = await request(url, {
        method: method as Dispatcher.HttpMethod,
        headers,
        body: payload,
        signal,
        dispatcher: this.dispatcher,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      status = res.statusCode;
      responseHeaders = res.headers;
      text = await res.body.text();
    } catch (err) {
      if (options.signal?.aborted) throw err;
      const refusal = findDestinationRefusal(err);
      if (refusal) {
        throw new BmsDestinationRefusedError(refusal.message, { endpoint, field: route.startsWith('/api/') ? 'v1Url' : 'apiUrl' });
      }
      throw new BmsNetworkError(describeNetworkError(err, this.timeoutMs), { endpoint, cause: err });
    }
    try {
      return this.interpret(endpoint, status, text, responseHeaders);
    } catch (err) {
      // Everyone else calling this endpoint waits too, not only the caller that met the 429.
      if (err instanceof BmsRateLimitedError) await this.budget.backOff(this.budgetKey, endpoint, err.retryAfterMs ?? 1000);
      throw err;
    }
  }

  private interpret(
    endpoint: string,
    status: number,
    text: string,
    headers: Record<string, string | string[] | undefined>,
  ): Answer {
    const details: BmsErrorDetails = { endpoint, status };
    if (status === 401) throw new UnauthorizedOnce(details);

    let parsed: unknown;
    let parseFailed = false;
    if (text.trim().length > 0) {
      try {
        parsed = normalizeKeys(JSON.parse(text));
      } catch {
        parseFailed = true;
      }
    }

    if (status === 429) {
      throw new BmsRateLimitedError(`Kaseya BMS throttled ${endpoint} (429)`, {
        ...details,
        retryAfterMs: parseRetryAfter(headerValue(headers['retry-after'])),
      });
    }
    if (status >= 500) {
      const message = parseFailed || parsed === undefined ? this.foreignAnswer(endpoint, status, text) : errorMessage(parsed);
      throw new BmsServerError(`Kaseya BMS failed on ${endpoint} (${status}): ${message}`, details);
    }
    if (parseFailed) {
      throw new BmsProtocolError(
        `Kaseya BMS sent an unreadable answer for ${endpoint} (${status}): ${this.foreignAnswer(endpoint, status, text)}`,
        details,
      );
    }
    if (status >= 400) {
      const problem = readProblemDetails(parsed);
      const envelope = readEnvelope(parsed);
      const message = problem?.message ?? envelope.error?.message ?? `HTTP ${status}`;
      const subErrors = problem?.subErrors ?? envelope.error?.subErrors;
      const withDetails = { ...details, code: envelope.error?.code, subErrors };
      if (status === 403) throw new BmsPermissionError(`Kaseya BMS denied ${endpoint}: ${message}`, withDetails);
      if (status === 404) throw new BmsNotFoundError(`Kaseya BMS found nothing at ${endpoint}: ${message}`, withDetails);
      if (status === 408) throw new BmsNetworkError(`Kaseya BMS timed out on ${endpoint}`, withDetails);
      throw new BmsValidationError(`Kaseya BMS rejected ${endpoint}: ${message}`, withDetails);
    }

    if (endpoint.includes(' /api/')) return readV1(endpoint, status, parsed);

    const envelope = readEnvelope(parsed);
    if (!envelope.success) {
      const code = envelope.error?.code;
      const message = envelope.error?.message ?? 'success:false without a message';
      const withDetails = { ...details, code, subErrors: envelope.error?.subErrors };
      if (typeof code === 'number' && code >= 500) {
        throw new BmsServerError(`Kaseya BMS failed on ${endpoint}: ${message}`, withDetails);
      }
      if (code === 404) throw new BmsNotFoundError(`Kaseya BMS found nothing at ${endpoint}: ${message}`, withDetails);
      throw new BmsValidationError(`Kaseya BMS rejected ${endpoint}: ${message}`, withDetails);
    }
    return { endpoint, status, body: envelope.result, totalRecords: envelope.totalRecords };
  }

  /**
   * A body that is not a BMS answer may come from anything at that address (a proxy, a captive portal,
   * a server someone pointed us at), so it is never shown: the log keeps it under a reference that the
   * shown message carries.
   */
  private foreignAnswer(endpoint: string, status: number, text: string): string {
    const reference = randomUUID();
    this.logger?.warn({ reference, endpoint, status, body: snippet(this.withoutPassword(text)) }, 'an answer that is not from the Kaseya BMS API');
    return `the answer was not from the Kaseya BMS API (reference ${reference})`;
  }

  /** `text` with the connection's password taken out in each form a request carries it: a page may quote the login it refused. */
  private withoutPassword(text: string): string {
    const { password } = this.connection;
    if (!password) return text;
    const forms = new Set([password, encodeURIComponent(password), new URLSearchParams({ password }).toString().slice('password='.length)]);
    let redacted = text;
    for (const form of forms) redacted = redacted.split(form).join('[redacted]');
    return redacted;
  }

  // ---------------------------------------------------------------- tokens

  private forgetToken(auth: AuthMode): void {
    delete this.tokens.held[auth === 'v1' ? 'v1' : 'v2'];
  }

  /**
   * The connection's current token, else the one from the login in flight (another caller's too), else a
   * new login. A login another caller abandoned (its signal, its wait limit) is not this caller's failure:
   * it logs in itself.
   */
  private async token(auth: AuthMode, signal?: AbortSignal): Promise<string> {
    const kind: TokenKind = auth === 'v1' ? 'v1' : 'v2';
    const { held, logins } = this.tokens;
    for (;;) {
      const current = held[kind];
      if (current && current.refreshAt > Date.now()) return current.accessToken;
      const running = logins[kind];
      if (!running) break;
      try {
        return (await running).accessToken;
      } catch (err) {
        if (!endedByItsCaller(err)) throw err;
        signal?.throwIfAborted();
      }
    }
    const login = (kind === 'v1' ? this.loginV1(signal) : this.loginV2(held.v2, signal))
      .then((token) => (held[kind] = token))
      .finally(() => delete logins[kind]);
    logins[kind] = login;
    return (await login).accessToken;
  }

  private async loginV2(previous: CachedToken | undefined, signal?: AbortSignal): Promise<CachedToken> {
    if (previous?.refreshToken) {
      try {
        const requestedAt = Date.now();
        const answer = await this.call('POST', '/v2/security/refreshtoken', {
          auth: 'none',
          signal,
          form: { AccessToken: previous.accessToken, RefreshToken: previous.refreshToken },
        });
        const refreshed = answer.body as BmsToken | undefined;
        if (refreshed?.accessToken) return this.cachedV2Token(refreshed, requestedAt);
      } catch (err) {
        if (signal?.aborted) throw err;
        // A refused refresh falls back to a full login below.
      }
    }
    const requestedAt = Date.now();
    return this.cachedV2Token(await this.authenticate(signal), requestedAt);
  }

  private async loginV1(signal?: AbortSignal): Promise<CachedToken> {
    const requestedAt = Date.now();
    const answer = await this.call('POST', '/api/token', {
      auth: 'none',
      signal,
      form: {
        grant_type: 'password',
        username: this.connection.username,
        password: this.connection.password,
        tenant: this.connection.tenant,
      },
    });
    const body = answer.body as { accessToken?: string; access_token?: string; expiresIn?: number; expires_in?: number };
    const accessToken = body.accessToken ?? body.access_token;
    if (!accessToken) {
      throw new BmsProtocolError('V1 token answer carried no access_token', { endpoint: 'POST /api/token', status: answer.status });
    }
    const expiresIn = body.expiresIn ?? body.expires_in ?? 900;
    return this.cachedToken(accessToken, undefined, requestedAt, requestedAt + expiresIn * 1000);
  }

  private cachedV2Token(token: BmsToken, requestedAt: number): CachedToken {
    const expiresAt = parseBmsTime(token.accessTokenExpireOn);
    // Without a readable expiry, assume a short life and let a 401 correct us.
    return this.cachedToken(token.accessToken, token.refreshToken ?? undefined, requestedAt, Number.isFinite(expiresAt) ? expiresAt : requestedAt + 10 * 60_000);
  }

  /** Lifetimes count from when the token was asked for, so the time its answer took is on the safe side. */
  private cachedToken(accessToken: string, refreshToken: string | undefined, requestedAt: number, expiresAt: number): CachedToken {
    return { accessToken, refreshToken, refreshAt: expiresAt - refreshMarginMs(expiresAt - requestedAt, this.tokenMarginMs) };
  }
}

function checkedBase(policy: OutboundPolicy, url: string, field: 'apiUrl' | 'v1Url'): string {
  try {
    return policy.checkBaseUrl(url);
  } catch (err) {
    if (err instanceof DestinationRefusedError) throw new BmsDestinationRefusedError(err.message, { endpoint: field, field });
    throw err;
  }
}

/** Internal signal that a request met a 401; `call` decides between logging in again and giving up. */
class UnauthorizedOnce extends Error {
  constructor(readonly details: BmsErrorDetails) {
    super('401');
  }
}

/** V1 answers: `{ResponseCode, Status, Error, Result, TotalRecords}` (token answers are bare). */
function readV1(endpoint: string, status: number, body: unknown): Answer {
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && 'result' in body) {
    const v1 = body as { responseCode?: number; status?: string; error?: unknown; result?: unknown; totalRecords?: number };
    const failed = (typeof v1.responseCode === 'number' && v1.responseCode !== 0) || /error/i.test(v1.status ?? '');
    if (failed) {
      const message = typeof v1.error === 'string' ? v1.error : JSON.stringify(v1.error);
      throw new BmsValidationError(`Kaseya BMS rejected ${endpoint}: ${message}`, { endpoint, status });
    }
    return { endpoint, status, body: v1.result, totalRecords: v1.totalRecords };
  }
  return { endpoint, status, body, totalRecords: undefined };
}

/** A single-record answer: an object with a numeric id, or a protocol error (never a silent bad link). */
function record<T extends { id: number }>(answer: Answer, endpoint: string): T {
  const body = answer.body as { id?: unknown } | null | undefined;
  if (body === null || typeof body !== 'object' || Array.isArray(body) || typeof body.id !== 'number') {
    throw new BmsProtocolError(`Kaseya BMS answered ${endpoint} without the record (no numeric id)`, {
      endpoint,
      status: answer.status,
    });
  }
  return body as T;
}

function asArray<T>(answer: Answer): T[] {
  const value = answer.body;
  if (Array.isArray(value)) return value as T[];
  if (value === null || value === undefined) return [];
  // Some list answers wrap the items once more ({items: [...]}); accept that too.
  if (typeof value === 'object') {
    const inner = Object.values(value as Record<string, unknown>).find(Array.isArray);
    if (inner) return inner as T[];
  }
  throw new BmsProtocolError(`Kaseya BMS answered ${answer.endpoint} without a list`, { endpoint: answer.endpoint, status: answer.status });
}

function fillRoute(route: string, params: Record<string, string | number> | undefined): string {
  return route.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined) throw new Error(`Missing path parameter ${name} for ${route}`);
    return encodeURIComponent(String(value));
  });
}

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const item of value) search.append(key, String(item));
    else search.append(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `Retry-After` as seconds or an HTTP date, in ms. */
export function parseRetryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

function errorMessage(body: unknown): string {
  const problem = readProblemDetails(body);
  if (problem) return problem.message;
  return readEnvelope(body).error?.message ?? 'no message';
}

function snippet(text: string): string {
  const flat = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat || '(empty body)';
}

function describeNetworkError(err: unknown, timeoutMs: number): string {
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
    return `no answer from Kaseya BMS within ${timeoutMs} ms`;
  }
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `no answer from Kaseya BMS within ${timeoutMs} ms`;
  }
  const code = (err as { code?: string }).code;
  return `connection to Kaseya BMS failed${code ? ` (${code})` : ''}: ${err instanceof Error ? err.message : String(err)}`;
}
