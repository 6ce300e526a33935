/** Talking to a simulator over HTTP in tests: a started instance, raw requests, a logged-in client. */
import { createLogger } from '../../lib/logger';
import { createSimulator, type SimulatorHandle, type SimulatorOptions } from '../../simulator';

export { waitFor } from '../../devstack/wait';

export const CREDENTIALS = { tenant: 'Demo MSP', username: 'api.user', password: 'demo-password' } as const;

export interface Credentials {
  tenant: string;
  username: string;
  password: string;
}

export type Dto = Record<string, unknown>;

export interface Envelope<T = unknown> {
  success: boolean;
  error: { code: number; message: string; details: unknown; stackStrace: unknown; subErrors: string[] | null } | null;
  result: T;
  totalRecords?: number;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body, or undefined when it is empty or not JSON. */
  body: unknown;
}

export async function startSim(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  return createSimulator({ port: 0, logger: createLogger('bms-simulator-test', 'silent'), ...options });
}

/** A simulator for one suite, with its admin routes and a BMS client; the fields are set once `before` ran. */
export interface SimulatorFixture {
  sim: SimulatorHandle;
  admin: SimAdmin;
  client: BmsTestClient;
}

/**
 * Starts a simulator before the enclosing suite's tests and closes it after them. By default without the
 * rate limit and with the client logged in (V2).
 */
export function useSimulator(options: SimulatorOptions = { rateLimit: null }, { login = true } = {}): SimulatorFixture {
  const fixture = {} as SimulatorFixture;
  before(async () => {
    fixture.sim = await startSim(options);
    fixture.admin = new SimAdmin(fixture.sim.url);
    fixture.client = new BmsTestClient(fixture.sim.url);
    if (login) await fixture.client.login();
  });
  after(async () => {
    await fixture.sim?.close();
  });
  return fixture;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  json?: unknown;
  contentType?: string;
  form?: Record<string, string>;
  body?: RequestInit['body'];
  query?: Record<string, string | number | boolean | (string | number)[] | undefined>;
}

export function withQuery(path: string, query: RequestOptions['query']): string {
  if (!query) return path;
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) search.append(key, String(v));
    else search.append(key, String(value));
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

export async function request(baseUrl: string, method: string, path: string, options: RequestOptions = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  let body: RequestInit['body'] = options.body;
  if (options.json !== undefined) {
    headers['content-type'] = options.contentType ?? 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  }
  const res = await fetch(baseUrl + withQuery(path, options.query), { method, headers, body });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

export function envelope<T = unknown>(res: HttpResult): Envelope<T> {
  return res.body as Envelope<T>;
}

/** A V2 (or V1) client that logs in once and sends the bearer token. */
export class BmsTestClient {
  token = '';

  constructor(readonly baseUrl: string) {}

  async login(credentials: Credentials = CREDENTIALS): Promise<this> {
    const res = await request(this.baseUrl, 'POST', '/v2/security/authenticate', {
      form: { GrantType: 'password', UserName: credentials.username, Password: credentials.password, Tenant: credentials.tenant },
    });
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
    this.token = envelope<{ accessToken: string }>(res).result.accessToken;
    return this;
  }

  async loginV1(credentials: Credentials = CREDENTIALS): Promise<this> {
    const res = await request(this.baseUrl, 'POST', '/api/token', {
      form: { grant_type: 'password', username: credentials.username, password: credentials.password, tenant: credentials.tenant },
    });
    if (res.status !== 200) throw new Error(`V1 login failed: ${res.status} ${res.text}`);
    this.token = (res.body as { access_token: string }).access_token;
    return this;
  }

  call(method: string, path: string, options: RequestOptions = {}): Promise<HttpResult> {
    return request(this.baseUrl, method, path, {
      ...options,
      headers: { authorization: `Bearer ${this.token}`, ...options.headers },
    });
  }

  get(path: string, query?: RequestOptions['query']): Promise<HttpResult> {
    return this.call('GET', path, { query });
  }

  post(path: string, json: unknown): Promise<HttpResult> {
    return this.call('POST', path, { json });
  }

  put(path: string, json: unknown): Promise<HttpResult> {
    return this.call('PUT', path, { json });
  }

  patch(path: string, json: unknown, contentType = 'application/json-patch+json'): Promise<HttpResult> {
    return this.call('PATCH', path, { json, contentType });
  }

  delete(path: string): Promise<HttpResult> {
    return this.call('DELETE', path);
  }

  /** The result of a successful V2 call; throws with the answer otherwise. */
  async result<T = Dto>(res: Promise<HttpResult> | HttpResult): Promise<T> {
    const r = await res;
    const env = envelope<T>(r);
    if (r.status !== 200 || !env?.success) throw new Error(`expected success, got ${r.status}: ${r.text}`);
    return env.result;
  }
}

/** Admin routes (`/_sim`), of the default tenant or, given a name, of that tenant (`X-Sim-Tenant`). */
export class SimAdmin {
  private readonly headers: Record<string, string>;

  constructor(
    readonly baseUrl: string,
    readonly tenant?: string,
  ) {
    this.headers = tenant === undefined ? {} : { 'x-sim-tenant': tenant };
  }

  get(path: string, query?: RequestOptions['query']): Promise<HttpResult> {
    return request(this.baseUrl, 'GET', `/_sim${path}`, { query, headers: this.headers });
  }

  post(path: string, json: unknown = {}): Promise<HttpResult> {
    return request(this.baseUrl, 'POST', `/_sim${path}`, { json, headers: this.headers });
  }

  put(path: string, json: unknown): Promise<HttpResult> {
    return request(this.baseUrl, 'PUT', `/_sim${path}`, { json, headers: this.headers });
  }

  patch(path: string, json: unknown): Promise<HttpResult> {
    return request(this.baseUrl, 'PATCH', `/_sim${path}`, { json, headers: this.headers });
  }

  delete(path: string, query?: RequestOptions['query']): Promise<HttpResult> {
    return request(this.baseUrl, 'DELETE', `/_sim${path}`, { query, headers: this.headers });
  }

  async json<T = Dto>(res: Promise<HttpResult> | HttpResult): Promise<T> {
    const r = await res;
    if (r.status >= 300) throw new Error(`admin call failed: ${r.status} ${r.text}`);
    return r.body as T;
  }
}

/** Zone-less UTC timestamp, the simulator's wire format. */
export const ZONELESS_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$/;

export function asUtcMs(zoneless: unknown): number {
  return Date.parse(`${String(zoneless)}Z`);
}

export function list(value: unknown): Dto[] {
  return Array.isArray(value) ? (value as Dto[]) : [];
}
