/**
 * The per-record sync state machine: the states a record's link to Kaseya BMS can be in, the events that
 * move it, the allowed transitions (declared as a list and checked), and the message users see.
 * Every single write of `sync_links.state` goes through `transition()`; a pull's bulk write goes through
 * `pullWriteState()`, which its SQL is tested against. Which links sync (`isLive`) and which may be
 * orphaned (`mayOrphan`) are decided here too. Pure: safe to import from workflows.
 */

export const SYNC_STATES = [
  /** Never synced and nothing asked for: local-only (one-way mode) or created before two-way sync. */
  'not_pushed',
  /** A UI save asked for a push; the record's push workflow will send it. */
  'queued',
  /** Documentation and BMS agree as of the last push or pull. */
  'synced',
  /** The last push was refused by BMS; the reason is stored; the next save tries again. */
  'failed',
  /** The record's type or status is not set to sync, so it is not pushed (R7). */
  'excluded',
  /** The BMS record is gone, inactive, or no longer matches the Sync Settings; kept, never auto-deleted. */
  'orphaned',
  /** Sync switched off for this record by a person: nothing pulled or pushed until it is switched on. */
  'disabled',
] as const;
export type SyncState = (typeof SYNC_STATES)[number];

export const SYNC_EVENTS = [
  'pulled',
  'push_requested',
  'push_succeeded',
  'push_failed',
  'push_excluded',
  'changed_without_push',
  'orphaned',
  'sync_disabled',
  'sync_enabled',
  /** Sync switched back on for a record that still matches what BMS was last seen to hold. */
  'sync_resumed',
] as const;
export type SyncEvent = (typeof SYNC_EVENTS)[number];

const ANY: readonly SyncState[] = SYNC_STATES;
const LIVE: readonly SyncState[] = ['not_pushed', 'queued', 'synced', 'failed', 'excluded', 'orphaned'];

/** [event, from states, to state]. Anything not listed is refused. */
const TRANSITIONS: ReadonlyArray<readonly [SyncEvent, readonly SyncState[], SyncState]> = [
  ['pulled', LIVE, 'synced'],
  ['push_requested', LIVE, 'queued'],
  ['push_succeeded', ['queued', 'failed', 'synced', 'not_pushed', 'excluded'], 'synced'],
  ['push_failed', ['queued', 'synced', 'not_pushed', 'failed', 'excluded'], 'failed'],
  ['push_excluded', ['queued', 'synced', 'not_pushed', 'failed', 'excluded'], 'excluded'],
  ['changed_without_push', ['not_pushed', 'synced', 'failed', 'excluded'], 'not_pushed'],
  ['orphaned', LIVE, 'orphaned'],
  ['sync_disabled', ANY, 'disabled'],
  ['sync_enabled', ['disabled'], 'not_pushed'],
  ['sync_resumed', ['disabled'], 'synced'],
];

/** Every allowed transition, as [event, from states, to state]: for checking other writers of the state. */
export function allTransitions(): ReadonlyArray<readonly [SyncEvent, readonly SyncState[], SyncState]> {
  return TRANSITIONS;
}

/** States in which a link does not sync: its BMS record is gone (orphaned) or a person switched it off. */
export const NOT_LIVE_STATES: readonly SyncState[] = ['orphaned', 'disabled'];

/** Whether a link syncs with a BMS record: it has one, and is neither orphaned nor disabled. */
export function isLive<T extends { bmsId: number | null; state: SyncState }>(link: T | null | undefined): link is T & { bmsId: number } {
  return link !== null && link !== undefined && link.bmsId !== null && !NOT_LIVE_STATES.includes(link.state);
}

/** Whether a linked record may be orphaned now (a person's switch-off and an earlier orphaning stand). */
export function mayOrphan(link: { bmsId: number | null; state: SyncState } | null | undefined): boolean {
  return isLive(link) && canTransition(link!.state, 'orphaned');
}

/** What orphaning a link does: the state it moves to, the reason kept on it, and its history line. */
export interface Orphaning {
  state: SyncState;
  reason: string;
  summary: string;
}

/**
 * Orphaning a link for `reason` (the BMS record is gone, inactive, or no longer matches the Sync Settings),
 * or null when the link may not be orphaned now. Both writers of an orphaning, a pull page's bulk write
 * and the per-record check for deleted records, take what they write from here.
 */
export function orphaning(link: { bmsId: number | null; state: SyncState } | null | undefined, reason: string): Orphaning | null {
  if (!mayOrphan(link)) return null;
  return { state: transition(link!.state, 'orphaned'), reason, summary: `Orphaned: ${reason}` };
}

/**
 * States a pull's bulk write leaves as it finds them: a save queued while the page was read keeps its
 * place in the push queue, and a person's switch-off stands.
 */
export const KEPT_BY_PULL_WRITE: readonly SyncState[] = ['queued', 'disabled'];

/**
 * The state a pull's bulk write leaves on a link that is in `current` when the write lands, where the
 * pull planned `planned` from what it read earlier. A link the pull read as queued keeps the state it has
 * now: the push may have landed meanwhile (synced, failed), and writing the queued state read earlier
 * would leave the record queued with nothing left to push.
 */
export function pullWriteState(current: SyncState, planned: SyncState): SyncState {
  return KEPT_BY_PULL_WRITE.includes(current) || planned === 'queued' ? current : planned;
}

export class InvalidTransitionError extends Error {
  override readonly name = 'InvalidTransitionError';
}

/** The state after `event`, or an InvalidTransitionError when the machine does not allow it. */
export function transition(from: SyncState, event: SyncEvent): SyncState {
  for (const [e, sources, to] of TRANSITIONS) {
    if (e === event && sources.includes(from)) return to;
  }
  throw new InvalidTransitionError(`Sync event '${event}' is not allowed in state '${from}'`);
}

/** Whether `event` may happen in `from` (for callers that prefer to skip rather than fail). */
export function canTransition(from: SyncState, event: SyncEvent): boolean {
  return TRANSITIONS.some(([e, sources]) => e === event && sources.includes(from));
}

/** R5 texts, verbatim. */
export const MESSAGE_NOT_YET_PUSHED = 'Record not yet pushed to Kaseya BMS. To trigger a push, try updating the record.';
export const MESSAGE_QUEUED = 'Queued for push to Kaseya BMS';

export interface SyncMessageInput {
  state: SyncState | null;
  reason?: string | null;
  twoWayEnabled: boolean;
  integrationConnected: boolean;
  bmsId?: number | null;
}

/** The sentence a person sees on the record. */
export function syncMessage(input: SyncMessageInput): string {
  if (!input.integrationConnected) return 'Kaseya BMS is not connected.';
  switch (input.state) {
    case null:
    case 'not_pushed':
      return input.twoWayEnabled
        ? MESSAGE_NOT_YET_PUSHED
        : input.bmsId
          ? 'Changed locally; two-way sync is off, so Kaseya BMS data has priority.'
          : 'Not synced with Kaseya BMS: two-way sync is off.';
    case 'queued':
      return MESSAGE_QUEUED;
    case 'synced':
      return 'Synced with Kaseya BMS';
    case 'failed':
      return `Push to Kaseya BMS failed: ${input.reason ?? 'unknown error'}`;
    case 'excluded':
      return `Not pushed to Kaseya BMS: ${input.reason ?? 'its type or status is not set to sync'}`;
    case 'orphaned':
      return `Orphaned: ${input.reason ?? 'the Kaseya BMS record no longer exists or no longer matches the Sync Settings'}`;
    case 'disabled':
      return 'Sync with Kaseya BMS is disabled for this record.';
  }
}
