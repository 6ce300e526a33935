/**
 * Sending notifications: webhooks signed with the channel's secret (HMAC-SHA256 over
 * `<timestamp>.<raw body>`) and sent through the outbound destination policy, and email through the
 * operator's SMTP server (nodemailer). Raising an event writes its deliveries (the outbox) and starts
 * their delivery workflows.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import nodemailer, { type Transporter } from 'nodemailer';
import { request } from 'undici';
import type { Db } from '../db';
import { addDeliveries } from '../db/notifications';
import type { NotificationEvent } from '../domain/notifications';
import { findDestinationRefusal, type OutboundPolicy } from './outbound';
import { startNotificationDelivery } from './temporal';

export const SIGNATURE_HEADER = 'X-Docsync-Signature';
export const TIMESTAMP_HEADER = 'X-Docsync-Timestamp';
export const DELIVERY_HEADER = 'X-Docsync-Delivery';
export const EVENT_HEADER = 'X-Docsync-Event';

/** A new webhook signing secret: shown once when the channel is made (or its secret replaced). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** `v1=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed by the secret>`, the timestamp in Unix seconds. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What one attempt came to. `permanent`: retrying cannot help (the address is refused). */
export type SendOutcome = { ok: true; responseCode: number | null } | { ok: false; error: string; responseCode: number | null; permanent: boolean };

export async function sendWebhook(
  policy: OutboundPolicy,
  target: { url: string; secret: string; deliveryId: string; event: NotificationEvent },
  timeoutMs: number,
): Promise<SendOutcome> {
  let url: string;
  try {
    url = policy.checkBaseUrl(target.url);
  } catch (err) {
    return { ok: false, error: (err as Error).message, responseCode: null, permanent: true };
  }
  const body = JSON.stringify({ id: target.deliveryId, ...target.event });
  const timestamp = Math.floor(Date.now() / 1000);
  try {
    const answer = await request(url, {
      method: 'POST',
      body,
      dispatcher: policy.dispatcher,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'bms-docsync-webhooks/1',
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: signWebhook(target.secret, timestamp, body),
        [DELIVERY_HEADER]: target.deliveryId,
        [EVENT_HEADER]: target.event.kind,
      },
    });
    // The receiver's answer is not kept or shown: only its status.
    await answer.body.dump();
    if (answer.statusCode >= 200 && answer.statusCode < 300) return { ok: true, responseCode: answer.statusCode };
    return { ok: false, error: `The receiver answered ${answer.statusCode}`, responseCode: answer.statusCode, permanent: false };
  } catch (err) {
    const refused = findDestinationRefusal(err);
    if (refused) return { ok: false, error: refused.message, responseCode: null, permanent: true };
    const code = (err as { code?: string }).code;
    return { ok: false, error: `The webhook could not be delivered${code ? ` (${code})` : ''}: ${(err as Error).message}`, responseCode: null, permanent: false };
  }
}

const transports = new Map<string, Transporter>();

function transportFor(smtpUrl: string): Transporter {
  let transport = transports.get(smtpUrl);
  if (!transport) {
    transport = nodemailer.createTransport(smtpUrl);
    transports.set(smtpUrl, transport);
  }
  return transport;
}

export async function sendEmail(
  smtp: { smtpUrl: string | undefined; smtpFrom: string },
  target: { recipients: string[]; deliveryId: string; event: NotificationEvent },
): Promise<SendOutcome> {
  if (!smtp.smtpUrl) return { ok: false, error: 'Email is not configured on this server (SMTP_URL)', responseCode: null, permanent: true };
  const { event } = target;
  const details = Object.entries(event.details)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('\n');
  try {
    const info = (await transportFor(smtp.smtpUrl).sendMail({
      from: smtp.smtpFrom,
      to: target.recipients,
      subject: `[bms-docsync] ${event.title}`,
      text: `${event.text}\n\nEvent: ${event.kind}\nAt: ${event.occurredAt}\n${details}\n\nDelivery: ${target.deliveryId}\n`,
      headers: { [DELIVERY_HEADER]: target.deliveryId, [EVENT_HEADER]: event.kind },
    })) as { response?: string };
    const code = Number(/^(\d{3})/.exec(info.response ?? '')?.[1]);
    return { ok: true, responseCode: Number.isFinite(code) ? code : null };
  } catch (err) {
    const e = err as { responseCode?: number; message?: string };
    const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500;
    return { ok: false, error: `The email could not be sent: ${e.message ?? String(err)}`, responseCode: e.responseCode ?? null, permanent };
  }
}

export interface NotifyDeps {
  db: Db;
  temporal: Client;
  /** The task queue delivery workflows run on. */
  taskQueue: string;
}

/**
 * Raises `event`: one delivery per subscribed channel (or to `onlyChannel`), once per `key` however often
 * this is called, each then delivered by its workflow. Answers the delivery ids.
 */
export async function raiseNotification(deps: NotifyDeps, event: NotificationEvent, key: string, onlyChannel?: string): Promise<string[]> {
  const ids = await addDeliveries(deps.db, event, key, onlyChannel);
  for (const id of ids) await startNotificationDelivery(deps.temporal, deps.taskQueue, id);
  return ids;
}
