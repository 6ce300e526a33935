/**
 * Where the controls meet: the rules of one (the last administrator, work bounded before and after
 * authentication, the BMS password bound to its address, no secret in the log) holding on the endpoints,
 * checks and concurrent requests that another added.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SIM_CREDENTIALS, startStack, type Stack } from '../helpers/stack';

const STRONG = 'Velvet-Orbit-Pancake-42';
const CHOSEN_BY_KEY = 'Quiet-Harbor-Lantern-77';

/** A password shaped to make the strength estimator try as many patterns and substitutions as it can. */
function craftedPassword(length: number): string {
  return Array.from({ length }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 90))).join('');
}

describe('security seams', function () {
  this.timeout(180_000);
  let stack: Stack;
  const logFile = path.join(tmpdir(), `seams-${process.pid}-${Date.now()}.log`);

  before(async () => {
    stack = await startStack({ worker: false, logFile });
  });
  after(async () => {
    await stack?.stop();
    rmSync(logFile, { force: true });
  });

  it('lets no API key set a person’s password: a key cannot log in as the last administrator nor lock them out', async () => {
    const admin = (await stack.admin.get('/api/v1/me')).body.data;
    const adminEmail = (await stack.admin.get('/api/v1/users')).body.data.find((u: { id: string }) => u.id === admin.userId).email;
    const created = await stack.admin.post('/api/v1/api-keys', { name: 'provisioning', role: 'administrator' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const key = stack.anonymous.withToken(created.body.data.key);

    const reset = await key.post(`/api/v1/users/${admin.userId}/password`, { password: CHOSEN_BY_KEY });
    assert.equal(reset.status, 403, JSON.stringify(reset.body));
    assert.equal(reset.body.error.code, 'session_required');
    assert.equal((await stack.admin.get('/api/v1/me')).status, 200, 'the administrator’s session goes on');
    const asAdmin = await stack.anonymous.post('/api/v1/auth/login', { email: adminEmail, password: CHOSEN_BY_KEY });
    assert.equal(asAdmin.status, 401, 'the key holder cannot log in as the administrator');
    assert.equal((await stack.anonymous.post('/api/v1/auth/login', { email: adminEmail, password: 'admin-password' })).status, 200);

    const editor = await stack.admin.post('/api/v1/users', { email: 'eddie.seams@test.example', name: 'Eddie Editor', role: 'editor', password: STRONG });
    const editorReset = await key.post(`/api/v1/users/${editor.body.data.id}/password`, { password: CHOSEN_BY_KEY });
    assert.equal(editorReset.status, 403, 'nor any other person');
    assert.equal((await stack.anonymous.post('/api/v1/auth/login', { email: 'eddie.seams@test.example', password: STRONG })).status, 200);

    const bySession = await stack.admin.post(`/api/v1/users/${editor.body.data.id}/password`, { password: CHOSEN_BY_KEY });
    assert.equal(bySession.status, 204, 'an administrator logged in still resets passwords');
  });

  it('judges a chosen password in bounded time however long it is: no logged-in person can hold the API with one', async () => {
    const readOnly = await stack.userWithRole('read-only');
    // The estimator loads its dictionaries on first use; that once is not what is measured.
    assert.equal((await readOnly.post('/api/v1/me/password', { currentPassword: 'not-the-current-one', newPassword: 'short' })).status, 400);
    for (const length of [256, 1024]) {
      const started = performance.now();
      const res = await readOnly.post('/api/v1/me/password', { currentPassword: 'not-the-current-one', newPassword: craftedPassword(length) });
      const elapsedMs = performance.now() - started;
      assert.ok(res.status === 400 || res.status === 403, `${length} characters: ${res.status} ${JSON.stringify(res.body)}`);
      // Unbounded, the estimator spent over three seconds on the event loop for this password.
      assert.ok(elapsedMs < 1_000, `${length} characters took ${Math.round(elapsedMs)} ms`);
    }
  });

  it('keeps a connection changed during a test without its password as it was changed: no 500, nothing re-pointed', async () => {
    const bms = '/api/v1/integrations/kaseya-bms';
    // The request without the password is held in its V1 login, long enough for a change with the password to land.
    await stack.simAdmin.put('/_sim/faults', { rules: [{ route: 'POST /api/token', mode: 'slow', count: 1, delayMs: 3_000 }] });
    const unchanged = stack.admin.put(bms, { apiUrl: stack.sim.url, v1Url: stack.sim.url, tenant: SIM_CREDENTIALS.tenant, username: SIM_CREDENTIALS.username });
    const deadline = Date.now() + 10_000;
    while ((await stack.simAdmin.get('/_sim/faults')).body.rules[0].fired === 0) {
      assert.ok(Date.now() < deadline, 'the unchanged connection never reached its V1 login');
    }
    const moved = await stack.admin.put(bms, { apiUrl: stack.sim.url, v1Url: null, ...SIM_CREDENTIALS });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));

    const late = await unchanged;
    assert.equal(late.status, 409, JSON.stringify(late.body));
    assert.equal(late.body.error.code, 'connection_changed');
    assert.equal(late.body.error.details.field, 'password');
    assert.equal((await stack.admin.get(bms)).body.data.v1Url, null, 'the change made with the password stands');
  });

  it('answers two first connections of an account arriving together (a double click) without a 500', async () => {
    const body = { apiUrl: stack.sim.url, v1Url: stack.sim.url, ...SIM_CREDENTIALS };
    for (let attempt = 0; attempt < 3; attempt++) {
      const other = await stack.otherAccount();
      // Both are held in their V1 login and let go together, so both save at about the same moment.
      await stack.simAdmin.put('/_sim/faults', { rules: [{ route: 'POST /api/token', mode: 'slow', count: 2, delayMs: 1_500 }] });
      const answers = await Promise.all([other.admin.put('/api/v1/integrations/kaseya-bms', body), other.admin.put('/api/v1/integrations/kaseya-bms', body)]);
      for (const res of answers) assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal((await other.admin.get('/api/v1/integrations/kaseya-bms')).body.data.connected, true);
    }
  });

  it('logs the page of a server that is not BMS without the password it echoes back', async () => {
    // A proxy or error page that quotes the request it could not serve, the login form with the password in it.
    const echo = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => res.writeHead(502, { 'content-type': 'text/html' }).end(`<html><body>Bad gateway for ${body}</body></html>`));
    });
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    try {
      const url = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
      const password = 'Echoed back & 100% <secret>';
      const res = await stack.admin.put('/api/v1/integrations/kaseya-bms', { ...SIM_CREDENTIALS, apiUrl: url, v1Url: null, password });
      assert.equal(res.status, 422, JSON.stringify(res.body));
      const reference = /reference ([0-9a-f-]{36})/.exec(res.body.error.message)?.[1];
      assert.ok(reference, res.body.error.message);
      const logged = readFileSync(logFile, 'utf8').split('\n').find((line) => line.includes(reference));
      assert.ok(logged, 'the page is in the log under the reference');
      assert.match(logged, /Bad gateway for/);
      for (const form of [password, encodeURIComponent(password), new URLSearchParams({ password }).toString().slice('password='.length)]) {
        assert.ok(!logged.includes(form), `the log holds the password as ${form}`);
      }
    } finally {
      echo.close();
    }
  });
});
