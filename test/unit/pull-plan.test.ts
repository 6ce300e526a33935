/** Planning a pulled page against what is stored, without a database. */
import assert from 'node:assert/strict';
import { EMPTY_LOOKUPS } from '../../domain/mapping';
import { type PagePlanInput, type PlanLink, type PlanRecord, newestCopies, planPullPage, type PulledItem } from '../../domain/pull-plan';
import type { RecordFields } from '../../domain/records';
import { SyncSettingsSchema } from '../../domain/settings';

const ORG = 'org-record-1';
const settings = SyncSettingsSchema.parse({});

function item(bmsId: number, fields: RecordFields, modifiedOn = '2026-12-01T10:00:00Z'): PulledItem {
  return { bmsId, modifiedOn, fields: { primary: false, address1: null, address2: null, city: null, region: null, country: null, ...fields }, refs: { organizationId: 500 } };
}

function record(id: string, fields: RecordFields, version = 1): PlanRecord {
  return { id, version, updatedAt: '2026-11-01T00:00:00Z', fields: { organizationId: ORG, primary: false, address1: null, address2: null, city: null, region: null, country: null, ...fields } };
}

function link(recordId: string, state: PlanLink['state'], base: RecordFields, bmsModifiedOn = '2026-11-01T00:00:00Z'): PlanLink {
  return { recordId, state, stateReason: null, base: { organizationId: ORG, ...base }, bmsModifiedOn };
}

/** A location page: every item's organization is linked unless the test says otherwise. */
function plan(items: PulledItem[], stored: { links?: Array<[number, PlanLink]>; records?: PlanRecord[]; candidates?: PlanRecord[] } = {}, extra: Partial<PagePlanInput> = {}) {
  return planPullPage({
    type: 'location',
    items,
    links: new Map(stored.links ?? []),
    resolved: new Map(items.map((i) => [i.bmsId, { organizationId: ORG }])),
    records: new Map((stored.records ?? []).map((r) => [r.id, r])),
    candidates: stored.candidates ?? [],
    twoWay: true,
    settings,
    lookups: EMPTY_LOOKUPS,
    bmsTime: (value) => Date.parse(value),
    ...extra,
  });
}

describe('pull page plan', () => {
  it('creates an unlinked record that matches nothing, synced, with its history line', () => {
    const p = plan([item(1, { name: 'HQ' })]);
    assert.equal(p.inserts.length, 1);
    assert.deepEqual(p.inserts[0]!.fields.organizationId, ORG);
    assert.equal(p.inserts[0]!.state, 'synced');
    assert.equal(p.inserts[0]!.summary, 'Created from Kaseya BMS location 1');
    assert.deepEqual([p.updates.length, p.links.length], [0, 0]);
    assert.equal(p.states.get(1), 'synced');
  });

  it('links an unlinked record to the oldest stored record with the same natural key, once, the PSA winning', () => {
    const older = record('r-old', { name: 'HQ', phone: 'local' });
    const newer = record('r-new', { name: 'HQ' });
    const p = plan([item(1, { name: ' HQ ', phone: 'bms' }), item(2, { name: 'HQ' })], { candidates: [older, newer] });
    assert.equal(p.updates.length, 1);
    assert.equal(p.updates[0]!.record.id, 'r-old');
    assert.equal(p.updates[0]!.kind, 'linked');
    assert.equal(p.updates[0]!.values.phone, 'bms');
    assert.equal(p.links[0]!.state, 'synced');
    assert.equal(p.history[0]!.kind, 'linked');
    // The key the first claimed is not claimed again: the second copy becomes a new record.
    assert.deepEqual(p.inserts.map((i) => i.item.bmsId), [2]);
  });

  it('skips what the Sync Settings leave out, and what belongs to a record that is not synced', () => {
    const off = plan([item(1, { name: 'HQ' })], {}, { settings: SyncSettingsSchema.parse({ locations: { enabled: false } }) });
    assert.deepEqual([off.inserts.length, off.counts.skipped, off.logs.length], [0, 1, 0]);
    const orphanParent = plan([item(1, { name: 'HQ' })], {}, { resolved: new Map([[1, { organizationId: undefined }]]) });
    assert.deepEqual([orphanParent.inserts.length, orphanParent.counts.skipped], [0, 1]);
    assert.match(orphanParent.logs[0]!.message, /skipped: what it belongs to is not synced/);
  });

  it('orphans a linked record the Sync Settings no longer take, keeping its base', () => {
    const stored = record('r1', { name: 'HQ' });
    const p = plan([item(1, { name: 'HQ' }, '2026-12-02T00:00:00Z')], { links: [[1, link('r1', 'synced', { name: 'HQ' })]], records: [stored] }, {
      settings: SyncSettingsSchema.parse({ locations: { enabled: false } }),
    });
    assert.equal(p.links[0]!.state, 'orphaned');
    assert.equal(p.links[0]!.reason, 'no longer synced: Locations are not set to sync');
    assert.equal(p.links[0]!.base.name, 'HQ');
    assert.equal(p.counts.orphaned, 1);
    assert.equal(p.states.get(1), 'orphaned');
  });

  it('leaves alone a disabled link, an echo of what it saw, and a copy older than what it saw', () => {
    const stored = record('r1', { name: 'HQ' });
    const seen = '2026-12-01T10:00:00Z';
    const disabled = plan([item(1, { name: 'New' })], { links: [[1, link('r1', 'disabled', { name: 'HQ' }, seen)]], records: [stored] });
    assert.deepEqual([disabled.counts.skipped, disabled.links.length, disabled.states.get(1)], [1, 0, 'disabled']);
    const echo = plan([item(1, { name: 'New' }, seen)], { links: [[1, link('r1', 'synced', { name: 'HQ' }, seen)]], records: [stored] });
    assert.deepEqual([echo.counts.unchanged, echo.links.length, echo.updates.length], [1, 0, 0]);
    const older = plan([item(1, { name: 'New' }, '2026-12-01T09:00:00Z')], { links: [[1, link('r1', 'synced', { name: 'HQ' }, seen)]], records: [stored] });
    assert.deepEqual([older.counts.unchanged, older.links.length, older.updates.length], [1, 0, 0]);
  });

  it('merges a BMS change into a linked record and moves the link to synced', () => {
    const stored = record('r1', { name: 'HQ', city: 'Berlin' }, 7);
    const p = plan([item(1, { name: 'HQ', city: 'Paris' }, '2026-12-02T00:00:00Z')], { links: [[1, link('r1', 'failed', { name: 'HQ', city: 'Berlin' })]], records: [stored] });
    assert.equal(p.updates[0]!.kind, 'updated');
    assert.equal(p.updates[0]!.expectedVersion, 7);
    assert.equal(p.updates[0]!.values.city, 'Paris');
    assert.equal(p.history[0]!.summary, 'Updated from Kaseya BMS: city');
    assert.equal(p.links[0]!.state, 'synced');
    assert.equal(p.links[0]!.base.city, 'Paris');
  });

  it('keeps a queued link queued and a local change that is newer, recording the conflict', () => {
    const stored = { ...record('r1', { name: 'Local name', city: 'Berlin' }), updatedAt: '2026-12-03T00:00:00Z' };
    const p = plan([item(1, { name: 'BMS name', city: 'Paris' }, '2026-12-02T00:00:00Z')], { links: [[1, link('r1', 'queued', { name: 'HQ', city: 'Berlin' })]], records: [stored] });
    assert.equal(p.links[0]!.state, 'queued');
    assert.equal(p.states.get(1), 'queued');
    assert.equal(p.updates[0]!.values.name, 'Local name');
    assert.equal(p.updates[0]!.values.city, 'Paris');
    assert.deepEqual(p.history.map((h) => h.kind), ['pulled', 'conflict']);
  });

  it('keeps the newest copy of a record a page repeats', () => {
    const copies = newestCopies([item(1, { name: 'a' }, '2026-12-01T00:00:00Z'), item(1, { name: 'b' }, '2026-12-02T00:00:00Z'), item(1, { name: 'c' }, '2026-11-30T00:00:00Z')]);
    assert.deepEqual(copies.map((c) => c.fields.name), ['b']);
  });
});
