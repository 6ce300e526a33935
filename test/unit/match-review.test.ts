/** Match review without a database: normalised natural keys, held records in the pull plan, ranked suggestions. */
import assert from 'node:assert/strict';
import { EMPTY_LOOKUPS } from '../../domain/mapping';
import { coreName, normalisedName, prepare, scorePair, suggest } from '../../domain/match-suggest';
import { macAddresses, naturalKey, naturalKeys, normalisedCode, sameNaturalKey } from '../../domain/matching';
import { firstLink, planPullPage, type PlanRecord, type PulledItem } from '../../domain/pull-plan';
import type { RecordFields, RecordType } from '../../domain/records';
import { SyncSettingsSchema } from '../../domain/settings';

describe('natural keys: serial numbers and MAC addresses', () => {
  it('compares serial numbers on letters and digits only, in any case', () => {
    assert.equal(normalisedCode(' SN-12.34/ab '), 'sn1234ab');
    assert.equal(normalisedCode('--'), null);
    const a = { organizationId: 'o', type: 'Server', name: 'fs1', serialNumber: 'ABC-123', macAddress: null };
    assert.ok(sameNaturalKey('configuration', a, { ...a, serialNumber: 'abc 123' }));
    assert.ok(!sameNaturalKey('configuration', a, { ...a, serialNumber: 'abc 124' }));
  });

  it('splits a MAC field holding several addresses and matches when any address matches', () => {
    assert.deepEqual(macAddresses('00:1A:2b:3c:4d:5e, 00-1a-2b-3c-4d-5f;\n001A2B3C4D5E'), ['001a2b3c4d5e', '001a2b3c4d5f']);
    const a = { organizationId: 'o', type: 'Server', name: 'fs1', serialNumber: null, macAddress: '00:1A:2B:3C:4D:5E 00:1A:2B:3C:4D:5F' };
    assert.ok(sameNaturalKey('configuration', a, { ...a, macAddress: '001a.2b3c.4d5f' }));
    assert.ok(!sameNaturalKey('configuration', a, { ...a, macAddress: '00:1A:2B:3C:4D:60' }));
    assert.ok(!sameNaturalKey('configuration', a, { ...a, macAddress: null }));
    assert.equal(naturalKeys('configuration', a).length, 2);
    assert.equal(naturalKey('configuration', a), naturalKey('configuration', { ...a, macAddress: '00-1a-2b-3c-4d-5f;00-1a-2b-3c-4d-5e' }));
  });

  it('leaves names exact (after trimming): suggestions, not automatic links, cover the rest', () => {
    assert.ok(!sameNaturalKey('organization', { name: 'Acme Inc.' }, { name: 'ACME, Inc' }));
  });
});

const ORG = 'org-1';
const LOOKUPS = { ...EMPTY_LOOKUPS, assetCategories: [{ id: 1, name: 'Server' }] };
const CONFIGS = { types: [1] };
const hold = (type: 'organizations' | 'configurations' | 'contacts' | 'locations') =>
  SyncSettingsSchema.parse({ configurations: CONFIGS, [type]: { ...(type === 'configurations' ? CONFIGS : {}), unmatched: 'hold' } });

function configItem(bmsId: number, fields: RecordFields): PulledItem {
  return { bmsId, modifiedOn: '2026-12-01T10:00:00Z', fields: { name: 'fs1', type: 'Server', status: 'Active', serialNumber: null, macAddress: null, ...fields }, refs: { organizationId: 500 } };
}

function configRecord(id: string, fields: RecordFields): PlanRecord {
  return { id, version: 3, updatedAt: '2026-11-01T00:00:00Z', fields: { organizationId: ORG, name: 'fs1', type: 'Server', status: 'Active', serialNumber: null, macAddress: null, ...fields } };
}

function planConfigs(items: PulledItem[], candidates: PlanRecord[], settings = SyncSettingsSchema.parse({ configurations: CONFIGS }), held = new Map()) {
  return planPullPage({
    type: 'configuration',
    items,
    links: new Map(),
    resolved: new Map(items.map((i) => [i.bmsId, { organizationId: ORG, locationId: null, contactId: null }])),
    records: new Map(),
    candidates,
    held,
    twoWay: false,
    settings,
    lookups: LOOKUPS,
    bmsTime: (v) => Date.parse(v),
  });
}

describe('pull plan: unmatched records held for review', () => {
  it('defaults to create (IT Glue behaviour) for every type', () => {
    const s = SyncSettingsSchema.parse({});
    assert.deepEqual([s.organizations.unmatched, s.contacts.unmatched, s.locations.unmatched, s.configurations.unmatched], ['create', 'create', 'create', 'create']);
    assert.equal(SyncSettingsSchema.safeParse({ contacts: { unmatched: 'maybe' } }).success, false);
  });

  it('links an exact natural-key match automatically, comparing serial and MAC normalised', () => {
    const local = configRecord('r1', { serialNumber: 'ab-12', macAddress: '00:11:22:33:44:55, 66:77:88:99:aa:bb' });
    const p = planConfigs([configItem(7, { serialNumber: 'AB12', macAddress: '66-77-88-99-AA-BB' })], [local], hold('configurations'));
    assert.equal(p.updates.length, 1);
    assert.equal(p.updates[0]!.kind, 'linked');
    assert.equal(p.held.length, 0);
    assert.equal(p.inserts.length, 0);
  });

  it('holds what matches nothing when the type says hold, creates it when it says create', () => {
    const held = planConfigs([configItem(8, { serialNumber: 'zz' })], [], hold('configurations'));
    assert.deepEqual([held.inserts.length, held.held.length, held.counts.held], [0, 1, 1]);
    assert.equal(held.held[0]!.fields.organizationId, ORG);
    assert.equal(held.states.has(8), false);
    const created = planConfigs([configItem(8, { serialNumber: 'zz' })], [], hold('contacts'));
    assert.deepEqual([created.inserts.length, created.held.length], [1, 0]);
  });

  it('refreshes a held record, keeps an excluded one out of creation and matching, releases one no longer synced or now matched', () => {
    const create = SyncSettingsSchema.parse({ configurations: CONFIGS });
    const still = planConfigs([configItem(9, {})], [], create, new Map([[9, { state: 'held' }]]));
    assert.deepEqual([still.held.length, still.inserts.length], [1, 0]);
    const excluded = planConfigs([configItem(9, {})], [configRecord('r9', {})], create, new Map([[9, { state: 'excluded' }]]));
    assert.deepEqual([excluded.held.length, excluded.inserts.length, excluded.updates.length], [1, 0, 0]);
    const inactive = planConfigs([configItem(9, { status: 'Inactive' })], [], hold('configurations'), new Map([[9, { state: 'held' }]]));
    assert.deepEqual(inactive.released, [9]);
    const matched = planConfigs([configItem(9, {})], [configRecord('r9', {})], hold('configurations'), new Map([[9, { state: 'held' }]]));
    assert.deepEqual([matched.released, matched.updates.length], [[9], 1]);
  });

  it('a first link lets the PSA win every synced field and keeps the rest', () => {
    const first = firstLink('organization', { fields: { name: 'acme', description: 'ours' } }, { name: 'Acme Inc.' });
    assert.equal(first.values.name, 'Acme Inc.');
    assert.equal(first.values.description, 'ours');
    assert.deepEqual(first.base, { name: 'Acme Inc.' });
  });
});

describe('match suggestions', () => {
  const p = (type: RecordType, id: string, fields: RecordFields) => prepare(type, id, fields);

  it('normalises names: case, punctuation, spacing, accents, company suffixes', () => {
    assert.equal(normalisedName('  ACME,  Inc. '), 'acme inc');
    assert.equal(coreName('Müller & Söhne GmbH'), 'muller and sohne');
    assert.equal(coreName('Acme Co. Ltd'), 'acme');
    assert.equal(coreName('Inc'), 'inc');
  });

  it('ranks "ACME, Inc" first for "Acme Inc." with the reason, and says why each other candidate scored', () => {
    const subject = p('organization', 'h1', { name: 'Acme Inc.' });
    const ranked = suggest(subject, [
      p('organization', 'a', { name: 'Acme Holdings' }),
      p('organization', 'b', { name: 'ACME, Inc' }),
      p('organization', 'c', { name: 'Acme LLC' }),
      p('organization', 'd', { name: 'Globex' }),
    ]);
    assert.deepEqual(ranked.map((s) => s.id), ['b', 'c']);
    assert.deepEqual(ranked[0]!.reasons, ['name differs only in punctuation, spacing or case']);
    assert.match(ranked[1]!.reasons[0]!, /company suffix/);
    assert.ok(ranked[0]!.score > ranked[1]!.score);
  });

  it('configurations: the same serial or MAC outranks a similar name', () => {
    const subject = p('configuration', 'h', { name: 'FS-01', serialNumber: 'SN 77-1', macAddress: null, organizationId: ORG });
    const bySerial = scorePair(subject, p('configuration', 'x', { name: 'fileserver', serialNumber: 'sn771', organizationId: ORG }));
    assert.ok(bySerial.score >= 90);
    assert.deepEqual(bySerial.reasons, ['same serial number', 'same organization']);
    const byMac = scorePair(p('configuration', 'h2', { name: 'a', macAddress: 'AA:BB:CC:00:11:22; AA:BB:CC:00:11:23' }), p('configuration', 'y', { name: 'b', macAddress: 'aabbcc001123' }));
    assert.deepEqual(byMac.reasons, ['same MAC address']);
    const byName = scorePair(subject, p('configuration', 'z', { name: 'fs 01', organizationId: ORG }));
    assert.ok(byName.score < bySerial.score);
  });

  it('contacts count their organization and email; locations their address', () => {
    const c = scorePair(
      p('contact', 'h', { firstName: 'Ada', lastName: 'Lovelace', organizationId: ORG, emails: [{ value: 'ada@x.io', label: null, primary: true }] }),
      p('contact', 'r', { firstName: 'ada', lastName: 'lovelace', organizationId: ORG, emails: [{ value: 'ADA@x.io', label: null, primary: true }] }),
    );
    assert.deepEqual(c.reasons, ['name differs only in case', 'same email address', 'same organization']);
    const other = scorePair(p('contact', 'h', { firstName: 'Ada', lastName: 'Lovelace', organizationId: ORG }), p('contact', 'r', { firstName: 'Ada', lastName: 'Lovelace', organizationId: 'org-2' }));
    assert.ok(other.score < c.score);
    const l = scorePair(
      p('location', 'h', { name: 'HQ', address1: '1 Main St.', city: 'Springfield', organizationId: ORG }),
      p('location', 'r', { name: 'Head office', address1: '1 main st', city: 'SPRINGFIELD', organizationId: ORG }),
    );
    assert.deepEqual(l.reasons, ['same address', 'same organization']);
    assert.ok(l.score >= 40);
  });

  it('stays cheap: 2,000 candidates for 50 records rank in well under a second', () => {
    const pool = Array.from({ length: 2000 }, (_, i) => p('organization', `r${i}`, { name: `Customer ${i} Inc.` }));
    const started = Date.now();
    for (let i = 0; i < 50; i++) suggest(p('organization', `h${i}`, { name: `customer ${i * 7}, inc` }), pool);
    assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
  });
});
