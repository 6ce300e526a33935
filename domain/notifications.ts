/**
 * Notifications, as rules: which events exist, which pull failures are news, when the sync pauses itself,
 * and what each message says. Pure (the senders are lib/notifications.ts, the outbox db/notifications.ts).
 */

export const NOTIFICATION_EVENTS = ['connection.failed', 'pull.failed', 'schedule.late', 'push.failed', 'budget.exhausted', 'sync.paused', 'test'] as const;
export type NotificationEventKind = (typeof NOTIFICATION_EVENTS)[number];

/** Events a channel can subscribe to ("test" always goes to the channel it was sent from). */
export const SUBSCRIBABLE_EVENTS = NOTIFICATION_EVENTS.filter((e) => e !== 'test');

export const CHANNEL_KINDS = ['webhook', 'email'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

export const DELIVERY_STATUSES = ['pending', 'retrying', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** An event as every channel receives it (the webhook body adds the delivery id). */
export interface NotificationEvent {
  kind: NotificationEventKind;
  accountId: string;
  occurredAt: string;
  title: string;
  text: string;
  /** Facts a receiver can act on: ids, counts, error types. Never credentials. */
  details: Record<string, unknown>;
}

/**
 * Pull failures whose cause is the connection itself: the credentials are refused, the host cannot be
 * reached or is not allowed. A person must fix the connection.
 */
export const CONNECTION_FAILURES: readonly string[] = [
  'BmsAuthError',
  'BmsPermissionError',
  'BmsNetworkError',
  'BmsDestinationRefusedError',
  'NotConnectedError',
];

export function isConnectionFailure(cause: string): boolean {
  return CONNECTION_FAILURES.includes(cause);
}

/** Consecutive failed pulls with one cause, as stored on the integration. */
export interface FailureStreak {
  cause: string | null;
  streak: number;
  /** The run last counted, so a retried step never counts its run twice. */
  lastRunId: string | null;
}

export interface PullFailureDecision {
  streak: FailureStreak;
  /** The first failure of a streak is news; its repeats are not (until the pause). */
  notify: boolean;
  /** The streak reached the account's `pauseAfterFailures` (0: never). */
  pause: boolean;
}

export function afterPullFailure(before: FailureStreak, runId: string, cause: string, pauseAfterFailures: number): PullFailureDecision {
  const count = before.lastRunId === runId ? before.streak : before.cause === cause ? before.streak + 1 : 1;
  const streak = { cause, streak: count, lastRunId: runId };
  return { streak, notify: count === 1, pause: pauseAfterFailures > 0 && count >= pauseAfterFailures };
}

/** A scheduled pull that started this much after its time is late (a worker down, a queue backed up). */
export const LATE_AFTER_MS = 5 * 60_000;

export function isLate(scheduledAt: string, startedAt: string): boolean {
  return Date.parse(startedAt) - Date.parse(scheduledAt) > LATE_AFTER_MS;
}

/** Failed records a push digest lists by name; the rest are counted. */
export const DIGEST_LIST_LIMIT = 50;

export interface PushFailureItem {
  recordType: string;
  recordId: string;
  summary: string;
  at: string;
}

type Message = Pick<NotificationEvent, 'title' | 'text'>;

export function connectionFailedMessage(cause: string, error: string): Message {
  return {
    title: 'Kaseya BMS connection failed',
    text:
      `The pull from Kaseya BMS failed because the connection does not work (${cause}): ${error}\n` +
      'Fix the connection on the Integration page and save it; the next pull uses it.',
  };
}

export function pullFailedMessage(cause: string, error: string): Message {
  return { title: 'Pull from Kaseya BMS failed', text: `The pull from Kaseya BMS failed (${cause}): ${error}` };
}

export function scheduleLateMessage(scheduledAt: string, startedAt: string): Message {
  const minutes = Math.round((Date.parse(startedAt) - Date.parse(scheduledAt)) / 60_000);
  return {
    title: 'Scheduled pull ran late',
    text: `The pull scheduled for ${scheduledAt} started at ${startedAt}, ${minutes} minutes late. Check that a worker is running.`,
  };
}

export function pausedMessage(cause: string, failures: number, error: string): Message {
  return {
    title: 'Sync paused automatically',
    text:
      `The sync with Kaseya BMS paused itself after ${failures} consecutive failed pulls (${cause}): ${error}\n` +
      'Saving a working connection on the Integration page resumes it; so does Resume.',
  };
}

export function pushDigestMessage(items: PushFailureItem[], total: number): Message {
  const lines = items.slice(0, DIGEST_LIST_LIMIT).map((i) => `- ${i.recordType} ${i.recordId}: ${i.summary}`);
  const more = total > lines.length ? `\n… and ${total - lines.length} more` : '';
  return {
    title: `${total} record${total === 1 ? '' : 's'} failed to push to Kaseya BMS`,
    text: `These records could not be pushed to Kaseya BMS since the last digest:\n${lines.join('\n')}${more}`,
  };
}

export function budgetExhaustedMessage(endpoint: string, waitedMs: number): Message {
  const minutes = Math.round(waitedMs / 60_000);
  return {
    title: 'Kaseya BMS request budget exhausted',
    text:
      `Requests to ${endpoint} have waited ${minutes < 1 ? `${Math.round(waitedMs / 1000)} seconds` : `${minutes} minutes`} for the Kaseya BMS request budget ` +
      '(BMS_RATE_LIMIT_PER_WINDOW). The sync is slowed down; nothing is dropped. If this lasts, raise the budget if Kaseya allows it, or sync less.',
  };
}

export function pauseReasonFor(cause: string, failures: number, error: string): string {
  return `Paused automatically after ${failures} consecutive failed pulls (${cause}): ${error}`;
}

export const TEST_MESSAGE: Message = {
  title: 'Test notification',
  text: 'This is a test notification from bms-docsync. If you can read it, the channel works.',
};
