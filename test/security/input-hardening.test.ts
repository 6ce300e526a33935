/**
 * The API reads no body before it knows the caller, bounds what it reads by the caller's permission and
 * by nesting depth, refuses text PostgreSQL cannot store with a 400 naming the field, and keeps
 * credentials out of its request logs.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MAX_JSON_DEPTH } from '../../api/validate';
import type { HttpClient } from '../helpers/api-client';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/sync';

const NEARLY_TEN_MB = 9_800_000;

/**
 * Sends a request that declares `declaredLength` body bytes but sends only `sent`, and waits (up to the
 * deadline) for the status line: an answer proves the API did not wait for the rest of the body.
 */
async function statusWithPartialBody(apiUrl: string, requestPath: string, headers: Record<string, string>, declaredLength: number, sent: string): Promise<number> {
  const { hostname, port } = new URL(apiUrl);
  const socket = net.connect(Number(port), hostname);
  try {
    await once(socket, 'connect');
    const head = [
      `POST ${requestPath} HTTP/1.1`,
      `Host: ${hostname}:${port}`,
      'Content-Type: application/json',
      `Content-Length: ${declaredLength}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      '',
      '',
    ].join('\r\n');
    socket.write(head);
    socket.write(sent);
    let received = '';
    return await new Promise<number>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`no answer within 5 s to ${requestPath}: the API is waiting for the body`)), 5_000);
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
        const status = /^HTTP\/1\.1 (\d{3})/.exec(received);
        if (status) {
          clearTimeout(deadline);
          resolve(Number(status[1]));
        }
      });
      socket.on('error', reject);
    });
  } finally {
    socket.destroy();
  }
}

function nestedImportBody(bytes: number): string {
  const depth = Math.floor((bytes - 14) / 2);
  return `{"records":${'['.repeat(depth)}${']'.repeat(depth)}}`;
}

describe('input hardening', function () {
  this.timeout(120_000);
  let stack: Stack;
  let logDir: string;
  let logFile: string;
  let editor: HttpClient;
  let readOnly: HttpClient;

  before(async () => {
    logDir = mkdtempSync(path.join(os.tmpdir(), 'docsync-log-'));
    logFile = path.join(logDir, 'stack.log');
    stack = await startStack({ logFile });
    editor = await stack.userWithRole('editor');
    readOnly = await stack.userWithRole('read-only');
  });
  after(async () => {
    await stack?.stop();
    rmSync(logDir, { recursive: true, force: true });
  });

  describe('authentication before parsing', () => {
    it('answers 401 to an anonymous nearly 10 MB body after reading none of it', async () => {
      for (const route of ['/api/v1/organizations/import', '/api/v1/organizations', '/api/v1/integrations/kaseya-bms/sync-settings']) {
        const status = await statusWithPartialBody(stack.apiUrl, route, {}, NEARLY_TEN_MB, '{"records":[[[[');
        assert.equal(status, 401, route);
      }
      const badKey = await statusWithPartialBody(stack.apiUrl, '/api/v1/organizations/import', { 'X-API-Key': 'not-a-key' }, NEARLY_TEN_MB, '[[[[');
      assert.equal(badKey, 401, 'an invalid key is refused before the body too');
    });

    it('sizes bodies by permission: the import limit only for callers who may import', async () => {
      const twoMb = JSON.stringify({ records: [{ name: 'Big import', quickNotes: 'x'.repeat(60_000) }] }).padEnd(2_000_000, ' ');
      const refused = await readOnly.call('POST', '/api/v1/organizations/import', twoMb);
      assert.equal(refused.status, 413, 'a caller without records:import gets the normal 1 MB limit');
      assert.equal(refused.body.error.code, 'payload_too_large');
      const imported = await editor.call('POST', '/api/v1/organizations/import', twoMb);
      assert.equal(imported.status, 201, JSON.stringify(imported.body).slice(0, 300));
      const notImport = await editor.call('POST', '/api/v1/organizations', JSON.stringify({ name: 'Big' }).padEnd(2_000_000, ' '));
      assert.equal(notImport.status, 413, 'other routes keep the normal limit');
    });

    it('keeps /health fast while anonymous clients upload nearly 10 MB nested bodies', async () => {
      const body = nestedImportBody(NEARLY_TEN_MB);
      const uploads = Array.from({ length: 3 }, () => stack.anonymous.call('POST', '/api/v1/organizations/import', body));
      let slowest = 0;
      let settled = false;
      const all = Promise.all(uploads).finally(() => {
        settled = true;
      });
      do {
        const started = performance.now();
        const health = await stack.anonymous.get('/api/v1/health');
        slowest = Math.max(slowest, performance.now() - started);
        assert.equal(health.status, 200);
      } while (!settled);
      for (const res of await all) assert.equal(res.status, 401);
      assert.ok(slowest < 1_000, `health took ${Math.round(slowest)} ms during the uploads`);
    });

    it('refuses an authenticated body nested deeper than the limit with a 400 naming the problem', async () => {
      const tooDeep = `{"name":"Deep","quickNotes":null,"x":${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}}`;
      for (const [client, route, body] of [
        [stack.admin, '/api/v1/organizations', tooDeep],
        [editor, '/api/v1/organizations/import', nestedImportBody(NEARLY_TEN_MB)],
        [stack.anonymous, '/api/v1/auth/login', `{"email":${'['.repeat(100)}${']'.repeat(100)}}`],
      ] as const) {
        const started = performance.now();
        const res = await client.call('POST', route, body);
        assert.equal(res.status, 400, `${route}: ${JSON.stringify(res.body).slice(0, 300)}`);
        assert.equal(res.body.error.code, 'too_deeply_nested', route);
        assert.match(res.body.error.message, new RegExp(`${MAX_JSON_DEPTH} levels`));
        assert.ok(performance.now() - started < 3_000, `${route} answered in ${Math.round(performance.now() - started)} ms`);
      }
      // Brackets inside strings are text, not nesting.
      const bracketsInText = await stack.admin.post('/api/v1/organizations', { name: 'Brackets', quickNotes: '['.repeat(1000) });
      assert.equal(bracketsInText.status, 201);
    });

    it('reads the login body, and only a small one, before any credential', async () => {
      const big = await stack.anonymous.call('POST', '/api/v1/auth/login', JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(20_000) }));
      assert.equal(big.status, 413);
      assert.equal(big.body.error.code, 'payload_too_large');
      const wrong = await stack.anonymous.post('/api/v1/auth/login', { email: 'nobody@test.example', password: 'wrong' });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error.code, 'invalid_credentials');
    });
  });

  describe('text and dates PostgreSQL cannot store', () => {
    const NUL = 'A\u0000B';
    let orgId: string;
    let configId: string;

    before(async () => {
      orgId = (await stack.admin.post('/api/v1/organizations', { name: 'Hardening Co' })).body.data.id;
      configId = (await stack.admin.post('/api/v1/configurations', { organizationId: orgId, name: 'Hardening box' })).body.data.id;
    });

    it('refuses NUL characters, unpaired surrogates and year 0000 with a 400 naming the field, storing nothing', async () => {
      const cases: Array<{ client?: HttpClient; method: string; route: string; body?: unknown; field: RegExp; contentType?: string }> = [
        { client: stack.anonymous, method: 'POST', route: '/api/v1/auth/login', body: { email: NUL, password: 'x' }, field: /email/ },
        ...['organizations', 'locations', 'contacts', 'configurations'].map((c) => ({ method: 'GET', route: `/api/v1/${c}?search=${encodeURIComponent(NUL)}`, field: /query search/ })),
        { method: 'POST', route: '/api/v1/organizations', body: { name: NUL }, field: /^name:/ },
        { method: 'POST', route: '/api/v1/organizations', body: { name: 'Lone \ud800 surrogate' }, field: /^name: .*surrogate/ },
        { method: 'PATCH', route: `/api/v1/organizations/{org}`, body: { quickNotes: NUL }, field: /^quickNotes:/ },
        { method: 'POST', route: '/api/v1/locations', body: { organizationId: '{org}', name: 'Site', notes: NUL }, field: /^notes:/ },
        { method: 'POST', route: '/api/v1/contacts', body: { organizationId: '{org}', firstName: 'Pat', phones: [{ value: NUL }] }, field: /^phones\.0\.value:/ },
        { method: 'POST', route: '/api/v1/contacts', body: { organizationId: '{org}', firstName: 'Pat', emails: [{ value: 'pat@example.com', label: NUL }] }, field: /^emails\.0\.label:/ },
        { method: 'POST', route: '/api/v1/configurations', body: { organizationId: '{org}', name: 'Box', purchasedAt: '0000-01-01' }, field: /^purchasedAt: .*year 1/ },
        { method: 'PATCH', route: `/api/v1/configurations/{config}`, body: { warrantyExpiresAt: '0000-01-01' }, field: /^warrantyExpiresAt:/ },
        { method: 'POST', route: '/api/v1/organizations/import', body: { records: [{ name: 'Fine' }, { name: NUL }] }, field: /^Row 2: name:/ },
        { method: 'POST', route: '/api/v1/organizations/import', body: `name,quickNotes\nFine,ok\nAlso fine,${NUL}\n`, contentType: 'text/csv', field: /^Row 2: quickNotes:/ },
        { method: 'PATCH', route: '/api/v1/integrations/kaseya-bms/sync-settings', body: { settings: { contactDefaults: { emailType: NUL } } }, field: /^settings\.contactDefaults\.emailType:/ },
        { method: 'PATCH', route: '/api/v1/integrations/kaseya-bms/sync-settings', body: { settings: { lookupTables: { country: 'Country\udc00' } } }, field: /^settings\.lookupTables\.country:/ },
        { method: 'POST', route: '/api/v1/api-keys', body: { name: NUL, role: 'editor' }, field: /^name:/ },
        { method: 'POST', route: '/api/v1/users', body: { email: 'nul@test.example', name: NUL, role: 'editor', password: 'long-enough-password' }, field: /^name:/ },
      ];
      const before = await snapshot();
      for (const c of cases) {
        const route = c.route.replace('{org}', orgId).replace('{config}', configId);
        const body = typeof c.body === 'object' ? JSON.parse(JSON.stringify(c.body).replace('{org}', orgId)) : c.body;
        const headers = c.contentType ? { 'content-type': c.contentType } : undefined;
        const res = await (c.client ?? stack.admin).call(c.method, route, body, headers);
        const what = `${c.method} ${c.route} ${JSON.stringify(c.body)}`;
        assert.equal(res.status, 400, `${what}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
        assert.equal(res.body.error.code, 'validation_error', what);
        assert.match(res.body.error.message, c.field, what);
      }
      assert.deepEqual(await snapshot(), before, 'nothing stored or changed');
    });

    async function snapshot() {
      const totals: Record<string, number> = {};
      for (const c of ['organizations', 'locations', 'contacts', 'configurations']) totals[c] = (await stack.admin.get(`/api/v1/${c}?pageSize=1`)).body.meta.total;
      const org = (await stack.admin.get(`/api/v1/organizations/${orgId}`)).body.data;
      const config = (await stack.admin.get(`/api/v1/configurations/${configId}`)).body.data;
      const settings = (await stack.admin.get('/api/v1/integrations/kaseya-bms/sync-settings')).body.data;
      const keys = (await stack.admin.get('/api/v1/api-keys')).body.data.length;
      const users = (await stack.admin.get('/api/v1/users')).body.data.length;
      return { totals, org, config, settings, keys, users };
    }

    it('still takes real dates from year 1 and text with other unusual characters', async () => {
      const res = await stack.admin.post('/api/v1/configurations', {
        organizationId: orgId,
        name: 'Old box \u202e RTL 𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
        purchasedAt: '0001-01-01',
        warrantyExpiresAt: '2028-02-29',
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.data.purchasedAt, '0001-01-01');
      assert.equal(res.body.data.name, 'Old box \u202e RTL 𝔘𝔫𝔦𝔠𝔬𝔡𝔢');
      const notADay = await stack.admin.post('/api/v1/configurations', { organizationId: orgId, name: 'Box', purchasedAt: '2027-02-29' });
      assert.equal(notADay.status, 400);
      assert.match(notADay.body.error.message, /^purchasedAt:/);
    });
  });

  describe('request logs', () => {
    it('redact credentials in the URL, the query and the headers', async () => {
      const secrets = ['query-token-1f3a', 'query-key-9b2c', 'header-key-77d0', 'cookie-secret-5e1b'];
      await stack.admin.get(`/api/v1/organizations?pageSize=1&token=${secrets[0]}&api_key=${secrets[1]}`);
      await stack.anonymous.call('GET', '/api/v1/me?access_token=x', undefined, { 'x-api-key': secrets[2]!, cookie: `session=${secrets[3]}` });
      const bearer = stack.admin.token!;
      // The request line is written when the response finishes, which may be just after the client has it.
      await waitFor(() => readFileSync(logFile, 'utf8').includes('/api/v1/me?access_token=[redacted]'), { timeoutMs: 5_000, what: 'the request log lines' });
      const log = readFileSync(logFile, 'utf8');
      assert.ok(log.includes('"url":"/api/v1/organizations?pageSize=1&token=[redacted]&api_key=[redacted]"'), 'the URL is logged, redacted');
      for (const secret of [...secrets, bearer]) assert.ok(!log.includes(secret), `${secret.slice(0, 12)}… is not in the log`);
    });
  });
});
