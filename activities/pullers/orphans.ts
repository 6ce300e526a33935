/** Orphaning linked records whose BMS record is gone or inactive (kept and flagged, never deleted). */
import { addHistory } from '../../db/history';
import { applyLinkEvent, getLink } from '../../db/links';
import type { RecordType } from '../../domain/records';
import { canTransition } from '../../domain/sync-state';
import type { PullerContext } from '../pull';

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
