/** Pages stored at once by a pull: which may run beside each other and which must wait. */
import assert from 'node:assert/strict';
import { emptyCounts } from '../../domain/pull-counts';
import { storePage } from '../../activities/pull';
import type { PagePull, PullerContext } from '../../activities/pullers/puller';

/** A puller whose stores finish only when the test says so, recording when each starts. */
function gatedPuller() {
  const started: number[] = [];
  const gates = new Map<number, () => void>();
  const puller: PagePull = {
    resolves: [],
    writes: [],
    fetch: () => Promise.resolve({ items: [], total: 0 }),
    store: (_ctx, _items, page) =>
      new Promise((resolve) => {
        started.push(page);
        gates.set(page, () => resolve({ counts: emptyCounts(), maxModifiedOn: null }));
      }),
  };
  const finish = async (page: number) => {
    gates.get(page)!();
    await new Promise((r) => setImmediate(r));
  };
  return { puller, started, finish };
}

const ctx = {} as PullerContext;
const page = (...ids: number[]) => ids.map((id) => ({ id }));
const settle = () => new Promise((r) => setImmediate(r));

describe('pull pages stored at once', () => {
  it('stores pages without a common id side by side', async () => {
    const { puller, started, finish } = gatedPuller();
    const inFlight = [storePage(ctx, puller, page(1, 2), 1, false, [])];
    inFlight.push(storePage(ctx, puller, page(3, 4), 2, true, inFlight));
    await settle();
    assert.deepEqual(started, [1, 2]);
    await finish(1);
    await finish(2);
    await Promise.all(inFlight.map((p) => p.storing));
  });

  it('makes a page that repeats an id of a page in flight wait for it, and only for it', async () => {
    const { puller, started, finish } = gatedPuller();
    const inFlight = [storePage(ctx, puller, page(1, 2), 1, false, [])];
    inFlight.push(storePage(ctx, puller, page(3, 4), 2, false, inFlight));
    inFlight.push(storePage(ctx, puller, page(2, 5), 3, true, inFlight));
    await settle();
    assert.deepEqual(started, [1, 2], 'page 3 repeats id 2 of page 1');
    await finish(2);
    assert.deepEqual(started, [1, 2]);
    await finish(1);
    assert.deepEqual(started, [1, 2, 3]);
    await finish(3);
    assert.deepEqual(
      inFlight.map((p) => [p.page, p.done, [...p.ids]]),
      [
        [1, false, [1, 2]],
        [2, false, [3, 4]],
        [3, true, [2, 5]],
      ],
    );
  });

  it('still stores the later page when the one it waited for failed, and reports each failure on its own page', async () => {
    let calls = 0;
    const puller: PagePull = {
      resolves: [],
      writes: [],
      fetch: () => Promise.resolve({ items: [], total: 0 }),
      store: (_ctx, _items, n) => {
        calls++;
        return n === 1 ? Promise.reject(new Error('page 1 failed')) : Promise.resolve({ counts: emptyCounts(), maxModifiedOn: 'later' });
      },
    };
    const first = storePage(ctx, puller, page(7), 1, false, []);
    const second = storePage(ctx, puller, page(7), 2, true, [first]);
    await assert.rejects(first.storing, /page 1 failed/);
    assert.equal((await second.storing).maxModifiedOn, 'later');
    assert.equal(calls, 2);
  });
});
