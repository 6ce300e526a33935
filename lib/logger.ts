/**
 * One structured logger for every process. Secrets are redacted by key wherever they appear,
 * so a stray object carrying a password or token never reaches the log.
 */
import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger };

const SECRET_KEYS = [
  'password',
  'Password',
  'passwordHash',
  'password_enc',
  'secret',
  'token',
  'accessToken',
  'refreshToken',
  'access_token',
  'apiKey',
  'authorization',
  'Authorization',
  'cookie',
];

export const redactPaths = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
];

/** Query parameters whose values are credentials (a token in a link, an API key a client put in the URL). */
const SECRET_PARAM = /token|key|secret|passw|auth|session|cookie|signature/i;
const REDACTED = '[redacted]';

function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

/** The URL with the values of credential-like query parameters replaced. */
export function redactUrl(url: string): string {
  return url.replace(/([?&])([^=&#]*)=([^&#]*)/g, (whole, separator: string, name: string) =>
    SECRET_PARAM.test(decodedName(name)) ? `${separator}${name}=${REDACTED}` : whole,
  );
}

interface SerializedRequest {
  url?: unknown;
  query?: unknown;
}

/**
 * pino-http serializers: a request is logged with its URL and query, which carry a credential when a client
 * sends one as a query parameter; the headers that carry them are redacted by path above.
 */
export const requestLogSerializers = {
  req(req: SerializedRequest): SerializedRequest {
    if (typeof req.url === 'string') req.url = redactUrl(req.url);
    if (req.query && typeof req.query === 'object') {
      req.query = Object.fromEntries(Object.entries(req.query).map(([name, value]) => [name, SECRET_PARAM.test(name) ? REDACTED : value]));
    }
    return req;
  },
};

export function createLogger(
  name: string,
  level: LoggerOptions['level'] = process.env.LOG_LEVEL ?? 'info',
  format: 'json' | 'pretty' = process.env.LOG_FORMAT === 'pretty' ? 'pretty' : 'json',
  /** A file to write to instead of stdout (JSON lines). */
  file?: string,
): Logger {
  const options: LoggerOptions = {
    name,
    level,
    redact: { paths: redactPaths, censor: REDACTED },
    base: { pid: process.pid, service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Human-readable lines for `npm start`; JSON lines (for log shippers) otherwise.
    transport:
      format === 'pretty' && !file
        ? { target: 'pino-pretty', options: { ignore: 'pid,hostname,service', translateTime: 'SYS:HH:MM:ss' } }
        : undefined,
  };
  return file ? pino(options, pino.destination({ dest: file, sync: true })) : pino(options);
}
