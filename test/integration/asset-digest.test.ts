/**
 * The assets pull compares its listing with the snapshots by count and digest: the digest it sums in
 * the worker and the one PostgreSQL sums must be the same hash of the same ids.
 */
import assert from 'node:assert/strict';
import { insertAccount } from '../../db/accounts';
import { assetSnapshotTally, listingDigest, upsertAssetSummaries } from '../../db/asset-snapshots';
import { sharedEnv } from '../helpers/env';

describe('asset listing digest', () => {
  it('is the same sum of id hashes in the worker and in PostgreSQL', async () => {
    const { db } = await sharedEnv();
    const account = await insertAccount(db, { name: 'Digest check', plan: 'enterprise' });
    const ids = [1, 2, 10, 99, 4096, 65_537, 123_456_789, 2_147_483_647];
    for (let i = 0; i < 500; i++) ids.push(1_000_000 + i * 7919);
    await upsertAssetSummaries(db, account.id, ids.map((bmsId) => ({ bmsId, bmsAccountId: 1, summaryHash: 'h' })));
    const tally = await assetSnapshotTally(db, account.id);
    assert.equal(tally.count, ids.length);
    assert.equal(tally.digest, listingDigest(ids).toString());
    // A different set of the same size has a different digest.
    assert.notEqual(listingDigest([...ids.slice(1), 3]).toString(), tally.digest);
  });
});
