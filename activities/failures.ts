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
