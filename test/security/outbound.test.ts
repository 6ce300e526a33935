/**
 * Where the service sends a BMS password, and what comes back from there: the stored password only goes
 * to the address, tenant and user it was entered with; addresses pass the outbound destination policy
 * before anything is sent; an answer that is not from BMS is never echoed; connecting is rate-limited.
 * Listeners here are plain node HTTP servers that count what reaches them.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, request as httpRequest, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CONNECT_ATTEMPTS_PER_MINUTE } from '../../api/routes/integration';
import type { HttpClient } from '../helpers/api-client';
import { SIM_CREDENTIALS, startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/sync';

const BMS = '/api/v1/integrations/kaseya-bms';
const MARKER = 'MARKER-7f3a-internal-proxy-page';

interface Listener {
  url: string;
  /** Requests received, as `METHOD /path` with the body. */
  requests: Array<{ route: string; body: string }>;
  connections: number;
  close(): Promise<void>;
}

async function listen(handle: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<Listener> {
  const listener: Partial<Listener> & { requests: Listener['requests']; connections: number } = { requests: [], connections: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      listener.requests.push({ route: `${req.method} ${req.url}`, body });
      handle(req, res, body);
    });
  });
  server.on('connection', () => listener.connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  listener.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  listener.close = async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  };
  return listener as Listener;
}

function htmlError(res: ServerResponse): void {
  res.writeHead(500, { 'content-type': 'text/html' });
  res.end(`<!DOCTYPE html><html><body><h1>Internal error</h1><p>${MARKER}</p></body></html>`);
}

describe('outbound: the password stays bound to its address; the destination policy', function () {
  this.timeout(180_000);
  let stack: Stack;
  let silent: Listener;
  let connection: { apiUrl: string; v1Url: string; tenant: string; username: string };
  const logFile = path.join(os.tmpdir(), `docsync-outbound-${process.pid}-${Date.now()}.log`);

  /** An administrator of a new, unconnected account: each has its own connection-attempt budget. */
  async function freshAdmin(): Promise<HttpClient> {
    return (await stack.otherAccount()).admin;
  }

  before(async () => {
    stack = await startStack({ logFile });
    silent = await listen((_req, res) => res.end('{}'));
    connection = { apiUrl: stack.sim.url, v1Url: stack.sim.url, tenant: SIM_CREDENTIALS.tenant, username: SIM_CREDENTIALS.username };
  });
  after(async () => {
    await silent?.close();
    await stack?.stop();
    rmSync(logFile, { force: true });
  });

  it('sends nothing anywhere when a manager changes the address, V1 address, tenant or user name without the password', async () => {
    const manager = await stack.userWithRole('manager');
    for (const change of [{ apiUrl: silent.url }, { v1Url: silent.url }, { tenant: 'Other MSP' }]) {
      const res = await manager.put(BMS, { ...connection, ...change });
      assert.equal(res.status, 422, JSON.stringify(res.body));
      assert.equal(res.body.error.details.field, 'password');
      assert.match(res.body.error.message, /password is required/);
    }
    assert.equal(silent.connections, 0, 'the listener was never even connected to');
    const stored = (await stack.admin.get(BMS)).body.data;
    assert.equal(stored.apiUrl, stack.sim.url);
    assert.equal(stored.v1Url, stack.sim.url);
    assert.equal(stored.tenant, SIM_CREDENTIALS.tenant);
    // Unchanged settings may be checked again with the stored password: it goes where it was entered.
    const again = await manager.put(BMS, connection);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(silent.connections, 0);
  });

  it('tests a V1 address with a V1 login before storing it, and stores nothing when it is refused', async () => {
    const refusing = await listen((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_grant', error_description: 'The user name or password is incorrect.' }));
    });
    try {
      const admin = await freshAdmin();
      const first = await admin.put(BMS, { ...connection, v1Url: refusing.url, password: SIM_CREDENTIALS.password });
      assert.equal(first.status, 422, JSON.stringify(first.body));
      assert.equal(first.body.error.code, 'connection_failed');
      assert.equal(first.body.error.details.field, 'v1Url');
      assert.deepEqual((await admin.get(BMS)).body.data, { connected: false }, 'nothing stored');
      assert.deepEqual(
        refusing.requests.map((r) => r.route),
        ['POST /api/token'],
        'the V1 address only saw the token call',
      );

      const connected = await admin.put(BMS, { ...connection, password: SIM_CREDENTIALS.password });
      assert.equal(connected.status, 200, JSON.stringify(connected.body));
      const repointed = await admin.put(BMS, { ...connection, v1Url: refusing.url, password: SIM_CREDENTIALS.password });
      assert.equal(repointed.status, 422);
      assert.equal(repointed.body.error.details.field, 'v1Url');
      assert.equal((await admin.get(BMS)).body.data.v1Url, stack.sim.url, 'the stored connection was not re-pointed');
    } finally {
      await refusing.close();
    }
  });

  it('refuses addresses the policy does not allow, naming the field, before sending anything', async () => {
    const port = new URL(silent.url).port;
    const cases: Array<{ change: Record<string, string>; status: number; field: string; message?: RegExp }> = [
      { change: { apiUrl: `http://localhost:${port}` }, status: 422, field: 'apiUrl', message: /not an allowed destination: the Kaseya BMS hosts are, and any other host must be added to BMS_ALLOWED_HOSTS/ },
      { change: { apiUrl: `http://[::1]:${port}` }, status: 422, field: 'apiUrl' },
      { change: { apiUrl: `http://[::ffff:127.0.0.2]:${port}` }, status: 422, field: 'apiUrl' },
      { change: { apiUrl: 'http://10.0.0.7' }, status: 422, field: 'apiUrl' },
      { change: { apiUrl: 'http://169.254.169.254/latest/meta-data' }, status: 422, field: 'apiUrl' },
      { change: { apiUrl: 'http://[::ffff:169.254.169.254]' }, status: 422, field: 'apiUrl' },
      { change: { apiUrl: 'http://[fd00:ec2::254]' }, status: 422, field: 'apiUrl' },
      { change: { apiUrl: 'http://api.bms.kaseya.com' }, status: 422, field: 'apiUrl', message: /Plain http is not allowed/ },
      { change: { apiUrl: 'https://bms.evil.example' }, status: 422, field: 'apiUrl' },
      { change: { v1Url: 'http://169.254.169.254' }, status: 422, field: 'v1Url' },
      { change: { apiUrl: `http://user:pw@127.0.0.1:${port}` }, status: 400, field: 'apiUrl', message: /user name or password/ },
      { change: { apiUrl: `${silent.url}/?next=1` }, status: 400, field: 'apiUrl', message: /query/ },
      { change: { v1Url: `${silent.url}/#x` }, status: 400, field: 'v1Url', message: /fragment/ },
      { change: { apiUrl: `${silent.url}/a/%2e%2e/b` }, status: 400, field: 'apiUrl', message: /percent-encoding/ },
    ];
    for (const { change, status, field, message } of cases) {
      const admin = await freshAdmin();
      const res = await admin.put(BMS, { ...connection, ...change, password: SIM_CREDENTIALS.password });
      const what = `${JSON.stringify(change)}: ${JSON.stringify(res.body)}`;
      assert.equal(res.status, status, what);
      if (status === 422) {
        assert.equal(res.body.error.code, 'destination_not_allowed', what);
        assert.equal(res.body.error.details.field, field, what);
      } else {
        assert.equal(res.body.error.details.issues[0].field, field, what);
      }
      if (message) assert.match(res.body.error.message, message, what);
      assert.deepEqual((await admin.get(BMS)).body.data, { connected: false }, what);
    }
    assert.equal(silent.connections, 0, 'nothing reached the listener');
  });

  it('never echoes the page of a server that is not BMS, in the answer or on a record', async () => {
    const notBms = await listen((_req, res) => htmlError(res));
    // Passes everything on to the simulator but answers account creates with its own error page.
    const proxy = await listen((req, res, body) => {
      if (req.method === 'POST' && req.url === '/v2/crm/accounts') return htmlError(res);
      const upstream = httpRequest(`${stack.sim.url}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.end(body);
    });
    try {
      const admin = await freshAdmin();
      const refused = await admin.put(BMS, { ...connection, apiUrl: notBms.url, password: SIM_CREDENTIALS.password });
      assert.equal(refused.status, 422);
      assert.equal(refused.body.error.code, 'connection_failed');
      assert.ok(!JSON.stringify(refused.body).includes(MARKER), JSON.stringify(refused.body));
      const reference = /\(reference ([0-9a-f-]{36})\)/.exec(refused.body.error.message)?.[1];
      assert.ok(reference, refused.body.error.message);
      await waitFor(
        () => readFileSync(logFile, 'utf8').split('\n').some((line) => line.includes(reference) && line.includes(MARKER)),
        { timeoutMs: 5_000, what: 'the page in the server log under the reference' },
      );

      const connected = await admin.put(BMS, { apiUrl: proxy.url, v1Url: proxy.url, ...SIM_CREDENTIALS });
      assert.equal(connected.status, 200, JSON.stringify(connected.body));
      assert.equal((await admin.patch(`${BMS}/sync-settings`, { twoWayEnabled: true })).status, 200);
      const org = await admin.post('/api/v1/organizations', { name: 'Echo Free Ltd', type: 'Client', status: 'Active' });
      assert.equal(org.status, 201, JSON.stringify(org.body));
      const shown = await waitFor(
        async () => {
          const rec = (await admin.get(`/api/v1/organizations/${org.body.data.id}`)).body.data;
          return rec.sync.lastError ? rec : undefined;
        },
        { timeoutMs: 30_000, what: 'the error on the record' },
      );
      assert.ok(proxy.requests.some((r) => r.route === 'POST /v2/crm/accounts'), 'the push reached the error page');
      assert.match(shown.sync.lastError.message, /failed on POST \/v2\/crm\/accounts \(500\): the answer was not from the Kaseya BMS API \(reference/);
      const everything = JSON.stringify((await admin.get('/api/v1/organizations?pageSize=200')).body);
      assert.ok(!everything.includes(MARKER), 'the page is not on any record');
      await admin.post(`${BMS}/pause`);
    } finally {
      await notBms.close();
      await proxy.close();
    }
  });

  it(`allows ${CONNECT_ATTEMPTS_PER_MINUTE} connection attempts a minute per account, then answers 429`, async () => {
    const admin = await freshAdmin();
    const attempt = () => admin.put(BMS, { ...connection, apiUrl: 'https://bms.evil.example', password: 'guess' });
    for (let i = 0; i < CONNECT_ATTEMPTS_PER_MINUTE; i++) assert.equal((await attempt()).status, 422);
    const limited = await attempt();
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error.code, 'too_many_attempts');
    // Another account is not held back by this one.
    const other = await freshAdmin();
    assert.equal((await other.put(BMS, { ...connection, password: SIM_CREDENTIALS.password })).status, 200);
  });
});
