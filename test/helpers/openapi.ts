/** Checks real answers of the API against the schemas of its own OpenAPI document. */
import assert from 'node:assert/strict';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { ApiResponse } from './api-client';

type JsonSchema = Record<string, unknown>;

export interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }> }>>;
}

/**
 * The schema with every object closed: an object that lists its properties and says nothing about others
 * takes no others, so an answer carrying a field the document does not name fails.
 */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: JsonSchema = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, closed(value)]));
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

/** The document's path template for a concrete path, e.g. /organizations/{id} for /organizations/1f…. */
function templateOf(doc: OpenApiDocument, path: string): string | undefined {
  const bare = path.split('?')[0]!;
  if (doc.paths[bare]) return bare;
  return Object.keys(doc.paths).find((template) => new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(bare));
}

/** A function asserting that an answer to `method path` matches the document's schema for its status. */
export function answerChecker(doc: OpenApiDocument): (method: string, path: string, res: ApiResponse) => void {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  const compiled = new Map<string, ValidateFunction>();
  return (method, path, res) => {
    const what = `${method} ${path} → ${res.status}`;
    const template = templateOf(doc, path);
    assert.ok(template, `${what}: the document has no such path`);
    const responses = doc.paths[template]![method.toLowerCase()]?.responses;
    assert.ok(responses, `${what}: the document has no ${method} for ${template}`);
    const response = responses[String(res.status)];
    assert.ok(response, `${what}: the document lists no ${res.status} answer for ${method} ${template}`);
    const schema = response.content?.['application/json']?.schema;
    if (!schema) {
      assert.equal(res.body, undefined, `${what}: the document says the answer has no body`);
      return;
    }
    const key = `${method} ${template} ${res.status}`;
    let validate = compiled.get(key);
    if (!validate) compiled.set(key, (validate = ajv.compile(closed(schema) as JsonSchema)));
    assert.ok(validate(res.body), `${what}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(res.body).slice(0, 800)}`);
  };
}
