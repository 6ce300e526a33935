import assert from 'node:assert/strict';
import { naturalKey, sameNaturalKey } from '../../domain/matching';
import { changedFields, sameValue, threeWayMerge } from '../../domain/merge';

const fields = ['name', 'shortName', 'status'] as const;
type Org = { name: string | null; shortName: string | null; status: string | null };

describe('merge and matching', () => {
  it('treats empty strings, whitespace and null alike', () => {
    assert.ok(sameValue('', null));
    assert.ok(sameValue('  ', undefined));
    assert.ok(!sameValue('a', null));
  });

  it('lists only the fields that moved from the base', () => {
    const changed = changedFields<Org>({ name: 'A', shortName: 'X', status: 'Active' }, { name: 'A', shortName: 'Y', status: 'Active' }, fields);
    assert.deepEqual(changed, { shortName: 'X' });
  });

  it('takes a BMS change when the documentation did not move', () => {
    const base: Org = { name: 'Old', shortName: 'O', status: 'Active' };
    const local: Org = { ...base };
    const remote: Org = { ...base, name: 'New' };
    const r = threeWayMerge(local, base, remote, fields, { localChangedAt: null, remoteChangedAt: '2025-01-01T00:00:00Z' });
    assert.deepEqual(r.takeRemote, { name: 'New' });
    assert.deepEqual(r.conflicts, []);
  });

  it('keeps an unpushed local change when BMS did not move (no echo)', () => {
    const base: Org = { name: 'Old', shortName: 'O', status: 'Active' };
    const r = threeWayMerge({ ...base, shortName: 'L' }, base, base, fields, { localChangedAt: null, remoteChangedAt: null });
    assert.deepEqual(r.keepLocal, { shortName: 'L' });
    assert.deepEqual(r.takeRemote, {});
  });

  it('lets the newer change win when both sides changed a field, and reports the conflict', () => {
    const base: Org = { name: 'Old', shortName: 'O', status: 'Active' };
    const local: Org = { ...base, name: 'Local' };
    const remote: Org = { ...base, name: 'Remote' };
    const localNewer = threeWayMerge(local, base, remote, fields, {
      localChangedAt: '2025-01-02T00:00:00Z',
      remoteChangedAt: '2025-01-01T00:00:00Z',
    });
    assert.equal(localNewer.conflicts[0]?.winner, 'local');
    assert.equal(localNewer.merged.name, 'Local');
    const remoteNewer = threeWayMerge(local, base, remote, fields, {
      localChangedAt: '2025-01-01T00:00:00Z',
      remoteChangedAt: '2025-01-02T00:00:00Z',
    });
    assert.equal(remoteNewer.conflicts[0]?.winner, 'remote');
    assert.equal(remoteNewer.merged.name, 'Remote');
    assert.equal(remoteNewer.conflicts[0]?.local, 'Local');
    assert.equal(remoteNewer.conflicts[0]?.remote, 'Remote');
  });

  it('lets BMS win every field when there is no base (first link)', () => {
    const r = threeWayMerge<Org>({ name: 'A', shortName: 'L', status: 'Active' }, null, { name: 'A', shortName: 'R', status: 'Inactive' }, fields, {
      localChangedAt: '2030-01-01T00:00:00Z',
      remoteChangedAt: null,
    });
    assert.deepEqual(r.takeRemote, { shortName: 'R', status: 'Inactive' });
  });

  it('builds exact natural keys, trimmed', () => {
    assert.equal(naturalKey('organization', { name: ' Acme ' }), naturalKey('organization', { name: 'Acme' }));
    assert.notEqual(naturalKey('organization', { name: 'Acme' }), naturalKey('organization', { name: 'acme' }));
    assert.equal(naturalKey('organization', { name: '' }), null);
  });

  it('matches a BMS candidate on the whole key, in BMS terms, and never a record without a key', () => {
    const wanted = { organizationId: 1001, firstName: 'Ada', lastName: null };
    assert.ok(sameNaturalKey('contact', wanted, { organizationId: 1001, firstName: ' Ada ', lastName: '' }));
    assert.ok(!sameNaturalKey('contact', wanted, { organizationId: 1002, firstName: 'Ada', lastName: null }));
    assert.ok(!sameNaturalKey('contact', wanted, { organizationId: 1001, firstName: 'Ada', lastName: 'Lovelace' }));
    assert.ok(!sameNaturalKey('organization', { name: ' ' }, { name: null }));
  });
});
