import type { z } from 'zod';
import type { ValidationIssue } from '../api/contract';

/** A refusal by a business rule, with the HTTP status and stable code the API answers with. */
export class RuleError extends Error {
  override readonly name = 'RuleError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/**
 * The problems zod found, in the one shape every `details.issues` list has (api/contract.ts
 * ValidationIssue). `under` is where the parsed value sits in the request, e.g. `settings`.
 */
export function validationIssues(error: z.ZodError, under?: string): ValidationIssue[] {
  return error.issues.map((issue) => ({
    field: [...(under === undefined ? [] : [under]), ...issue.path.map(String)].join('.'),
    message: issue.message,
    code: issue.code,
  }));
}
