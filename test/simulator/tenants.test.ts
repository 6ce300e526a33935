import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { TOKEN_KIND } from '../../simulator/auth';
import {
  BmsTestClient,
  CREDENTIALS,
  type Credentials,
  type Dto,
  envelope,
  request,
  SimAdmin,
  startSim,
  useSimulator,
  waitFor,
} from './helpers';

interface TenantSummary {
  name: string;
  username: string;
  counts: { accounts: number; contacts: number; assets: number; locations: number };
}

interface AllRequests {
  tenants: number;
  total: number;
  byRoute: Record<string, { served: number; rejected429: number; faulted: number; maxInWindow: number; maxTenantServed: number }>;
}

interface SimEvent {
  seq: number;
  tenant: string;
  method: string;
  route: string | null;
  status: number;
}

/** `GET /_sim/events` read as it arrives; resolves once the subscription is open. */
function openEvents(url: string, query = '', headers: Record<string, string> = {}): Promise<{ events: SimEvent[]; close(): void }> {
  return new Promise((resolve, reject) => {
    const events: SimEvent[] = [];
    const req = http.get(new URL(`/_sim/events${query}`, url), { agent: false, headers: { accept: 'text/event-stream', ...headers } });
    req.once('error', reject);
    req.once('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`GET /_sim/events answered ${res.statusCode}`));
        return;
      }
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith('event: open')) resolve({ events, close: () => req.destroy() });
          else if (block.startsWith('data: ')) events.push(JSON.parse(block.slice(6)) as SimEvent);
        }
      });
    });
  });
}

const ACME: Credentials = { tenant: 'Acme IT', username: 'acme.api', password: 'acme-secret' };
const BETA: Credentials = { tenant: 'Beta Services', username: 'api.user', password: 'demo-password' };

describe('simulator: many tenants in one process', () => {
  const bms = useSimulator();
  let acmeAdmin: SimAdmin;
  let betaAdmin: SimAdmin;
  let acme: BmsTestClient;
  let beta: BmsTestClient;

  before(async () => {
    const created = await request(bms.sim.url, 'POST', '/_sim/tenants', {
      json: { name: ACME.tenant, username: ACME.username, password: ACME.password, seed: { accounts: 3, contactsPerAccount: 1, locationsPerAccount: 1, assets: 2 } },
    });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.body, { name: 'Acme IT', username: 'acme.api', counts: { accounts: 3, contacts: 3, assets: 2, locations: 3 } });
    const second = await request(bms.sim.url, 'POST', '/_sim/tenants', { json: { name: BETA.tenant } });
    assert.equal(second.status, 201, second.text);
    assert.deepEqual((second.body as TenantSummary).counts, { accounts: 0, contacts: 0, assets: 0, locations: 0 }, "seed defaults to 'none'");
    acmeAdmin = new SimAdmin(bms.sim.url, 'acme it');
    betaAdmin = new SimAdmin(bms.sim.url, BETA.tenant);
    acme = await new BmsTestClient(bms.sim.url).login({ ...ACME, tenant: 'ACME it' });
    beta = await new BmsTestClient(bms.sim.url).login(BETA);
  });

  it('lists the tenants, the default one first; the handle finds a tenant by name', async () => {
    const tenants = await bms.admin.json<TenantSummary[]>(bms.admin.get('/tenants'));
    assert.deepEqual(
      tenants.map((t) => [t.name, t.username]),
      [
        ['Demo MSP', 'api.user'],
        ['Acme IT', 'acme.api'],
        ['Beta Services', 'api.user'],
      ],
    );
    assert.equal(bms.sim.tenant('demo msp'), bms.sim.state, 'the default tenant is the handle’s state');
    assert.equal(bms.sim.tenant('  ACME IT ')?.store.counts().accounts, 3);
    assert.equal(bms.sim.tenant('Nobody'), undefined);
  });

  it('refuses a duplicate name (409, case-insensitive) and bad input (400 naming the field)', async () => {
    const duplicate = await bms.admin.post('/tenants', { name: 'acme IT' });
    assert.equal(duplicate.status, 409);
    assert.match((duplicate.body as { error: string }).error, /Acme IT|acme IT/);
    const cases: [unknown, RegExp][] = [
      [{}, /^name:/],
      [{ name: '   ' }, /^name:/],
      [{ name: 'X', password: '' }, /^password:/],
      [{ name: 'X', seed: 'lots' }, /^seed/],
      [{ name: 'X', seed: { accounts: 2, assetsPerAccount: 1, assets: 3 } }, /^seed\.assets:/],
      [{ name: 'X', seed: { accounts: 1, assets: 101 } }, /^seed\.assets:/],
      [{ name: 'X', colour: 'blue' }, /colour/],
    ];
    for (const [body, field] of cases) {
      const res = await bms.admin.post('/tenants', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match((res.body as { error: string }).error, field, JSON.stringify(body));
    }
    assert.equal((await bms.admin.json<TenantSummary[]>(bms.admin.get('/tenants'))).length, 3, 'nothing was created');
  });

  it('keeps each tenant’s data apart, though ids may be the same', async () => {
    const demoAccount = await bms.client.result<Dto>(bms.client.get('/v2/crm/accounts/summary/1001'));
    const acmeAccount = await acme.result<Dto>(acme.get('/v2/crm/accounts/summary/1001'));
    assert.notEqual(acmeAccount.accountName, demoAccount.accountName);
    assert.equal(envelope(await acme.get('/v2/crm/accounts/summary')).totalRecords, 3);
    assert.equal(envelope(await beta.get('/v2/crm/accounts/summary')).totalRecords, 0);
    assert.equal((await beta.get('/v2/crm/accounts/summary/1001')).status, 404);

    const created = await acmeAdmin.json(acmeAdmin.post('/accounts', { accountName: 'Only In Acme' }));
    const viaAcme = await acme.result<Dto>(acme.get(`/v2/crm/accounts/summary/${String(created.id)}`));
    assert.equal(viaAcme.accountName, 'Only In Acme');
    const inDemo = await bms.admin.json<Dto[]>(bms.admin.get('/accounts'));
    assert.ok(!inDemo.some((a) => a.accountName === 'Only In Acme'));
    assert.equal((await betaAdmin.json<{ accounts: number }>(betaAdmin.get('/counts'))).accounts, 0);

    const me = await acme.result<Dto>(acme.get('/v2/security/userinfo'));
    assert.equal(me.businessName, 'Acme IT');
  });

  it('picks the tenant at log-in (V2 and V1) by its name; an unknown tenant is refused like bad credentials', async () => {
    const wrongPassword = await request(bms.sim.url, 'POST', '/v2/security/authenticate', {
      form: { GrantType: 'password', UserName: ACME.username, Password: CREDENTIALS.password, Tenant: ACME.tenant },
    });
    const unknown = await request(bms.sim.url, 'POST', '/v2/security/authenticate', {
      form: { GrantType: 'password', UserName: ACME.username, Password: ACME.password, Tenant: 'Nobody Ltd' },
    });
    assert.equal(wrongPassword.status, 401);
    assert.equal(unknown.status, 401);
    assert.deepEqual(unknown.body, wrongPassword.body);

    const v1 = await new BmsTestClient(bms.sim.url).loginV1(ACME);
    const locations = await v1.get('/api/crm/accounts/1001/locations');
    assert.equal(locations.status, 200, locations.text);
    const v1Unknown = await request(bms.sim.url, 'POST', '/api/token', {
      form: { grant_type: 'password', username: ACME.username, password: ACME.password, tenant: 'Nobody Ltd' },
    });
    assert.equal(v1Unknown.status, 400);
    assert.equal((v1Unknown.body as { error: string }).error, 'invalid_grant');
  });

  it('a token belongs to its tenant: never valid for another, not ended by another’s expiry, refreshed only with its own pair', async () => {
    const acmeToken = `Bearer ${acme.token}`;
    assert.deepEqual(bms.sim.tenant(BETA.tenant)?.auth.verify(acmeToken, TOKEN_KIND.v2), { ok: false, reason: 'unknown' });
    assert.equal(bms.sim.tenant(ACME.tenant)?.auth.verify(acmeToken, TOKEN_KIND.v2).ok, true);

    // A refresh token of one tenant with another tenant's access token is refused.
    const login = await request(bms.sim.url, 'POST', '/v2/security/authenticate', {
      form: { GrantType: 'password', UserName: ACME.username, Password: ACME.password, Tenant: ACME.tenant },
    });
    const pair = envelope<{ accessToken: string; refreshToken: string }>(login).result;
    const crossed = await request(bms.sim.url, 'POST', '/v2/security/refreshtoken', { form: { AccessToken: beta.token, RefreshToken: pair.refreshToken } });
    assert.equal(crossed.status, 401);
    const refreshed = await request(bms.sim.url, 'POST', '/v2/security/refreshtoken', { form: { AccessToken: pair.accessToken, RefreshToken: pair.refreshToken } });
    assert.equal(refreshed.status, 200, refreshed.text);
    const client = new BmsTestClient(bms.sim.url);
    client.token = envelope<{ accessToken: string }>(refreshed).result.accessToken;
    assert.equal(envelope(await client.get('/v2/crm/accounts/summary')).totalRecords, 4, 'the refreshed token is still Acme’s');

    // Ending Beta's tokens leaves Acme's and the default tenant's alone.
    assert.equal((await betaAdmin.post('/tokens/expire')).status, 200);
    assert.equal((await beta.get('/v2/crm/accounts/summary')).status, 401);
    assert.equal((await acme.get('/v2/crm/accounts/summary')).status, 200);
    assert.equal((await bms.client.get('/v2/crm/accounts/summary')).status, 200);
    await beta.login(BETA);

    // A password change in Beta ends Beta's tokens only.
    await betaAdmin.put('/credentials', { password: 'changed-password' });
    assert.equal((await beta.get('/v2/crm/accounts/summary')).status, 401);
    assert.equal((await acme.get('/v2/crm/accounts/summary')).status, 200);
    await assert.rejects(beta.login(BETA));
    await beta.login({ ...BETA, password: 'changed-password' });
    assert.equal((await bms.client.get('/v2/crm/accounts/summary')).status, 200, 'the default tenant, same user name, still logged in');
  });

  it('routes /_sim calls by X-Sim-Tenant; an unknown tenant is 404', async () => {
    const health = await acmeAdmin.json<{ tenant: string; counts: { accounts: number } }>(acmeAdmin.get('/health'));
    assert.equal(health.tenant, 'Acme IT');
    assert.equal((await bms.admin.json<{ tenant: string }>(bms.admin.get('/health'))).tenant, 'Demo MSP');

    const nobody = new SimAdmin(bms.sim.url, 'Nobody Ltd');
    for (const res of [await nobody.get('/counts'), await nobody.post('/reset'), await nobody.post('/seed', { accounts: 1 }), await nobody.get('/requests')]) {
      assert.equal(res.status, 404);
      assert.match((res.body as { error: string }).error, /Nobody Ltd/);
    }

    const seeded = await betaAdmin.json<{ added: { accounts: number; assets: number }; counts: { accounts: number } }>(
      betaAdmin.post('/seed', { accounts: 4, contactsPerAccount: 1, assets: 6 }),
    );
    assert.deepEqual([seeded.added.accounts, seeded.added.assets], [4, 6]);
    const demoBefore = await bms.admin.json(bms.admin.get('/counts'));
    await betaAdmin.post('/reset');
    assert.deepEqual(await betaAdmin.json(betaAdmin.get('/counts')), { accounts: 0, contacts: 0, assets: 0, locations: 0 }, 'reset to its own seed');
    assert.deepEqual(await bms.admin.json(bms.admin.get('/counts')), demoBefore);
    await beta.login({ ...BETA, password: 'changed-password' });

    // Faults are per tenant.
    await acmeAdmin.put('/faults', { rules: [{ route: 'GET /v2/crm/accounts/summary', mode: 'http-503' }] });
    assert.equal((await acme.get('/v2/crm/accounts/summary')).status, 503);
    assert.equal((await bms.client.get('/v2/crm/accounts/summary')).status, 200);
    await acmeAdmin.delete('/faults');

    // The configuration is one for all.
    await acmeAdmin.put('/config', { maxPageSize: 2 });
    assert.equal(envelope<Dto[]>(await bms.client.get('/v2/crm/accounts/summary', { PageSize: 50 })).result.length, 2);
    await bms.admin.put('/config', { maxPageSize: 100 });
  });

  it('counts rate windows per tenant: one tenant throttled never throttles another', async () => {
    await bms.admin.put('/config', { rateLimit: { limit: 3, windowSeconds: 60 } });
    try {
      const route = '/v2/crm/contacts/summary';
      const acmeStatuses = [];
      for (let i = 0; i < 4; i++) acmeStatuses.push((await acme.get(route, { PageSize: 1 })).status);
      assert.deepEqual(acmeStatuses, [200, 200, 200, 429]);
      assert.equal((await beta.get(route, { PageSize: 1 })).status, 200, 'Beta has its own window');
      assert.equal((await bms.client.get(route, { PageSize: 1 })).status, 200, 'so has the default tenant');

      // Log-ins count in the window of the tenant the form names.
      const loginAs = (c: Credentials) =>
        request(bms.sim.url, 'POST', '/v2/security/authenticate', { form: { GrantType: 'password', UserName: c.username, Password: c.password, Tenant: c.tenant } });
      const logins = [];
      for (let i = 0; i < 4; i++) logins.push((await loginAs(ACME)).status);
      assert.deepEqual(logins, [200, 200, 200, 429]);
      assert.equal((await loginAs(CREDENTIALS)).status, 200);

      const all = await bms.admin.json<AllRequests>(bms.admin.get('/requests', { scope: 'all' }));
      assert.equal(all.tenants, 3);
      const contacts = all.byRoute['GET /v2/crm/contacts/summary']!;
      assert.equal(contacts.rejected429, 1);
      assert.equal(contacts.maxInWindow, 3);
      assert.equal(contacts.maxTenantServed, 3);
      assert.ok(contacts.served >= 5, JSON.stringify(contacts));
      const perTenant = await Promise.all([bms.admin, acmeAdmin, betaAdmin].map((a) => a.json<{ total: number }>(a.get('/requests'))));
      assert.equal(all.total, perTenant.reduce((sum, r) => sum + r.total, 0));

      assert.equal((await bms.admin.get('/requests', { scope: 'everything' })).status, 400);
      assert.equal((await bms.admin.delete('/requests', { scope: 'all' })).status, 200);
      const cleared = await bms.admin.json<AllRequests>(bms.admin.get('/requests', { scope: 'all' }));
      assert.deepEqual([cleared.total, cleared.byRoute], [0, {}]);
      assert.equal((await acme.get(route, { PageSize: 1 })).status, 200, 'the windows restarted too');
    } finally {
      await bms.admin.put('/config', { rateLimit: null });
    }
  });

  it('sends every tenant’s events, each naming its tenant, or one tenant’s', async () => {
    const all = await openEvents(bms.sim.url, '?methods=all');
    const onlyAcme = await openEvents(bms.sim.url, '?methods=all&tenant=acme%20it');
    const onlyBeta = await openEvents(bms.sim.url, '?methods=all', { 'x-sim-tenant': BETA.tenant });
    try {
      assert.equal((await acme.get('/v2/crm/accounts/summary')).status, 200);
      assert.equal((await bms.client.get('/v2/crm/accounts/summary')).status, 200);
      assert.equal((await beta.get('/v2/crm/accounts/summary')).status, 200);
      await waitFor(() => all.events.some((e) => e.tenant === 'Beta Services'), { timeoutMs: 5000, what: 'Beta’s event' });
      await waitFor(() => onlyBeta.events.length > 0 && onlyAcme.events.length > 0, { timeoutMs: 5000, what: 'the filtered events' });
      assert.deepEqual(
        ['Acme IT', 'Demo MSP', 'Beta Services'].map((t) => all.events.some((e) => e.tenant === t && e.route === 'GET /v2/crm/accounts/summary')),
        [true, true, true],
      );
      assert.ok(onlyAcme.events.every((e) => e.tenant === 'Acme IT'), JSON.stringify(onlyAcme.events));
      assert.ok(onlyBeta.events.every((e) => e.tenant === 'Beta Services'), JSON.stringify(onlyBeta.events));
    } finally {
      all.close();
      onlyAcme.close();
      onlyBeta.close();
    }
    await assert.rejects(openEvents(bms.sim.url, '?tenant=Nobody'), /404/);
  });

  it('deletes a tenant (204) with its tokens; never the default one (400); unknown is 404', async () => {
    const gone = await bms.admin.post('/tenants', { name: 'Short Lived', seed: { accounts: 1 } });
    assert.equal(gone.status, 201);
    const client = await new BmsTestClient(bms.sim.url).login({ ...CREDENTIALS, tenant: 'Short Lived' });
    assert.equal((await client.get('/v2/crm/accounts/summary')).status, 200);
    assert.equal((await bms.admin.delete('/tenants/short%20lived')).status, 204);
    assert.equal((await client.get('/v2/crm/accounts/summary')).status, 401);
    await assert.rejects(new BmsTestClient(bms.sim.url).login({ ...CREDENTIALS, tenant: 'Short Lived' }));
    assert.equal((await bms.admin.delete('/tenants/short%20lived')).status, 404);
    const defaultTenant = await bms.admin.delete('/tenants/Demo%20MSP');
    assert.equal(defaultTenant.status, 400);
    assert.match((defaultTenant.body as { error: string }).error, /default/);
    assert.equal((await bms.client.get('/v2/crm/accounts/summary')).status, 200);
  });
});

describe('simulator: tenants at start and in the state file', () => {
  it('starts extra tenants with the `tenants` option; a start seed may give a total of assets', async () => {
    const sim = await startSim({ seed: { accounts: 4, contactsPerAccount: 0, assetsPerAccount: 0, locationsPerAccount: 1, assets: 7 }, rateLimit: null, tenants: 2 });
    try {
      assert.deepEqual(sim.store.counts(), { accounts: 4, contacts: 0, assets: 7, locations: 4 });
      assert.deepEqual(
        [...sim.store.accounts.keys()].map((id) => [...sim.store.assets.values()].filter((a) => a.accountId === id).length),
        [1, 2, 2, 2],
        'spread evenly',
      );
      const tenants = await new SimAdmin(sim.url).json<TenantSummary[]>(new SimAdmin(sim.url).get('/tenants'));
      assert.deepEqual(
        tenants.map((t) => t.name),
        ['Demo MSP', 'Tenant 1', 'Tenant 2'],
      );
      await new BmsTestClient(sim.url).login({ ...CREDENTIALS, tenant: 'tenant 2' });
    } finally {
      await sim.close();
    }
  });

  it('keeps every tenant, its user and its data across restarts', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bms-sim-'));
    const stateFile = path.join(dir, 'state.json');
    try {
      const first = await startSim({ stateFile, rateLimit: null });
      await new SimAdmin(first.url).post('/tenants', { name: ACME.tenant, username: ACME.username, password: ACME.password, seed: { accounts: 2, assets: 3 } });
      await new SimAdmin(first.url, ACME.tenant).patch('/accounts/1001', { accountName: 'Persisted Acme' });
      await first.close();
      const second = await startSim({ stateFile, rateLimit: null });
      try {
        const admin = new SimAdmin(second.url, ACME.tenant);
        assert.deepEqual(await admin.json(admin.get('/counts')), { accounts: 2, contacts: 0, assets: 3, locations: 2 });
        assert.equal((await admin.json(admin.get('/accounts/1001'))).accountName, 'Persisted Acme');
        const client = await new BmsTestClient(second.url).login(ACME);
        assert.equal(envelope(await client.get('/v2/crm/accounts/summary')).totalRecords, 2);
        assert.notEqual((await new SimAdmin(second.url).json(new SimAdmin(second.url).get('/accounts/1001'))).accountName, 'Persisted Acme');
      } finally {
        await second.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
