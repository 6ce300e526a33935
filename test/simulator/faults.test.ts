import assert from 'node:assert/strict';
import { type Dto, envelope, useSimulator } from './helpers';

const ROUTE = 'GET /v2/crm/accounts/summary/{id}';
const NEW_ACCOUNT = {
  AccountName: 'Fault Tolerant Ltd',
  AccountTypeId: 1,
  BusinessTypeId: 11,
  AccountManagerId: 502,
  Locations: [{ LocationName: 'HQ', Addresses: [] }],
};

interface FaultsBody {
  rules: { route: string; mode: string; fired: number; count?: number; probability?: number }[];
}

describe('simulator: injected faults', () => {
  const bms = useSimulator();

  afterEach(async () => {
    await bms.admin.delete('/faults');
  });

  async function once(mode: string, extra: Record<string, unknown> = {}, route = ROUTE): Promise<void> {
    const res = await bms.admin.put('/faults', { rules: [{ route, mode, count: 1, ...extra }] });
    assert.equal(res.status, 200, res.text);
  }

  async function accountCount(): Promise<number> {
    return (await bms.admin.json<{ accounts: number }>(bms.admin.get('/counts'))).accounts;
  }

  it('http-500: 500 in the envelope, once, then normal service', async () => {
    await once('http-500');
    const res = await bms.client.get('/v2/crm/accounts/summary/1001');
    assert.equal(res.status, 500);
    assert.equal(envelope(res).success, false);
    assert.equal((await bms.client.get('/v2/crm/accounts/summary/1001')).status, 200);
    const faults = await bms.admin.json<FaultsBody>(bms.admin.get('/faults'));
    assert.equal(faults.rules[0]!.fired, 1);
  });

  it('http-503: plain-text 503, with Retry-After when asked', async () => {
    await once('http-503', { retryAfterSeconds: 7 });
    const res = await bms.client.get('/v2/crm/accounts/summary/1001');
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '7');
    assert.equal(res.body, undefined, 'not JSON');
  });

  it('http-429: with and without Retry-After', async () => {
    await once('http-429', { retryAfterSeconds: 3 });
    const withHeader = await bms.client.get('/v2/crm/accounts/summary/1001');
    assert.equal(withHeader.status, 429);
    assert.equal(withHeader.headers.get('retry-after'), '3');
    await once('http-429');
    const without = await bms.client.get('/v2/crm/accounts/summary/1001');
    assert.equal(without.status, 429);
    assert.equal(without.headers.get('retry-after'), null);
  });

  it('drop: the connection closes before anything happens', async () => {
    await once('drop', {}, 'POST /v2/crm/accounts');
    const before = await accountCount();
    await assert.rejects(bms.client.post('/v2/crm/accounts', NEW_ACCOUNT));
    assert.equal(await accountCount(), before, 'nothing was created');
  });

  it('drop-after-commit: the write happens, the answer is lost', async () => {
    await once('drop-after-commit', {}, 'POST /v2/crm/accounts');
    const before = await accountCount();
    await assert.rejects(bms.client.post('/v2/crm/accounts', NEW_ACCOUNT));
    assert.equal(await accountCount(), before + 1, 'the account exists although the client saw no answer');
    const requests = await bms.admin.json<{ recent: { route: string | null; status: number }[] }>(bms.admin.get('/requests'));
    assert.ok(requests.recent.some((r) => r.route === 'POST /v2/crm/accounts' && r.status === 0));
  });

  it('slow: answers after delayMs', async () => {
    await once('slow', { delayMs: 300 });
    const started = Date.now();
    const res = await bms.client.get('/v2/crm/accounts/summary/1001');
    assert.equal(res.status, 200);
    assert.ok(Date.now() - started >= 290, 'delayed');
  });

  it('slow: a client that gives up still had its write applied', async () => {
    await once('slow', { delayMs: 1000 }, 'POST /v2/crm/accounts');
    const before = await accountCount();
    const started = Date.now();
    await assert.rejects(
      fetch(`${bms.sim.url}/v2/crm/accounts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bms.client.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(NEW_ACCOUNT),
        signal: AbortSignal.timeout(200),
      }),
    );
    assert.ok(Date.now() - started < 900, 'the client gave up early');
    assert.equal(await accountCount(), before + 1);
  });

  it('success-false: HTTP 200 with success:false and a message, nothing written', async () => {
    await once('success-false', {}, 'POST /v2/crm/accounts');
    const before = await accountCount();
    const res = await bms.client.post('/v2/crm/accounts', NEW_ACCOUNT);
    assert.equal(res.status, 200);
    const env = envelope(res);
    assert.equal(env.success, false);
    assert.ok(env.error?.message);
    assert.equal(env.result, null);
    assert.equal(await accountCount(), before);
  });

  it('html: a 502 HTML error page', async () => {
    await once('html');
    const res = await bms.client.get('/v2/crm/accounts/summary/1001');
    assert.equal(res.status, 502);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(res.text, /<html>/);
  });

  it('truncated-json: 200 with a cut-off body (the operation itself happened)', async () => {
    await once('truncated-json', {}, 'POST /v2/crm/accounts');
    const before = await accountCount();
    const res = await bms.client.post('/v2/crm/accounts', NEW_ACCOUNT);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    assert.ok(res.text.startsWith('{"success":true'));
    assert.throws(() => JSON.parse(res.text) as unknown);
    assert.equal(await accountCount(), before + 1);
  });

  it('problem-details: 400 application/problem+json ValidationProblemDetails', async () => {
    await once('problem-details');
    const res = await bms.client.get('/v2/crm/accounts/summary/1001');
    assert.equal(res.status, 400);
    assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
    const body = res.body as Dto;
    assert.equal(body.status, 400);
    assert.equal(body.title, 'One or more validation errors occurred.');
    assert.ok(body.errors && typeof body.errors === 'object');
  });

  it('unauthorized: 401 with an empty body, even with a good token', async () => {
    await once('unauthorized');
    const res = await bms.client.get('/v2/crm/accounts/summary/1001');
    assert.equal(res.status, 401);
    assert.equal(res.text, '');
    assert.equal((await bms.client.get('/v2/crm/accounts/summary/1001')).status, 200);
  });

  it('`*` matches every route; count limits how often a rule fires', async () => {
    await bms.admin.put('/faults', { rules: [{ route: '*', mode: 'http-500', count: 2 }] });
    assert.equal((await bms.client.get('/v2/system/accounttypes/lookup')).status, 500);
    assert.equal((await bms.client.get('/v2/crm/contacts/summary/4000001')).status, 500);
    assert.equal((await bms.client.get('/v2/crm/contacts/summary/4000001')).status, 200);
  });

  it('probability faults are reproducible with the same seed', async () => {
    async function run(): Promise<number[]> {
      await bms.admin.put('/faults', { rules: [{ route: ROUTE, mode: 'http-503', probability: 0.5 }], seed: 42 });
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) statuses.push((await bms.client.get('/v2/crm/accounts/summary/1001')).status);
      return statuses;
    }
    const first = await run();
    const second = await run();
    assert.deepEqual(first, second);
    const failures = first.filter((s) => s === 503).length;
    assert.ok(failures > 5 && failures < 25, `about half fail, saw ${failures}`);
    const faults = await bms.admin.json<FaultsBody>(bms.admin.get('/faults'));
    assert.equal(faults.rules[0]!.fired, failures);
  });

  it('refuses rules for unknown routes or modes', async () => {
    const badRoute = await bms.admin.put('/faults', { rules: [{ route: 'GET /v2/nope', mode: 'http-500' }] });
    assert.equal(badRoute.status, 400);
    assert.match((badRoute.body as { error: string }).error, /GET \/v2\/nope/);
    const badMode = await bms.admin.put('/faults', { rules: [{ route: '*', mode: 'explode' }] });
    assert.equal(badMode.status, 400);
    const badProbability = await bms.admin.put('/faults', { rules: [{ route: '*', mode: 'drop', probability: 2 }] });
    assert.equal(badProbability.status, 400);
  });
});
