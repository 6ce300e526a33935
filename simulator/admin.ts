/**
 * `/_sim/...`: control and inspection routes for tests. The real BMS has nothing like them, so they
 * stay apart from the API: no token, no envelope, no rate limit, plain camelCase JSON, and errors as
 * `{ error }`. Record reads return exactly the DTOs the API would. Writes act as a person in the BMS
 * UI (employee "Sam Taylor"), so a sync can tell them from its own API writes by `modifiedBy`.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { accountSummaryDto, assetDto, contactSummaryDto, type Dto, locationDto } from './dto';
import { NotFoundError, ValidationError } from './errors';
import { FAULT_MODES, type FaultRule, normalizeRoute } from './faults';
import { defaultLookupId, EMPLOYEE_ID, LOOKUP_ID } from './lookups';
import { SEED_LIMITS, type SeedSpec } from './seed';
import { NEW_TENANT_DEFAULTS, type SimulatorHub, type SimulatorState, TenantExistsError, V1_LOCATION_SHAPES } from './state';
import { aggregateRequestStats, type RequestListener } from './stats';
import {
  type AccountFields,
  type AccountRow,
  type AddressFields,
  ASSET_INPUT_FIELDS,
  type AssetFields,
  type AssetRow,
  type ContactFields,
  type ContactRow,
  emptyAddressFields,
  emptyAssetFields,
  type EmailFields,
  type PhoneFields,
} from './store';
import { parseDateTime } from './time';

const UI_EDITOR = EMPLOYEE_ID.uiEditor;

// ---------------------------------------------------------------- input schemas

const id = z.int().min(1).max(2147483647);
const nullableId = id.nullable();
const text = z.string().nullable();
const dateText = z
  .string()
  .refine((s) => parseDateTime(s) !== undefined, { message: 'must be a date-time (YYYY-MM-DDTHH:mm:ss, zone optional)' })
  .transform((s) => parseDateTime(s) ?? 0);

export const generatedSeedSchema = z
  .strictObject({
    accounts: z.int().min(0).max(SEED_LIMITS.accounts),
    contactsPerAccount: z.int().min(0).max(SEED_LIMITS.contactsPerAccount).default(0),
    assetsPerAccount: z.int().min(0).max(SEED_LIMITS.assetsPerAccount).default(0),
    locationsPerAccount: z.int().min(1).max(SEED_LIMITS.locationsPerAccount).default(1),
    /** A total spread over the accounts, instead of `assetsPerAccount`. */
    assets: z.int().min(0).max(SEED_LIMITS.assets).optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.assets === undefined) return;
    if (spec.assetsPerAccount > 0) ctx.addIssue({ code: 'custom', path: ['assets'], message: 'give either assets (a total) or assetsPerAccount, not both' });
    else if (spec.assets > spec.accounts * SEED_LIMITS.assetsPerAccount) {
      ctx.addIssue({ code: 'custom', path: ['assets'], message: `at most ${SEED_LIMITS.assetsPerAccount} per account (${spec.accounts * SEED_LIMITS.assetsPerAccount} for ${spec.accounts} accounts)` });
    }
  });

export const seedSpecSchema = z.union([z.literal('demo'), z.literal('none'), generatedSeedSchema]);

const accountFieldSchemas = {
  parentId: nullableId,
  accountCode: text,
  accountTypeId: id,
  accountName: z.string().min(1),
  businessTypeId: id,
  serviceTypeId: nullableId,
  accountManagerId: id,
  currencyId: nullableId,
  creditLimit: z.number().nullable(),
  netDays: z.number().nullable(),
  salesTaxItemId: nullableId,
  website: text,
  description: text,
  classId: nullableId,
  isActive: z.boolean(),
  isBilling: z.boolean(),
  acquiredDate: dateText.nullable(),
  routeInvoiceToParent: z.boolean(),
};

const addressSchema = z.strictObject({
  address1: text,
  address2: text,
  city: text,
  state: text,
  zipCode: text,
  countryId: nullableId,
  country: text,
  phone: text,
  fax: text,
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
  emailAddress: text,
  isBilling: z.boolean(),
  addressTypeId: nullableId,
  addressType: text,
}).partial();

const locationFieldSchemas = {
  locationName: z.string().min(1),
  isMain: z.boolean().optional(),
  isActive: z.boolean().optional(),
  address: addressSchema.optional(),
};

const newLocationSchema = z.strictObject(locationFieldSchemas);
const locationCreateSchema = z.strictObject({ accountId: id, ...locationFieldSchemas });
const locationPatchSchema = z.strictObject(locationFieldSchemas).partial();

const accountCreateSchema = z.strictObject({
  ...z.object(accountFieldSchemas).partial().shape,
  accountName: z.string().min(1),
  locations: z.array(newLocationSchema).min(1).optional(),
});
const accountPatchSchema = z.strictObject(accountFieldSchemas).partial();

const emailSchema = z.strictObject({ emailAddress: z.string().min(1), emailTypeId: id.optional(), isDefault: z.boolean().optional() });
const phoneSchema = z.strictObject({ phone: z.string().min(1), phoneTypeId: id.optional(), isDefault: z.boolean().optional() });

const contactFieldSchemas = {
  accountId: id,
  locationId: id,
  firstName: z.string().min(1),
  middleName: text,
  lastName: text,
  jobTitle: text,
  isPoc: z.boolean(),
  isActive: z.boolean(),
  effectiveDate: dateText.nullable(),
  billByContact: z.boolean(),
  receiveInvoices: z.boolean(),
  hasClientPortalAccess: z.boolean(),
  emails: z.array(emailSchema),
  phones: z.array(phoneSchema),
};
const contactCreateSchema = z.strictObject({
  ...z.object(contactFieldSchemas).partial().shape,
  accountId: id,
  firstName: z.string().min(1),
});
const contactPatchSchema = z.strictObject(contactFieldSchemas).partial();

function assetFieldSchema(kind: (typeof ASSET_INPUT_FIELDS)[number][2]) {
  switch (kind) {
    case 'string':
      return text;
    case 'int':
      return nullableId;
    case 'double':
      return z.number().nullable();
    case 'bool':
      return z.boolean();
    case 'date':
      return dateText.nullable();
  }
}

const assetFieldSchemas = Object.fromEntries(ASSET_INPUT_FIELDS.map(([, key, kind]) => [key, assetFieldSchema(kind)]));
const assetPatchSchema = z.strictObject(assetFieldSchemas).partial();
const assetCreateSchema = assetPatchSchema.extend({ name: z.string().min(1), accountId: id, categoryId: id });
const touchSchema = z.strictObject({ ids: z.array(id).min(1), description: z.string().optional() });

const faultRuleSchema = z.strictObject({
  route: z.string().min(1),
  mode: z.enum(FAULT_MODES),
  probability: z.number().min(0).max(1).optional(),
  count: z.int().min(1).optional(),
  delayMs: z.int().min(0).max(600_000).optional(),
  retryAfterSeconds: z.int().min(0).optional(),
});
const faultsSchema = z.strictObject({ rules: z.array(faultRuleSchema), seed: z.int().optional() });

const configSchema = z.strictObject({
  tokenTtlSeconds: z.number().positive().optional(),
  rateLimit: z.strictObject({ limit: z.int().min(1), windowSeconds: z.number().positive() }).nullable().optional(),
  maxPageSize: z.int().min(1).max(10_000).optional(),
  v1LocationShape: z.enum(V1_LOCATION_SHAPES).optional(),
});

const credentialsSchema = z.strictObject({ password: z.string().min(1).max(500) });

class AdminInputError extends Error {
  override readonly name = 'AdminInputError';
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : 'body'}: ${i.message}`);
  throw new AdminInputError(problems.join('; '));
}

function routeId(req: Request): number {
  const n = Number(req.params.id);
  if (!Number.isSafeInteger(n) || n < 1) throw new AdminInputError(`id must be a positive integer, got '${String(req.params.id)}'`);
  return n;
}

/** `?ids=1,2` or `?ids=1&ids=2`. */
function idsParam(req: Request): number[] | undefined {
  const raw = req.query.ids;
  if (raw === undefined) return undefined;
  const parts = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => (typeof v === 'string' ? v.split(',') : ['?']));
  return parts
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => {
      const n = Number(p);
      if (!Number.isSafeInteger(n)) throw new AdminInputError(`ids must be integers, got '${p}'`);
      return n;
    });
}

function accountIdParam(req: Request): number | undefined {
  const raw = req.query.accountId;
  if (raw === undefined) return undefined;
  const n = typeof raw === 'string' ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n)) throw new AdminInputError(`accountId must be an integer, got '${JSON.stringify(raw)}'`);
  return n;
}

function listOf<T extends { id: number }>(
  map: ReadonlyMap<number, T>,
  req: Request,
  toDto: (row: T) => Dto,
  accountIdOf?: (row: T) => number,
): Dto[] {
  const ids = idsParam(req);
  const accountId = accountIdParam(req);
  const rows: T[] = ids ? ids.flatMap((i) => map.get(i) ?? []) : Array.from(map.values());
  return rows.filter((r) => accountId === undefined || accountIdOf?.(r) === accountId).map(toDto);
}

// ---------------------------------------------------------------- field mapping

function accountFieldsOf(a: AccountRow): AccountFields {
  const { id: _id, createdBy: _cb, createdOn: _co, modifiedBy: _mb, modifiedOn: _mo, locationIds: _l, ...fields } = a;
  return fields;
}

function contactFieldsOf(c: ContactRow): ContactFields {
  const { id: _id, createdBy: _cb, createdOn: _co, modifiedBy: _mb, modifiedOn: _mo, emails: _e, phones: _p, ...fields } = c;
  return fields;
}

function assetFieldsOf(a: AssetRow): AssetFields {
  const { id: _id, createdBy: _cb, createdOn: _co, modifiedBy: _mb, modifiedOn: _mo, ...fields } = a;
  return fields;
}

function addressOf(input: z.infer<typeof addressSchema> | undefined): AddressFields {
  return { ...emptyAddressFields(), countryId: LOOKUP_ID.countryUs, ...input, isMain: true };
}

function emailsOf(list: z.infer<typeof emailSchema>[]): EmailFields[] {
  return list.map((e) => ({ emailAddress: e.emailAddress, emailTypeId: e.emailTypeId ?? defaultLookupId('emailType'), isDefault: e.isDefault ?? false }));
}

function phonesOf(list: z.infer<typeof phoneSchema>[]): PhoneFields[] {
  return list.map((p) => ({ phone: p.phone, phoneTypeId: p.phoneTypeId ?? defaultLookupId('phoneType'), isDefault: p.isDefault ?? false }));
}

// ---------------------------------------------------------------- request events

const WRITE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'];
const EVENTS_PING_MS = 15_000;

/** `?methods=PATCH,POST` or `?methods=all`; default: the writes. */
function methodsParam(req: Request): Set<string> | 'all' {
  const raw = req.query.methods;
  if (raw === undefined) return new Set(WRITE_METHODS);
  if (typeof raw !== 'string' || raw.trim() === '') throw new AdminInputError("methods must be a comma-separated list of HTTP methods, or 'all'");
  if (raw.trim().toLowerCase() === 'all') return 'all';
  return new Set(raw.split(',').map((m) => m.trim().toUpperCase()).filter((m) => m !== ''));
}

// ---------------------------------------------------------------- tenants

/** Names the tenant an admin request acts on; without it, the default tenant. */
export const TENANT_HEADER = 'x-sim-tenant';

const tenantCreateSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  username: z.string().trim().min(1).max(200).default(NEW_TENANT_DEFAULTS.username),
  password: z.string().min(1).max(500).default(NEW_TENANT_DEFAULTS.password),
  seed: seedSpecSchema.default(NEW_TENANT_DEFAULTS.seed),
});

function tenantOf(res: Response): SimulatorState {
  return res.locals.tenant as SimulatorState;
}

/** `X-Sim-Tenant`, else `?tenant=`; undefined when neither is given. */
function tenantParam(req: Request): string | undefined {
  const header = req.get(TENANT_HEADER);
  if (header !== undefined) return header;
  const raw = req.query.tenant;
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw.trim() === '') throw new AdminInputError('tenant must be one tenant name');
  return raw;
}

function scopeParam(req: Request): 'tenant' | 'all' {
  const raw = req.query.scope;
  if (raw === undefined || raw === 'tenant') return 'tenant';
  if (raw === 'all') return 'all';
  throw new AdminInputError(`scope must be 'all' or 'tenant', got ${JSON.stringify(raw)}`);
}

// ---------------------------------------------------------------- router

export function createAdminRouter(hub: SimulatorHub): Router {
  const router = express.Router();
  router.use(express.json({ limit: '50mb' }));
  let touchRevision = 0;

  // ---- simulator-wide: tenants, routes, config, the event stream ----

  const tenantSummary = (t: SimulatorState) => ({ name: t.name, username: t.auth.username, counts: t.store.counts() });

  router.get('/tenants', (_req, res) => {
    res.json(Array.from(hub.tenants(), tenantSummary));
  });
  router.post('/tenants', (req, res) => {
    const input = parse(tenantCreateSchema, req.body);
    const created = hub.addTenant({ tenant: input.name, username: input.username, password: input.password, seed: input.seed });
    res.status(201).json(tenantSummary(created));
  });
  router.delete('/tenants/:name', (req, res) => {
    const name = String(req.params.name);
    const found = hub.tenant(name);
    if (!found) throw new NotFoundError(`no tenant '${name}'`);
    if (found === hub.defaultTenant) throw new AdminInputError(`name: '${found.name}' is the default tenant, which cannot be deleted`);
    hub.removeTenant(name);
    res.status(204).end();
  });

  router.get('/routes', (_req, res) => {
    res.json(hub.contract.routeKeys());
  });

  const currentConfig = () => ({
    tokenTtlSeconds: hub.tokenTtlSeconds,
    rateLimit: hub.rateLimit.config,
    maxPageSize: hub.maxPageSize,
    v1LocationShape: hub.v1LocationShape,
  });
  router.get('/config', (_req, res) => {
    res.json(currentConfig());
  });
  // One configuration for every tenant.
  router.put('/config', (req, res) => {
    const input = parse(configSchema, req.body);
    if (input.tokenTtlSeconds !== undefined) hub.tokenTtlSeconds = input.tokenTtlSeconds;
    if (input.rateLimit !== undefined) hub.configureRateLimit(input.rateLimit);
    if (input.maxPageSize !== undefined) hub.maxPageSize = input.maxPageSize;
    if (input.v1LocationShape !== undefined) hub.v1LocationShape = input.v1LocationShape;
    res.json(currentConfig());
  });

  // Server-sent events: one `data:` line of JSON per served API request whose method is wanted, sent as
  // its answer goes out, so a client can time when a write was applied without polling. Opens with an
  // `open` event (the subscription is live from then on); a comment line every 15 s keeps it open.
  // Every tenant's requests, or one tenant's (`X-Sim-Tenant` or `?tenant=`).
  router.get('/events', (req, res) => {
    const methods = methodsParam(req);
    const name = tenantParam(req);
    const only = name === undefined ? undefined : hub.tenant(name);
    if (name !== undefined && !only) throw new NotFoundError(`no tenant '${name}'`);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    req.socket.setNoDelay(true);
    res.write(`event: open\ndata: ${JSON.stringify({ methods: methods === 'all' ? 'all' : [...methods], tenant: only?.name ?? null })}\n\n`);
    const listener: RequestListener = (event) => {
      if (only && event.tenant !== only.name) return;
      if (methods === 'all' || methods.has(event.method)) res.write(`data: ${JSON.stringify(event)}\n\n`);
    };
    hub.events.add(listener);
    const ping = setInterval(() => res.write(': ping\n\n'), EVENTS_PING_MS);
    res.on('close', () => {
      clearInterval(ping);
      hub.events.delete(listener);
    });
  });

  // ---- one tenant's: `X-Sim-Tenant`, else the default tenant ----

  router.use((req, res, next) => {
    const name = req.get(TENANT_HEADER);
    const found = name === undefined ? hub.defaultTenant : hub.tenant(name);
    if (!found) {
      res.status(404).json({ error: `no tenant '${String(name)}' (${TENANT_HEADER} header)` });
      return;
    }
    res.locals.tenant = found;
    next();
  });

  router.get('/health', (_req, res) => {
    const { store } = tenantOf(res);
    res.json({ ok: true, tenant: store.tenantName, counts: store.counts() });
  });

  router.post('/reset', (req, res) => {
    const sim = tenantOf(res);
    const { store } = sim;
    const body = parse(z.strictObject({ seed: seedSpecSchema.optional() }), req.body);
    const seed: SeedSpec = body.seed ?? sim.options.seed;
    sim.reset(seed);
    res.json({ counts: store.counts() });
  });

  router.post('/seed', (req, res) => {
    const sim = tenantOf(res);
    const { store } = sim;
    const spec = parse(generatedSeedSchema, req.body);
    const before = store.counts();
    const started = performance.now();
    // Seeding adds to what is there; ids continue, so generated data stays deterministic for a given store.
    const counts = sim.seed(spec);
    res.json({
      added: {
        accounts: counts.accounts - before.accounts,
        contacts: counts.contacts - before.contacts,
        assets: counts.assets - before.assets,
        locations: counts.locations - before.locations,
      },
      counts,
      elapsedMs: Math.round(performance.now() - started),
    });
  });

  router.get('/counts', (_req, res) => {
    const { store } = tenantOf(res);
    res.json(store.counts());
  });

  // ---- accounts ----

  router.get('/accounts', (req, res) => {
    const { store } = tenantOf(res);
    res.json(listOf(store.accounts, req, (a) => accountSummaryDto(store, a)));
  });
  router.get('/accounts/:id', (req, res) => {
    const { store } = tenantOf(res);
    res.json(accountSummaryDto(store, store.getAccount(routeId(req))));
  });
  router.post('/accounts', (req, res) => {
    const { store } = tenantOf(res);
    const input = parse(accountCreateSchema, req.body);
    const { locations, ...fields } = input;
    const row = store.createAccount(
      {
        parentId: null,
        accountCode: null,
        accountTypeId: 1,
        businessTypeId: defaultLookupId('businessType'),
        serviceTypeId: null,
        accountManagerId: EMPLOYEE_ID.accountManager,
        currencyId: defaultLookupId('currency'),
        creditLimit: null,
        netDays: null,
        salesTaxItemId: null,
        website: null,
        description: null,
        classId: null,
        isActive: true,
        isBilling: true,
        acquiredDate: null,
        routeInvoiceToParent: false,
        ...fields,
      },
      (locations ?? [{ locationName: 'Main Office', isMain: true }]).map((l) => ({
        locationName: l.locationName,
        isMain: l.isMain ?? false,
        isActive: l.isActive ?? true,
        addresses: [addressOf(l.address)],
      })),
      UI_EDITOR,
    );
    res.status(201).json(accountSummaryDto(store, row));
  });
  router.patch('/accounts/:id', (req, res) => {
    const { store } = tenantOf(res);
    const existing = store.getAccount(routeId(req));
    const changes = parse(accountPatchSchema, req.body);
    const row = store.replaceAccount(existing.id, { ...accountFieldsOf(existing), ...changes }, UI_EDITOR);
    res.json(accountSummaryDto(store, row));
  });
  router.delete('/accounts/:id', (req, res) => {
    const { store } = tenantOf(res);
    store.deleteAccount(routeId(req), UI_EDITOR);
    res.status(204).end();
  });

  // ---- locations ----

  router.get('/locations', (req, res) => {
    const { store } = tenantOf(res);
    res.json(listOf(store.locations, req, locationDto, (l) => l.accountId));
  });
  router.get('/locations/:id', (req, res) => {
    const { store } = tenantOf(res);
    res.json(locationDto(store.getLocation(routeId(req))));
  });
  router.post('/locations', (req, res) => {
    const { store } = tenantOf(res);
    const input = parse(locationCreateSchema, req.body);
    const loc = store.createLocation(
      input.accountId,
      { locationName: input.locationName, isMain: input.isMain ?? false, isActive: input.isActive ?? true, addresses: [addressOf(input.address)] },
      UI_EDITOR,
    );
    res.status(201).json(locationDto(loc));
  });
  router.patch('/locations/:id', (req, res) => {
    const { store } = tenantOf(res);
    const id = store.getLocation(routeId(req)).id;
    const changes = parse(locationPatchSchema, req.body);
    const loc = store.updateLocation(
      id,
      { locationName: changes.locationName, isMain: changes.isMain, isActive: changes.isActive, mainAddress: changes.address },
      UI_EDITOR,
    );
    res.json(locationDto(loc));
  });
  router.delete('/locations/:id', (req, res) => {
    const { store } = tenantOf(res);
    store.deleteLocation(routeId(req), UI_EDITOR);
    res.status(204).end();
  });

  // ---- contacts ----

  router.get('/contacts', (req, res) => {
    const { store } = tenantOf(res);
    res.json(listOf(store.contacts, req, (c) => contactSummaryDto(store, c), (c) => c.accountId));
  });
  router.get('/contacts/:id', (req, res) => {
    const { store } = tenantOf(res);
    res.json(contactSummaryDto(store, store.getContact(routeId(req))));
  });
  router.post('/contacts', (req, res) => {
    const { store } = tenantOf(res);
    const input = parse(contactCreateSchema, req.body);
    const { emails, phones, ...fields } = input;
    const account = store.getAccount(input.accountId);
    const row = store.createContact(
      {
        locationId: store.mainLocation(account)?.id ?? 0,
        middleName: null,
        lastName: null,
        jobTitle: null,
        isPoc: false,
        isActive: true,
        effectiveDate: null,
        billByContact: false,
        receiveInvoices: false,
        hasClientPortalAccess: false,
        ...fields,
        emails: emailsOf(emails ?? []),
        phones: phonesOf(phones ?? []),
      },
      UI_EDITOR,
    );
    res.status(201).json(contactSummaryDto(store, row));
  });
  router.patch('/contacts/:id', (req, res) => {
    const { store } = tenantOf(res);
    const existing = store.getContact(routeId(req));
    const { emails, phones, ...changes } = parse(contactPatchSchema, req.body);
    if (Object.keys(changes).length > 0 || (!emails && !phones)) {
      store.replaceContact(existing.id, { ...contactFieldsOf(existing), ...changes }, UI_EDITOR);
    }
    if (emails || phones) {
      store.replaceContactItems(existing.id, emails && emailsOf(emails), phones && phonesOf(phones), UI_EDITOR);
    }
    res.json(contactSummaryDto(store, store.getContact(existing.id)));
  });
  router.delete('/contacts/:id', (req, res) => {
    const { store } = tenantOf(res);
    store.deleteContact(routeId(req), UI_EDITOR);
    res.status(204).end();
  });

  // ---- assets ----

  router.get('/assets', (req, res) => {
    const { store } = tenantOf(res);
    res.json(listOf(store.assets, req, (a) => assetDto(store, a), (a) => a.accountId));
  });
  router.post('/assets/touch', (req, res) => {
    const { store } = tenantOf(res);
    const input = parse(touchSchema, req.body);
    const missing = input.ids.filter((i) => !store.assets.has(i));
    if (missing.length > 0) throw new AdminInputError(`no such assets: ${missing.join(', ')}`);
    touchRevision++;
    for (const assetId of input.ids) {
      const row = store.getAsset(assetId);
      store.replaceAsset(
        assetId,
        { ...assetFieldsOf(row), description: input.description ?? `Touched by the simulator (revision ${touchRevision})` },
        UI_EDITOR,
      );
    }
    res.json({ touched: input.ids.length });
  });
  router.get('/assets/:id', (req, res) => {
    const { store } = tenantOf(res);
    res.json(assetDto(store, store.getAsset(routeId(req))));
  });
  router.post('/assets', (req, res) => {
    const { store } = tenantOf(res);
    const input = parse(assetCreateSchema, req.body) as Partial<AssetFields> & { name: string; accountId: number; categoryId: number };
    const account = store.getAccount(input.accountId);
    const row = store.createAsset(
      { ...emptyAssetFields(), accountLocationId: store.mainLocation(account)?.id ?? 0, ...stripUndefined(input) },
      UI_EDITOR,
    );
    res.status(201).json(assetDto(store, row));
  });
  router.patch('/assets/:id', (req, res) => {
    const { store } = tenantOf(res);
    const existing = store.getAsset(routeId(req));
    const changes = parse(assetPatchSchema, req.body) as Partial<AssetFields>;
    const row = store.replaceAsset(existing.id, { ...assetFieldsOf(existing), ...stripUndefined(changes) }, UI_EDITOR);
    res.json(assetDto(store, row));
  });
  router.delete('/assets/:id', (req, res) => {
    const { store } = tenantOf(res);
    store.deleteAsset(routeId(req));
    res.status(204).end();
  });

  // ---- faults, config, tokens ----

  router.get('/faults', (_req, res) => {
    const sim = tenantOf(res);
    res.json({ rules: sim.faults.list() });
  });
  router.put('/faults', (req, res) => {
    const sim = tenantOf(res);
    const input = parse(faultsSchema, req.body);
    const known = new Set(sim.contract.routeKeys().map(normalizeRoute));
    for (const rule of input.rules) {
      if (rule.route !== '*' && !known.has(normalizeRoute(rule.route))) {
        throw new AdminInputError(`fault route '${rule.route}' is neither '*' nor a known 'METHOD /template' route (see GET /_sim/routes)`);
      }
    }
    sim.faults.setRules(input.rules as FaultRule[], input.seed);
    res.json({ rules: sim.faults.list() });
  });
  router.delete('/faults', (_req, res) => {
    const sim = tenantOf(res);
    sim.faults.clear();
    res.json({ rules: [] });
  });
  router.put('/credentials', (req, res) => {
    const sim = tenantOf(res);
    const input = parse(credentialsSchema, req.body);
    sim.auth.changePassword(input.password);
    res.json({ ok: true });
  });
  router.post('/tokens/expire', (_req, res) => {
    const sim = tenantOf(res);
    res.json({ expired: sim.auth.expireAll() });
  });

  // ---- observations ----

  // `?scope=all`: every tenant's counters, summed.
  router.get('/requests', (req, res) => {
    const sim = tenantOf(res);
    res.json(scopeParam(req) === 'all' ? aggregateRequestStats(hub.tenants()) : sim.stats.snapshot(sim.limiter));
  });
  router.delete('/requests', (req, res) => {
    const sim = tenantOf(res);
    for (const t of scopeParam(req) === 'all' ? hub.tenants() : [sim]) {
      t.stats.reset();
      t.limiter.reset();
    }
    res.json({ ok: true });
  });
  router.get('/violations', (_req, res) => {
    const sim = tenantOf(res);
    res.json(sim.stats.listViolations());
  });
  router.delete('/violations', (_req, res) => {
    const sim = tenantOf(res);
    sim.stats.clearViolations();
    res.json({ ok: true });
  });

  router.use((req, res) => {
    res.status(404).json({ error: `no admin route ${req.method} /_sim${req.path}` });
  });

  router.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof TenantExistsError) {
      res.status(409).json({ error: err.message });
    } else if (err instanceof AdminInputError || err instanceof ValidationError) {
      res.status(400).json({ error: err.message });
    } else if (err instanceof NotFoundError) {
      res.status(404).json({ error: err.message });
    } else if (isBodyParserError(err)) {
      res.status(400).json({ error: `invalid JSON body: ${err.message}` });
    } else {
      hub.logger.error({ err }, 'admin route failed');
      res.status(500).json({ error: err instanceof Error ? err.message : String(err) });
    }
  });

  return router;
}

function isBodyParserError(err: unknown): err is Error & { type: string } {
  return err instanceof Error && typeof (err as { type?: unknown }).type === 'string';
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
