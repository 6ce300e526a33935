/**
 * The one way the UI talks to the API: same origin, JSON, the session token from sessionStorage as
 * `Authorization: Bearer …` (no cookies, so no CSRF surface). A 401 forgets the session and sends the
 * person to the login page.
 */
import type { ErrorDetails, ListMeta } from './types';

const TOKEN_KEY = 'bms-docsync.session';

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}


export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetails,
  ) {
    super(message);
  }

  /** The fields the error names (`details.field`, `details.fields`, validation issues). */
  fields(): string[] {
    const out = new Set<string>();
    if (this.details?.field) out.add(this.details.field);
    for (const f of this.details?.fields ?? []) out.add(f);
    for (const issue of this.details?.issues ?? []) if (issue.field) out.add(issue.field);
    return [...out];
  }
}

let unauthorized: () => void = () => undefined;

/** What to do when the session is gone (set once by the app: go to the login page). */
export function onUnauthorized(handler: () => void): void {
  unauthorized = handler;
}

export interface Answer<T> {
  data: T;
  meta?: ListMeta;
}

export async function request<T>(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...extraHeaders, accept: 'application/json' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'network_error', 'The server could not be reached. Check the connection and try again.');
  }
  if (res.status === 204) return { data: undefined as T };
  const json = (await res.json().catch(() => undefined)) as
    | { data?: T; meta?: ListMeta; error?: { code?: string; message?: string; details?: ErrorDetails } }
    | undefined;
  if (res.status === 401 && path !== '/auth/login') {
    clearToken();
    unauthorized();
  }
  if (!res.ok || !json) {
    const error = json?.error;
    throw new ApiError(res.status, error?.code ?? 'http_error', error?.message ?? `The server answered ${res.status}`, error?.details);
  }
  return { data: json.data as T, meta: json.meta };
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body: unknown = {}, headers?: Record<string, string>) => request<T>('POST', path, body, headers),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  delete: <T>(path: string) => request<T>('DELETE', path),
};

/** A fresh Idempotency-Key (random; works outside secure contexts too, unlike crypto.randomUUID). */
export function newIdempotencyKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A query string from the values that are set. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Downloads an export (CSV or JSON) the API answers at `path`: fetched with the session's token (a plain
 * link could not send it), then saved under the file name the API gives.
 */
export async function downloadExport(path: string): Promise<void> {
  const token = getToken();
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {}, credentials: 'omit', cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'network_error', 'The server could not be reached. Check the connection and try again.');
  }
  if (!res.ok) {
    const json = (await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
    throw new ApiError(res.status, json?.error?.code ?? 'http_error', json?.error?.message ?? `The server answered ${res.status}`);
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'export';
  const url = URL.createObjectURL(await res.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
