/**
 * Typed Kaseya BMS errors. Each class says whether retrying can help; the activities turn them into
 * Temporal ApplicationFailures of the same `type` (non-retryable when the error is), and the workflows'
 * retry policies key off these names.
 */

export interface BmsErrorDetails {
  /** `METHOD /route/template` of the call that failed. */
  endpoint: string;
  status?: number;
  /** BMS `error.code`, when it sent one. */
  code?: number | string;
  subErrors?: string[];
  /** For 429s: how long BMS asked us to wait. */
  retryAfterMs?: number;
  cause?: unknown;
}

export abstract class BmsError extends Error {
  abstract readonly retryable: boolean;
  readonly endpoint: string;
  readonly status: number | undefined;
  readonly code: number | string | undefined;
  readonly subErrors: string[];

  constructor(message: string, details: BmsErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.endpoint = details.endpoint;
    this.status = details.status;
    this.code = details.code;
    this.subErrors = details.subErrors ?? [];
  }

  /** A short, secret-free summary for logs, sync history and Temporal failure details. */
  toJSON(): Record<string, unknown> {
    return {
      type: this.name,
      message: this.message,
      endpoint: this.endpoint,
      status: this.status,
      code: this.code,
      subErrors: this.subErrors.length ? this.subErrors : undefined,
      retryable: this.retryable,
    };
  }
}

/** Wrong tenant, user name, password or missing API access: a person must fix the connection. */
export class BmsAuthError extends BmsError {
  override readonly name = 'BmsAuthError';
  readonly retryable = false;
}

/** The role lacks rights to this module (403). */
export class BmsPermissionError extends BmsError {
  override readonly name = 'BmsPermissionError';
  readonly retryable = false;
}

/** BMS refused the data (400/422, problem details, or `success:false`): retrying the same data cannot help. */
export class BmsValidationError extends BmsError {
  override readonly name = 'BmsValidationError';
  readonly retryable = false;
}

export class BmsNotFoundError extends BmsError {
  override readonly name = 'BmsNotFoundError';
  readonly retryable = false;
}

/** 429: BMS throttled us; wait `retryAfterMs` (when given) and try again. */
export class BmsRateLimitedError extends BmsError {
  override readonly name = 'BmsRateLimitedError';
  readonly retryable = true;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, details: BmsErrorDetails) {
    super(message, details);
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** 5xx or `success:false` with a server-side code. */
export class BmsServerError extends BmsError {
  override readonly name = 'BmsServerError';
  readonly retryable = true;
}

/**
 * No usable answer: connection refused or dropped, or timed out. For a create, BMS may still have
 * performed it, so a retry must look the record up before creating again.
 */
export class BmsNetworkError extends BmsError {
  override readonly name = 'BmsNetworkError';
  readonly retryable = true;
}

/** An answer that breaks the contract (HTML page, truncated JSON, no envelope). */
export class BmsProtocolError extends BmsError {
  override readonly name = 'BmsProtocolError';
  readonly retryable = true;
}

/**
 * The connection's address is refused by the outbound destination policy (lib/outbound.ts): not an
 * allowed host, plain http, or a name resolving to a private address. A person must change the address
 * or the allow-list; retrying cannot help.
 */
export class BmsDestinationRefusedError extends BmsError {
  override readonly name = 'BmsDestinationRefusedError';
  readonly retryable = false;
  /** Which connection setting holds the refused address. */
  readonly field: 'apiUrl' | 'v1Url';
  constructor(message: string, details: BmsErrorDetails & { field: 'apiUrl' | 'v1Url' }) {
    super(message, details);
    this.field = details.field;
  }
}

/** The name of `RateBudgetBusyError`: the push workflow hands a push over to the regular activity on it. */
export const RATE_BUDGET_BUSY_ERROR = 'RateBudgetBusyError';

/**
 * No slot in the rate budget (bms/rate-budget.ts) within the caller's `maxWaitMs`: nothing was sent;
 * try again where a long wait is fine.
 */
export class RateBudgetBusyError extends Error {
  override readonly name = RATE_BUDGET_BUSY_ERROR;
  constructor(
    readonly endpoint: string,
    readonly waitMs: number,
  ) {
    super(`The Kaseya BMS request budget for ${endpoint} has no slot for another ${waitMs} ms`);
  }
}

/**
 * The errors a retry cannot fix, by name: the workflows' retry policies list them as non-retryable. This
 * module has no imports, so workflow code may import it too.
 */
export const NON_RETRYABLE_BMS_ERRORS = [
  'BmsAuthError',
  'BmsPermissionError',
  'BmsValidationError',
  'BmsNotFoundError',
  'BmsDestinationRefusedError',
] as const;

/** By shape rather than `instanceof`, so an error from another copy of this module still counts. */
export function isBmsError(err: unknown): err is BmsError {
  return err instanceof Error && 'retryable' in err && 'endpoint' in err;
}
