/**
 * Property: hostile text (NUL characters, unpaired surrogates, direction marks, megabyte strings, dates
 * PostgreSQL has no day for) sent into any text field or query parameter of any endpoint never gets a 5xx,
 * and a refused request stores nothing. The endpoints and their fields come from the OpenAPI document, so a
 * new endpoint or field is covered without a change here.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RECORD_COLLECTIONS } from '../../domain/records';
import type { HttpClient } from '../helpers/api-client';
import { SIM_CREDENTIALS, startStack, type Stack } from '../helpers/stack';

interface JsonSchema {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  minimum?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
}

interface Operation {
  method: string;
  path: string;
  body?: JsonSchema;
  queryParams: string[];
}

type Step = string | number;

/** Stands for a megabyte of text, so that a failure report stays readable. */
const ONE_MEGABYTE = '<1 MB of x>';
const hostileText = fc.oneof(
  fc.constantFrom('\u0000', 'Acme\u0000', '\ud800', 'x\udfffy', '\u202eemaN\u202c', '\u200fRTL mark', 'a\u0000b@example.com', '0000-01-01', '0000-02-29'),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constant(ONE_MEGABYTE),
);

function types(schema: JsonSchema): string[] {
  if (schema.anyOf) return schema.anyOf.flatMap(types);
  return Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
}

/** Paths to every place in a body schema that takes text (through objects and the first item of arrays). */
function textPaths(schema: JsonSchema, path: Step[] = []): Step[][] {
  const kinds = types(schema);
  if (kinds.includes('string')) return [path];
  if (kinds.includes('array') && schema.items) return textPaths(schema.items, [...path, 0]);
  if (schema.properties) return Object.entries(schema.properties).flatMap(([name, property]) => textPaths(property, [...path, name]));
  return [];
}

/** Percent-encodes text for a query string; an unpaired surrogate goes as the three bytes UTF-8 would give it. */
function queryText(text: string): string {
  return Array.from(text, (char) => {
    if (!/\p{Surrogate}/u.test(char)) return encodeURIComponent(char);
    const unit = char.charCodeAt(0);
    return [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)].map((byte) => `%${byte.toString(16).toUpperCase()}`).join('');
  }).join('');
}

describe('hostile input into every endpoint (property)', function () {
  this.timeout(600_000);
  let stack: Stack;
  let operations: Operation[];
  let ids: Record<string, string>;
  let uniqueEmails = 0;

  before(async () => {
    // No worker: nothing but the requests here changes the account while it is observed.
    stack = await startStack({ worker: false });
    const org = (await stack.admin.post('/api/v1/organizations', { name: 'Hostile Co' })).body.data;
    ids = { organizations: org.id };
    for (const [collection, body] of [
      ['locations', { organizationId: org.id, name: 'Hostile site' }],
      ['contacts', { organizationId: org.id, firstName: 'Hostile' }],
      ['configurations', { organizationId: org.id, name: 'Hostile box' }],
    ] as const) {
      ids[collection] = (await stack.admin.post(`/api/v1/${collection}`, body)).body.data.id;
    }
    const doc = (await stack.anonymous.get('/api/v1/openapi.json')).body;
    operations = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, ops]) =>
      Object.entries(ops)
        // Deleting and logging out would take away what the other runs work on.
        .filter(([method]) => method !== 'delete' && path !== '/auth/logout')
        .map(([method, op]) => ({
          method,
          path,
          body: op.requestBody?.content?.['application/json']?.schema as JsonSchema | undefined,
          queryParams: ((op.parameters ?? []) as Array<{ in: string; name: string }>).filter((p) => p.in === 'query').map((p) => p.name),
        })),
    );
    assert.ok(operations.length > 30);
  });
  after(async () => stack?.stop());

  function fill(path: string): string {
    const collection = path.split('/')[1]!;
    return path.replace('{id}', ids[collection] ?? '00000000-0000-4000-8000-000000000000');
  }

  /** A body the endpoint would take: its required fields with plain values. */
  function validValue(schema: JsonSchema, name: string): unknown {
    if (schema.enum) return schema.enum[0];
    const kinds = types(schema);
    if (kinds.includes('object') || schema.properties) {
      return Object.fromEntries((schema.required ?? []).map((key) => [key, validValue(schema.properties![key]!, key)]));
    }
    if (kinds.includes('array')) return [];
    if (kinds.includes('boolean')) return false;
    if (kinds.includes('integer') || kinds.includes('number')) return schema.minimum ?? 1;
    if (schema.format === 'uuid') return ids.organizations;
    if (schema.format === 'email' || name === 'email') return `hostile-${++uniqueEmails}@test.example`;
    if (schema.format === 'uri' || /url/i.test(name)) return stack.sim.url;
    if (name === 'password') return 'long-enough-password';
    if (name in SIM_CREDENTIALS) return SIM_CREDENTIALS[name as keyof typeof SIM_CREDENTIALS];
    return 'Hostile probe';
  }

  function schemaAt(schema: JsonSchema, step: Step): JsonSchema {
    if (typeof step === 'number') return schema.items ?? (schema.anyOf ?? []).find((s) => s.items)?.items ?? {};
    return schema.properties?.[step] ?? (schema.anyOf ?? []).find((s) => s.properties)?.properties?.[step] ?? {};
  }

  /** The valid body with `text` put at `path`, building valid surroundings on the way. */
  function bodyWith(schema: JsonSchema, path: Step[], text: string): unknown {
    const body = validValue(schema, '') as Record<string, unknown>;
    let holder: any = body;
    let holderSchema = schema;
    path.forEach((step, i) => {
      const stepSchema = schemaAt(holderSchema, step);
      if (i === path.length - 1) holder[step] = text;
      else {
        holder[step] ??= typeof path[i + 1] === 'number' ? [] : validValue(stepSchema, String(step));
        if (typeof path[i + 1] === 'number' && holder[step].length === 0) holder[step].push(validValue(schemaAt(stepSchema, 0), String(step)));
        holder = holder[step];
        holderSchema = stepSchema;
      }
    });
    return body;
  }

  /** What a refused request to this operation must leave as it was. */
  async function observe(client: HttpClient, op: Operation): Promise<unknown> {
    const [, collection] = op.path.split('/');
    if (collection && Object.values(RECORD_COLLECTIONS).includes(collection as never)) {
      const total = (await client.get(`/api/v1/${collection}?pageSize=1`)).body.meta.total;
      const one = op.path.includes('{id}') ? (await client.get(`/api/v1${fill(`/${collection}/{id}`)}`)).body.data : undefined;
      return { total, one: one && { ...one, sync: undefined } };
    }
    if (op.path.startsWith('/integrations/kaseya-bms')) {
      return [(await client.get('/api/v1/integrations/kaseya-bms')).body, (await client.get('/api/v1/integrations/kaseya-bms/sync-settings')).body];
    }
    if (op.path.startsWith('/users') || op.path.startsWith('/api-keys')) return (await client.get(`/api/v1/${collection}`)).body;
    return undefined;
  }

  it('answers every hostile body field and query parameter with less than a 500, storing nothing it refuses', async () => {
    const probes = fc.oneof(
      ...operations.flatMap((op) => {
        const candidates = [];
        if (op.body) {
          const paths = textPaths(op.body);
          if (paths.length) candidates.push(fc.record({ op: fc.constant(op), where: fc.constant('body' as const), path: fc.constantFrom(...paths), text: hostileText }));
        }
        const params = op.queryParams.length ? op.queryParams : ['search'];
        candidates.push(fc.record({ op: fc.constant(op), where: fc.constant('query' as const), path: fc.constantFrom(...params.map((p) => [p])), text: hostileText }));
        return candidates;
      }),
    );
    await fc.assert(
      fc.asyncProperty(probes, async ({ op, where, path, text: probeText }) => {
        const text = probeText === ONE_MEGABYTE ? 'x'.repeat(1_048_576) : probeText;
        const client = op.path === '/auth/login' ? stack.anonymous : stack.admin;
        const before = await observe(stack.admin, op);
        const url = `/api/v1${fill(op.path)}${where === 'query' ? `?${String(path[0])}=${queryText(text)}` : ''}`;
        const body = op.body ? (where === 'body' ? bodyWith(op.body, path, text) : validValue(op.body, '')) : op.method === 'get' ? undefined : {};
        const res = await client.call(op.method.toUpperCase(), url, body);
        const what = `${op.method.toUpperCase()} ${op.path} ${where} ${path.join('.')}=${JSON.stringify(probeText)}`;
        assert.ok(res.status < 500, `${what}: ${res.status} ${String(JSON.stringify(res.body)).slice(0, 300)}`);
        if (res.status >= 400) {
          // 431: Node refuses a megabyte query before the API sees the request.
          if (res.status !== 431) assert.equal(typeof res.body?.error?.code, 'string', `${what}: ${res.status}`);
          assert.deepEqual(await observe(stack.admin, op), before, `${what}: refused with ${res.status}, yet something changed`);
        }
      }),
      { numRuns: 200 },
    );
  });
});
