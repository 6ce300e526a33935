/**
 * No save silently overwrites another, and no create runs twice: records carry a version (the ETag), a
 * PATCH based on a version the record has left is refused with 409, and a create repeated with its
 * Idempotency-Key answers the first answer instead of making a second record.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { HttpClient } from '../helpers/api-client';
import { startStack, type Stack } from '../helpers/stack';
import { syncNowAndWait, waitForIdlePulls } from '../helpers/sync';

const ORGS = '/api/v1/organizations';

describe('record versions and idempotent creates', function () {
  this.timeout(120_000);
  let stack: Stack;

  before(async () => {
    stack = await startStack();
    await waitForIdlePulls(stack.admin);
  });
  after(async () => stack?.stop());

  async function newOrganization(name = `Versioned ${randomUUID()}`) {
    const res = await stack.admin.post(ORGS, { name });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.data;
  }

  async function countNamed(name: string, client: HttpClient = stack.admin): Promise<number> {
    const res = await client.get(`${ORGS}?search=${encodeURIComponent(name)}`);
    return (res.body.data as any[]).filter((o) => o.name === name).length;
  }

  describe('versions', () => {
    it('answers a single record with its version as a weak ETag, on create, read and update', async () => {
      const created = await stack.admin.post(ORGS, { name: `Etag ${randomUUID()}` });
      assert.equal(created.headers.etag, `W/"${created.body.data.version}"`);
      const read = await stack.admin.get(`${ORGS}/${created.body.data.id}`);
      assert.equal(read.headers.etag, `W/"${read.body.data.version}"`);
      const conditional = await stack.admin.call('GET', `${ORGS}/${created.body.data.id}`, undefined, { 'if-none-match': read.headers.etag as string });
      assert.equal(conditional.status, 200, 'the sync object may have moved on at the same version: never 304');
      assert.equal(conditional.body.data.id, created.body.data.id);
      const updated = await stack.admin.patch(`${ORGS}/${created.body.data.id}`, { quickNotes: 'one' });
      assert.equal(updated.body.data.version, read.body.data.version + 1);
      assert.equal(updated.headers.etag, `W/"${updated.body.data.version}"`);
    });

    it('a PATCH without a version still applies to whatever is stored', async () => {
      const org = await newOrganization();
      await stack.admin.patch(`${ORGS}/${org.id}`, { quickNotes: 'first' });
      const res = await stack.admin.patch(`${ORGS}/${org.id}`, { quickNotes: 'second' });
      assert.equal(res.status, 200);
      assert.equal(res.body.data.quickNotes, 'second');
      assert.equal(res.body.data.version, org.version + 2);
    });

    for (const how of ['If-Match', 'body version'] as const) {
      it(`takes the version the change is based on as ${how}: current → saved, stale → 409 and nothing stored`, async () => {
        const org = await newOrganization();
        const patchAt = (version: number, body: Record<string, unknown>) =>
          how === 'If-Match'
            ? stack.admin.call('PATCH', `${ORGS}/${org.id}`, body, { 'if-match': `W/"${version}"` })
            : stack.admin.patch(`${ORGS}/${org.id}`, { ...body, version });

        const saved = await patchAt(org.version, { quickNotes: 'based on the first version' });
        assert.equal(saved.status, 200, JSON.stringify(saved.body));
        assert.equal(saved.body.data.version, org.version + 1);

        const stale = await patchAt(org.version, { quickNotes: 'also based on the first version' });
        assert.equal(stale.status, 409, JSON.stringify(stale.body));
        assert.equal(stale.body.error.code, 'version_conflict');
        assert.equal(stale.body.error.details.currentVersion, org.version + 1);
        assert.equal(stale.body.error.details.expectedVersion, org.version);
        const stored = await stack.admin.get(`${ORGS}/${org.id}`);
        assert.equal(stored.body.data.quickNotes, 'based on the first version');
        assert.equal(stored.body.data.version, org.version + 1);
      });
    }

    it('accepts a strong tag and * in If-Match; refuses malformed versions with a 400 naming the field', async () => {
      const org = await newOrganization();
      const strong = await stack.admin.call('PATCH', `${ORGS}/${org.id}`, { quickNotes: 'strong' }, { 'if-match': `"${org.version}"` });
      assert.equal(strong.status, 200);
      const any = await stack.admin.call('PATCH', `${ORGS}/${org.id}`, { quickNotes: 'any' }, { 'if-match': '*' });
      assert.equal(any.status, 200);
      const cases: Array<[Record<string, string>, Record<string, unknown>, string, string]> = [
        [{ 'if-match': 'W/"abc"' }, {}, 'invalid_if_match', 'If-Match'],
        [{ 'if-match': '3' }, {}, 'invalid_if_match', 'If-Match'],
        [{ 'if-match': '"1", "2"' }, {}, 'invalid_if_match', 'If-Match'],
        [{ 'if-match': '"0"' }, {}, 'invalid_if_match', 'If-Match'],
        [{ 'if-match': '"99999999999"' }, {}, 'invalid_if_match', 'If-Match'],
        [{}, { version: 'three' }, 'validation_error', 'version'],
        [{}, { version: 1.5 }, 'validation_error', 'version'],
        [{}, { version: 0 }, 'validation_error', 'version'],
        [{ 'if-match': 'W/"3"' }, { version: 4 }, 'validation_error', 'version'],
      ];
      for (const [headers, body, code, field] of cases) {
        const res = await stack.admin.call('PATCH', `${ORGS}/${org.id}`, { quickNotes: 'refused', ...body }, headers);
        const what = `${JSON.stringify(headers)} ${JSON.stringify(body)}`;
        assert.equal(res.status, 400, `${what}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.code, code, what);
        assert.equal(res.body.error.details.field ?? res.body.error.details.issues?.[0]?.field, field, what);
      }
      assert.equal((await stack.admin.get(`${ORGS}/${org.id}`)).body.data.quickNotes, 'any', 'nothing refused was stored');
    });

    it('of concurrent PATCHes based on one version exactly one is saved, the others get 409', async () => {
      const org = await newOrganization();
      const names = Array.from({ length: 6 }, (_, i) => `Concurrent ${i} ${randomUUID()}`);
      const answers = await Promise.all(names.map((name) => stack.admin.patch(`${ORGS}/${org.id}`, { name, version: org.version })));
      const winners = answers.filter((a) => a.status === 200);
      assert.equal(winners.length, 1, answers.map((a) => a.status).join(','));
      assert.ok(answers.every((a) => a.status === 200 || (a.status === 409 && a.body.error.code === 'version_conflict')));
      const stored = (await stack.admin.get(`${ORGS}/${org.id}`)).body.data;
      assert.equal(stored.name, winners[0]!.body.data.name, 'the record holds the winner');
      assert.equal(stored.version, org.version + 1);
    });

    it('a PATCH based on the version before a pull changed the record is refused', async () => {
      const accounts = (await stack.simAdmin.get('/_sim/accounts')).body as any[];
      const target = accounts.find((a) => a.isActive)!;
      const list = (await stack.admin.get(`${ORGS}?pageSize=200`)).body.data as any[];
      const before = list.find((o) => o.sync.bmsId === target.id);
      assert.ok(before, 'the pulled organization');

      const renamed = `${target.accountName} (renamed in BMS)`;
      assert.equal((await stack.simAdmin.patch(`/_sim/accounts/${target.id}`, { accountName: renamed })).status, 200);
      await syncNowAndWait(stack.admin);
      const pulled = (await stack.admin.get(`${ORGS}/${before.id}`)).body.data;
      assert.equal(pulled.name, renamed);
      assert.equal(pulled.version, before.version + 1, 'the pull bumped the version');

      const stale = await stack.admin.call('PATCH', `${ORGS}/${before.id}`, { quickNotes: 'written against the old page' }, { 'if-match': `W/"${before.version}"` });
      assert.equal(stale.status, 409, JSON.stringify(stale.body));
      assert.equal(stale.body.error.details.currentVersion, pulled.version);
      const fresh = await stack.admin.call('PATCH', `${ORGS}/${before.id}`, { quickNotes: 'written against the pulled record' }, { 'if-match': `W/"${pulled.version}"` });
      assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
    });

    it('deleting a record that others refer to is a change of those records: new version, reference cleared', async () => {
      const org = await newOrganization();
      const location = (await stack.admin.post('/api/v1/locations', { organizationId: org.id, name: 'Basement' })).body.data;
      const contact = (await stack.admin.post('/api/v1/contacts', { organizationId: org.id, locationId: location.id, firstName: 'Lin' })).body.data;
      assert.equal((await stack.admin.delete(`/api/v1/locations/${location.id}`)).status, 204);
      const after = (await stack.admin.get(`/api/v1/contacts/${contact.id}`)).body.data;
      assert.equal(after.locationId, null);
      assert.equal(after.version, contact.version + 1);
      const stale = await stack.admin.patch(`/api/v1/contacts/${contact.id}`, { title: 'Stale', version: contact.version });
      assert.equal(stale.status, 409);
    });
  });

  describe('Idempotency-Key on creates', () => {
    it('a repeated key answers the first answer again and makes no second record', async () => {
      const key = randomUUID();
      const name = `Once ${key}`;
      const first = await stack.admin.call('POST', ORGS, { name }, { 'idempotency-key': key });
      assert.equal(first.status, 201);
      const again = await stack.admin.call('POST', ORGS, { name }, { 'idempotency-key': key });
      assert.equal(again.status, 201);
      assert.deepEqual(again.body, first.body);
      assert.equal(again.headers.location, first.headers.location);
      assert.equal(again.headers.etag, first.headers.etag);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.equal(await countNamed(name), 1);
      // Without a key, each create is a new record (as before).
      await stack.admin.post(ORGS, { name });
      assert.equal(await countNamed(name), 2);
    });

    it('the same key with a different body is refused with 422 naming the header', async () => {
      const key = randomUUID();
      const first = await stack.admin.call('POST', ORGS, { name: `First ${key}` }, { 'idempotency-key': key });
      assert.equal(first.status, 201);
      for (const [path, body] of [
        [ORGS, { name: `Second ${key}` }],
        ['/api/v1/locations', { name: `First ${key}`, organizationId: first.body.data.id }],
      ] as const) {
        const reused = await stack.admin.call('POST', path, body, { 'idempotency-key': key });
        assert.equal(reused.status, 422, JSON.stringify(reused.body));
        assert.equal(reused.body.error.code, 'idempotency_key_reused');
        assert.equal(reused.body.error.details.field, 'Idempotency-Key');
      }
      assert.equal(await countNamed(`Second ${key}`), 0);
    });

    it('concurrent requests with one key make one record and all get its answer', async () => {
      const key = randomUUID();
      const name = `Concurrent create ${key}`;
      const answers = await Promise.all(Array.from({ length: 8 }, () => stack.admin.call('POST', ORGS, { name }, { 'idempotency-key': key })));
      assert.deepEqual(answers.map((a) => a.status), Array(8).fill(201), JSON.stringify(answers.map((a) => a.body)));
      assert.equal(new Set(answers.map((a) => a.body.data.id)).size, 1);
      assert.equal(await countNamed(name), 1);
    });

    it('a key is per account: another account using it creates its own record', async () => {
      const key = randomUUID();
      const name = `Per account ${key}`;
      const mine = await stack.admin.call('POST', ORGS, { name }, { 'idempotency-key': key });
      const other = await stack.otherAccount();
      const theirs = await other.admin.call('POST', ORGS, { name }, { 'idempotency-key': key });
      assert.equal(theirs.status, 201);
      assert.notEqual(theirs.body.data.id, mine.body.data.id);
      assert.equal(await countNamed(name, other.admin), 1);
    });

    it('a failed create does not use up its key', async () => {
      const key = randomUUID();
      const missing = '00000000-0000-4000-8000-000000000000';
      const refused = await stack.admin.call('POST', ORGS, { name: `Parentless ${key}`, parentId: missing }, { 'idempotency-key': key });
      assert.equal(refused.status, 422, JSON.stringify(refused.body));
      const created = await stack.admin.call('POST', ORGS, { name: `Fixed ${key}` }, { 'idempotency-key': key });
      assert.equal(created.status, 201);
    });

    it('refuses a key that is too long, empty or has control characters, with a 400 naming the header', async () => {
      for (const key of ['k'.repeat(256), '', 'tab\there', 'naïve']) {
        const res = await stack.admin.call('POST', ORGS, { name: `Bad key ${randomUUID()}` }, { 'idempotency-key': key });
        assert.equal(res.status, 400, `${JSON.stringify(key)}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.code, 'invalid_idempotency_key');
        assert.equal(res.body.error.details.field, 'Idempotency-Key');
      }
      const longest = await stack.admin.call('POST', ORGS, { name: `Long key ${randomUUID()}` }, { 'idempotency-key': 'k'.repeat(255) });
      assert.equal(longest.status, 201);
    });
  });
});
