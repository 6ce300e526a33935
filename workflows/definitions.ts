/**
 * What workflows, the worker and the API share: workflow and schedule ids, signals, queries,
 * inputs and the activity result shapes. Deterministic and free of I/O.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { PullCounts } from '../domain/pull-counts';
import type { RecordType } from '../domain/records';
import type { StartSelection } from '../domain/settings-impact';

// ------------------------------------------------------------------ ids

export function recordPushWorkflowId(accountId: string, recordType: RecordType, recordId: string): string {
  return `record-push:${accountId}:${recordType}:${recordId}`;
}

export function pullScheduleId(accountId: string): string {
  return `bms-pull:${accountId}`;
}

export function notificationWorkflowId(deliveryId: string): string {
  return `notification:${deliveryId}`;
}

/** The one global retention Schedule, and the id of the prune workflows it starts. */
export const RETENTION_SCHEDULE_ID = 'retention-prune';

// ------------------------------------------------------------------ retention prune workflow

export interface RetentionPruneInput {
  /** Rows per delete statement (default 5,000). */
  batchSize?: number;
  /** Newest history entries kept of each record whatever their age (default 10). */
  keepPerRecord?: number;
}

export interface RetentionPruneResult {
  pruneId: string;
  cutoff: string;
  /** Rows deleted, per table. */
  deleted: Partial<Record<string, number>>;
}

// ------------------------------------------------------------------ record push workflow

export interface RecordPushInput {
  accountId: string;
  recordType: RecordType;
  recordId: string;
  /** The workflow ends after this long without a save (default 10 minutes); the next save starts it again. */
  idleTimeoutMs?: number;
  /**
   * Least time between two pushes of this record (default 2 s). The first save is pushed at once; saves
   * made within this window after a push are folded into one push of the latest state.
   */
  minPushIntervalMs?: number;
  /** Carried through continue-as-new. */
  carried?: { requestedVersion: number; pushedVersion: number };
}

export interface RecordSaved {
  /** The record version the save produced; the push sends the latest saved state, at least this one. */
  version: number;
}

export const recordSavedSignal = defineSignal<[RecordSaved]>('recordSaved');

export interface PushStatus {
  requestedVersion: number;
  pushedVersion: number;
  pushes: number;
  lastOutcome: PushOutcome | null;
}

export const pushStatusQuery = defineQuery<PushStatus>('pushStatus');

/** What the push activity gets: ids only (it reads the record, its link and the credentials itself). */
export interface PushRecordInput {
  accountId: string;
  recordType: RecordType;
  recordId: string;
  /**
   * The longest wait for a rate-budget slot before giving up with `RateBudgetBusyError` (the local
   * attempt inside a workflow task sets it; the regular activity waits as long as needed).
   */
  maxBudgetWaitMs?: number;
}

export const PUSH_OUTCOMES = ['created', 'linked', 'updated', 'unchanged', 'skipped', 'excluded', 'orphaned', 'failed', 'waiting'] as const;
export type PushOutcome = (typeof PUSH_OUTCOMES)[number];

export interface PushResult {
  outcome: PushOutcome;
  /** The record version the push read and sent (or found already in BMS). */
  pushedVersion: number;
  bmsId?: number | null;
  reason?: string;
  /** For `waiting`: the record that must reach BMS first (e.g. the contact's organization). */
  needs?: { recordType: RecordType; recordId: string };
}

/** What asking for a dependency's push did. */
export interface RequestPushResult {
  queued: boolean;
  /** Why the dependency will not reach BMS until a person acts (its push was refused, its sync is off). */
  blocked?: string;
}

export interface PushFailure {
  accountId: string;
  recordType: RecordType;
  recordId: string;
  version: number;
  error: { type: string; message: string };
}

// ------------------------------------------------------------------ pull workflow

export const PULL_ENTITIES = ['accounts', 'contacts', 'assets'] as const;
export type PullEntity = (typeof PULL_ENTITIES)[number];

export interface PullInput {
  accountId: string;
}

export interface BeginPullInput {
  accountId: string;
  workflowId: string;
  runId: string;
  /**
   * When the Schedule meant this run to start (its tick, or the moment "Sync now" triggered it); unset for
   * a run continued from another. A run that waited in the Schedule's buffer while a pull that started
   * later completed has nothing left to read, and is skipped.
   */
  scheduledAt?: string;
}

export interface BeginPullResult {
  /** The run's row in the sync history; null for a run skipped as covered (it is not worth a row). */
  syncRunId: string | null;
  /** When the run started (database clock, ISO). */
  startedAt: string;
  /** Why this run does nothing (paused, not connected); undefined when it runs. */
  skip?: string;
  /** Entities to pull, in dependency order. */
  entities: PullEntity[];
}

export interface PullCursor {
  /** Next BMS page to read (1-based). */
  page: number;
  /** The lower bound used for this pass (BMS time string), fixed for the whole pass. */
  from: string | null;
  /** Largest BMS modifiedOn seen so far in this pass. */
  maxModifiedOn: string | null;
  /** Entity-specific progress (e.g. the asset scan's phase). */
  phase?: string;
  /**
   * For lists without a modified filter (assets): how many distinct ids each page listed, summed over the
   * pass, and the sum of a hash of each (decimal), so the pass can tell whether anything it knew was
   * missing from the listing without writing down every id it saw.
   */
  listed?: { count: number; digest: string };
  /** Rows the pass has written so far (created, updated, linked, orphaned): when to refresh planner statistics. */
  written?: number;
}

export interface PullChunkInput {
  accountId: string;
  syncRunId: string;
  entity: PullEntity;
  cursor: PullCursor | null;
  /**
   * Entities to go on with, in order, once `entity` is done, while the chunk's time lasts. Unset: the
   * chunk reads `entity` only (runs started before chunks went on from entity to entity).
   */
  then?: PullEntity[];
}

export interface PullChunkResult {
  /** null when the entity is done. */
  next: PullCursor | null;
  /** Counts of the entity the chunk ended in. */
  counts: PullCounts;
  /** With `then`: the entity `next` continues, or the last one finished when `next` is null. */
  entity?: PullEntity;
  /** With `then`: the counts of every entity the chunk read. */
  countsByEntity?: Partial<Record<PullEntity, PullCounts>>;
}

export interface CompletePullInput {
  accountId: string;
  syncRunId: string;
  /** When the pass started (database clock, ISO): a "Sync now" pressed after it runs the pull again. */
  since: string;
}

export interface CompletePullResult {
  /** "Sync now" was pressed during the pass: run once more. */
  again: boolean;
}

export interface FinishPullInput {
  accountId: string;
  syncRunId: string;
  status: 'completed' | 'failed';
  error?: string;
  /** For a failure: the error's type (`BmsAuthError`, …), which decides notifications and the automatic pause. */
  errorType?: string;
}

// ------------------------------------------------------------------ notification delivery workflow

export interface NotificationDeliveryInput {
  deliveryId: string;
}

export interface PullSummary {
  syncRunId: string | null;
  skipped?: string;
  counts: Partial<Record<PullEntity, PullCounts>>;
}

export const pullProgressQuery = defineQuery<{ entity: PullEntity | null; page: number; counts: PullSummary['counts'] }>(
  'pullProgress',
);

// ------------------------------------------------------------------ adoption previews and settings counts

export function adoptionPreviewWorkflowId(accountId: string, adoptionId: string): string {
  return `adoption-preview:${accountId}:${adoptionId}`;
}

export function settingsCountWorkflowId(accountId: string, requestId: string): string {
  return `settings-preview:${accountId}:${requestId}`;
}

export interface AdoptionPreviewInput {
  accountId: string;
  adoptionId: string;
}

/** How many BMS records a selection the settings would start to sync holds (null: not countable cheaply). */
export interface StartCount {
  selection: StartSelection;
  count: number | null;
  /** The count stopped at a bound: there are at least this many. */
  atLeast: boolean;
}

export interface SettingsCountInput {
  accountId: string;
  selections: StartSelection[];
}
