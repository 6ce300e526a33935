/** Orphaning linked records whose BMS record is gone or inactive (kept and flagged, never deleted). */
import { addHistory } from '../../db/history';
import { applyLinkEvent, getLink, getLinksByBmsIds } from '../../db/links';
import { addRunLog, getPullState, setPullState } from '../../db/runs';
import type { RecordType } from '../../domain/records';
import { canTransition } from '../../domain/sync-state';
import { PAGE_SIZE } from '../bms/client';
import { BmsNotFoundError } from '../bms/errors';
import type { PullerContext } from '../pull';
import { nextInRotation } from './rotation';

/** Orphans each record (unless already orphaned, disabled, or its link moved on); returns how many. */
export async function orphanRecords(
  ctx: PullerContext,
  type: RecordType,
  targets: Array<{ recordId: string; bmsId: number; reason: string }>,
): Promise<number> {
  let orphaned = 0;
  for (const target of targets) {
    const done = await ctx.deps.db.transaction(async (trx) => {
      const link = await getLink(trx, type, target.recordId, true);
      // The link may have changed since it was read (e.g. relinked by a push): re-check under the lock.
      if (!link || link.bmsId !== target.bmsId || link.syncDisabled || link.state === 'orphaned' || link.state === 'disabled') return false;
      if (!canTransition(link.state, 'orphaned')) return false;
      await applyLinkEvent(trx, { accountId: ctx.store.accountId, type, recordId: target.recordId }, 'orphaned', {
        stateReason: target.reason,
        lastPulledAt: new Date(),
      });
      await addHistory(trx, {
        accountId: ctx.store.accountId,
        recordType: type,
        recordId: target.recordId,
        kind: 'orphaned',
        origin: 'pull',
        summary: `Orphaned: ${target.reason}`,
        changes: { bmsId: target.bmsId },
      });
      return true;
    });
    if (done) orphaned++;
  }
  return orphaned;
}

/** How a pull finds linked records of one type that BMS deleted, a bounded slice per pass. */
export interface DeletedCheck {
  type: RecordType;
  /** Where the rotation's position is kept (`pull_watermarks.state` of this entity). */
  entity: string;
  /** What the run log calls them when the check fails, e.g. 'contacts'. */
  label: string;
  /** Linked records checked per pass: a multiple of the page size, one listing request per page. */
  checkedPerPass: number;
  /** Records missing from the listing that one pass reads on their own, at most. */
  readPerPass: number;
  /** The ids among (at most a page of) `ids` that BMS lists. */
  listed(ctx: PullerContext, ids: number[]): Promise<Array<{ id: number }>>;
  /** Reads the record on its own; BMS's 404 (`BmsNotFoundError`) is the only proof it is gone. */
  read(ctx: PullerContext, id: number): Promise<unknown>;
}

/**
 * Checks the next slice of linked records (by BMS id, wrapping around) and returns the links of those
 * BMS no longer has. An id the listing leaves out is only a reason to look closer: it is read on its
 * own, and only a 404 there counts, so a listing that failed, came back short or was throttled deletes
 * nothing. Best effort: a BMS failure is logged on the run and the slice is checked again next pass.
 */
export async function findDeleted(ctx: PullerContext, check: DeletedCheck): Promise<Array<{ recordId: string; bmsId: number }>> {
  const { deps, accountId, syncRunId } = ctx.store;
  const state = await getPullState(deps.db, accountId, check.entity);
  const after = typeof state.checkAfter === 'number' ? state.checkAfter : 0;
  const slice = (op: '>' | '<=', n: number) =>
    deps
      .db('sync_links')
      .where({ account_id: accountId, record_type: check.type, sync_disabled: false })
      .whereNotNull('bms_id')
      .whereNotIn('state', ['orphaned', 'disabled'])
      .where('bms_id', op, after)
      .orderBy('bms_id', 'asc')
      .limit(n)
      .pluck('bms_id') as Promise<number[]>;
  const ids = await nextInRotation(after, check.checkedPerPass, slice);
  if (ids.length === 0) return [];

  try {
    const unseen: number[] = [];
    for (let i = 0; i < ids.length; i += PAGE_SIZE) {
      const batch = ids.slice(i, i + PAGE_SIZE);
      const found = new Set((await check.listed(ctx, batch)).map((item) => Number(item.id)));
      unseen.push(...batch.filter((id) => !found.has(id)));
      ctx.heartbeat();
    }
    const gone: number[] = [];
    for (const id of unseen.slice(0, check.readPerPass)) {
      try {
        await check.read(ctx, id);
      } catch (err) {
        if (!(err instanceof BmsNotFoundError)) throw err;
        gone.push(id);
      }
    }
    // Ids left unread wait for a later pass: the rotation resumes at the first of them.
    const stop = unseen.length > check.readPerPass ? unseen[check.readPerPass]! - 1 : ids.at(-1)!;
    await setPullState(deps.db, accountId, check.entity, { ...state, checkAfter: stop });
    if (gone.length === 0) return [];
    const links = await getLinksByBmsIds(deps.db, accountId, check.type, gone);
    return [...links.values()].map((l) => ({ recordId: l.recordId, bmsId: l.bmsId! }));
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    const message = err instanceof Error ? err.message : String(err);
    await addRunLog(deps.db, [{ runId: syncRunId, level: 'warn', message: `Checking for ${check.label} deleted in Kaseya BMS failed: ${message}` }]);
    return [];
  }
}
