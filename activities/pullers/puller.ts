/** What a per-entity puller is and gets: the pull activity (activities/pull.ts) drives one per BMS entity. */
import type { Integration } from '../../db/integrations';
import type { PullCounts } from '../../domain/pull-counts';
import type { RecordType } from '../../domain/records';
import type { PullCursor } from '../../workflows/definitions';
import type { BmsClient } from '../../bms/client';
import { parseBmsTime } from '../../bms/wire';
import type { ActivityDeps } from '../context';
import type { StoreContext } from '../pull-store';

export interface PullerContext {
  deps: ActivityDeps;
  client: BmsClient;
  integration: Integration;
  store: Omit<StoreContext, 'type'>;
  signal: AbortSignal;
  /**
   * Reports the chunk alive with its current cursor (the page being stored), for stores that make a
   * request per item (e.g. one GET per changed asset) and may wait on the rate budget.
   */
  heartbeat(): void;
  /** Adds counts of another entity (e.g. the locations an accounts page carries), written with the chunk's. */
  addRunCounts(entity: string, counts: PullCounts): void;
}

export interface PagePull {
  /** Reads one page (1-based) of items changed since `from` (null: everything). */
  fetch(ctx: PullerContext, from: string | null, page: number): Promise<{ items: unknown[]; total: number | undefined }>;
  /**
   * Stores page `page`; returns counts, the largest BMS modifiedOn in it and, for lists without a
   * modified filter, the page's share of the pass's tally (`PullCursor.listed`).
   */
  store(
    ctx: PullerContext,
    items: unknown[],
    page: number,
  ): Promise<{ counts: PullCounts; maxModifiedOn: string | null; listed?: { count: number; digest: bigint } }>;
  /**
   * Pages stored at once (default 1). Above 1 only for lists whose pages are independent: a reference to
   * a record on another page may then be stored before that record, and is resolved at the pass's end.
   */
  pagesInFlight?: number;
  /** Record types whose references should be resolved once the pass is stored. */
  resolves: RecordType[];
  /** Record types a pass writes (their tables' planner statistics are refreshed after large passes). */
  writes: RecordType[];
  /**
   * Optional: runs once the pass has stored its last page, before it counts as done (so a retried chunk
   * runs it again; it must be idempotent). For lists without a modified filter, what needs the whole
   * listing: the set difference that finds deleted records, and refreshes chosen across all of them.
   */
  finish?(ctx: PullerContext, cursor: PullCursor): Promise<PullCounts>;
}

export function laterTime(a: string | null, b: string | null | undefined): string | null {
  if (!b) return a;
  if (!a) return b;
  return parseBmsTime(b) > parseBmsTime(a) ? b : a;
}

/** `value` moved by `minutes`, written the way BMS wrote it (with or without a zone). */
export function shiftBmsTime(value: string, minutes: number): string {
  const ms = parseBmsTime(value);
  if (!Number.isFinite(ms)) return value;
  const shifted = new Date(ms + minutes * 60_000).toISOString();
  return /(Z|[+-]\d{2}:?\d{2})$/i.test(value.trim()) ? shifted.replace(/\.\d{3}Z$/, 'Z') : shifted.replace(/Z$/, '');
}
