/**
 * Secrets stay secret (the BMS password and API keys never appear in answers, logs or Temporal history;
 * the password is encrypted at rest), password guessing is throttled, sessions end.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LOGIN_FAILURES_ALLOWED } from '../../api/routes/auth';
import { loadSecretBox } from '../../lib/secrets';
import { createUser, logout, SESSION_IDLE_MS } from '../../services/accounts';
import { startStack, type Stack } from '../helpers/stack';
import { syncNowAndWait, waitForSyncState } from '../helpers/sync';

const BMS_PASSWORD = 'Sup3r-Secret-BMS-Passw0rd!';

describe('secrets and sessions', function () {
  this.timeout(120_000);
  let stack: Stack;
  let logFile: string;

  before(async () => {
    logFile = path.join(os.tmpdir(), `docsync-secrets-${process.pid}-${Date.now()}.log`);
    stack = await startStack({ twoWay: true, simulator: { password: BMS_PASSWORD }, connect: false, logFile });
  });
  after(async () => stack?.stop());

  it('never shows or logs the BMS password or an API key, nor puts them in Temporal history', async () => {
    const refused = await stack.admin.put('/api/v1/integrations/kaseya-bms', {
      apiUrl: stack.sim.url,
      v1Url: stack.sim.url,
      tenant: 'Demo MSP',
      username: 'api.user',
      password: `${BMS_PASSWORD}-wrong`,
    });
    assert.equal(refused.status, 422);
    assert.equal(refused.body.error.code, 'connection_failed');
    const connected = await stack.admin.put('/api/v1/integrations/kaseya-bms', {
      apiUrl: stack.sim.url,
      v1Url: stack.sim.url,
      tenant: 'Demo MSP',
      username: 'api.user',
      password: BMS_PASSWORD,
    });
    assert.equal(connected.status, 200, JSON.stringify(connected.body));
    await stack.admin.patch('/api/v1/integrations/kaseya-bms/sync-settings', { twoWayEnabled: true });
    const key = await stack.admin.post('/api/v1/api-keys', { name: 'automation', role: 'editor' });
    assert.equal(key.status, 201);
    const apiKey = key.body.data.key as string;
    const viaKey = stack.anonymous.withToken(apiKey);
    assert.equal((await viaKey.get('/api/v1/organizations')).status, 200);
    const org = await stack.admin.post('/api/v1/organizations', { name: 'Secret Keeping Ltd', type: 'Client', status: 'Active' });
    await waitForSyncState(stack.admin, 'organizations', org.body.data.id, 'synced');
    await syncNowAndWait(stack.admin);

    const answers = [
      await stack.admin.get('/api/v1/integrations/kaseya-bms'),
      await stack.admin.get('/api/v1/integrations/kaseya-bms/sync-settings'),
      await stack.admin.get('/api/v1/api-keys'),
      await stack.admin.get('/api/v1/me'),
      connected,
    ];
    for (const answer of answers) {
      const text = JSON.stringify(answer.body);
      assert.ok(!text.includes(BMS_PASSWORD), 'password in an answer');
      assert.ok(!text.includes(apiKey), 'API key in an answer');
    }
    assert.equal(connected.body.data.passwordSet, true);
    assert.equal('password' in connected.body.data, false);

    const stored = (await stack.env.db('integrations').where({ account_id: stack.accountId }).first('password_enc')) as { password_enc: string };
    assert.ok(!stored.password_enc.includes(BMS_PASSWORD), 'encrypted at rest');
    assert.match(stored.password_enc, /^v1:/);

    const logs = readFileSync(logFile, 'utf8');
    assert.ok(logs.length > 1000, 'the stack logged at trace level');
    assert.ok(!logs.includes(BMS_PASSWORD), 'password in the logs');
    assert.ok(!logs.includes(apiKey), 'API key in the logs');
    assert.ok(!logs.includes(stack.admin.token!), 'session token in the logs');

    for await (const wf of stack.temporal.workflow.list({ query: `AccountId = "${stack.accountId}"` })) {
      const history = JSON.stringify(await stack.temporal.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory());
      assert.ok(!history.includes(BMS_PASSWORD), `password in the history of ${wf.workflowId}`);
      assert.ok(!/accessToken|access_token|Bearer /.test(history), `a token in the history of ${wf.workflowId}`);
    }
  });

  it('keeps the generated encryption key owner-only', () => {
    const dir = path.join(stack.env.tmpDir, 'keys');
    loadSecretBox(undefined, dir);
    const mode = statSync(path.join(dir, 'secret.key')).mode & 0o777;
    assert.equal(mode, 0o600);
  });

  it(`throttles password guessing after ${LOGIN_FAILURES_ALLOWED} failures`, async () => {
    await createUser(stack.env.db, { accountId: stack.accountId, email: 'guess-me@test.example', name: 'Target', role: 'editor', password: 'right-password' });
    for (let i = 0; i < LOGIN_FAILURES_ALLOWED; i++) {
      const res = await stack.anonymous.post('/api/v1/auth/login', { email: 'guess-me@test.example', password: `wrong-${i}` });
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'invalid_credentials');
    }
    const throttled = await stack.anonymous.post('/api/v1/auth/login', { email: 'guess-me@test.example', password: 'right-password' });
    assert.equal(throttled.status, 429);
    assert.equal(throttled.body.error.code, 'too_many_attempts');
    const otherUser = await stack.anonymous.post('/api/v1/auth/login', { email: 'someone-else@test.example', password: 'x' });
    assert.equal(otherUser.status, 401, 'other emails are not locked out');
  });

  it('slides a session\'s expiry, and stamps an API key\'s use, at most once a minute', async () => {
    const { db } = stack.env;
    await createUser(db, { accountId: stack.accountId, email: 'busy@test.example', name: 'B', role: 'editor', password: 'busy-password' });
    const ok = await stack.anonymous.post('/api/v1/auth/login', { email: 'busy@test.example', password: 'busy-password' });
    const client = stack.anonymous.withToken(ok.body.data.token as string);
    const session = () => db('sessions').where({ user_id: ok.body.data.user.id }).first('last_seen_at', 'expires_at') as Promise<{ last_seen_at: Date; expires_at: Date }>;
    // Last slid two minutes ago, expiring in an hour: the next request slides it.
    await db('sessions')
      .where({ user_id: ok.body.data.user.id })
      .update({ last_seen_at: db.raw("now() - interval '2 minutes'"), expires_at: db.raw("now() + interval '1 hour'") });
    assert.equal((await client.get('/api/v1/me')).status, 200);
    const slid = await session();
    assert.ok(slid.expires_at.getTime() > Date.now() + SESSION_IDLE_MS - 60_000, 'the expiry slid to a full idle lifetime');
    assert.ok(slid.last_seen_at.getTime() > Date.now() - 60_000);
    // Requests right after it read the session and leave it as it is.
    for (let i = 0; i < 3; i++) assert.equal((await client.get('/api/v1/me')).status, 200);
    assert.deepEqual(await session(), slid);

    const key = await stack.admin.post('/api/v1/api-keys', { name: 'busy automation', role: 'editor' });
    const viaKey = stack.anonymous.withToken(key.body.data.key as string);
    const lastUsed = async () => ((await db('api_keys').where({ id: key.body.data.id }).first('last_used_at')) as { last_used_at: Date | null }).last_used_at;
    assert.equal(await lastUsed(), null);
    assert.equal((await viaKey.get('/api/v1/organizations')).status, 200);
    const stamped = await lastUsed();
    assert.ok(stamped, 'the first use is stamped');
    assert.equal((await viaKey.get('/api/v1/organizations')).status, 200);
    assert.deepEqual(await lastUsed(), stamped, 'a use within the minute writes nothing');
    await db('api_keys').where({ id: key.body.data.id }).update({ last_used_at: db.raw("now() - interval '2 minutes'") });
    assert.equal((await viaKey.get('/api/v1/organizations')).status, 200);
    assert.ok((await lastUsed())!.getTime() > Date.now() - 60_000, 'a use after a minute is stamped again');
  });

  it('ends sessions on logout and when they expire', async () => {
    await createUser(stack.env.db, { accountId: stack.accountId, email: 'session@test.example', name: 'S', role: 'editor', password: 'session-password' });
    const ok = await stack.anonymous.post('/api/v1/auth/login', { email: 'session@test.example', password: 'session-password' });
    const token = ok.body.data.token as string;
    const client = stack.anonymous.withToken(token);
    assert.equal((await client.get('/api/v1/me')).status, 200);
    assert.equal((await client.post('/api/v1/auth/logout')).status, 204);
    assert.equal((await client.get('/api/v1/me')).status, 401);

    const again = await stack.anonymous.post('/api/v1/auth/login', { email: 'session@test.example', password: 'session-password' });
    const second = stack.anonymous.withToken(again.body.data.token);
    // A session unused for longer than its idle lifetime has expired.
    await stack.env.db('sessions')
      .where({ user_id: again.body.data.user.id })
      .update({ expires_at: stack.env.db.raw("now() - interval '1 second'") });
    const expired = await second.get('/api/v1/me');
    assert.equal(expired.status, 401);
    assert.equal(expired.body.error.code, 'unauthorized');
    await logout(stack.env.db, again.body.data.token);
  });
});
