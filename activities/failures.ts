/** How the pull and push activities hand an error to Temporal. */
import { ApplicationFailure } from '@temporalio/activity';
import { MappingError } from '../domain/mapping';
import { isBmsError } from '../bms/errors';
import type { BmsError } from '../bms/errors';

/** Turns a BMS or mapping error into a Temporal failure whose type drives the retry policy. */
export function toFailure(err: unknown): unknown {
  if (err instanceof MappingError) {
    return ApplicationFailure.create({ type: err.name, message: err.message, nonRetryable: true, details: [{ field: err.field }] });
  }
  if (isBmsError(err)) {
    const e = err as BmsError & { retryAfterMs?: number };
    return ApplicationFailure.create({
      type: e.name,
      message: e.message,
      nonRetryable: !e.retryable,
      // retryAfterMs too: the workflow honours it when a local attempt hands over to the activity.
      details: [{ ...e.toJSON(), retryAfterMs: e.retryAfterMs }],
      nextRetryDelay: e.retryAfterMs,
    });
  }
  return err;
}

/** BMS errors that mean the account cannot reach or use its Kaseya BMS (for the health endpoint). */
const UNREACHABLE = new Set(['BmsAuthError', 'BmsPermissionError', 'BmsNetworkError', 'BmsServerError', 'BmsDestinationRefusedError', 'BmsProtocolError']);

/** The error's message when it says Kaseya BMS is unreachable or refuses the connection, else undefined. */
export function unreachableBecause(err: unknown): string | undefined {
  const name = err instanceof ApplicationFailure ? err.type : isBmsError(err) ? err.name : undefined;
  return name && UNREACHABLE.has(name) ? (err as Error).message : undefined;
}
