/**
 * The API's one error envelope: `{ "error": { "code", "message", "details"? } }`. Every failure, from a
 * malformed body to a rule refusal to a crash, leaves through `errorHandler`.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import type { Logger } from '../lib/logger';
import { RuleError, validationIssues } from '../services/errors';

/** Refusals raised by the API layer itself share the services' error class. */
export const ApiError = RuleError;

export function envelope(code: string, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

export function zodToApiError(err: z.ZodError, where: 'body' | 'query' | 'path'): RuleError {
  const issues = validationIssues(err);
  const first = issues[0];
  const message = first
    ? `${first.field ? `${where === 'body' ? '' : `${where} `}${first.field}: ` : ''}${first.message}`
    : `Invalid ${where}`;
  return new ApiError(400, 'validation_error', message, { in: where, issues });
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, 'not_found', `No route for ${req.method} ${req.path}`));
};

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  limit?: number;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let status = 500;
    let body = envelope('internal_error', 'Something went wrong on our side; it has been logged');
    const parserError = err as BodyParserError;
    if (err instanceof RuleError) {
      status = err.status;
      body = envelope(err.code, err.message, err.details);
    } else if (err instanceof z.ZodError) {
      const apiError = zodToApiError(err, 'body');
      status = apiError.status;
      body = envelope(apiError.code, apiError.message, apiError.details);
    } else if (parserError?.type === 'entity.parse.failed') {
      status = 400;
      body = envelope('invalid_json', 'The request body is not valid JSON');
    } else if (parserError?.type === 'entity.too.large') {
      status = 413;
      body = envelope('payload_too_large', `The request body is larger than ${parserError.limit ?? 'the'} bytes allowed`);
    } else if (parserError?.type === 'encoding.unsupported' || parserError?.type === 'charset.unsupported') {
      status = 415;
      body = envelope('unsupported_media_type', parserError.message);
    } else if (typeof parserError?.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
      status = parserError.status;
      body = envelope('bad_request', parserError.message);
    } else {
      logger.error({ err, method: req.method, path: req.path }, 'request failed');
    }
    if (res.headersSent) return;
    res.status(status).json(body);
  };
}
