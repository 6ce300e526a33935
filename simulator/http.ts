/** Reading requests and writing answers in the shapes the real API uses. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import querystring from 'node:querystring';
import { mediaType } from './contract';

export interface ApiResponse {
  status: number;
  /** A JSON value to send; undefined sends an empty body. */
  json?: unknown;
  /** Pre-rendered body (HTML, problem+json, plain text). */
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** Envelope keys in the order the real API sends them; `totalRecords` only on paged lists. */
export function ok(result: unknown): ApiResponse {
  return { status: 200, json: { success: true, error: null, result } };
}

export function okPaged(result: unknown[], totalRecords: number): ApiResponse {
  return { status: 200, json: { success: true, error: null, result, totalRecords } };
}

export function errorEnvelope(code: number, message: string, subErrors: string[] | null = null) {
  return { success: false, error: { code, message, details: null, stackStrace: null, subErrors }, result: null };
}

export function fail(status: number, message: string, subErrors: string[] | null = null): ApiResponse {
  return { status, json: errorEnvelope(status, message, subErrors) };
}

export function v1Ok(result: unknown, totalRecords?: number): ApiResponse {
  const body: Record<string, unknown> = { ResponseCode: 0, Status: 'OK', Error: 'None', Result: result };
  if (totalRecords !== undefined) body.TotalRecords = totalRecords;
  return { status: 200, json: body };
}

export function v1Fail(status: number, message: string): ApiResponse {
  return { status, json: { ResponseCode: status, Status: 'Error', Error: message, Result: null } };
}

/** ASP.NET JwtBearer's answer: 401 with no body at all. */
export function unauthorizedEmpty(reason?: string): ApiResponse {
  const challenge = reason === 'expired' ? 'Bearer error="invalid_token", error_description="The token expired"' : 'Bearer';
  return { status: 401, headers: { 'www-authenticate': challenge } };
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError(`request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export function isJsonMediaType(type: string): boolean {
  return type === 'application/json' || type === 'text/json' || /^application\/[^/]+\+json$/.test(type);
}

/**
 * Parses a body by its content type: JSON value, form fields, or raw text for anything else.
 * `problem` is set when the body cannot be read as what it claims to be.
 */
export async function parseBody(raw: Buffer, contentType: string | undefined): Promise<{ body: unknown; problem?: string }> {
  if (raw.length === 0) return { body: undefined };
  const type = mediaType(contentType);
  const text = raw.toString('utf8');
  if (isJsonMediaType(type)) {
    try {
      return { body: JSON.parse(text) as unknown };
    } catch (err) {
      return { body: undefined, problem: `body is not valid JSON: ${(err as Error).message}` };
    }
  }
  if (type === 'application/x-www-form-urlencoded') {
    return { body: { ...querystring.parse(text) } };
  }
  if (type === 'multipart/form-data') {
    try {
      const form = await new Response(raw, { headers: { 'content-type': contentType ?? '' } }).formData();
      const fields: Record<string, unknown> = {};
      for (const [name, value] of form.entries()) {
        const existing = fields[name];
        if (existing === undefined) fields[name] = value;
        else fields[name] = Array.isArray(existing) ? [...(existing as unknown[]), value] : [existing, value];
      }
      return { body: fields };
    } catch (err) {
      return { body: undefined, problem: `multipart body could not be read: ${(err as Error).message}` };
    }
  }
  return { body: text };
}

export function renderBody(response: ApiResponse): { body: string; contentType: string | undefined } {
  if (response.text !== undefined) return { body: response.text, contentType: response.contentType ?? 'text/plain; charset=utf-8' };
  if (response.json !== undefined) {
    return { body: JSON.stringify(response.json), contentType: response.contentType ?? 'application/json; charset=utf-8' };
  }
  return { body: '', contentType: undefined };
}

export function send(res: ServerResponse, response: ApiResponse): void {
  if (res.headersSent || res.destroyed) return;
  const rendered = renderBody(response);
  const body = rendered.body;
  const headers: Record<string, string | number> = { ...response.headers, 'content-length': Buffer.byteLength(body) };
  if (rendered.contentType && body !== '') headers['content-type'] = rendered.contentType;
  res.writeHead(response.status, headers);
  res.end(body);
}
