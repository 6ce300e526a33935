/**
 * The kinds of records that need a person, and which kind a record's link puts it in. The SQL that finds
 * them (db/problems.ts) states the same conditions; `problemKindOf` is their reference, in words a test
 * can check.
 * Pure: safe to import from workflows.
 */
import { MISSING_VALUE_ERROR } from './pre-push';
import type { SyncState } from './sync-state';

/** The kinds a record's sync link shows (`problemKindOf`). */
export const LINK_PROBLEM_KINDS = [
  /** Kaseya BMS refused the push; its reason is stored. */
  'failed',
  /** The pre-push check found a value BMS requires missing; nothing was sent. */
  'missing_value',
  /** The push waits for another record (its organization, location…) to reach BMS first. */
  'waiting',
  /** The record's type or status is not set to sync (R7), or what it belongs to does not sync. */
  'excluded',
  /** The BMS record is gone or no longer matches the Sync Settings: disconnected, kept. */
  'orphaned',
] as const;
export type LinkProblemKind = (typeof LINK_PROBLEM_KINDS)[number];

export const PROBLEM_KINDS = [
  ...LINK_PROBLEM_KINDS,
  /**
   * A Kaseya BMS record matched no documentation record and is held (Sync Settings: hold) until a person
   * matches, creates or excludes it in Review matches. It has no record or link yet.
   */
  'held',
] as const;
export type ProblemKind = (typeof PROBLEM_KINDS)[number];

export interface ProblemLinkFacts {
  state: SyncState;
  lastError: { type: string } | null;
  waitingFor: unknown;
}

/** The kind of problem a link shows, or null when the record needs nobody. */
export function problemKindOf(link: ProblemLinkFacts): LinkProblemKind | null {
  switch (link.state) {
    case 'failed':
      return link.lastError?.type === MISSING_VALUE_ERROR ? 'missing_value' : 'failed';
    case 'queued':
      return link.waitingFor ? 'waiting' : null;
    case 'excluded':
      return 'excluded';
    case 'orphaned':
      return 'orphaned';
    default:
      return null;
  }
}

/** Kinds a retry can act on: orphans are reconnected and held records matched, not retried. */
export const RETRYABLE_KINDS = ['failed', 'missing_value', 'waiting', 'excluded'] as const satisfies readonly LinkProblemKind[];

export function isRetryableKind(kind: ProblemKind): kind is (typeof RETRYABLE_KINDS)[number] {
  return (RETRYABLE_KINDS as readonly ProblemKind[]).includes(kind);
}
