/** Orphaning linked records whose BMS record is gone or inactive (kept and flagged, never deleted). */
import { addHistory } from '../../db/history';
import { applyLinkEvent, getLink, getLinksByBmsIds, liveBmsIds } from '../../db/links';
import { heldBmsIds, releaseHeld } from '../../db/review';
import { addRunLog, getPullState, setPullState } from '../../db/runs';
import type { RecordType } from '../../domain/records';
import { orphaning } from '../../domain/sync-state';
import { PAGE_SIZE } from '../../bms/client';
import { BmsNotFoundError } from '../../bms/errors';
import type { PullerContext } from './puller';
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
      const orphan = link && link.bmsId === target.bmsId ? orphaning(link, target.reason) : null;
      if (!orphan) return false;
      await applyLinkEvent(trx, { accountId: ctx.store.accountId, type, recordId: target.recordId }, 'orphaned', {
        stateReason: orphan.reason,
        lastPulledAt: new Date(),
      });
      await addHistory(trx, {
        accountId: ctx.store.accountId,
        recordType: type,
        recordId: target.recordId,
        kind: 'orphaned',
        origin: 'pull',
        summary: orphan.summary,
        changes: { bmsId: target.bmsId },
      });
      return true;
    });
    if (done) orphaned++;
  }
  return orphaned;
}

/** Records missing from the listing that one pass reads on their own, at most. */
const READ_PER_PASS = 20;

/**
 * Per record type checked for deletions: the pulled entity whose `pull_watermarks.state` keeps the
 * rotation's position, how BMS lists the ones among a page of ids, and how it reads one on its own
 * (BMS's 404 there, `BmsNotFoundError`, is the only proof a record is gone).
 */
const BY_ID = {
  contact: {
    entity: 'contacts',
    listed: (ctx: PullerContext, ids: number[]) => ctx.client.contactsByIds(ids, ctx.signal),
    read: (ctx: PullerContext, id: number) => ctx.client.getContact(id, ctx.signal),
  },
  organization: {
    entity: 'accounts',
    listed: (ctx: PullerContext, ids: number[]) => ctx.client.accountsByIds(ids, ctx.signal),
    read: (ctx: PullerContext, id: number) => ctx.client.getAccount(id, ctx.signal),
  },
} satisfies Partial<Record<RecordType, unknown>>;

/**
 * Which of `ids` BMS no longer has: those its listing leaves out, read on their own, and a 404 there.
 * Returns them and the id the rotation resumes after (ids left unread wait for a later pass).
 */
async function goneFromBms(ctx: PullerContext, type: keyof typeof BY_ID, ids: number[]): Promise<{ gone: number[]; stop: number }> {
  const check = BY_ID[type];
  const unseen: number[] = [];
  for (let i = 0; i < ids.length; i += PAGE_SIZE) {
    const batch = ids.slice(i, i + PAGE_SIZE);
    const found = new Set((await check.listed(ctx, batch)).map((item) => Number(item.id)));
    unseen.push(...batch.filter((id) => !found.has(id)));
    ctx.heartbeat();
  }
  const gone: number[] = [];
  for (const id of unseen.slice(0, READ_PER_PASS)) {
    try {
      await check.read(ctx, id);
    } catch (err) {
      if (!(err instanceof BmsNotFoundError)) throw err;
      gone.push(id);
    }
  }
  return { gone, stop: unseen.length > READ_PER_PASS ? unseen[READ_PER_PASS]! - 1 : ids.at(-1)! };
}

/** Held BMS records checked per pass for deletion in BMS, per type (one lookup request). */
export const HELD_CHECKED_PER_PASS = PAGE_SIZE;

/**
 * Takes the held records of the next slice (rotating by BMS id) that BMS no longer has off the review
 * list, as `findDeleted` does for linked records; returns how many. Best effort, like it.
 */
export async function releaseDeletedHeld(ctx: PullerContext, type: keyof typeof BY_ID): Promise<number> {
  const { deps, accountId, syncRunId } = ctx.store;
  const check = BY_ID[type];
  const after = Number((await getPullState(deps.db, accountId, check.entity)).heldCheckAfter ?? 0) || 0;
  const ids = await nextInRotation(after, HELD_CHECKED_PER_PASS, (op, n) => heldBmsIds(deps.db, accountId, type, op, after, n));
  if (ids.length === 0) return 0;
  try {
    const { gone, stop } = await goneFromBms(ctx, type, ids);
    // Read again: `findDeleted` may have moved its own position in the same state since.
    await setPullState(deps.db, accountId, check.entity, { ...(await getPullState(deps.db, accountId, check.entity)), heldCheckAfter: stop });
    const released = await releaseHeld(deps.db, accountId, type, gone);
    if (released > 0) {
      await addRunLog(deps.db, [{ runId: syncRunId, level: 'info', message: `${released} held Kaseya BMS ${check.entity} left the review list: deleted in Kaseya BMS` }]);
    }
    return released;
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    const message = err instanceof Error ? err.message : String(err);
    await addRunLog(deps.db, [{ runId: syncRunId, level: 'warn', message: `Checking held ${check.entity} against Kaseya BMS failed: ${message}` }]);
    return 0;
  }
}

/**
 * Checks the next slice of linked records (by BMS id, wrapping around) and returns the links of those
 * BMS no longer has. An id the listing leaves out is only a reason to look closer: it is read on its
 * own, and only a 404 there counts, so a listing that failed, came back short or was throttled deletes
 * nothing. Best effort: a BMS failure is logged on the run and the slice is checked again next pass.
 */
export async function findDeleted(
  ctx: PullerContext,
  type: keyof typeof BY_ID,
  checkedPerPass: number,
): Promise<Array<{ recordId: string; bmsId: number }>> {
  const { deps, accountId, syncRunId } = ctx.store;
  const check = BY_ID[type];
  const state = await getPullState(deps.db, accountId, check.entity);
  const after = typeof state.checkAfter === 'number' ? state.checkAfter : 0;
  const slice = (op: '>' | '<=', n: number) => liveBmsIds(deps.db, accountId, type, op, after, n);
  const ids = await nextInRotation(after, checkedPerPass, slice);
  if (ids.length === 0) return [];

  try {
    const { gone, stop } = await goneFromBms(ctx, type, ids);
    await setPullState(deps.db, accountId, check.entity, { ...state, checkAfter: stop });
    if (gone.length === 0) return [];
    const links = await getLinksByBmsIds(deps.db, accountId, type, gone);
    return [...links.values()].map((l) => ({ recordId: l.recordId, bmsId: l.bmsId! }));
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    const message = err instanceof Error ? err.message : String(err);
    await addRunLog(deps.db, [{ runId: syncRunId, level: 'warn', message: `Checking for ${check.entity} deleted in Kaseya BMS failed: ${message}` }]);
    return [];
  }
}
