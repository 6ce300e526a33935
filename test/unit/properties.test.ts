/**
 * Property-based tests (fast-check): whatever BMS sends — missing fields, nulls, wrong types, other key
 * casing, huge strings, odd unicode, dates without zones — the wire reader and the mapping never throw;
 * mapping round trips keep the synced values; the merge never invents a value.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { z } from 'zod';
import { jsonDepth, safeParseStorable } from '../../api/validate';
import { normalizeKeys, parseBmsTime, readEnvelope, readProblemDetails } from '../../bms/wire';
import {
  accountLocationToLocation,
  accountToOrganization,
  assetSummaryToConfiguration,
  assetToConfiguration,
  bmsContactToContact,
  dateFromBms,
  type Lookups,
  organizationToAccountPost,
} from '../../domain/mapping';
import { naturalKey } from '../../domain/matching';
import { sameValue, threeWayMerge } from '../../domain/merge';
import { SYNC_EVENTS, SYNC_STATES, transition, InvalidTransitionError } from '../../domain/sync-state';

const LOOKUPS: Lookups = {
  accountTypes: [
    { id: 1, name: 'Client' },
    { id: 2, name: 'Vendor' },
  ],
  businessTypes: [{ id: 11, name: 'IT' }],
  assetCategories: [
    { id: 21, name: 'Workstation' },
    { id: 22, name: 'Server' },
  ],
  emailTypes: [{ id: 31, name: 'Work' }],
  phoneTypes: [{ id: 41, name: 'Office' }],
  manufacturers: [{ id: 51, name: 'Dell' }],
  countries: [{ id: 61, name: 'United States' }],
};

/** Strings BMS might send: empty, blank, huge, emoji, RTL, control characters, HTML. */
const oddString = fc.oneof(
  fc.string(),
  fc.constantFrom('', '   ', '\u0000', 'Café ☕', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', 'مرحبا', '<script>alert(1)</script>', "'; DROP TABLE accounts; --"),
  fc.string({ minLength: 5_000, maxLength: 20_000 }),
);
const oddDate = fc.oneof(
  fc.constantFrom('2025-04-30T17:02:11', '2025-04-30T17:02:11.123Z', '2025-04-30T17:02:11+02:00', '2025-04-30', '0001-01-01T00:00:00', 'not a date', ''),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString().replace('Z', '')),
);
/** Any value a field might hold on the wire. */
const anyValue = fc.oneof(fc.constant(null), fc.constant(undefined), fc.boolean(), fc.integer(), fc.double(), oddString, oddDate, fc.array(fc.jsonValue(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }));

/** An object with some of the given keys (in PascalCase or camelCase), each with any value. */
function dto(keys: string[]) {
  return fc
    .record(Object.fromEntries(keys.map((k) => [k, anyValue])), { requiredKeys: [] })
    .chain((obj) =>
      fc.boolean().map((pascal) => {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(obj)) out[pascal ? k[0]!.toUpperCase() + k.slice(1) : k] = v;
        return normalizeKeys(out) as Record<string, unknown>;
      }),
    );
}

const ACCOUNT_KEYS = ['id', 'accountName', 'accountCode', 'accountTypeId', 'accountType', 'isActive', 'parentId', 'modifiedOn', 'locations'];
const LOCATION_KEYS = ['id', 'locationName', 'isMain', 'isActive', 'modifiedOn', 'addresses'];
const CONTACT_KEYS = ['id', 'accountId', 'locationId', 'firstName', 'lastName', 'jobTitle', 'isPoc', 'poc', 'isActive', 'emails', 'phones', 'modifiedOn'];
const ASSET_KEYS = ['id', 'name', 'accountId', 'accountLocationId', 'contactId', 'categoryId', 'category', 'serialNumber', 'assetTag', 'macAddress', 'ipAddress', 'defaultGateway', 'manufacturer', 'manufacturerId', 'modelNumber', 'osInfo', 'osType', 'locationInfo', 'acquisitionDate', 'warrantyExpirationDate', 'description', 'isActive', 'modifiedOn'];
const SUMMARY_KEYS = ['id', 'accountId', 'assetName', 'categoryId', 'categoryName', 'serialNumber', 'ipAddress', 'contactId', 'locationName', 'isActive'];

function fieldsAreValues(fields: object): void {
  for (const [k, v] of Object.entries(fields)) {
    const ok = v === null || typeof v === 'string' || typeof v === 'boolean' || Array.isArray(v);
    assert.ok(ok, `${k} is ${typeof v}`);
  }
}

/** The nesting depth of a JSON value, by walking it. */
function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (value !== null && typeof value === 'object') return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  return 0;
}

/** Text no PostgreSQL column takes: a NUL character, or half of a surrogate pair. */
const unstorableText = fc
  .tuple(fc.string(), fc.constantFrom('\u0000', '\ud800', '\udfff', '\udc00x', 'x\ud83d'), fc.string())
  .map(([before, bad, after]) => before + bad + after);

describe('properties', () => {
  it('measures JSON nesting on the raw text as deep as the parsed value is, strings and escapes included', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 12 }), (value) => {
        const text = JSON.stringify(value);
        assert.equal(jsonDepth((i) => text.charCodeAt(i), text.length), depthOf(value));
        const bytes = Buffer.from(text);
        assert.equal(jsonDepth((i) => bytes[i]!, bytes.length), depthOf(value));
      }),
    );
  });

  it('refuses unstorable text anywhere in a request part, naming where, and lets any other text through', () => {
    const anything = z.unknown();
    const step = fc.oneof(fc.string({ minLength: 1 }), fc.nat({ max: 3 }));
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.array(step, { maxLength: 4 }), unstorableText, (value, path, bad) => {
        let holder: unknown = bad;
        for (const key of [...path].reverse()) holder = typeof key === 'number' ? [...Array<null>(key).fill(null), holder] : { [key]: holder };
        const result = safeParseStorable(anything, { value, holder });
        assert.equal(result.success, false);
        assert.deepEqual(result.error!.issues[0]!.path, ['holder', ...path]);
      }),
    );
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'grapheme', maxLength: 200 }), (value, text) => {
        assert.equal(safeParseStorable(anything, { value, text: text.replaceAll('\u0000', '') }).success, true);
      }),
    );
  });

  it('reads any JSON body as an envelope or a bare result without throwing', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        const env = readEnvelope(normalizeKeys(body));
        assert.equal(typeof env.success, 'boolean');
        readProblemDetails(normalizeKeys(body));
      }),
    );
  });

  it('reads any time string as an instant or NaN, never throwing', () => {
    fc.assert(fc.property(fc.oneof(oddString, oddDate), (s) => void parseBmsTime(s)));
    fc.assert(fc.property(anyValue, (v) => {
      const d = dateFromBms(v);
      assert.ok(d === null || /^\d{4}-\d{2}-\d{2}$/.test(d), String(d));
    }));
  });

  it('maps any account, location, contact or asset BMS could send without throwing, to plain values', () => {
    fc.assert(
      fc.property(dto(ACCOUNT_KEYS), dto(LOCATION_KEYS), dto(CONTACT_KEYS), dto(ASSET_KEYS), dto(SUMMARY_KEYS), (a, l, c, as, s) => {
        fieldsAreValues(accountToOrganization(a as never, LOOKUPS).fields);
        fieldsAreValues(accountLocationToLocation(l as never, LOOKUPS).fields);
        fieldsAreValues(bmsContactToContact(c as never, LOOKUPS).fields);
        fieldsAreValues(assetToConfiguration(as as never, LOOKUPS).fields);
        void assetSummaryToConfiguration(s as never, LOOKUPS);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips an organization through the account create body', () => {
    const org = fc.record({
      name: fc.string({ minLength: 1, maxLength: 200 }).filter((s) => s.trim() !== ''),
      shortName: fc.option(fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() !== ''), { nil: null }),
      type: fc.constantFrom('Client', 'Vendor'),
      status: fc.constantFrom('Active', 'Inactive'),
    });
    fc.assert(
      fc.property(org, (o) => {
        const body = organizationToAccountPost(
          { ...o, parentId: null },
          { lookups: LOOKUPS, defaults: { businessTypeId: 11, accountManagerId: 1 }, parentBmsId: null },
          { name: 'Main' },
        );
        // What BMS stores and returns: the same fields, camelCased, with the type's name.
        const echoed = normalizeKeys({ ...body, Id: 1, AccountType: o.type }) as never;
        const back = accountToOrganization(echoed, LOOKUPS).fields;
        assert.deepEqual(back, { name: o.name, shortName: o.shortName, type: o.type, status: o.status });
      }),
    );
  });

  it('merges without inventing values, and keeps whichever side alone moved', () => {
    const v = fc.oneof(fc.constant(null), fc.constantFrom('a', 'b', 'c', ''));
    const rec = fc.record({ x: v, y: v, z: v });
    fc.assert(
      fc.property(rec, rec, rec, fc.boolean(), (local, base, remote, localNewer) => {
        const r = threeWayMerge(local, base, remote, ['x', 'y', 'z'], {
          localChangedAt: localNewer ? '2025-01-02T00:00:00Z' : '2025-01-01T00:00:00Z',
          remoteChangedAt: '2025-01-01T12:00:00Z',
        });
        for (const f of ['x', 'y', 'z'] as const) {
          assert.ok(sameValue(r.merged[f], local[f]) || sameValue(r.merged[f], remote[f]), 'merged value comes from a side');
          if (sameValue(local[f], base[f])) assert.ok(sameValue(r.merged[f], remote[f]), 'local did not move: remote wins');
          else if (sameValue(remote[f], base[f])) assert.ok(sameValue(r.merged[f], local[f]), 'remote did not move: local kept');
        }
        for (const c of r.conflicts) {
          assert.ok(!sameValue(c.local, c.base) && !sameValue(c.remote, c.base) && !sameValue(c.local, c.remote));
          assert.equal(c.winner, localNewer ? 'local' : 'remote');
        }
      }),
    );
  });

  it('builds natural keys from any values without throwing', () => {
    fc.assert(fc.property(fc.dictionary(fc.constantFrom('name', 'organizationId', 'firstName', 'lastName', 'type', 'serialNumber', 'macAddress'), oddString), (fields) => {
      const key = naturalKey('contact', fields);
      assert.ok(key === null || typeof key === 'string');
    }));
  });

  it('keeps the sync state machine closed: any event sequence yields known states or refusals', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SYNC_STATES), fc.array(fc.constantFrom(...SYNC_EVENTS), { maxLength: 30 }), (start, events) => {
        let state = start;
        for (const event of events) {
          try {
            state = transition(state, event);
          } catch (err) {
            assert.ok(err instanceof InvalidTransitionError);
          }
          assert.ok((SYNC_STATES as readonly string[]).includes(state));
        }
      }),
    );
  });
});
