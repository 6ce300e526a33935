/** The asset pull's pure parts: what a summary hash notices, and the size of the deep-refresh slice. */
import assert from 'node:assert/strict';
import { deepRefreshPerPass, summaryHash } from '../../activities/pullers/assets';
import type { BmsAssetSummary } from '../../bms/types';
import { normalizeKeys } from '../../bms/wire';

const summary: BmsAssetSummary & Record<string, unknown> = {
  id: 7000001,
  categoryName: 'Server',
  categoryId: 23,
  locationName: 'Head Office',
  assetName: 'HF-DC01',
  serialNumber: 'DL7Q2X3',
  machineGroupId: 'hf.servers',
  ipAddress: '10.10.0.10',
  contactId: 4000001,
  contactName: 'Alice Ng',
  accountId: 1001,
  accountName: 'Happy Frog Ltd',
  isActive: true,
};

describe('asset pull', () => {
  it('hashes a summary the same whatever the key order or casing on the wire', () => {
    const reordered = Object.fromEntries(Object.entries(summary).reverse()) as unknown as BmsAssetSummary;
    const pascal = normalizeKeys({ Id: 7000001, CategoryName: 'Server', CategoryId: 23, LocationName: 'Head Office', AssetName: 'HF-DC01', SerialNumber: 'DL7Q2X3', MachineGroupId: 'hf.servers', IPAddress: '10.10.0.10', ContactId: 4000001, ContactName: 'Alice Ng', AccountId: 1001, AccountName: 'Happy Frog Ltd', IsActive: true }) as BmsAssetSummary;
    assert.equal(summaryHash(reordered), summaryHash(summary));
    assert.equal(summaryHash(pascal), summaryHash(summary));
  });

  it('notices a change to any summary field that carries mapped data', () => {
    const changes: Array<Partial<BmsAssetSummary>> = [
      { assetName: 'HF-DC02' },
      { categoryId: 21 },
      { categoryName: 'Servers' },
      { serialNumber: null },
      { ipAddress: '10.10.0.11' },
      { contactId: 0 },
      { locationName: 'Warehouse' },
      { accountId: 1002 },
      { isActive: false },
    ];
    for (const change of changes) assert.notEqual(summaryHash({ ...summary, ...change }), summaryHash(summary), JSON.stringify(change));
  });

  it('ignores display names of other records and the machine group, so an account rename re-reads nothing', () => {
    for (const change of [{ accountName: 'Happy Frog Group' }, { contactName: 'Alice Ng-Smith' }, { machineGroupId: 'other' }]) {
      assert.equal(summaryHash({ ...summary, ...change } as BmsAssetSummary), summaryHash(summary), JSON.stringify(change));
    }
  });

  it('reads each listed asset again once an hour, at least 10 a pass, at most 6 per minute of the interval (200 at most)', () => {
    // Small tenants: the hourly cycle (100 assets every 5 minutes: 9, raised to the floor of 10).
    assert.equal(deepRefreshPerPass(5, 100), 10);
    assert.equal(deepRefreshPerPass(15, 300), 75);
    assert.equal(deepRefreshPerPass(5, 3), 3, 'never more than were listed');
    assert.equal(deepRefreshPerPass(5, 0), 0);
    // Big tenants: the budget share (360 GETs an hour).
    assert.equal(deepRefreshPerPass(15, 2000), 90);
    assert.equal(deepRefreshPerPass(5, 10_000), 30);
    assert.equal(deepRefreshPerPass(1, 10_000), 6);
    assert.equal(deepRefreshPerPass(1, 100), 6, 'at a 1-minute interval the cap (6) is below the floor of 10');
    assert.equal(deepRefreshPerPass(60, 100_000), 200);
    assert.equal(deepRefreshPerPass(24 * 60, 100_000), 200);
    for (const interval of [1, 5, 15, 60, 24 * 60]) {
      for (const listed of [0, 10, 100, 1000, 100_000]) {
        const perHour = (deepRefreshPerPass(interval, listed) * 60) / interval;
        assert.ok(perHour <= 360, `${interval} min, ${listed} assets: ${perHour} GETs an hour`);
      }
    }
  });
});
