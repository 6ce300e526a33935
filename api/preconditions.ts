/**
 * The HTTP side of "no save silently overwrites another" and "no create runs twice": a record's version
 * as its ETag, the version a PATCH is based on (If-Match or the body's `version`), and the Idempotency-Key
 * of a create.
 *
 * The ETag is weak (`W/"<version>"`): it names the version of the record's fields, not the bytes of the
 * answer (its sync object moves on without a new version). If-Match takes that tag, weak or not, and
 * compares the version it names.
 */
import type { Request } from 'express';
import { RECORD_VERSION_MAX } from './schemas';
import { ApiError } from './errors';

export function recordEtag(version: number): string {
  return `W/"${version}"`;
}

const ETAG = /^(?:W\/)?"(\d{1,10})"$/;

function ifMatchVersion(req: Request): number | undefined {
  const header = req.get('if-match')?.trim();
  // "*" asks only that the record exist, which every PATCH does.
  if (header === undefined || header === '*') return undefined;
  const version = Number(ETAG.exec(header)?.[1] ?? NaN);
  if (!Number.isInteger(version) || version < 1 || version > RECORD_VERSION_MAX) {
    throw new ApiError(400, 'invalid_if_match', 'If-Match: expected one ETag of the record as answered by the API, e.g. W/"3"', { field: 'If-Match' });
  }
  return version;
}

/** The version a PATCH is based on, from If-Match or the body's `version`; undefined when it names none. */
export function expectedVersionOf(req: Request, bodyVersion: number | undefined): number | undefined {
  const fromHeader = ifMatchVersion(req);
  if (fromHeader !== undefined && bodyVersion !== undefined && fromHeader !== bodyVersion) {
    throw new ApiError(400, 'validation_error', `version: ${bodyVersion} and If-Match ${recordEtag(fromHeader)} name different versions; send one`, {
      field: 'version',
    });
  }
  return fromHeader ?? bodyVersion;
}

export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;
const KEY = new RegExp(`^[\\x21-\\x7e](?:[\\x20-\\x7e]{0,${IDEMPOTENCY_KEY_MAX_LENGTH - 2}}[\\x21-\\x7e])?$`);

/** The create's Idempotency-Key: printable ASCII (e.g. a UUID), at most 255 characters. */
export function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.get('idempotency-key');
  if (key === undefined) return undefined;
  if (!KEY.test(key)) {
    throw new ApiError(
      400,
      'invalid_idempotency_key',
      `Idempotency-Key: expected 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters (e.g. a UUID), without control characters or surrounding spaces`,
      { field: 'Idempotency-Key' },
    );
  }
  return key;
}
