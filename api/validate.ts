/** Parses a request part with a schema; a failure becomes a 400 naming the field. */
import type { z } from 'zod';
import { zodToApiError } from './errors';

export function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'path'): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw zodToApiError(result.error, where);
  return result.data;
}
