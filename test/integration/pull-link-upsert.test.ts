/**
 * A pull writes the links of a page in one upsert, planned from the states it read; meanwhile any event
 * of the state machine may have moved a link. For every transition of the table, the SQL must leave the
 * state `pullWriteState` (domain/sync-state.ts) says, and that state must be one the machine allows
 * from where the link stands.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { linksUpsert } from '../../db/pulled-pages';
import type { PulledItem } from '../../domain/pull-plan';
import { allTransitions, canTransition, pullWriteState, type SyncEvent, type SyncState, transition } from '../../domain/sync-state';
import { sharedEnv } from '../helpers/env';

/** What a pull plans for a link it read in `read`, by what it decided (see domain/pull-plan.ts). */
function planned(read: SyncState, decision: 'pulled' | 'orphaned'): SyncState | null {
  if (read === 'disabled') return null;
  if (decision === 'orphaned') return read === 'orphaned' ? null : transition(read, 'orphaned');
  if (read === 'queued') return 'queued';
  return canTransition(read, 'pulled') ? transition(read, 'pulled') : read;
}

describe('pull link upsert against the sync state machine', function () {
  this.timeout(120_000);

  it('agrees with pullWriteState for every transition that can happen while a page is stored', async () => {
    const { db } = await sharedEnv();
    const accountId = randomUUID();
    const cases: Array<{ read: SyncState; event: SyncEvent | null; now: SyncState; decision: 'pulled' | 'orphaned'; plan: SyncState; recordId: string; bmsId: number }> = [];
    const moves: Array<[SyncEvent | null, SyncState, SyncState]> = [];
    for (const [event, sources, to] of allTransitions()) for (const from of sources) moves.push([event, from, to]);
    for (const state of new Set(moves.map(([, from]) => from))) moves.push([null, state, state]);
    let bmsId = 1;
    for (const [event, read, now] of moves) {
      for (const decision of ['pulled', 'orphaned'] as const) {
        const plan = planned(read, decision);
        if (plan) cases.push({ read, event, now, decision, plan, recordId: randomUUID(), bmsId: bmsId++ });
      }
    }
    assert.ok(cases.length > 50, `${cases.length} cases`);

    await db('sync_links').insert(
      cases.map((c) => ({
        record_type: 'organization',
        record_id: c.recordId,
        account_id: accountId,
        bms_id: c.bmsId,
        state: c.now,
        state_reason: 'as it stands',
        base: JSON.stringify({ name: 'pushed since' }),
        bms_modified_on: 'current',
      })),
    );
    const item = (c: (typeof cases)[number]): PulledItem => ({ bmsId: c.bmsId, modifiedOn: 'pulled', fields: {}, refs: {} });
    await linksUpsert(
      db,
      { accountId, type: 'organization' },
      cases.map((c) => ({ recordId: c.recordId, item: item(c), state: c.plan, base: { name: 'pulled' }, reason: 'planned', unresolvedRefs: false })),
      new Date(),
    );
    const rows = new Map(
      ((await db('sync_links').where({ account_id: accountId }).select('record_id', 'state', 'state_reason', 'base')) as Array<{ record_id: string; state: SyncState; state_reason: string; base: { name: string } }>).map(
        (r) => [r.record_id, r],
      ),
    );

    for (const c of cases) {
      const row = rows.get(c.recordId)!;
      const label = `read ${c.read}, then ${c.event ?? 'nothing'} → ${c.now}; the pull planned ${c.plan} (${c.decision})`;
      const expected = pullWriteState(c.now, c.plan);
      assert.equal(row.state, expected, label);
      assert.ok(expected === c.now || (canTransition(c.now, c.decision) && transition(c.now, c.decision) === expected), `${label}: ${expected} is not allowed from ${c.now}`);
      assert.equal(row.state_reason, expected === c.now && (c.now !== c.plan || c.plan === 'queued') ? 'as it stands' : 'planned', label);
      // A link read as queued and pushed since keeps the base the push wrote.
      assert.equal(row.base.name, c.plan === 'queued' && c.now !== 'queued' ? 'pushed since' : 'pulled', label);
    }
  });
});
