/**
 * Notification channels of an account (administrators only: a channel holds a signing secret and an
 * address that may carry one), "send a test", and the delivery log.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { z } from 'zod';
import type { ChannelView, DeliveryView, NewChannelAnswer, TestSent } from '../api/contract';
import type { ChannelChange, NewChannel } from '../api/schemas';
import type { Config } from '../config';
import type { Db } from '../db';
import {
  type Channel,
  createChannel,
  deleteChannel,
  type Delivery,
  getChannel,
  listChannels,
  listDeliveries,
  updateChannel,
} from '../db/notifications';
import { TEST_MESSAGE } from '../domain/notifications';
import { newWebhookSecret, raiseNotification } from '../lib/notifications';
import { DestinationRefusedError, outboundPolicyFor } from '../lib/outbound';
import type { SecretBox } from '../lib/secrets';
import { workflowUiUrl } from '../lib/temporal';
import { notificationWorkflowId } from '../workflows/definitions';
import { RuleError } from './errors';

export interface NotificationServiceDeps {
  db: Db;
  temporal: Client;
  config: Config;
  secrets: SecretBox;
}

function channelView(channel: Channel, secretSet: boolean): ChannelView {
  const { accountId: _accountId, ...rest } = channel;
  return { ...rest, secretSet };
}

function deliveryView(config: Config, delivery: Delivery): DeliveryView {
  const { accountId: _accountId, ...rest } = delivery;
  return { ...rest, workflowUrl: workflowUiUrl(config.temporal, notificationWorkflowId(delivery.id)) };
}

/** The webhook address must pass the outbound destination policy, like the BMS address. */
function allowedWebhookUrl(config: Config, url: string): string {
  try {
    return outboundPolicyFor(config.bms.allowedHosts).checkBaseUrl(url);
  } catch (err) {
    if (err instanceof DestinationRefusedError) throw new RuleError(422, 'destination_not_allowed', `url: ${err.message}`, { field: 'url' });
    throw err;
  }
}

async function requireChannel(deps: NotificationServiceDeps, accountId: string, id: string): Promise<Channel> {
  const channel = await getChannel(deps.db, accountId, id);
  if (!channel) throw new RuleError(404, 'not_found', `No notification channel with id ${id}`);
  return channel;
}

export async function listChannelViews(deps: NotificationServiceDeps, accountId: string): Promise<ChannelView[]> {
  return (await listChannels(deps.db, accountId)).map((c) => channelView(c, c.kind === 'webhook'));
}

export async function addChannel(deps: NotificationServiceDeps, accountId: string, input: z.output<typeof NewChannel>): Promise<NewChannelAnswer> {
  if (input.kind === 'email' && !deps.config.notifications.smtpUrl) {
    throw new RuleError(422, 'email_not_configured', 'kind: email channels need the server\'s SMTP settings (SMTP_URL)', { field: 'kind' });
  }
  const url = input.kind === 'webhook' ? allowedWebhookUrl(deps.config, input.url) : null;
  const secret = input.kind === 'webhook' ? newWebhookSecret() : null;
  const channel = await createChannel(
    deps.db,
    accountId,
    { kind: input.kind, name: input.name, url, recipients: input.kind === 'email' ? input.recipients : [], events: input.events, enabled: input.enabled },
    secret,
    deps.secrets,
  );
  return { ...channelView(channel, secret !== null), secret };
}

export async function changeChannel(
  deps: NotificationServiceDeps,
  accountId: string,
  id: string,
  change: z.output<typeof ChannelChange>,
): Promise<NewChannelAnswer> {
  const channel = await requireChannel(deps, accountId, id);
  if (change.url !== undefined && channel.kind !== 'webhook') throw new RuleError(422, 'validation_error', 'url: only webhook channels have an address', { field: 'url' });
  if (change.recipients !== undefined && channel.kind !== 'email') throw new RuleError(422, 'validation_error', 'recipients: only email channels have recipients', { field: 'recipients' });
  if (change.rotateSecret && channel.kind !== 'webhook') throw new RuleError(422, 'validation_error', 'rotateSecret: only webhook channels have a secret', { field: 'rotateSecret' });
  const url = change.url === undefined ? undefined : allowedWebhookUrl(deps.config, change.url);
  const secret = change.rotateSecret ? newWebhookSecret() : null;
  const updated = await updateChannel(
    deps.db,
    accountId,
    id,
    { name: change.name, url, recipients: change.recipients, events: change.events, enabled: change.enabled },
    change.version,
    secret ? { secret, secrets: deps.secrets } : undefined,
  );
  if (!updated) {
    const current = await requireChannel(deps, accountId, id);
    throw new RuleError(409, 'version_conflict', `version: the channel was changed meanwhile (now at version ${current.version})`, {
      field: 'version',
      currentVersion: current.version,
    });
  }
  return { ...channelView(updated, updated.kind === 'webhook'), secret };
}

export async function removeChannel(deps: NotificationServiceDeps, accountId: string, id: string): Promise<void> {
  if (!(await deleteChannel(deps.db, accountId, id))) throw new RuleError(404, 'not_found', `No notification channel with id ${id}`);
}

/** "Send a test": one delivery to this channel (enabled or not), through the same path as real events. */
export async function sendTest(deps: NotificationServiceDeps, accountId: string, id: string): Promise<TestSent> {
  await requireChannel(deps, accountId, id);
  const occurredAt = new Date().toISOString();
  const deliveryIds = await raiseNotification(
    { db: deps.db, temporal: deps.temporal, taskQueue: deps.config.temporal.taskQueues.pull },
    { kind: 'test', accountId, occurredAt, ...TEST_MESSAGE, details: { channelId: id } },
    `test:${randomUUID()}`,
    id,
  );
  return { deliveryIds };
}

export async function listDeliveryViews(
  deps: NotificationServiceDeps,
  accountId: string,
  query: { channelId?: string; page: number; pageSize: number },
): Promise<{ items: DeliveryView[]; total: number }> {
  const { items, total } = await listDeliveries(deps.db, accountId, {
    channelId: query.channelId,
    limit: query.pageSize,
    offset: (query.page - 1) * query.pageSize,
  });
  return { items: items.map((d) => deliveryView(deps.config, d)), total };
}
