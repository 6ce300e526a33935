/** The pre-push check (what BMS requires that a record lacks) and which problem kind a link shows. */
import assert from 'node:assert/strict';
import { EMPTY_LOOKUPS, type Lookups } from '../../domain/mapping';
import { MISSING_VALUE_ERROR, prePushProblems } from '../../domain/pre-push';
import { problemKindOf } from '../../domain/problems';
import { defaultSyncSettings } from '../../domain/settings';
import type { SyncState } from '../../domain/sync-state';

const lookups: Lookups = {
  ...EMPTY_LOOKUPS,
  businessTypes: [{ id: 7, name: 'Managed' }],
  assetCategories: [{ id: 31, name: 'Workstation' }],
  manufacturers: [{ id: 41, name: 'Dell' }],
  emailTypes: [{ id: 51, name: 'Work' }, { id: 52, name: 'Personal' }],
  phoneTypes: [{ id: 61, name: 'Office' }],
};
const settings = defaultSyncSettings();
const check = (type: 'organization' | 'location' | 'contact' | 'configuration', fields: Record<string, unknown>, extra: Partial<Parameters<typeof prePushProblems>[0]> = {}) =>
  prePushProblems({ type, fields: fields as never, settings, lookups, inBms: false, ...extra });

describe('pre-push check', () => {
  it('passes a record with everything BMS requires', () => {
    assert.deepEqual(check('organization', { name: 'Acme', type: 'Client', status: 'Active' }), []);
    assert.deepEqual(check('location', { name: 'HQ' }), []);
    assert.deepEqual(check('configuration', { name: 'PC-1', type: 'workstation', manufacturer: 'Dell' }), []);
    assert.deepEqual(
      check('contact', { firstName: 'Al', emails: [{ value: 'al@x.example', label: null, primary: true }], phones: [{ value: '1', label: null, primary: true }] }),
      [],
    );
  });

  it('names the field a configuration lacks: a name, a category BMS knows, a known manufacturer', () => {
    assert.deepEqual(check('configuration', { name: ' ', type: 'Toaster', manufacturer: 'Acme' }).map((p) => p.field), ['name', 'type', 'manufacturer']);
    assert.match(check('configuration', { name: 'x', type: null })[0]!.message, /needs a type/);
    assert.deepEqual(check('configuration', { name: 'x', type: 'Toaster' }, { lookups: null }), [], 'lookup rules wait until lookups are known');
  });

  it('points an organization without a business type for BMS to Sync Settings, only for a create', () => {
    const bare = { ...lookups, businessTypes: [] };
    const [problem] = check('organization', { name: 'Acme' }, { lookups: bare });
    assert.deepEqual({ field: problem!.field, settings: problem!.settings }, { field: 'businessTypeId', settings: 'create-defaults' });
    assert.deepEqual(check('organization', { name: 'Acme' }, { lookups: bare, inBms: true }), []);
    assert.deepEqual(check('organization', { name: 'Acme' }, { lookups: bare, settings: { ...settings, createDefaults: { businessTypeId: 9, accountManagerId: null } } }), []);
  });

  it('asks a contact in BMS only for a first name (email rules apply to the create)', () => {
    assert.deepEqual(check('contact', { firstName: 'Al', emails: [], phones: [] }, { inBms: true }), []);
    assert.deepEqual(check('contact', { firstName: '', emails: [], phones: [] }, { inBms: true }).map((p) => p.field), ['firstName']);
    const chosen = { ...settings, contactDefaults: { emailType: 'Work', phoneType: null } };
    const personal = { firstName: 'Al', emails: [{ value: 'al@home.example', label: 'Personal', primary: true }], phones: [{ value: '1', label: null, primary: true }] };
    assert.deepEqual(check('contact', personal, { settings: chosen }).map((p) => p.field), ['emails']);
    const missingType = check('contact', personal, { settings: { ...settings, contactDefaults: { emailType: 'Fax', phoneType: null } } });
    assert.equal(missingType[0]!.settings, 'contact-defaults');
  });
});

describe('problem kinds', () => {
  it('puts each link state in its kind; a failure from the pre-push check is a missing value', () => {
    const kind = (state: SyncState, lastError: { type: string } | null = null, waitingFor: unknown = null) =>
      problemKindOf({ state, lastError, waitingFor });
    assert.equal(kind('failed', { type: 'BmsValidationError' }), 'failed');
    assert.equal(kind('failed', { type: MISSING_VALUE_ERROR }), 'missing_value');
    assert.equal(kind('queued', null, { recordType: 'organization', recordId: 'x' }), 'waiting');
    assert.equal(kind('queued'), null);
    assert.equal(kind('excluded'), 'excluded');
    assert.equal(kind('orphaned'), 'orphaned');
    for (const state of ['synced', 'not_pushed', 'disabled'] as const) assert.equal(kind(state), null);
  });
});
