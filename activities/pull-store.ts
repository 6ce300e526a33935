/**
 * Stores one page of pulled BMS records in bulk, for any record type: reads what is stored for it, plans
 * it (`domain/pull-plan.ts`) and writes the plan (`db/pulled-pages.ts`). A record saved by a person while
 * the page is being stored is never overwritten: its update misses, and it is planned again from a fresh
 * read.
 */
import type { Integration } from '../db/integrations';
import { readForPage, writePagePlan } from '../db/pulled-pages';
import { addRunLog } from '../db/runs';
import type { Lookups } from '../domain/mapping';
import { addCounts, emptyCounts, type PullCounts } from '../domain/pull-counts';
import { newestCopies, planPullPage, type PlanLink, type PulledItem } from '../domain/pull-plan';
import type { RecordType } from '../domain/records';
import type { SyncState } from '../domain/sync-state';
import { parseBmsTime } from '../bms/wire';
import type { ActivityDeps } from './context';


export interface StoreContext {
  deps: ActivityDeps;
  accountId: string;
  type: RecordType;
  integration: Integration;
  lookups: Lookups;
  syncRunId: string;
}

export interface StoreOptions {
  /**
   * Called for each item with its link (if any) once the links are read, before the merge (e.g. to order
   * a contact's lists like the base). May run again for the same item when a merge is retried.
   */
  adjust?(item: PulledItem, link: PlanLink | undefined): void;
  /** Filled with the BMS ids of the items stored as new records. */
  created?: Set<number>;
  /** Filled with the state of each item's link once stored (items without a link are left out). */
  states?: Map<number, SyncState>;
}

/** Merges of a record a person keeps saving meanwhile, at most, before the page gives up on it. */
const STORE_ATTEMPTS = 5;

/** Stores a page of pulled items; returns what happened to them. */
export async function storePulled(ctx: StoreContext, pageItems: PulledItem[], options: StoreOptions = {}): Promise<PullCounts> {
  let pending = newestCopies(pageItems);
  const total = emptyCounts();
  total.seen = pending.length;
  for (let attempt = 0; attempt < STORE_ATTEMPTS && pending.length > 0; attempt++) {
    const { counts, retry } = await storeOnce(ctx, pending, options);
    addCounts(total, counts, { seen: false });
    pending = retry;
  }
  if (pending.length > 0) {
    total.failed += pending.length;
    await addRunLog(
      ctx.deps.db,
      pending.map((i) => ({
        runId: ctx.syncRunId,
        level: 'warn' as const,
        recordType: ctx.type,
        bmsId: i.bmsId,
        message: `BMS ${ctx.type} ${i.bmsId} was not stored: the record kept changing locally; the next pull retries`,
      })),
    );
  }
  return total;
}

async function storeOnce(ctx: StoreContext, items: PulledItem[], options: StoreOptions): Promise<{ counts: PullCounts; retry: PulledItem[] }> {
  const { deps, accountId, type, integration, lookups, syncRunId } = ctx;
  const stored = await readForPage(deps.db, accountId, type, items);
  if (options.adjust) for (const item of items) options.adjust(item, stored.links.get(item.bmsId));
  const plan = planPullPage({
    type,
    items,
    ...stored,
    twoWay: integration.twoWayEnabled,
    settings: integration.settings,
    lookups,
    bmsTime: parseBmsTime,
  });
  const { counts, missed } = await writePagePlan(deps.db, { accountId, type, syncRunId }, plan);
  const retryIds = new Set(plan.links.filter((l) => missed.has(l.recordId)).map((l) => l.item.bmsId));
  if (options.created) for (const { item } of plan.inserts) options.created.add(item.bmsId);
  if (options.states) for (const [bmsId, state] of plan.states) if (!retryIds.has(bmsId)) options.states.set(bmsId, state);
  return { counts, retry: items.filter((item) => retryIds.has(item.bmsId)) };
}
