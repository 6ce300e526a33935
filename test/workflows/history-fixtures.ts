/**
 * Recorded workflow histories kept as replay fixtures: where they live, which scenarios there are, and
 * what each fixture must show to stand for its scenario (the recording script refuses to write a history
 * that does not, and the replay test checks every fixture again).
 *
 * A fixture is `histories/<scenario>[.<label>].json`, in Temporal's JSON history format (the format of
 * `temporal workflow show --output json` and the Web UI's download). Several fixtures of one scenario
 * (different labels) are kept side by side: histories recorded before a workflow change must keep
 * replaying after it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';

export const HISTORIES_DIR = path.join(__dirname, 'histories');

export type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
type HistoryEvent = NonNullable<History['events']>[number];

/** What a history shows, counted once for every check. */
export interface HistorySummary {
  workflowType: string;
  signals: number;
  /** Push attempts: local ones (markers) and activity ones. */
  pushes: number;
  activities: string[];
  pulledEntities: string[];
  firedTimers: number;
  continuedFromAnotherRun: boolean;
  /** The input a run started with (first argument). */
  input: unknown;
  closedAs: 'completed' | 'failed' | 'continued-as-new' | 'other';
}

export function summarize(history: History): HistorySummary {
  const events = history.events ?? [];
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  const activities = events.flatMap((e) => (e.activityTaskScheduledEventAttributes?.activityType?.name ? [e.activityTaskScheduledEventAttributes.activityType.name] : []));
  const pulledEntities = events.flatMap((e) => {
    const a = e.activityTaskScheduledEventAttributes;
    if (a?.activityType?.name !== 'pullChunk' || !a.input?.payloads?.[0]) return [];
    // A chunk reads its entity, then goes on with those of `then` while its time lasts.
    const input = defaultPayloadConverter.fromPayload<{ entity: string; then?: string[] }>(a.input.payloads[0]);
    return [input.entity, ...(input.then ?? [])];
  });
  const firstInput = started?.input?.payloads?.[0];
  return {
    workflowType: started?.workflowType?.name ?? '',
    signals: events.filter((e) => e.workflowExecutionSignaledEventAttributes).length,
    // The only local activity is the push's first attempt: each one leaves a marker.
    pushes: events.filter((e) => e.markerRecordedEventAttributes).length + activities.filter((a) => a === 'pushRecord').length,
    activities,
    pulledEntities: [...new Set(pulledEntities)],
    firedTimers: events.filter((e) => e.timerFiredEventAttributes).length,
    continuedFromAnotherRun: Boolean(started?.continuedExecutionRunId),
    input: firstInput ? defaultPayloadConverter.fromPayload(firstInput) : undefined,
    closedAs: closedAs(events.at(-1)),
  };
}

function closedAs(last: HistoryEvent | undefined): HistorySummary['closedAs'] {
  if (!last) return 'other';
  if (last.workflowExecutionCompletedEventAttributes) return 'completed';
  if (last.workflowExecutionFailedEventAttributes) return 'failed';
  if (last.workflowExecutionContinuedAsNewEventAttributes) return 'continued-as-new';
  return 'other';
}

/** Each scenario's claim about its history: undefined when the history shows it, else what is missing. */
export const SCENARIOS = {
  'push-coalesced': (s: HistorySummary) =>
    s.workflowType === 'recordPushWorkflow' && s.signals >= 3 && s.pushes >= 1 && s.pushes < s.signals && s.closedAs === 'completed'
      ? undefined
      : 'a completed push run with fewer pushes than saves',
  'push-refused': (s: HistorySummary) =>
    s.workflowType === 'recordPushWorkflow' && s.activities.includes('markPushFailed') && s.closedAs === 'completed'
      ? undefined
      : 'a completed push run that recorded a refusal',
  'push-dependency-wait': (s: HistorySummary) =>
    s.workflowType === 'recordPushWorkflow' && s.activities.includes('requestPush') && s.firedTimers >= 1 && s.pushes >= 2
      ? undefined
      : 'a push run that asked for its dependency, waited and pushed again',
  'push-continued-as-new': (s: HistorySummary) =>
    s.workflowType === 'recordPushWorkflow' && s.closedAs === 'continued-as-new' && s.pushes >= 2
      ? undefined
      : 'a push run that continued as new',
  'push-after-continue-as-new': (s: HistorySummary) =>
    s.workflowType === 'recordPushWorkflow' && s.continuedFromAnotherRun && (s.input as { carried?: unknown }).carried !== undefined
      ? undefined
      : 'a push run continued from another, with carried state',
  'pull-full-pass': (s: HistorySummary) =>
    s.workflowType === 'pullWorkflow' && ['accounts', 'contacts', 'assets'].every((e) => s.pulledEntities.includes(e)) && s.closedAs === 'completed'
      ? undefined
      : 'a completed pull that read every entity',
  'pull-sync-now-during-run': (s: HistorySummary) =>
    s.workflowType === 'pullWorkflow' && ['syncRequestedSince', 'completePull'].includes(s.activities.at(-1) ?? '') && s.closedAs === 'continued-as-new'
      ? undefined
      : 'a pull pass that ran once more for a Sync now pressed during it',
  'pull-after-sync-now': (s: HistorySummary) =>
    s.workflowType === 'pullWorkflow' && s.continuedFromAnotherRun && s.closedAs === 'completed'
      ? undefined
      : 'the extra pull pass, continued from the pass that saw the Sync now',
  'pull-failed': (s: HistorySummary) =>
    s.workflowType === 'pullWorkflow' && s.activities.at(-1) === 'finishPull' && s.closedAs === 'failed'
      ? undefined
      : 'a pull that failed and finished its run as failed',
  'notification-delivered': (s: HistorySummary) =>
    s.workflowType === 'notificationDeliveryWorkflow' && s.activities.includes('deliverNotification') && s.closedAs === 'completed'
      ? undefined
      : 'a notification delivery that went through',
  'retention-prune': (s: HistorySummary) =>
    s.workflowType === 'retentionPruneWorkflow' &&
    s.activities[0] === 'beginRetentionPrune' &&
    s.activities.filter((a) => a === 'pruneRetentionTable').length >= 9 &&
    s.activities.at(-1) === 'finishRetentionPrune' &&
    s.closedAs === 'completed'
      ? undefined
      : 'a retention prune started by its Schedule that pruned every table and recorded the prune',
} as const;

export type Scenario = keyof typeof SCENARIOS;

export function isScenario(name: string): name is Scenario {
  return Object.hasOwn(SCENARIOS, name);
}

export interface Fixture {
  file: string;
  scenario: string;
  history: History;
}

export function readFixtures(dir = HISTORIES_DIR): Fixture[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({
      file,
      scenario: file.split('.')[0]!,
      history: historyFromJSON(JSON.parse(readFileSync(path.join(dir, file), 'utf8'))),
    }));
}
