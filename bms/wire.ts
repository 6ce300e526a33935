/**
 * Reading what Kaseya BMS sends: key casing normalised to .NET camelCase (so PascalCase, camelCase and
 * mixed answers read alike), the `{success, error, result, totalRecords}` envelope unwrapped whether it is
 * there or not, and BMS timestamps (often without a zone) turned into UTC instants.
 */

const camelCache = new Map<string, string>();

/** System.Text.Json's camelCase policy: `DNSServers` → `dnsServers`, `IsPoc` → `isPoc`, `id` → `id`. */
export function dotnetCamelCase(name: string): string {
  const cached = camelCache.get(name);
  if (cached !== undefined) return cached;
  const isUpper = (c: string | undefined) => c !== undefined && c !== c.toLowerCase();
  const chars = [...name];
  for (let i = 0; i < chars.length; i++) {
    if (!isUpper(chars[i])) break;
    const hasNext = i + 1 < chars.length;
    if (i > 0 && hasNext && !isUpper(chars[i + 1])) break;
    chars[i] = chars[i]!.toLowerCase();
  }
  const out = chars.join('');
  if (camelCache.size < 10_000) camelCache.set(name, out);
  return out;
}

/**
 * Every object key in .NET camelCase. Works in place on what it is given (a freshly parsed body): arrays
 * and objects whose keys are already camelCase (what BMS sends) are kept and only their values visited;
 * an object with another key is rebuilt.
 */
export function normalizeKeys(value: unknown): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const normalized = normalizeKeys(item);
      if (normalized !== item) value[i] = normalized;
    }
    return value;
  }
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  let camel = true;
  for (const k in object) {
    if (dotnetCamelCase(k) !== k) {
      camel = false;
      break;
    }
  }
  if (camel) {
    for (const k in object) {
      const child = object[k];
      const normalized = normalizeKeys(child);
      if (normalized !== child) object[k] = normalized;
    }
    return object;
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(object)) out[dotnetCamelCase(k)] = normalizeKeys(object[k]);
  return out;
}

export interface Envelope {
  /** False only when the server said so explicitly. */
  success: boolean;
  result: unknown;
  totalRecords: number | undefined;
  error: { code?: number | string; message?: string; details?: string; subErrors?: string[] } | undefined;
  /** True when the body had the envelope's shape; false for a bare DTO. */
  wrapped: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Reads a normalised body as an envelope, or as a bare result when it has no envelope keys. */
export function readEnvelope(body: unknown): Envelope {
  if (isRecord(body) && ('success' in body || 'result' in body)) {
    const rawError = body.error;
    let error: Envelope['error'];
    if (isRecord(rawError)) {
      error = {
        code: typeof rawError.code === 'number' || typeof rawError.code === 'string' ? rawError.code : undefined,
        message: typeof rawError.message === 'string' ? rawError.message : undefined,
        details: typeof rawError.details === 'string' ? rawError.details : undefined,
        subErrors: Array.isArray(rawError.subErrors) ? rawError.subErrors.map(String) : undefined,
      };
    } else if (typeof rawError === 'string' && rawError.length > 0) {
      error = { message: rawError };
    }
    const total = body.totalRecords;
    return {
      success: body.success !== false,
      result: body.result,
      totalRecords: typeof total === 'number' ? total : undefined,
      error,
      wrapped: true,
    };
  }
  return { success: true, result: body, totalRecords: undefined, error: undefined, wrapped: false };
}

/** ASP.NET ValidationProblemDetails (`{title, status, errors: {Field: [msg]}}`), normalised. */
export function readProblemDetails(body: unknown): { message: string; subErrors: string[] } | undefined {
  if (!isRecord(body) || (!('title' in body) && !('errors' in body))) return undefined;
  const subErrors: string[] = [];
  if (isRecord(body.errors)) {
    for (const [field, messages] of Object.entries(body.errors)) {
      const list = Array.isArray(messages) ? messages.map(String) : [String(messages)];
      for (const m of list) subErrors.push(`${field}: ${m}`);
    }
  }
  const title = typeof body.title === 'string' ? body.title : 'Request rejected';
  return { message: subErrors.length ? `${title} ${subErrors.join('; ')}` : title, subErrors };
}

const ZONED = /(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * A BMS date-time as epoch milliseconds. Values without a zone are read as UTC; `NaN` when unparseable.
 * (Which zone BMS means is unknown; the pull's overlap window absorbs an offset error, see docs/bms-client.md.)
 */
export function parseBmsTime(value: string | null | undefined): number {
  if (!value) return Number.NaN;
  const trimmed = value.trim();
  const iso = ZONED.test(trimmed) ? trimmed : `${trimmed}Z`;
  return Date.parse(iso);
}

/** Formats an instant the way BMS filters accept it: ISO 8601 UTC without milliseconds. */
export function formatBmsTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
