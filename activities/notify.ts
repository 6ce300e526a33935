/**
 * Notification activities: delivering one delivery (each attempt written to the delivery log), and the
 * events a pull raises where its facts are: a failed pull (the first of a streak is news; a streak of
 * `pauseAfterFailures` pauses the sync), a late scheduled run, and the digest of push refusals since the
 * last one (one per pull interval per account, never one message per record).
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { getIntegration, updateIntegration } from '../db/integrations';
import {
  getChannel,
  getChannelSecret,
  getDelivery,
  getFailureStreak,
  lastRaisedAt,
  markDeliveryFailed,
  pushFailuresSinceDigest,
  recordDeliveryAttempt,
  setFailureStreak,
  setPushDigestAt,
} from '../db/notifications';
import {
  afterPullFailure,
  budgetExhaustedMessage,
  connectionFailedMessage,
  DIGEST_LIST_LIMIT,
  isConnectionFailure,
  isLate,
  type NotificationEvent,
  pauseReasonFor,
  pausedMessage,
  pullFailedMessage,
  pushDigestMessage,
  scheduleLateMessage,
} from '../domain/notifications';
import { raiseNotification, sendEmail, sendWebhook } from '../lib/notifications';
import { pausePullSchedule } from '../lib/temporal';
import type { ActivityDeps } from './context';

const DEFAULT_SENDING = { smtpUrl: undefined, smtpFrom: 'bms-docsync <docsync@localhost>', webhookTimeoutMs: 10_000 };

export function createNotifyActivities(deps: ActivityDeps) {
  const sending = deps.notifications ?? DEFAULT_SENDING;
  const notify = { db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueues.pull };

  async function deliverNotification(input: { deliveryId: string; maxAttempts: number }): Promise<void> {
    const attempt = Context.current().info.attempt;
    const delivery = await getDelivery(deps.db, input.deliveryId);
    if (!delivery || delivery.status === 'delivered') return;
    const channel = await getChannel(deps.db, delivery.accountId, delivery.channelId);
    if (!channel) return;
    const outcome =
      channel.kind === 'webhook'
        ? await sendWebhook(
            deps.outbound,
            { url: channel.url ?? '', secret: (await getChannelSecret(deps.db, channel.id, deps.secrets)) ?? '', deliveryId: delivery.id, event: delivery.event },
            sending.webhookTimeoutMs,
          )
        : await sendEmail(sending, { recipients: channel.recipients, deliveryId: delivery.id, event: delivery.event });
    if (outcome.ok) {
      await recordDeliveryAttempt(deps.db, delivery.id, { status: 'delivered', attempts: attempt, error: null, responseCode: outcome.responseCode });
      return;
    }
    const last = outcome.permanent || attempt >= input.maxAttempts;
    await recordDeliveryAttempt(deps.db, delivery.id, {
      status: last ? 'failed' : 'retrying',
      attempts: attempt,
      error: outcome.error,
      responseCode: outcome.responseCode,
    });
    throw ApplicationFailure.create({ type: outcome.permanent ? 'NotificationRefused' : 'NotificationNotDelivered', message: outcome.error, nonRetryable: outcome.permanent });
  }

  async function markNotificationFailed(input: { deliveryId: string; error: string }): Promise<void> {
    await markDeliveryFailed(deps.db, input.deliveryId, input.error);
  }

  function event(accountId: string, kind: NotificationEvent['kind'], message: { title: string; text: string }, details: Record<string, unknown>): NotificationEvent {
    return { kind, accountId, occurredAt: new Date().toISOString(), ...message, details };
  }

  /**
   * A pull failed with `cause`: counts the streak, raises the first failure of a streak (a connection
   * failure or a pull failure), and pauses the sync when the streak reaches the account's setting.
   */
  async function onPullFailed(accountId: string, syncRunId: string, cause: string, error: string): Promise<void> {
    const integration = await getIntegration(deps.db, accountId);
    if (!integration) return;
    const decision = afterPullFailure(await getFailureStreak(deps.db, accountId), syncRunId, cause, integration.settings.pull.pauseAfterFailures);
    await setFailureStreak(deps.db, accountId, decision.streak);
    const connection = isConnectionFailure(cause);
    if (connection) await updateIntegration(deps.db, accountId, { connection: { status: 'failed', error, seenBy: 'pull' } });
    const details = { syncRunId, cause, error, consecutiveFailures: decision.streak.streak };
    if (decision.notify) {
      const message = connection ? connectionFailedMessage(cause, error) : pullFailedMessage(cause, error);
      await raiseNotification(notify, event(accountId, connection ? 'connection.failed' : 'pull.failed', message, details), `run-failed:${syncRunId}`);
    }
    if (decision.pause && (!integration.paused || integration.pausedAutomatically)) {
      const reason = pauseReasonFor(cause, decision.streak.streak, error);
      await updateIntegration(deps.db, accountId, { paused: true, pause: { reason, automatic: true } });
      await pausePullSchedule(deps.temporal, accountId, reason);
      await raiseNotification(notify, event(accountId, 'sync.paused', pausedMessage(cause, decision.streak.streak, error), details), `paused:${syncRunId}`);
    }
  }

  /** A pull completed: the streak is over. */
  async function onPullCompleted(accountId: string): Promise<void> {
    const streak = await getFailureStreak(deps.db, accountId);
    if (streak.streak > 0) await updateIntegration(deps.db, accountId, { resetFailures: true });
  }

  /** A scheduled run that started late is news. */
  async function onPullStarted(accountId: string, syncRunId: string, scheduledAt: string | undefined, startedAt: string): Promise<void> {
    if (!scheduledAt || !isLate(scheduledAt, startedAt)) return;
    await raiseNotification(notify, event(accountId, 'schedule.late', scheduleLateMessage(scheduledAt, startedAt), { syncRunId, scheduledAt, startedAt }), `late:${syncRunId}`);
  }

  /**
   * Push refusals since the last digest, in one message per account per pull interval: a pull that ends
   * sooner after the last digest (a "Sync now") leaves them to the next one.
   */
  async function pushDigest(accountId: string, syncRunId: string, intervalMinutes: number): Promise<void> {
    const since = new Date(Date.now() - intervalMinutes * 60_000);
    const last = await lastRaisedAt(deps.db, accountId, 'push.failed');
    if (last && last > since) return;
    const failures = await pushFailuresSinceDigest(deps.db, accountId, since, DIGEST_LIST_LIMIT);
    if (failures.total === 0 || !failures.newest) return;
    const message = pushDigestMessage(failures.items, failures.total);
    await raiseNotification(notify, event(accountId, 'push.failed', message, { syncRunId, failed: failures.total, records: failures.items }), `push-digest:${syncRunId}`);
    await setPushDigestAt(deps.db, accountId, failures.newest);
  }

  /**
   * A request has waited `waitedMs` for the rate budget and still waits: the budget has stayed exhausted
   * that long. Raised at most once per endpoint per such period (however many requests wait), beside the
   * waiting request, which it never fails.
   */
  function budgetExhausted(accountId: string, endpoint: string, waitedMs: number): void {
    const period = Math.floor(Date.now() / waitedMs);
    raiseNotification(notify, event(accountId, 'budget.exhausted', budgetExhaustedMessage(endpoint, waitedMs), { endpoint, waitedMs }), `budget:${endpoint}:${period}`).catch(
      (err: unknown) => deps.logger.warn({ err, endpoint }, 'Raising the budget.exhausted notification failed'),
    );
  }

  return {
    activities: { deliverNotification, markNotificationFailed },
    pullEvents: { onPullFailed, onPullCompleted, onPullStarted, pushDigest, budgetExhausted },
  };
}
