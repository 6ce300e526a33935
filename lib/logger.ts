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
  'res.headers["set-cookie"]',
];

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
    redact: { paths: redactPaths, censor: '[redacted]' },
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
