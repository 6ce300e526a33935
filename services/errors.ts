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
