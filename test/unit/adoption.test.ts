/** The pure parts of adopting records and of the Sync Settings preview (no database, no BMS). */
import assert from 'node:assert/strict';
import { adoptionProgress, fieldChanges } from '../../domain/adoption';
import type { Lookups } from '../../domain/mapping';
import { defaultSyncSettings, type SyncSettings } from '../../domain/settings';
import { type RecordGroup, startSelections, wouldOrphan, wouldStopPushing } from '../../domain/settings-impact';

const lookups = {
  accountTypes: [
    { id: 1, name: 'Client' },
    { id: 2, name: 'Prospect' },
  ],
  assetCategories: [{ id: 10, name: 'Server' }],
} as unknown as Lookups;

function settings(change: (s: SyncSettings) => void = () => undefined): SyncSettings {
  const s = defaultSyncSettings();
  s.organizations.types = [1, 2];
  s.configurations.types = [10];
  change(s);
  return s;
}

function group(over: Partial<RecordGroup>): RecordGroup {
  return { recordType: 'organization', type: 'Prospect', status: 'Active', state: 'synced', linked: true, baseType: 'Prospect', baseStatus: 'Active', count: 3, ...over };
}

describe('adoption previews', () => {
  it('lists the fields a push would change, BMS value to ours; every set field when BMS has no record', () => {
    const local = { name: 'Acme', shortName: 'AC', type: 'Client', status: null };
    assert.deepEqual(fieldChanges(local, null, ['name', 'shortName', 'type', 'status']), [
      { field: 'name', from: null, to: 'Acme' },
      { field: 'shortName', from: null, to: 'AC' },
      { field: 'type', from: null, to: 'Client' },
    ]);
    assert.deepEqual(fieldChanges(local, { name: 'Acme', shortName: null, type: 'Client', status: null }, ['name', 'shortName', 'type', 'status']), [
      { field: 'shortName', from: null, to: 'AC' },
    ]);
  });

  it('reads progress from the link: pushed once a push at least as recent as the queued version landed', () => {
    assert.equal(adoptionProgress(null, undefined), 'not_queued');
    assert.equal(adoptionProgress(4, { state: 'queued', pushedVersion: null }), 'queued');
    assert.equal(adoptionProgress(4, { state: 'synced', pushedVersion: 3 }), 'queued', 'an older push does not count');
    assert.equal(adoptionProgress(4, { state: 'synced', pushedVersion: 4 }), 'pushed');
    assert.equal(adoptionProgress(4, { state: 'failed', pushedVersion: 4 }), 'failed');
    assert.equal(adoptionProgress(4, { state: 'excluded', pushedVersion: 5 }), 'failed');
  });
});

describe('Sync Settings preview', () => {
  const onlyClients = settings((s) => (s.organizations.types = [1]));

  it('orphans live linked records whose BMS side stops matching, and only those', () => {
    assert.equal(wouldOrphan(group({}), settings(), onlyClients, lookups), true);
    assert.equal(wouldOrphan(group({ type: 'Client', baseType: 'Client' }), settings(), onlyClients, lookups), false);
    assert.equal(wouldOrphan(group({ linked: false, state: 'not_pushed' }), settings(), onlyClients, lookups), false, 'not linked');
    assert.equal(wouldOrphan(group({ state: 'orphaned' }), settings(), onlyClients, lookups), false, 'already an orphan');
    assert.equal(wouldOrphan(group({ state: 'disabled' }), settings(), onlyClients, lookups), false, 'switched off stays');
    // Judged by what BMS holds (the base), not by a local edit not pushed yet.
    assert.equal(wouldOrphan(group({ type: 'Client', baseType: 'Prospect' }), settings(), onlyClients, lookups), true);
    // A type the pull no longer reads at all orphans nothing.
    const contactsOff = settings((s) => (s.contacts.enabled = false));
    assert.equal(wouldOrphan(group({ recordType: 'contact', type: null, status: null, baseType: null, baseStatus: null }), settings(), contactsOff, lookups), false);
  });

  it("stops the pushes of records whose own type or status would stop syncing", () => {
    assert.equal(wouldStopPushing(group({ linked: false, state: 'not_pushed' }), settings(), onlyClients, lookups), true);
    assert.equal(wouldStopPushing(group({ type: 'Client' }), settings(), onlyClients, lookups), false);
    const contactsOff = settings((s) => (s.contacts.enabled = false));
    assert.equal(wouldStopPushing(group({ recordType: 'contact', type: null, status: null }), settings(), contactsOff, lookups), true);
  });

  it('names the BMS selections that would start to sync', () => {
    assert.deepEqual(startSelections(onlyClients, settings(), lookups), [{ recordType: 'organization', typeId: 2, typeName: 'Prospect', status: 'Active' }]);
    const withInactive = settings((s) => (s.configurations.statuses = ['Active', 'Inactive']));
    assert.deepEqual(startSelections(settings(), withInactive, lookups), [{ recordType: 'configuration', typeId: 10, typeName: 'Server', status: 'Inactive' }]);
    const off = settings((s) => (s.contacts.enabled = false));
    assert.deepEqual(startSelections(off, settings(), lookups), [{ recordType: 'contact' }]);
    assert.deepEqual(startSelections(settings(), onlyClients, lookups), [], 'narrowing starts nothing');
  });
});
