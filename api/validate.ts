/**
 * Request parsing: bodies and queries pass the schema and the storage rules before any handler sees them;
 * a failure becomes a 400 naming the field.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { ApiError, zodToApiError } from './errors';

/** Deeper JSON is refused before it is parsed: no record, setting or import row nests anywhere near this. */
export const MAX_JSON_DEPTH = 32;

const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The deepest nesting of arrays and objects in JSON text, counted on the raw code units without parsing. */
export function jsonDepth(codeAt: (index: number) => number, length: number, stopAbove = Infinity): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < length; i++) {
    const c = codeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > stopAbove) return deepest;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) depth--;
  }
  return deepest;
}

function decoded(buf: Buffer, encoding: string): string {
  try {
    return new TextDecoder(encoding).decode(buf);
  } catch {
    throw new ApiError(415, 'unsupported_media_type', `JSON bodies are read as UTF-8 or UTF-16, not ${encoding}`);
  }
}

/** A body-parser `verify` hook: runs on the raw body before JSON.parse. */
export function refuseDeepNesting(_req: IncomingMessage, _res: ServerResponse, buf: Buffer, encoding: string): void {
  const utf8 = /^utf-?8$/i.test(encoding);
  const text = utf8 ? undefined : decoded(buf, encoding);
  const depth = text === undefined ? jsonDepth((i) => buf[i]!, buf.length, MAX_JSON_DEPTH) : jsonDepth((i) => text.charCodeAt(i), text.length, MAX_JSON_DEPTH);
  if (depth > MAX_JSON_DEPTH) {
    throw new ApiError(400, 'too_deeply_nested', `The request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`, {
      maxDepth: MAX_JSON_DEPTH,
    });
  }
}

/**
 * PostgreSQL stores no NUL character in text, and no lone UTF-16 surrogate in jsonb (in text it would
 * silently become U+FFFD). Such text is refused at the door, wherever it sits in a body or query.
 */
function unstorableTextProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain NUL characters (\\u0000)';
  if (/\p{Surrogate}/u.test(text)) return 'must be valid Unicode text (it holds an unpaired surrogate)';
  return undefined;
}

function findUnstorableText(value: unknown, path: PropertyKey[]): z.core.$ZodIssue | undefined {
  if (typeof value === 'string') {
    const message = unstorableTextProblem(value);
    return message === undefined ? undefined : { code: 'custom', path, message, input: undefined };
  }
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const issue = findUnstorableText(item, [...path, index]);
      if (issue) return issue;
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const keyProblem = unstorableTextProblem(key);
      if (keyProblem) return { code: 'custom', path, message: `field names ${keyProblem}`, input: undefined };
      const issue = findUnstorableText(item, [...path, key]);
      if (issue) return issue;
    }
  }
  return undefined;
}

/** Like `schema.safeParse`, with the storage rules for text checked first. */
export function safeParseStorable<S extends z.ZodType>(schema: S, value: unknown): z.ZodSafeParseResult<z.output<S>> {
  const issue = findUnstorableText(value, []);
  if (issue) return { success: false, error: new z.ZodError([issue]) } as z.ZodSafeParseResult<z.output<S>>;
  return schema.safeParse(value);
}

export function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'path'): z.output<S> {
  const result = safeParseStorable(schema, value);
  if (!result.success) throw zodToApiError(result.error, where);
  return result.data;
}
