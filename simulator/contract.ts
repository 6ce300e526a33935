/**
 * Checks requests against the vendor's OpenAPI document (`openapi/kaseya-bms-v2.json`) and, for the V1
 * routes, against a small contract declared here. The simulator refuses what the document does not
 * declare, so a client bug (a misspelt filter, an extra body field, a string where an int32 belongs)
 * fails in tests instead of being silently ignored the way a lenient fake would.
 *
 * Everything is compiled once: a segment trie for routing, per-operation parameter tables, and one ajv
 * validator per request body. Names are matched case-insensitively (ASP.NET model binding does), and
 * the result carries the request with names rewritten to their declared spelling, so handlers read
 * `body.AccountName` whatever casing the client sent.
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { caseInsensitiveIndex } from './casing';
import { parseDateTime } from './time';

export type ParamValue = string | number | boolean | number[];

export interface ContractViolation {
  where: 'route' | 'path' | 'query' | 'content-type' | 'body';
  message: string;
}

export interface ContractRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query?: Readonly<Record<string, string | string[] | undefined>>;
  contentType?: string | undefined;
  /**
   * Parsed body: a JSON value for JSON content types, a `Record<string, string | string[]>` of fields
   * for form content types, the raw text otherwise; undefined when the request had no body.
   */
  body?: unknown;
}

export interface RouteMatch {
  api: 'v2' | 'v1';
  method: string;
  /** The path template as declared, e.g. `/v2/crm/accounts/summary/{id}`. */
  template: string;
  /** `METHOD template`: the unit of rate limiting, faults and statistics. */
  key: string;
  operationId: string;
  /** True for the token endpoints (and SSO status), which take no bearer token. */
  anonymous: boolean;
}

export interface ContractResult {
  route: RouteMatch | undefined;
  violations: ContractViolation[];
  pathParams: Record<string, ParamValue>;
  /** Declared query parameters present in the request, typed (date-times as epoch ms, arrays as arrays). */
  query: Record<string, ParamValue>;
  /** The body with property and field names in their declared spelling. */
  body: unknown;
}

export interface JsonSchema {
  type?: string | string[];
  format?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  required?: string[];
  enum?: unknown[];
  $ref?: string;
  additionalProperties?: boolean | JsonSchema;
  nullable?: boolean;
  [keyword: string]: unknown;
}

type ParamKind = 'int32' | 'int64' | 'number' | 'boolean' | 'date-time' | 'string' | 'int-enum';

interface ParamSpec {
  name: string;
  kind: ParamKind;
  array: boolean;
  required: boolean;
  enumValues?: readonly number[];
}

interface JsonBodySpec {
  kind: 'json';
  contentTypes: readonly string[];
  schema: JsonSchema;
  validate: ValidateFunction;
}

interface FormBodySpec {
  kind: 'form';
  contentTypes: readonly string[];
  fields: Map<string, string>;
  required: readonly string[];
}

interface CompiledOperation extends RouteMatch {
  pathParams: readonly (ParamSpec | undefined)[];
  queryParams: Map<string, ParamSpec>;
  requiredQuery: readonly ParamSpec[];
  body: JsonBodySpec | FormBodySpec | undefined;
}

interface TrieNode {
  literals: Map<string, TrieNode>;
  param: TrieNode | undefined;
  ops: Map<string, CompiledOperation>;
}

interface OaParameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: JsonSchema;
}

interface OaOperation {
  operationId?: string;
  parameters?: OaParameter[];
  requestBody?: { content: Record<string, { schema?: JsonSchema }> };
}

interface OaDocument {
  paths: Record<string, Record<string, OaOperation | OaParameter[]>>;
  components: { schemas: Record<string, JsonSchema> };
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const SCHEMA_REF = '#/components/schemas/';
const DEFINITIONS_ID = 'bms';
const FORM_URLENCODED = 'application/x-www-form-urlencoded';
const MULTIPART = 'multipart/form-data';

/** Routes that take no bearer token. */
const ANONYMOUS = new Set([
  'POST /v2/security/authenticate',
  'POST /v2/security/refreshtoken',
  'GET /v2/security/ssostatus',
  'POST /api/token',
]);

// ---------------------------------------------------------------- V1 contract (not in the vendor document)

const nullableString: JsonSchema = { type: ['string', 'null'] };

const V1_DEFINITIONS: Record<string, JsonSchema> = {
  'V1.AddressInput': {
    type: 'object',
    additionalProperties: false,
    properties: {
      Address1: nullableString,
      Address2: nullableString,
      City: nullableString,
      State: nullableString,
      ZipCode: nullableString,
      Country: nullableString,
      CountryId: { type: ['integer', 'null'], format: 'int32' },
      Phone: nullableString,
      Fax: nullableString,
      IsMain: { type: 'boolean' },
    },
  },
  'V1.LocationInput': {
    type: 'object',
    additionalProperties: false,
    required: ['AccountId', 'LocationName'],
    properties: {
      AccountId: { type: 'integer', format: 'int32', minimum: 1 },
      LocationName: { type: 'string', minLength: 1 },
      IsMain: { type: 'boolean' },
      IsActive: { type: 'boolean' },
      Addresses: { type: ['array', 'null'], items: { $ref: `${DEFINITIONS_ID}#/definitions/V1.AddressInput` } },
    },
  },
};

interface V1Operation {
  method: string;
  template: string;
  operationId: string;
  query?: Record<string, ParamKind>;
  body?: { kind: 'json'; schema: string } | { kind: 'form'; fields: string[]; required: string[] };
}

const V1_JSON_TYPES = ['application/json', 'text/json'];
const ODATA_QUERY: Record<string, ParamKind> = { $filter: 'string', $top: 'int32', $skip: 'int32', $orderby: 'string' };

const V1_OPERATIONS: readonly V1Operation[] = [
  {
    method: 'POST',
    template: '/api/token',
    operationId: 'V1Token',
    body: { kind: 'form', fields: ['grant_type', 'username', 'password', 'tenant'], required: ['grant_type'] },
  },
  { method: 'GET', template: '/api/crm/accounts/{id}/locations', operationId: 'V1GetAccountLocations', query: ODATA_QUERY },
  { method: 'GET', template: '/api/crm/locations/{id}', operationId: 'V1GetLocation' },
  { method: 'POST', template: '/api/crm/locations', operationId: 'V1PostLocation', body: { kind: 'json', schema: 'V1.LocationInput' } },
  { method: 'PUT', template: '/api/crm/locations/{id}', operationId: 'V1PutLocation', body: { kind: 'json', schema: 'V1.LocationInput' } },
  { method: 'DELETE', template: '/api/crm/locations/{id}', operationId: 'V1DeleteLocation' },
];

// ---------------------------------------------------------------- schema conversion

/**
 * OpenAPI 3.0 schema to JSON Schema draft-07: `nullable` becomes a `null` type, and component refs
 * point into one registered definitions schema.
 */
function toJsonSchema(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'nullable' || key === 'example' || key === 'xml' || key === 'discriminator') continue;
    if (key === '$ref' && typeof value === 'string' && value.startsWith(SCHEMA_REF)) {
      out.$ref = `${DEFINITIONS_ID}#/definitions/${value.slice(SCHEMA_REF.length)}`;
    } else if (key === 'properties' && value && typeof value === 'object') {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, JsonSchema>).map(([name, s]) => [name, toJsonSchema(s)]),
      );
    } else if ((key === 'items' || key === 'additionalProperties') && value && typeof value === 'object') {
      out[key] = toJsonSchema(value as JsonSchema);
    } else {
      out[key] = value;
    }
  }
  if (schema.nullable === true && out.$ref === undefined) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && out.type !== undefined) out.enum = [...out.enum, null];
  }
  return out;
}

function paramKind(schema: JsonSchema | undefined, defs: Record<string, JsonSchema>): Pick<ParamSpec, 'kind' | 'array' | 'enumValues'> {
  if (!schema) return { kind: 'string', array: false };
  if (schema.$ref) {
    const target = defs[schema.$ref.split('/').pop() ?? ''];
    if (target?.enum) return { kind: 'int-enum', array: false, enumValues: target.enum.filter((v): v is number => typeof v === 'number') };
    return paramKind(target, defs);
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (type === 'array') return { ...paramKind(schema.items, defs), array: true };
  if (type === 'integer') return { kind: schema.format === 'int64' ? 'int64' : 'int32', array: false };
  if (type === 'number') return { kind: 'number', array: false };
  if (type === 'boolean') return { kind: 'boolean', array: false };
  if (type === 'string' && schema.format === 'date-time') return { kind: 'date-time', array: false };
  return { kind: 'string', array: false };
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Parses one parameter value as ASP.NET would bind it; undefined when it would fail to bind. */
function parseParam(spec: ParamSpec, raw: string): ParamValue | undefined {
  switch (spec.kind) {
    case 'string':
      return raw;
    case 'int32':
    case 'int64':
    case 'int-enum': {
      const text = raw.trim();
      if (!/^[+-]?\d+$/.test(text)) return undefined;
      const n = Number(text);
      if (spec.kind === 'int32' && (n < INT32_MIN || n > INT32_MAX)) return undefined;
      if (spec.kind === 'int64' && !Number.isSafeInteger(n)) return undefined;
      if (spec.kind === 'int-enum' && spec.enumValues && !spec.enumValues.includes(n)) return undefined;
      return n;
    }
    case 'number': {
      const n = Number(raw.trim());
      return raw.trim() === '' || !Number.isFinite(n) ? undefined : n;
    }
    case 'boolean': {
      const text = raw.trim().toLowerCase();
      return text === 'true' ? true : text === 'false' ? false : undefined;
    }
    case 'date-time':
      return parseDateTime(raw);
  }
}

function describeKind(spec: ParamSpec): string {
  switch (spec.kind) {
    case 'int32':
      return 'an int32';
    case 'int64':
      return 'an int64';
    case 'int-enum':
      return `one of ${(spec.enumValues ?? []).join(', ')}`;
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'date-time':
      return 'a date-time';
    case 'string':
      return 'a string';
  }
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function acceptsMediaType(accepted: readonly string[], type: string): boolean {
  if (accepted.includes(type)) return true;
  return accepted.includes('application/*+json') && /^application\/[^/]+\+json$/.test(type);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------- the contract

export class Contract {
  private readonly ajv: Ajv;
  private readonly defs: Record<string, JsonSchema>;
  private readonly root: TrieNode = { literals: new Map(), param: undefined, ops: new Map() };
  private readonly operations: CompiledOperation[] = [];
  private readonly propertyIndex = new WeakMap<JsonSchema, Map<string, string>>();
  private readonly schemaValidators = new Map<string, ValidateFunction>();

  constructor(doc: OaDocument) {
    this.defs = {
      ...Object.fromEntries(Object.entries(doc.components.schemas).map(([name, s]) => [name, toJsonSchema(s)])),
      ...V1_DEFINITIONS,
    };
    this.ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
    addFormats(this.ajv, ['int32', 'int64', 'float', 'double']);
    // ASP.NET binds date-times with or without a zone (and date-only values); ajv-formats would demand a zone.
    this.ajv.addFormat('date-time', { type: 'string', validate: (s: string) => parseDateTime(s) !== undefined });
    this.ajv.addSchema({ $id: DEFINITIONS_ID, definitions: this.defs });

    for (const [template, item] of Object.entries(doc.paths)) {
      const shared = Array.isArray(item.parameters) ? item.parameters : [];
      for (const [method, op] of Object.entries(item)) {
        if (!HTTP_METHODS.includes(method) || Array.isArray(op)) continue;
        this.addOperation(this.compileV2(method.toUpperCase(), template, op, shared));
      }
    }
    for (const op of V1_OPERATIONS) this.addOperation(this.compileV1(op));
  }

  /** Every `METHOD template` the simulator knows, V2 (from the document) and V1. */
  routeKeys(): string[] {
    return this.operations.map((o) => o.key);
  }

  match(method: string, requestPath: string): { route: RouteMatch | undefined; violation?: ContractViolation } {
    const found = this.find(method.toUpperCase(), requestPath);
    return found.op ? { route: found.op } : { route: undefined, violation: found.violation };
  }

  check(req: ContractRequest): ContractResult {
    const method = req.method.toUpperCase();
    const found = this.find(method, req.path);
    const result: ContractResult = { route: found.op, violations: [], pathParams: {}, query: {}, body: req.body };
    if (!found.op) {
      if (found.violation) result.violations.push(found.violation);
      return result;
    }
    const op = found.op;
    op.pathParams.forEach((spec, i) => {
      const raw = found.params[i];
      if (!spec || raw === undefined) return;
      const value = parseParam(spec, raw);
      if (value === undefined) {
        result.violations.push({ where: 'path', message: `path parameter ${spec.name} must be ${describeKind(spec)}, got '${raw}'` });
      } else {
        result.pathParams[spec.name] = value;
      }
    });
    this.checkQuery(op, req.query ?? {}, result);
    this.checkBody(op, req, result);
    return result;
  }

  /**
   * Validates a value against a named component schema (e.g. the DTO a JSON Patch produces), with
   * names canonicalised first. Problems are worded like request problems, rooted at `root`.
   */
  validateSchema(schemaName: string, value: unknown, root = 'body'): { value: unknown; problems: string[] } {
    const schema: JsonSchema = { $ref: `${DEFINITIONS_ID}#/definitions/${schemaName}` };
    let validate = this.schemaValidators.get(schemaName);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.schemaValidators.set(schemaName, validate);
    }
    const problems: string[] = [];
    const canonical = this.canonicalize(value, schema, root, problems);
    if (!validate(canonical)) problems.push(...(validate.errors ?? []).map((e) => describeAjvError(e, root)));
    return { value: canonical, problems: dedupe(problems) };
  }

  /** The declared property names of a component schema (for JSON Patch paths). */
  schemaProperties(schemaName: string): string[] {
    return Object.keys(this.defs[schemaName]?.properties ?? {});
  }

  // ---- compilation ----

  private compileV2(method: string, template: string, op: OaOperation, shared: OaParameter[]): CompiledOperation {
    const params = [...shared, ...(op.parameters ?? [])];
    const key = `${method} ${template}`;
    const specs = params.map((p) => ({ in: p.in, spec: { name: p.name, required: p.required === true, ...paramKind(p.schema, this.defs) } }));
    let body: JsonBodySpec | FormBodySpec | undefined;
    const content = op.requestBody?.content;
    if (content) {
      const types = Object.keys(content).map((t) => t.toLowerCase());
      const first = Object.values(content)[0]?.schema ?? {};
      if (types.includes(MULTIPART) || types.includes(FORM_URLENCODED)) {
        // Real clients send form-urlencoded although the document only declares multipart; both are accepted.
        body = {
          kind: 'form',
          contentTypes: [MULTIPART, FORM_URLENCODED],
          fields: caseInsensitiveIndex(Object.keys(first.properties ?? {})),
          required: first.required ?? [],
        };
      } else {
        const schema = toJsonSchema(first);
        body = { kind: 'json', contentTypes: types, schema, validate: this.ajv.compile(schema) };
      }
    }
    return this.finish({
      api: 'v2',
      method,
      template,
      key,
      operationId: op.operationId ?? key,
      anonymous: ANONYMOUS.has(key),
      specs,
      body,
    });
  }

  private compileV1(op: V1Operation): CompiledOperation {
    const key = `${op.method} ${op.template}`;
    const pathNames = [...op.template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? '');
    const specs = [
      ...pathNames.map((name) => ({ in: 'path', spec: { name, kind: 'int32' as ParamKind, array: false, required: true } })),
      ...Object.entries(op.query ?? {}).map(([name, kind]) => ({ in: 'query', spec: { name, kind, array: false, required: false } })),
    ];
    let body: JsonBodySpec | FormBodySpec | undefined;
    if (op.body?.kind === 'json') {
      const schema: JsonSchema = { $ref: `${DEFINITIONS_ID}#/definitions/${op.body.schema}` };
      body = { kind: 'json', contentTypes: V1_JSON_TYPES, schema, validate: this.ajv.compile(schema) };
    } else if (op.body?.kind === 'form') {
      body = { kind: 'form', contentTypes: [FORM_URLENCODED], fields: caseInsensitiveIndex(op.body.fields), required: op.body.required };
    }
    return this.finish({ api: 'v1', method: op.method, template: op.template, key, operationId: op.operationId, anonymous: ANONYMOUS.has(key), specs, body });
  }

  private finish(o: RouteMatch & { specs: { in: string; spec: ParamSpec }[]; body: JsonBodySpec | FormBodySpec | undefined }): CompiledOperation {
    const segments = splitPath(o.template);
    const pathSpecs = new Map(o.specs.filter((s) => s.in === 'path').map((s) => [s.spec.name, s.spec]));
    const pathParams = segments
      .filter((s) => s.startsWith('{'))
      .map((s) => pathSpecs.get(s.slice(1, -1)) ?? { name: s.slice(1, -1), kind: 'string' as ParamKind, array: false, required: true });
    const queryList = o.specs.filter((s) => s.in === 'query').map((s) => s.spec);
    const { specs: _specs, ...route } = o;
    return {
      ...route,
      pathParams,
      queryParams: new Map(queryList.map((s) => [s.name.toLowerCase(), s])),
      requiredQuery: queryList.filter((s) => s.required),
    };
  }

  private addOperation(op: CompiledOperation): void {
    let node = this.root;
    for (const segment of splitPath(op.template)) {
      if (segment.startsWith('{')) {
        node.param ??= { literals: new Map(), param: undefined, ops: new Map() };
        node = node.param;
      } else {
        const lower = segment.toLowerCase();
        let next = node.literals.get(lower);
        if (!next) {
          next = { literals: new Map(), param: undefined, ops: new Map() };
          node.literals.set(lower, next);
        }
        node = next;
      }
    }
    node.ops.set(op.method, op);
    this.operations.push(op);
  }

  // ---- matching ----

  /**
   * Literal segments win over parameters (as in ASP.NET routing); when the literal branch has no
   * operation for the method, the parameter branch is tried, so `DELETE /contacts/{Id}` still
   * matches `DELETE /contacts/summary` and then fails to bind `summary` as an int32.
   */
  private find(method: string, requestPath: string): { op?: CompiledOperation; params: string[]; violation?: ContractViolation } {
    const segments = splitPath(requestPath);
    const leaves: { node: TrieNode; params: string[] }[] = [];
    const walk = (node: TrieNode, i: number, params: string[]): void => {
      if (i === segments.length) {
        if (node.ops.size > 0) leaves.push({ node, params });
        return;
      }
      const segment = segments[i] ?? '';
      const literal = node.literals.get(segment.toLowerCase());
      if (literal) walk(literal, i + 1, params);
      if (node.param && segment !== '') walk(node.param, i + 1, [...params, segment]);
    };
    walk(this.root, 0, []);
    for (const leaf of leaves) {
      const op = leaf.node.ops.get(method);
      if (op) return { op, params: leaf.params };
    }
    if (leaves.length > 0) {
      const allowed = [...new Set(leaves.flatMap((l) => [...l.node.ops.keys()]))].join(', ');
      return { params: [], violation: { where: 'route', message: `method ${method} is not declared for ${requestPath} (declared: ${allowed})` } };
    }
    return { params: [], violation: { where: 'route', message: `path ${requestPath} is not declared in the API document` } };
  }

  // ---- query ----

  private checkQuery(op: CompiledOperation, query: Readonly<Record<string, string | string[] | undefined>>, result: ContractResult): void {
    const collected = new Map<ParamSpec, string[]>();
    for (const [name, raw] of Object.entries(query)) {
      if (raw === undefined) continue;
      const spec = op.queryParams.get(name.toLowerCase());
      if (!spec) {
        result.violations.push({ where: 'query', message: `query parameter ${name} is not declared for ${op.key}` });
        continue;
      }
      const list = collected.get(spec) ?? [];
      list.push(...(Array.isArray(raw) ? raw : [raw]));
      collected.set(spec, list);
    }
    for (const [spec, values] of collected) {
      if (!spec.array && values.length > 1) {
        result.violations.push({ where: 'query', message: `query parameter ${spec.name} is given ${values.length} times but is not an array` });
        continue;
      }
      const parsed: number[] = [];
      for (const raw of values) {
        if (raw === '' && spec.kind === 'string') continue;
        const value = parseParam(spec, raw);
        if (value === undefined) {
          result.violations.push({ where: 'query', message: `query parameter ${spec.name} must be ${describeKind(spec)}, got '${raw}'` });
        } else if (spec.array) {
          if (typeof value === 'number') parsed.push(value);
        } else {
          result.query[spec.name] = value;
        }
      }
      if (spec.array && parsed.length > 0) result.query[spec.name] = parsed;
    }
    for (const spec of op.requiredQuery) {
      if (result.query[spec.name] === undefined && !collected.has(spec)) {
        result.violations.push({ where: 'query', message: `query parameter ${spec.name} is required for ${op.key}` });
      }
    }
  }

  // ---- body ----

  private checkBody(op: CompiledOperation, req: ContractRequest, result: ContractResult): void {
    const type = mediaType(req.contentType);
    const spec = op.body;
    if (!spec) {
      if (req.body !== undefined) result.violations.push({ where: 'body', message: `a request body is not expected for ${op.key}` });
      return;
    }
    if (!acceptsMediaType(spec.contentTypes, type)) {
      result.violations.push({
        where: 'content-type',
        message: `content type ${type === '' ? '(none)' : type} is not accepted for ${op.key} (expected ${spec.contentTypes.join(', ')})`,
      });
      return;
    }
    if (req.body === undefined) {
      result.violations.push({ where: 'body', message: `a request body is required for ${op.key}` });
      return;
    }
    if (spec.kind === 'form') {
      this.checkForm(op, spec, req.body, result);
      return;
    }
    const problems: string[] = [];
    const canonical = this.canonicalize(req.body, spec.schema, 'body', problems);
    if (!spec.validate(canonical)) problems.push(...(spec.validate.errors ?? []).map((e) => describeAjvError(e, 'body')));
    result.body = canonical;
    for (const message of dedupe(problems)) result.violations.push({ where: 'body', message });
  }

  private checkForm(op: CompiledOperation, spec: FormBodySpec, body: unknown, result: ContractResult): void {
    if (!isPlainObject(body)) {
      result.violations.push({ where: 'body', message: `the form body of ${op.key} could not be read` });
      return;
    }
    const fields: Record<string, string> = {};
    for (const [name, raw] of Object.entries(body)) {
      const declared = spec.fields.get(name.toLowerCase());
      if (!declared) {
        result.violations.push({ where: 'body', message: `form field ${name} is not declared for ${op.key}` });
        continue;
      }
      const values = Array.isArray(raw) ? raw : [raw];
      if (values.length !== 1 || fields[declared] !== undefined) {
        result.violations.push({ where: 'body', message: `form field ${declared} is given more than once` });
        continue;
      }
      const value: unknown = values[0];
      if (typeof value !== 'string') {
        result.violations.push({ where: 'body', message: `form field ${declared} must be a text value` });
        continue;
      }
      fields[declared] = value;
    }
    for (const name of spec.required) {
      if (fields[name] === undefined || fields[name] === '') {
        result.violations.push({ where: 'body', message: `form field ${name} is required for ${op.key}` });
      }
    }
    result.body = fields;
  }

  /**
   * Rewrites object keys to their declared spelling, following the schema. Unknown keys are kept
   * (ajv then reports them as undeclared); two spellings of one property are a problem of their own.
   */
  private canonicalize(value: unknown, schema: JsonSchema | undefined, at: string, problems: string[]): unknown {
    const resolved = this.resolve(schema);
    if (!resolved) return value;
    if (Array.isArray(value)) {
      return resolved.items ? value.map((v, i) => this.canonicalize(v, resolved.items, `${at}/${i}`, problems)) : value;
    }
    if (!isPlainObject(value) || !resolved.properties) return value;
    const properties = resolved.properties;
    let index = this.propertyIndex.get(resolved);
    if (!index) {
      index = caseInsensitiveIndex(Object.keys(properties));
      this.propertyIndex.set(resolved, index);
    }
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const declared = index.get(key.toLowerCase()) ?? key;
      if (Object.prototype.hasOwnProperty.call(out, declared)) {
        problems.push(`${at}/${declared} is given more than once (in different letter case)`);
        continue;
      }
      out[declared] = this.canonicalize(v, properties[declared], `${at}/${declared}`, problems);
    }
    return out;
  }

  private resolve(schema: JsonSchema | undefined): JsonSchema | undefined {
    let current = schema;
    for (let depth = 0; current?.$ref !== undefined && depth < 10; depth++) {
      current = this.defs[current.$ref.split('/').pop() ?? ''];
    }
    return current;
  }
}

function splitPath(p: string): string[] {
  const trimmed = p.replace(/^\/+/, '').replace(/\/+$/, '');
  if (trimmed === '') return [];
  return trimmed.split('/').map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
}

function dedupe(list: string[]): string[] {
  return [...new Set(list)];
}

function describeAjvError(e: ErrorObject, root: string): string {
  const at = `${root}${e.instancePath}`;
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `${at}/${String(params.missingProperty)} is required`;
    case 'additionalProperties':
      return `${at}/${String(params.additionalProperty)} is not a declared property`;
    case 'type': {
      const types = String(params.type).split(',');
      return `${at} must be ${types.join(' or ')}`;
    }
    case 'format':
      return `${at} must be a valid ${String(params.format)}`;
    case 'minLength':
      return params.limit === 1 ? `${at} must not be empty` : `${at} must have at least ${String(params.limit)} characters`;
    case 'minimum':
    case 'maximum':
      return `${at} must be ${String(params.comparison)} ${String(params.limit)}`;
    case 'enum':
      return `${at} must be one of ${JSON.stringify(params.allowedValues)}`;
    default:
      return `${at} ${e.message ?? 'is invalid'}`;
  }
}

let shared: Contract | undefined;

export const OPENAPI_DOCUMENT_PATH = path.join(__dirname, 'openapi', 'kaseya-bms-v2.json');

/** The contract compiled from the bundled document; built on first use and shared by every simulator in the process. */
export function getContract(): Contract {
  shared ??= new Contract(JSON.parse(fs.readFileSync(OPENAPI_DOCUMENT_PATH, 'utf8')) as OaDocument);
  return shared;
}

/** Checks one request against the document (V2) or the declared V1 contract; an empty list means it conforms. */
export function checkRequest(req: ContractRequest): ContractViolation[] {
  return getContract().check(req).violations;
}
