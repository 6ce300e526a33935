/**
 * Passwords: scrypt hashing with a bounded amount of it at once, and the strength policy for passwords
 * people choose.
 *
 * One scrypt takes tens of milliseconds of a libuv pool thread. Unbounded, a flood of failed logins queues
 * hundreds of them ahead of a real login (seconds of wait) and takes the pool from DNS lookups and file
 * access. So at most PASSWORD_HASHES_AT_ONCE run, at most PASSWORD_HASH_QUEUE wait, and beyond that the
 * attempt is refused at once with PasswordHashingBusyError: the wait of any login stays bounded.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import pLimit from 'p-limit';
import { RuleError } from './errors';

const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

const SCRYPT = { N: 16_384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/** Password hashes computed at once; half of libuv's default pool of four, the rest stays free for I/O. */
export const PASSWORD_HASHES_AT_ONCE = 2;
/** Password hashes allowed to wait for a turn; with ~50–100 ms each this bounds a wait to about a second. */
export const PASSWORD_HASH_QUEUE = 16;

const hashing = pLimit(PASSWORD_HASHES_AT_ONCE);

export class PasswordHashingBusyError extends RuleError {
  constructor() {
    super(503, 'login_busy', 'Too many logins are being checked right now; try again in a moment', { retryAfterSeconds: 1 });
  }
}

/** Refuses at once when a password hash could neither start nor wait now: callers check before other work. */
export function requireHashingCapacity(): void {
  if (hashing.pendingCount >= PASSWORD_HASH_QUEUE) throw new PasswordHashingBusyError();
}

let scryptRuns = 0;

/** How many password hashes this process has computed: what a login costs, whatever it finds. */
export function passwordHashesComputed(): number {
  return scryptRuns;
}

async function boundedScrypt(password: string, salt: Buffer, keylen: number, params: { N: number; r: number; p: number }): Promise<Buffer> {
  requireHashingCapacity();
  scryptRuns++;
  return hashing(() => scrypt(password.normalize('NFKC'), salt, keylen, { ...params, maxmem: SCRYPT.maxmem }));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await boundedScrypt(password, salt, 32, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await boundedScrypt(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A stored hash no password matches, verified when there is no user so that timing does not tell. */
export const UNMATCHABLE_PASSWORD_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA';

/** zxcvbn score (0–4) a chosen password needs: 3 is "safely unguessable: moderate protection from offline attacks". */
export const MIN_PASSWORD_SCORE = 3;
export const MIN_PASSWORD_LENGTH = 10;

export interface PasswordWeakness {
  score: number;
  warning: string | null;
  suggestions: string[];
}

/**
 * How much of a password the strength estimator reads, and how many l33t substitutions it tries. Its
 * matching grows steeply with both and runs on the event loop: unbounded (its defaults, 256 characters and
 * 100 substitutions) one crafted 256-character password held the whole API for over three seconds. A
 * password whose first 64 characters are strong is strong.
 */
export const STRENGTH_CHECKED_LENGTH = 64;
const STRENGTH_L33T_SUBSTITUTIONS = 10;

let estimator: Promise<ZxcvbnFactory> | undefined;

/** Loaded on first use: the dictionaries take tens of megabytes and a second to build that most processes never need. */
function strengthEstimator(): Promise<ZxcvbnFactory> {
  estimator ??= (async () => {
    const [{ ZxcvbnFactory: Factory }, common, english] = await Promise.all([
      import('@zxcvbn-ts/core'),
      import('@zxcvbn-ts/language-common'),
      import('@zxcvbn-ts/language-en'),
    ]);
    return new Factory({
      dictionary: { ...common.dictionary, ...english.dictionary },
      graphs: common.adjacencyGraphs,
      translations: english.translations,
      maxLength: STRENGTH_CHECKED_LENGTH,
      l33tMaxSubstitutions: STRENGTH_L33T_SUBSTITUTIONS,
    });
  })();
  return estimator;
}

/**
 * Why a password a person chose is too easy to guess, or undefined when it is strong enough. `personal`
 * holds what an attacker knows about the person (email, name), which counts against the password.
 */
export async function passwordWeakness(password: string, personal: string[]): Promise<PasswordWeakness | undefined> {
  const personalWords = personal.flatMap((p) => [p, ...p.split(/[^\p{L}\p{N}]+/u)]).filter((p) => p.length >= 3);
  const result = (await strengthEstimator()).check(password, personalWords);
  if (password.length >= MIN_PASSWORD_LENGTH && result.score >= MIN_PASSWORD_SCORE) return undefined;
  return {
    score: result.score,
    warning: password.length < MIN_PASSWORD_LENGTH ? `It must be at least ${MIN_PASSWORD_LENGTH} characters long.` : result.feedback.warning,
    suggestions: result.feedback.suggestions,
  };
}

/** Refuses a password a person chose that is too easy to guess: 400 naming `field`, with the estimator's advice. */
export async function requireStrongPassword(password: string, personal: string[], field = 'password'): Promise<void> {
  const weakness = await passwordWeakness(password, personal);
  if (!weakness) return;
  const advice = [weakness.warning, ...weakness.suggestions].filter(Boolean).join(' ');
  throw new RuleError(400, 'weak_password', `${field}: too easy to guess. ${advice}`.trim(), {
    field,
    score: weakness.score,
    minScore: MIN_PASSWORD_SCORE,
    warning: weakness.warning,
    suggestions: weakness.suggestions,
  });
}
