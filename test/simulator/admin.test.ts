import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asUtcMs, type Dto, envelope, list, SimAdmin, startSim, useSimulator, waitFor } from './helpers';

interface Counts {
  accounts: number;
  contacts: number;
  assets: number;
  locations: number;
}

describe('simulator: admin routes (/_sim)', () => {
  const bms = useSimulator();

  it('counts the demo seed: 8 accounts with 1-3 locations, 2-5 contacts, 2-6 assets each', async () => {
    const counts = await bms.admin.json<Counts>(bms.admin.get('/counts'));
    assert.equal(counts.accounts, 8);
    const accounts = await bms.admin.json<Dto[]>(bms.admin.get('/accounts'));
    assert.deepEqual(
      accounts.map((a) => a.accountType),
      ['Client', 'Client', 'Client', 'Client', 'Client', 'Prospect', 'Vendor', 'Former Client'],
    );
    assert.equal(accounts[7]!.isActive, false);
    for (const a of accounts) {
      const locations = list(a.locations);
      assert.ok(locations.length >= 1 && locations.length <= 3);
      assert.equal(locations.filter((l) => l.isMain === true).length, 1);
      const contacts = await bms.admin.json<Dto[]>(bms.admin.get('/contacts', { accountId: a.id as number }));
      assert.ok(contacts.length >= 2 && contacts.length <= 5, `${String(a.accountName)} has ${contacts.length} contacts`);
      assert.equal(contacts.filter((c) => c.isPoc === true).length, 1);
      const assets = await bms.admin.json<Dto[]>(bms.admin.get('/assets', { accountId: a.id as number }));
      assert.ok(assets.length >= 2 && assets.length <= 6);
    }
    const all = await bms.admin.json<Dto[]>(bms.admin.get('/assets'));
    assert.ok(all.some((a) => a.isActive === false));
    assert.ok(new Set(all.map((a) => a.category)).size >= 6);
  });

  it('reads records by id and by ?ids=, exactly as the API returns them; 404 when missing', async () => {
    const viaApi = await bms.client.result(bms.client.get('/v2/crm/accounts/summary/1002'));
    assert.deepEqual(await bms.admin.json(bms.admin.get('/accounts/1002')), viaApi);
    const two = await bms.admin.json<Dto[]>(bms.admin.get('/accounts', { ids: '1001,1003' }));
    assert.deepEqual(
      two.map((a) => a.id),
      [1001, 1003],
    );
    assert.deepEqual(await bms.admin.json(bms.admin.get('/contacts/4000001')), await bms.client.result(bms.client.get('/v2/crm/contacts/summary/4000001')));
    assert.deepEqual(await bms.admin.json(bms.admin.get('/assets/7000001')), await bms.client.result(bms.client.get('/v2/servicedesk/hardwareasset/7000001')));
    assert.deepEqual(await bms.admin.json(bms.admin.get('/locations/2000001')), await bms.client.result(bms.client.get('/v2/crm/accounts/1001/locations/2000001')));
    assert.equal((await bms.admin.get('/accounts/999')).status, 404);
    assert.equal((await bms.admin.get('/contacts/999')).status, 404);
    assert.equal((await bms.admin.get('/assets/999')).status, 404);
    assert.equal((await bms.admin.get('/locations/999')).status, 404);
    assert.equal((await bms.admin.get('/accounts/abc')).status, 400);
  });

  it('PATCH edits like a BMS user: modifiedOn moves, modifiedBy is the UI user', async () => {
    const before = await bms.admin.json(bms.admin.get('/accounts/1001'));
    const after = await bms.admin.json(bms.admin.patch('/accounts/1001', { accountName: 'Happy Frog Ltd (UI)', isActive: false }));
    assert.equal(after.accountName, 'Happy Frog Ltd (UI)');
    assert.equal(after.isActive, false);
    assert.equal(after.modifiedBy, 503);
    assert.ok(asUtcMs(after.modifiedOn) > asUtcMs(before.modifiedOn));

    const contact = await bms.admin.json(
      bms.admin.patch('/contacts/4000001', { jobTitle: 'COO', emails: [{ emailAddress: 'alice@new.example.com' }], phones: [] }),
    );
    assert.equal(contact.jobTitle, 'COO');
    assert.deepEqual(
      list(contact.emails).map((e) => [e.emailAddress, e.emailType, e.isDefault]),
      [['alice@new.example.com', 'Work', true]],
    );
    assert.deepEqual(contact.phones, []);

    const asset = await bms.admin.json(bms.admin.patch('/assets/7000003', { serialNumber: 'NEW-SERIAL', dnsServers: '8.8.8.8', isActive: false }));
    assert.equal(asset.serialNumber, 'NEW-SERIAL');
    assert.equal(asset.dnsServers, '8.8.8.8');
    assert.equal(asset.modifiedBy, 'Sam Taylor');

    const accountBefore = await bms.admin.json(bms.admin.get('/accounts/1002'));
    const location = await bms.admin.json(bms.admin.patch('/locations/2000003', { locationName: 'Seattle Head Office', address: { city: 'Tacoma' } }));
    assert.equal(location.locationName, 'Seattle Head Office');
    assert.equal(list(location.addresses)[0]!.city, 'Tacoma');
    assert.equal(list(location.addresses)[0]!.address1, '400 Pine Street', 'address fields not given are kept');
    const accountAfter = await bms.admin.json(bms.admin.get('/accounts/1002'));
    assert.ok(asUtcMs(accountAfter.modifiedOn) > asUtcMs(accountBefore.modifiedOn), 'a location edit bumps its account');
  });

  it('refuses bad admin input with 400 and a clear message', async () => {
    const unknownField = await bms.admin.patch('/accounts/1001', { colour: 'red' });
    assert.equal(unknownField.status, 400);
    assert.match((unknownField.body as { error: string }).error, /colour/);
    const wrongType = await bms.admin.patch('/accounts/1001', { isActive: 'no' });
    assert.equal(wrongType.status, 400);
    assert.match((wrongType.body as { error: string }).error, /isActive/);
    const badRef = await bms.admin.patch('/accounts/1001', { accountTypeId: 99 });
    assert.equal(badRef.status, 400);
    assert.match((badRef.body as { error: string }).error, /AccountTypeId 99/);
    const badJson = await fetch(`${bms.sim.url}/_sim/accounts/1001`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{' });
    assert.equal(badJson.status, 400);
    const badSeed = await bms.admin.post('/seed', { accounts: -1 });
    assert.equal(badSeed.status, 400);
    assert.equal((await bms.admin.get('/nothing')).status, 404);
  });

  it('creates and deletes records as a BMS user would', async () => {
    const account = await bms.admin.json(bms.admin.post('/accounts', { accountName: 'UI Created Ltd', accountTypeId: 2 }));
    assert.equal(account.accountType, 'Prospect');
    assert.equal(list(account.locations)[0]!.locationName, 'Main Office');
    const accountId = account.id as number;

    const location = await bms.admin.json(bms.admin.post('/locations', { accountId, locationName: 'Annex', address: { address1: '2 Side St' } }));
    const contact = await bms.admin.json(
      bms.admin.post('/contacts', { accountId, firstName: 'Ursula', lastName: 'Iverson', emails: [{ emailAddress: 'ui@example.com' }] }),
    );
    assert.equal(contact.locationName, 'Main Office', 'a contact defaults to the main location');
    const asset = await bms.admin.json(bms.admin.post('/assets', { accountId, name: 'UI-WS-1', categoryId: 21, ipAddress: '10.1.1.1' }));
    assert.equal(asset.category, 'Workstation');
    assert.equal(asset.accountLocation, 'Main Office');

    assert.equal((await bms.admin.delete(`/assets/${String(asset.id)}`)).status, 204);
    assert.equal((await bms.admin.delete(`/contacts/${String(contact.id)}`)).status, 204);
    assert.equal((await bms.admin.delete(`/locations/${String(location.id)}`)).status, 204);
    assert.equal((await bms.admin.get(`/assets/${String(asset.id)}`)).status, 404);
    const deactivated = await bms.admin.json(bms.admin.patch(`/accounts/${accountId}`, { isActive: false }));
    assert.equal(deactivated.isActive, false);
  });

  it('touches many assets: modifiedOn moves and a field changes', async () => {
    const before = await bms.admin.json<Dto[]>(bms.admin.get('/assets', { ids: '7000004,7000005' }));
    const res = await bms.admin.json(bms.admin.post('/assets/touch', { ids: [7000004, 7000005] }));
    assert.equal(res.touched, 2);
    const after = await bms.admin.json<Dto[]>(bms.admin.get('/assets', { ids: '7000004,7000005' }));
    for (let i = 0; i < 2; i++) {
      assert.ok(asUtcMs(after[i]!.modifiedOn) > asUtcMs(before[i]!.modifiedOn));
      assert.notEqual(after[i]!.description, before[i]!.description);
    }
    assert.equal((await bms.admin.post('/assets/touch', { ids: [1] })).status, 400);
  });

  it('reports requests per route and the latest requests; DELETE resets them', async () => {
    await bms.admin.delete('/requests');
    await bms.client.get('/v2/crm/accounts/summary', { PageSize: 1 });
    await bms.client.get('/v2/crm/accounts/summary', { PageSize: 1 });
    await bms.client.get('/v2/crm/contacts/summary/4000002');
    const snapshot = await bms.admin.json<{ total: number; byRoute: Record<string, Dto>; recent: Dto[] }>(bms.admin.get('/requests'));
    assert.equal(snapshot.total, 3);
    assert.deepEqual(snapshot.byRoute['GET /v2/crm/accounts/summary'], { served: 2, rejected429: 0, faulted: 0, maxInWindow: 2 });
    assert.deepEqual(
      snapshot.recent.map((r) => [r.method, r.route, r.path, r.status]),
      [
        ['GET', 'GET /v2/crm/accounts/summary', '/v2/crm/accounts/summary', 200],
        ['GET', 'GET /v2/crm/accounts/summary', '/v2/crm/accounts/summary', 200],
        ['GET', 'GET /v2/crm/contacts/summary/{id}', '/v2/crm/contacts/summary/4000002', 200],
      ],
    );
    await bms.admin.delete('/requests');
    assert.equal((await bms.admin.json<{ total: number }>(bms.admin.get('/requests'))).total, 0);
  });

  it('changes configuration at runtime', async () => {
    const config = await bms.admin.json(bms.admin.put('/config', { maxPageSize: 5, tokenTtlSeconds: 60 }));
    assert.deepEqual(config, { tokenTtlSeconds: 60, rateLimit: null, maxPageSize: 5, v1LocationShape: 'nested' });
    assert.equal(envelope<Dto[]>(await bms.client.get('/v2/crm/contacts/summary', { PageSize: 100 })).result.length, 5);
    await bms.admin.put('/config', { maxPageSize: 100, tokenTtlSeconds: 900 });
    assert.equal((await bms.admin.put('/config', { maxPageSize: 0 })).status, 400);
  });

  it('seeds generated data deterministically on top; reset wipes data, tokens, faults and counters', async () => {
    await bms.admin.put('/faults', { rules: [{ route: '*', mode: 'http-500', count: 1 }] });
    const reset = await bms.admin.json<{ counts: Counts }>(bms.admin.post('/reset', { seed: 'none' }));
    assert.deepEqual(reset.counts, { accounts: 0, contacts: 0, assets: 0, locations: 0 });
    assert.deepEqual((await bms.admin.json<{ rules: unknown[] }>(bms.admin.get('/faults'))).rules, []);
    assert.equal((await bms.client.get('/v2/security/userinfo')).status, 401, 'tokens are gone');

    const seeded = await bms.admin.json<{ added: Counts; counts: Counts }>(
      bms.admin.post('/seed', { accounts: 20, contactsPerAccount: 3, assetsPerAccount: 2, locationsPerAccount: 2 }),
    );
    assert.deepEqual(seeded.added, { accounts: 20, contacts: 60, assets: 40, locations: 40 });
    const first = await bms.admin.json<Dto[]>(bms.admin.get('/accounts'));
    await bms.admin.post('/reset', { seed: { accounts: 20, contactsPerAccount: 3, assetsPerAccount: 2, locationsPerAccount: 2 } });
    assert.deepEqual(await bms.admin.json<Dto[]>(bms.admin.get('/accounts')), first, 'the same seed gives the same data');
    await bms.admin.post('/seed', { accounts: 5 });
    assert.equal((await bms.admin.json<Counts>(bms.admin.get('/counts'))).accounts, 25);
    await bms.admin.post('/reset', { seed: 'demo' });
    await bms.client.login();
  });

  it('keeps data in a state file across restarts', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bms-sim-'));
    const stateFile = path.join(dir, 'state.json');
    try {
      const first = await startSim({ stateFile });
      await new SimAdmin(first.url).patch('/accounts/1001', { accountName: 'Persisted Ltd' });
      await first.close();
      assert.ok(fs.existsSync(stateFile));
      const second = await startSim({ stateFile });
      try {
        const account = await new SimAdmin(second.url).json(new SimAdmin(second.url).get('/accounts/1001'));
        assert.equal(account.accountName, 'Persisted Ltd');
        const created = await new SimAdmin(second.url).json(new SimAdmin(second.url).post('/accounts', { accountName: 'After Restart' }));
        assert.equal(created.id, 1009, 'ids continue where they stopped');
      } finally {
        await second.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs from the command line and stops cleanly on SIGTERM', async function () {
    this.timeout(30_000);
    const tsx = path.join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx');
    const main = path.join(__dirname, '..', '..', 'simulator', 'main.ts');
    const child = spawn(tsx, [main, '--port', '0', '--seed', 'none', '--rate-limit', 'off'], {
      env: { ...process.env, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await waitFor(() => /listening on (http:\/\/\S+)/.exec(output)?.[1], { timeoutMs: 20_000, what: 'the CLI to print its URL' });
      assert.match(output, /Password\s+demo-password/);
      const counts = await new SimAdmin(url).json<Counts>(new SimAdmin(url).get('/counts'));
      assert.equal(counts.accounts, 0);
      child.kill('SIGTERM');
      assert.equal(await exited, 0, output);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
