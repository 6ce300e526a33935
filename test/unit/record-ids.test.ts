/** Ids the pull gives the records it creates: time-ordered UUIDs (version 7), unique, in creation order. */
import assert from 'node:assert/strict';
import { newRecordIds, uuidv7 } from '../../db/records';

describe('record ids', () => {
  it('are RFC 9562 version 7 UUIDs that carry the creation time', () => {
    const before = Date.now();
    const id = uuidv7();
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const at = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    assert.ok(at >= before && at <= Date.now() + 1_000, `${at} is about now (${before})`);
  });

  it('sort in creation order and never repeat, even thousands within one millisecond', () => {
    const ids = newRecordIds(20_000);
    assert.equal(new Set(ids).size, ids.length);
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1]! < ids[i]!, `${ids[i - 1]} < ${ids[i]}`);
  });
});
