/**
 * Notifications and the automatic pause, end to end on the real stack: a BMS password changed in BMS makes
 * the pull fail; that produces exactly one webhook (signature verified by the receiver) and one email (read
 * from an SMTP server in this process); two more failures with the same cause pause the sync, which says why
 * and notifies; saving the connection with the new password resumes it. Plus channels, the test action, the
 * delivery log, retries and the outbound destination policy for webhook addresses.
 */
import assert from 'node:assert/strict';
import { startStack, type Stack } from '../helpers/stack';
import { startSmtpReceiver, startWebhookReceiver, type SmtpReceiver, type WebhookReceiver } from '../helpers/receivers';
import { waitFor, waitForIdlePulls, waitForSyncState } from '../helpers/sync';
import { pullScheduleId } from '../../workflows/definitions';
import type { HttpClient } from '../helpers/api-client';

const BMS = '/api/v1/integrations/kaseya-bms';

/** "Sync now", then the run it started, once it has ended (completed or failed). */
async function syncNowAndEnd(api: HttpClient): Promise<any> {
  const before = await api.get(`${BMS}/runs?pageSize=200`);
  const known = new Set((before.body.data as Array<{ id: string }>).map((r) => r.id));
  const res = await api.post(`${BMS}/sync`);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return waitFor(
    async () => {
      const runs = await api.get(`${BMS}/runs?pageSize=20`);
      const run = (runs.body.data as Array<{ id: string; status: string }>).filter((r) => !known.has(r.id)).at(-1);
      return run && run.status !== 'running' ? run : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100, what: 'the pull to end' },
  );
}

/** The pull Schedule's state once it is (un)paused: the Schedule takes such changes a moment after they are sent. */
async function scheduleState(stack: Stack, paused: boolean) {
  const handle = stack.temporal.schedule.getHandle(pullScheduleId(stack.accountId));
  return waitFor(async () => {
    const { state } = await handle.describe();
    return state.paused === paused ? state : undefined;
  }, { timeoutMs: 10_000, what: `the pull Schedule to be ${paused ? 'paused' : 'running'}` });
}

async function deliveries(api: HttpClient): Promise<any[]> {
  const res = await api.get('/api/v1/notifications/deliveries?pageSize=200');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.data;
}

describe('notifications and the automatic pause (real stack)', function () {
  this.timeout(240_000);
  let stack: Stack;
  let hook: WebhookReceiver;
  let smtp: SmtpReceiver;
  let webhookChannel: any;
  let emailChannel: any;

  before(async () => {
    hook = await startWebhookReceiver();
    smtp = await startSmtpReceiver();
    stack = await startStack({ twoWay: true, env: { SMTP_URL: smtp.url, SMTP_FROM: 'Docsync <docsync@msp.example>' } });
  });

  after(async () => {
    await stack?.stop();
    await hook?.close();
    await smtp?.close();
  });

  it('an administrator adds a webhook channel (secret shown once) and an email channel', async () => {
    const res = await stack.admin.post('/api/v1/notifications/channels', { kind: 'webhook', name: 'Ops webhook', url: hook.url });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    webhookChannel = res.body.data;
    assert.match(webhookChannel.secret, /^whsec_[A-Za-z0-9_-]{40,}$/);
    assert.equal(webhookChannel.secretSet, true);
    assert.deepEqual(webhookChannel.events, ['connection.failed', 'pull.failed', 'schedule.late', 'push.failed', 'budget.exhausted', 'sync.paused']);
    hook.secret = webhookChannel.secret;

    const mail = await stack.admin.post('/api/v1/notifications/channels', { kind: 'email', name: 'Ops mail', recipients: ['ops@msp.example'] });
    assert.equal(mail.status, 201, JSON.stringify(mail.body));
    emailChannel = mail.body.data;
    assert.equal(emailChannel.secret, null);

    const list = await stack.admin.get('/api/v1/notifications/channels');
    assert.equal(list.status, 200);
    assert.equal(list.body.data.length, 2);
    assert.ok(!JSON.stringify(list.body).includes(webhookChannel.secret), 'the secret is never shown again');
  });

  it('"send a test" delivers a signed webhook and an email, logged with status and response code', async () => {
    const sent = await stack.admin.post(`/api/v1/notifications/channels/${webhookChannel.id}/test`);
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const sentMail = await stack.admin.post(`/api/v1/notifications/channels/${emailChannel.id}/test`);
    assert.equal(sentMail.status, 202);
    await waitFor(() => hook.received.length === 1 && smtp.received.length === 1, { timeoutMs: 20_000, what: 'the test notifications' });
    assert.equal(hook.received[0]!.verified, true);
    assert.equal(hook.received[0]!.body.kind, 'test');
    assert.equal(hook.received[0]!.body.id, sent.body.data.deliveryIds[0]);
    assert.equal(smtp.received[0]!.subject, '[bms-docsync] Test notification');
    assert.deepEqual(smtp.received[0]!.to, ['ops@msp.example']);
    const log = await waitFor(async () => {
      const all = await deliveries(stack.admin);
      return all.length === 2 && all.every((d) => d.status === 'delivered') ? all : undefined;
    }, { timeoutMs: 10_000, what: 'the deliveries to be logged as delivered' });
    const webhookDelivery = log.find((d) => d.channelId === webhookChannel.id);
    assert.equal(webhookDelivery.responseCode, 200);
    assert.equal(webhookDelivery.attempts, 1);
    assert.equal(log.find((d) => d.channelId === emailChannel.id).responseCode, 250);
    hook.received.length = 0;
    smtp.received.length = 0;
  });

  it('a refused BMS password produces exactly one webhook and one email, then pauses the sync after 3 failures', async () => {
    const before = (await deliveries(stack.admin)).length;
    const changed = await stack.simAdmin.put('/_sim/credentials', { password: 'rotated-in-bms' });
    assert.equal(changed.status, 200);

    const first = await syncNowAndEnd(stack.admin);
    assert.equal(first.status, 'failed');
    await waitFor(() => hook.received.length >= 1 && smtp.received.length >= 1, { timeoutMs: 20_000, what: 'the connection failure notifications' });
    const webhook = hook.received[0]!;
    assert.equal(webhook.verified, true, 'the receiver verified the signature');
    assert.equal(webhook.headers['x-docsync-event'], 'connection.failed');
    assert.equal(webhook.body.kind, 'connection.failed');
    assert.equal(webhook.body.accountId, stack.accountId);
    assert.equal(webhook.body.title, 'Kaseya BMS connection failed');
    assert.equal(webhook.body.details.cause, 'BmsAuthError');
    assert.equal(webhook.body.details.syncRunId, first.id);
    assert.match(webhook.body.text, /does not work \(BmsAuthError\): Kaseya BMS answered 401/);
    assert.ok(!JSON.stringify(webhook.body).includes('demo-password') && !JSON.stringify(webhook.body).includes('rotated-in-bms'), 'no password in the event');
    const mail = smtp.received[0]!;
    assert.equal(mail.subject, '[bms-docsync] Kaseya BMS connection failed');
    assert.deepEqual(mail.to, ['ops@msp.example']);
    assert.equal(mail.from, 'docsync@msp.example');
    assert.match(mail.text, /does not work \(BmsAuthError\): Kaseya BMS answered 401/);
    assert.match(mail.text, /Event: connection\.failed/);

    let integration = (await stack.admin.get(BMS)).body.data;
    assert.equal(integration.connectionStatus, 'failed');
    assert.equal(integration.paused, false);

    const second = await syncNowAndEnd(stack.admin);
    assert.equal(second.status, 'failed');
    // The second failure with the same cause is not news: no delivery was added for it.
    await waitForIdlePulls(stack.admin);
    assert.equal((await deliveries(stack.admin)).length, before + 2);

    const third = await syncNowAndEnd(stack.admin);
    assert.equal(third.status, 'failed');
    await waitFor(() => hook.received.length >= 2 && smtp.received.length >= 2, { timeoutMs: 20_000, what: 'the pause notifications' });
    assert.deepEqual(hook.received.map((h) => h.body.kind), ['connection.failed', 'sync.paused']);
    assert.deepEqual(smtp.received.map((m) => m.subject), ['[bms-docsync] Kaseya BMS connection failed', '[bms-docsync] Sync paused automatically']);
    assert.equal(hook.received[1]!.verified, true);
    assert.equal(hook.received[1]!.body.details.consecutiveFailures, 3);

    integration = (await stack.admin.get(BMS)).body.data;
    assert.equal(integration.paused, true);
    assert.equal(integration.pausedAutomatically, true);
    assert.match(integration.pauseReason, /^Paused automatically after 3 consecutive failed pulls \(BmsAuthError\)/);
    const schedule = await scheduleState(stack, true);
    assert.match(schedule.note ?? '', /BmsAuthError/);
    const refused = await stack.admin.post(`${BMS}/sync`);
    assert.equal(refused.status, 409);
    assert.equal((await deliveries(stack.admin)).length, before + 4);
  });

  it('saving the connection with the new password (tested by the PUT) resumes the sync', async () => {
    const res = await stack.admin.put(BMS, { apiUrl: stack.sim.url, v1Url: stack.sim.url, tenant: 'Demo MSP', username: 'api.user', password: 'rotated-in-bms' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.data.paused, false);
    assert.equal(res.body.data.pausedAutomatically, false);
    assert.equal(res.body.data.pauseReason, null);
    assert.equal(res.body.data.connectionStatus, 'ok');
    await scheduleState(stack, false);
    await waitForIdlePulls(stack.admin);
    const run = await syncNowAndEnd(stack.admin);
    assert.equal(run.status, 'completed', JSON.stringify(run));
    // Nothing more was sent.
    assert.equal(hook.received.length, 2);
    assert.equal(smtp.received.length, 2);
  });

  it('push refusals go out as one digest per pull interval listing the records, never one message per record', async () => {
    await stack.simAdmin.put('/_sim/faults', { rules: [{ route: 'POST /v2/crm/accounts', mode: 'problem-details', count: 2 }] });
    const ids: string[] = [];
    for (const name of ['Digest One Ltd', 'Digest Two Ltd']) {
      const res = await stack.admin.post('/api/v1/organizations', { name, type: 'Client', status: 'Active' });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      ids.push(res.body.data.id);
    }
    for (const id of ids) await waitForSyncState(stack.admin, 'organizations', id, 'failed');
    await stack.simAdmin.delete('/_sim/faults');
    const hooks = hook.received.length;
    const mails = smtp.received.length;
    const run = await syncNowAndEnd(stack.admin);
    assert.equal(run.status, 'completed');
    await waitFor(() => hook.received.length === hooks + 1 && smtp.received.length === mails + 1, { timeoutMs: 20_000, what: 'the push digest' });
    const digest = hook.received.at(-1)!;
    assert.equal(digest.verified, true);
    assert.equal(digest.body.kind, 'push.failed');
    assert.equal(digest.body.title, '2 records failed to push to Kaseya BMS');
    assert.deepEqual(digest.body.details.records.map((r: any) => r.recordId).sort(), [...ids].sort());
    assert.equal(smtp.received.at(-1)!.subject, '[bms-docsync] 2 records failed to push to Kaseya BMS');
    for (const id of ids) assert.match(smtp.received.at(-1)!.text, new RegExp(`organization ${id}: Push refused`));
    // A refusal within the same interval waits for the next digest: a pull now sends nothing.
    await stack.simAdmin.put('/_sim/faults', { rules: [{ route: 'POST /v2/crm/accounts', mode: 'problem-details', count: 1 }] });
    const third = await stack.admin.post('/api/v1/organizations', { name: 'Digest Three Ltd', type: 'Client', status: 'Active' });
    await waitForSyncState(stack.admin, 'organizations', third.body.data.id, 'failed');
    await stack.simAdmin.delete('/_sim/faults');
    assert.equal((await syncNowAndEnd(stack.admin)).status, 'completed');
    await waitForIdlePulls(stack.admin);
    const digests = (await deliveries(stack.admin)).filter((d) => d.eventKind === 'push.failed');
    assert.equal(digests.length, 2, JSON.stringify(digests.map((d) => [d.event.title, d.event.details])));
  });

  it('a failed webhook delivery is retried with backoff, each attempt in the delivery log', async () => {
    hook.failNext.push(503);
    const sent = await stack.admin.post(`/api/v1/notifications/channels/${webhookChannel.id}/test`);
    const id = sent.body.data.deliveryIds[0];
    const retrying = await waitFor(async () => (await deliveries(stack.admin)).find((d) => d.id === id && d.status === 'retrying'), {
      timeoutMs: 10_000,
      what: 'the first attempt to fail',
    });
    assert.equal(retrying.attempts, 1);
    assert.equal(retrying.responseCode, 503);
    assert.equal(retrying.lastError, 'The receiver answered 503');
    const delivered = await waitFor(async () => (await deliveries(stack.admin)).find((d) => d.id === id && d.status === 'delivered'), {
      timeoutMs: 30_000,
      what: 'the retry to deliver',
    });
    assert.equal(delivered.attempts, 2);
    assert.equal(delivered.responseCode, 200);
    assert.match(delivered.workflowUrl, /notification%3A/);
  });

  it('webhook addresses pass the outbound destination policy; bad input names the field', async () => {
    const privateHost = await stack.admin.post('/api/v1/notifications/channels', { kind: 'webhook', name: 'x', url: 'https://10.1.2.3/hook' });
    assert.equal(privateHost.status, 422);
    assert.equal(privateHost.body.error.code, 'destination_not_allowed');
    assert.equal(privateHost.body.error.details.field, 'url');
    const otherHost = await stack.admin.post('/api/v1/notifications/channels', { kind: 'webhook', name: 'x', url: 'https://hooks.example.com/x' });
    assert.equal(otherHost.status, 422);
    assert.equal(otherHost.body.error.details.field, 'url');
    const withQuery = await stack.admin.post('/api/v1/notifications/channels', { kind: 'webhook', name: 'x', url: `${hook.url}?token=1` });
    assert.equal(withQuery.status, 400);
    assert.equal(withQuery.body.error.details.issues[0].field, 'url');
    const noRecipients = await stack.admin.post('/api/v1/notifications/channels', { kind: 'email', name: 'x', recipients: [] });
    assert.equal(noRecipients.status, 400);
    assert.equal(noRecipients.body.error.details.issues[0].field, 'recipients');
    const badEmail = await stack.admin.post('/api/v1/notifications/channels', { kind: 'email', name: 'x', recipients: ['not-an-address'] });
    assert.equal(badEmail.status, 400);
    assert.equal(badEmail.body.error.details.issues[0].field, 'recipients.0');
    const badEvent = await stack.admin.post('/api/v1/notifications/channels', { kind: 'webhook', name: 'x', url: hook.url, events: ['nope'] });
    assert.equal(badEvent.status, 400);
    assert.equal(badEvent.body.error.details.issues[0].field, 'events.0');
    const badKind = await stack.admin.post('/api/v1/notifications/channels', { kind: 'pager', name: 'x' });
    assert.equal(badKind.status, 400);
    assert.equal(badKind.body.error.details.issues[0].field, 'kind');
    const wrongField = await stack.admin.patch(`/api/v1/notifications/channels/${emailChannel.id}`, { url: hook.url });
    assert.equal(wrongField.status, 422);
    assert.equal(wrongField.body.error.details.field, 'url');
    const stale = await stack.admin.patch(`/api/v1/notifications/channels/${emailChannel.id}`, { name: 'Renamed', version: 99 });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.error.details.currentVersion, emailChannel.version);
    const missing = await stack.admin.post('/api/v1/notifications/channels/00000000-0000-4000-8000-000000000000/test');
    assert.equal(missing.status, 404);
  });

  it('a rotated secret signs from then on; a disabled channel gets no events but still gets its test', async () => {
    const rotated = await stack.admin.patch(`/api/v1/notifications/channels/${webhookChannel.id}`, { rotateSecret: true, enabled: false });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    assert.notEqual(rotated.body.data.secret, webhookChannel.secret);
    assert.equal(rotated.body.data.enabled, false);
    hook.secret = rotated.body.data.secret;
    const count = hook.received.length;
    await stack.admin.post(`/api/v1/notifications/channels/${webhookChannel.id}/test`);
    await waitFor(() => hook.received.length === count + 1, { timeoutMs: 20_000, what: 'the test with the new secret' });
    assert.equal(hook.received.at(-1)!.verified, true);
  });

  it('channels are for administrators; managers read the delivery log; others neither; other accounts see nothing', async () => {
    const manager = await stack.userWithRole('manager');
    const editor = await stack.userWithRole('editor');
    const readOnly = await stack.userWithRole('read-only');
    assert.equal((await manager.get('/api/v1/notifications/channels')).status, 403);
    assert.equal((await manager.post('/api/v1/notifications/channels', { kind: 'webhook', name: 'x', url: hook.url })).status, 403);
    assert.equal((await manager.post(`/api/v1/notifications/channels/${webhookChannel.id}/test`)).status, 403);
    assert.equal((await manager.get('/api/v1/notifications/deliveries')).status, 200);
    for (const client of [editor, readOnly]) {
      assert.equal((await client.get('/api/v1/notifications/channels')).status, 403);
      assert.equal((await client.get('/api/v1/notifications/deliveries')).status, 403);
      assert.equal((await client.delete(`/api/v1/notifications/channels/${webhookChannel.id}`)).status, 403);
    }
    const other = await stack.otherAccount();
    assert.equal((await other.admin.get('/api/v1/notifications/deliveries')).body.data.length, 0);
    assert.equal((await other.admin.post(`/api/v1/notifications/channels/${webhookChannel.id}/test`)).status, 404);
    assert.equal((await other.admin.delete(`/api/v1/notifications/channels/${webhookChannel.id}`)).status, 404);
  });
});

describe('notifications: the rate budget stays exhausted (real stack)', function () {
  this.timeout(120_000);
  let stack: Stack;
  let hook: WebhookReceiver;

  before(async () => {
    hook = await startWebhookReceiver();
    // One request per endpoint per minute: the first pull soon waits for the budget; 2 s of waiting is news.
    stack = await startStack({
      connect: false,
      env: { BMS_RATE_LIMIT_PER_WINDOW: '1', BMS_RATE_WINDOW_SECONDS: '60', NOTIFY_BUDGET_EXHAUSTED_SECONDS: '2' },
    });
  });

  after(async () => {
    await stack?.stop();
    await hook?.close();
  });

  it('a request that has waited longer than the set time raises one budget.exhausted per endpoint; the pull keeps waiting', async () => {
    const channel = await stack.admin.post('/api/v1/notifications/channels', { kind: 'webhook', name: 'Budget', url: hook.url, events: ['budget.exhausted'] });
    assert.equal(channel.status, 201, JSON.stringify(channel.body));
    hook.secret = channel.body.data.secret;
    const connected = await stack.admin.put(BMS, { apiUrl: stack.sim.url, v1Url: stack.sim.url, tenant: 'Demo MSP', username: 'api.user', password: 'demo-password' });
    assert.equal(connected.status, 200, JSON.stringify(connected.body));
    await waitFor(() => hook.received.length >= 1, { timeoutMs: 30_000, what: 'the budget.exhausted webhook' });
    const first = hook.received[0]!;
    assert.equal(first.verified, true);
    assert.equal(first.body.kind, 'budget.exhausted');
    assert.equal(first.body.title, 'Kaseya BMS request budget exhausted');
    assert.match(first.body.details.endpoint, /^(GET|POST|PUT|PATCH) \//);
    assert.match(first.body.text, /waited 2 seconds for the Kaseya BMS request budget/);
    // Throttled work waits; it is not dropped: the pull is still running.
    const runs = (await stack.admin.get(`${BMS}/runs?pageSize=5`)).body.data as any[];
    assert.equal(runs[0]?.status, 'running');
    const endpoints = hook.received.map((h) => h.body.details.endpoint);
    assert.equal(new Set(endpoints).size, endpoints.length, 'one event per endpoint per period');
  });
});
