/**
 * Match review against the real stack: a BMS tenant whose accounts are named slightly differently from the
 * documentation's organizations, hold mode on, a pull, the held records with the right top suggestion, and
 * every action (match, create, exclude, un-exclude, unlink and re-match, reconnect), permissions and bad input.
 */
import assert from 'node:assert/strict';
import type { ApiResponse, HttpClient } from '../helpers/api-client';
import { answerChecker, type OpenApiDocument } from '../helpers/openapi';
import { countHeldMatches, listHeldMatches } from '../../services/review';
import { startStack, type Stack } from '../helpers/stack';
import { syncNowAndWait } from '../helpers/sync';

const BMS = '/api/v1/integrations/kaseya-bms';
const REVIEW = `${BMS}/review`;
const ACTIONS = `${BMS}/review/actions`;

/** Documentation organization → the BMS account name it stands for. */
const PAIRS: Array<[doc: string, bms: string]> = [
  ['ACME, Inc', 'Acme Inc.'],
  ['Globex Corporation', 'Globex'],
  ['Initech LLC', 'Initech'],
  ['Umbrella', 'Umbrella Corp'],
  ['Soylent', 'Soylent GmbH'],
];

describe('match review', function () {
  this.timeout(240_000);
  let stack: Stack;
  const docIds = new Map<string, string>();
  const bmsIds = new Map<string, number>();
  let heldByName: Map<string, any>;
  /** Every answer below is checked against the OpenAPI document. */
  let checkAnswer: (method: string, path: string, res: ApiResponse) => void;

  async function openList(type = 'organization', client: HttpClient = stack.admin) {
    const path = `${REVIEW}?type=${type}&pageSize=100`;
    const res = await client.get(path);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    checkAnswer('GET', path.replace('/api/v1', ''), res);
    return res.body;
  }

  async function act(body: Record<string, unknown>, client: HttpClient = stack.admin) {
    const res = await client.post(ACTIONS, body);
    checkAnswer('POST', ACTIONS.replace('/api/v1', ''), res);
    return res;
  }

  before(async () => {
    stack = await startStack({ simulator: { seed: 'none' }, settings: { organizations: { unmatched: 'hold' } } });
    checkAnswer = answerChecker((await stack.anonymous.get('/api/v1/openapi.json')).body as OpenApiDocument);
    for (const [doc] of PAIRS) {
      const res = await stack.admin.post('/api/v1/organizations', { name: doc });
      assert.equal(res.status, 201);
      docIds.set(doc, res.body.data.id);
    }
    // One exact natural key: linked automatically, held or not.
    docIds.set('Hooli', (await stack.admin.post('/api/v1/organizations', { name: 'Hooli' })).body.data.id);
    for (const name of [...PAIRS.map(([, bms]) => bms), 'Hooli', 'Pied Piper']) {
      const made = await stack.simAdmin.post('/_sim/accounts', { accountName: name, accountTypeId: 1, isActive: true });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      bmsIds.set(name, made.body.id);
    }
  });
  after(async () => stack?.stop());

  it('Sync Settings carry unmatched create/hold per type, create by default, and refuse anything else naming the field', async () => {
    const settings = (await stack.admin.get(`${BMS}/sync-settings`)).body.data.settings;
    assert.equal(settings.organizations.unmatched, 'hold');
    assert.deepEqual([settings.contacts.unmatched, settings.locations.unmatched, settings.configurations.unmatched], ['create', 'create', 'create']);
    const bad = await stack.admin.patch(`${BMS}/sync-settings`, { settings: { contacts: { unmatched: 'later' } } });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.error.details.field, 'settings.contacts.unmatched');
  });

  it('a pull in hold mode holds what matches nothing, links exact natural keys, and ranks the right suggestion first', async () => {
    const run = await syncNowAndWait(stack.admin);
    assert.equal(run.counts.accounts.held, PAIRS.length + 1, JSON.stringify(run.counts));
    assert.equal(run.counts.accounts.linked, 1);
    assert.equal(run.counts.accounts.created, 0);
    const hooli = (await stack.admin.get(`/api/v1/organizations/${docIds.get('Hooli')}`)).body.data;
    assert.equal(hooli.sync.state, 'synced');
    assert.equal(hooli.sync.bmsId, bmsIds.get('Hooli'));

    const list = await openList();
    assert.equal(list.meta.heldTotal, PAIRS.length + 1);
    // What other lists (the account's problems) read of it.
    const matches = await listHeldMatches(stack.env.db, stack.accountId);
    assert.deepEqual(matches.map((m) => m.name).sort(), [...PAIRS.map(([, bms]) => bms), 'Pied Piper'].sort());
    assert.ok(matches.every((m) => m.recordType === 'organization' && m.reviewPath === '/review?type=organizations'));
    assert.deepEqual(await countHeldMatches(stack.env.db, stack.accountId), [{ recordType: 'organization', held: PAIRS.length + 1 }]);
    heldByName = new Map(list.data.held.map((h: any) => [h.name, h]));
    for (const [doc, bms] of PAIRS) {
      const held = heldByName.get(bms);
      assert.ok(held, `${bms} is held`);
      assert.equal(held.bmsId, bmsIds.get(bms));
      assert.equal(held.suggestions[0]?.id, docIds.get(doc), `${bms}: top suggestion ${JSON.stringify(held.suggestions)}`);
      assert.ok(held.suggestions[0].reasons.length > 0);
    }
    assert.deepEqual(heldByName.get('Acme Inc.').suggestions[0].reasons, ['name differs only in punctuation, spacing or case']);
    assert.match(heldByName.get('Soylent GmbH').suggestions[0].reasons[0], /company suffix/);
    assert.deepEqual(heldByName.get('Pied Piper').suggestions, []);
    // The documentation side: unlinked records with held suggestions.
    const acmeDoc = list.data.records.find((r: any) => r.id === docIds.get('ACME, Inc'));
    assert.equal(acmeDoc.suggestions[0].bmsId, bmsIds.get('Acme Inc.'));
    assert.ok(!list.data.records.some((r: any) => r.id === docIds.get('Hooli')), 'a linked record is not in review');

    // The problems list has them too, as held for a match, with the way to resolve them; they are not retried.
    const problems = await stack.admin.get('/api/v1/problems?kind=held&limit=50');
    assert.equal(problems.status, 200, JSON.stringify(problems.body));
    assert.equal(problems.body.meta.counts.held, PAIRS.length + 1);
    assert.deepEqual(problems.body.data.map((p: any) => p.record.name).sort(), [...PAIRS.map(([, bms]) => bms), 'Pied Piper'].sort());
    const acme = problems.body.data.find((p: any) => p.record.name === 'Acme Inc.');
    assert.equal(acme.kind, 'held');
    assert.equal(acme.record.id, heldByName.get('Acme Inc.').id);
    assert.equal(acme.fix.href, '/review?type=organizations');
    assert.equal(acme.retryable, false);
    assert.match(acme.cause, /^Kaseya BMS organization \d+ matched no documentation record exactly and is held/);
    assert.equal((await stack.admin.get('/api/v1/problems?kind=held&type=contact')).body.data.length, 0);
    const everything = (await stack.admin.get('/api/v1/problems?limit=1')).body.meta;
    assert.equal(everything.total, Object.values(everything.counts as Record<string, number>).reduce((a, b) => a + b, 0));
    assert.ok(everything.total >= PAIRS.length + 1);
    const retried = await stack.admin.post('/api/v1/problems/retry-all', { kind: 'held' });
    assert.equal(retried.status, 422);
    assert.equal(retried.body.error.details.field, 'kind');
  });

  it('match links the two and merges as a first sync (BMS wins, nothing pushed); a racing second action gets 409', async () => {
    const held = heldByName.get('Acme Inc.');
    const recordId = docIds.get('ACME, Inc');
    const [a, b] = await Promise.all([act({ action: 'match', heldId: held.id, recordId }), act({ action: 'match', heldId: held.id, recordId })]);
    const statuses = [a.status, b.status].sort();
    assert.deepEqual(statuses, [200, 409], `${JSON.stringify(a.body)} ${JSON.stringify(b.body)}`);
    const loser = a.status === 409 ? a : b;
    assert.equal(loser.body.error.details.field, 'heldId');
    const record = (await stack.admin.get(`/api/v1/organizations/${recordId}`)).body.data;
    assert.equal(record.name, 'Acme Inc.', 'the PSA wins a first link');
    assert.equal(record.sync.state, 'synced');
    assert.equal(record.sync.bmsId, bmsIds.get('Acme Inc.'));
    const history = (await stack.admin.get(`/api/v1/organizations/${recordId}/history`)).body.data;
    assert.equal(history[0].kind, 'linked');
    assert.match(history[0].summary, /^Matched to Kaseya BMS organization \d+ by Test Admin \(match review\)$/);
    assert.equal(history[0].origin, 'ui');
    // Nothing was pushed: one-way mode, and a first link pushes nothing anyway.
    const sim = (await stack.simAdmin.get(`/_sim/accounts/${bmsIds.get('Acme Inc.')}`)).body;
    assert.equal(sim.accountName, 'Acme Inc.');
    const list = await openList();
    assert.ok(!list.data.held.some((h: any) => h.id === held.id));
    // Another held record cannot take the same record.
    const again = await act({ action: 'match', heldId: heldByName.get('Globex').id, recordId });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'record_already_linked');
  });

  it('create makes a linked documentation record from the held BMS data; exclude, un-exclude; bulk', async () => {
    const pied = heldByName.get('Pied Piper');
    const created = await act({ action: 'create', heldId: pied.id });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const record = (await stack.admin.get(`/api/v1/organizations/${created.body.data.recordId}`)).body.data;
    assert.equal(record.name, 'Pied Piper');
    assert.equal(record.sync.state, 'synced');
    assert.equal(record.sync.bmsId, bmsIds.get('Pied Piper'));
    assert.equal((await act({ action: 'create', heldId: pied.id })).status, 409);

    const initech = heldByName.get('Initech');
    const excluded = await act({ action: 'exclude', heldId: initech.id });
    assert.equal(excluded.status, 200);
    let list = await openList();
    assert.ok(!list.data.held.some((h: any) => h.id === initech.id), 'excluded: off the open list');
    assert.ok(!list.data.records.some((r: any) => r.suggestions.some((s: any) => s.id === initech.id)), 'and never suggested');
    const excludedList = (await stack.admin.get(`${REVIEW}?type=organization&state=excluded`)).body;
    assert.deepEqual(excludedList.data.held.map((h: any) => h.id), [initech.id]);
    // A later pull refreshes it but neither creates nor matches it.
    await stack.simAdmin.patch(`/_sim/accounts/${initech.bmsId}`, { accountName: 'Initech' , description: 'touched' });
    const run = await syncNowAndWait(stack.admin);
    assert.equal(run.counts.accounts.created, 0);
    assert.equal((await act({ action: 'exclude', heldId: initech.id })).status, 409);
    assert.equal((await act({ action: 'unexclude', heldId: initech.id })).status, 200);
    const heldHistory = await stack.admin.get(`${REVIEW}/held/${initech.id}/history`);
    checkAnswer('GET', `${REVIEW}/held/${initech.id}/history`.replace('/api/v1', ''), heldHistory);
    assert.deepEqual(heldHistory.body.data.map((h: any) => h.kind), ['review_included', 'review_excluded']);
    assert.match(heldHistory.body.data[1].summary, /^Kaseya BMS organization \d+ excluded from match review by Test Admin \(match review\)$/);
    assert.equal((await stack.admin.get(`${REVIEW}/held/00000000-0000-4000-8000-000000000000/history`)).status, 404);
    list = await openList();
    assert.ok(list.data.held.some((h: any) => h.id === initech.id), 'back on the open list');

    // A documentation record excluded from suggestions, then back; in bulk with a refusal beside it.
    const umbrellaDoc = docIds.get('Umbrella')!;
    const bulk = await stack.admin.post(`${ACTIONS}/bulk`, {
      actions: [
        { action: 'exclude', recordType: 'organization', recordId: umbrellaDoc },
        { action: 'match', heldId: heldByName.get('Globex').id, recordId: docIds.get('Globex Corporation') },
        { action: 'match', heldId: pied.id, recordId: docIds.get('Soylent') },
      ],
    });
    assert.equal(bulk.status, 200);
    checkAnswer('POST', `${ACTIONS}/bulk`.replace('/api/v1', ''), bulk);
    assert.deepEqual(bulk.body.data.map((r: any) => [r.ok, r.status]), [[true, 200], [true, 200], [false, 409]]);
    assert.equal(bulk.body.data[2].error.code, 'already_resolved');
    list = await openList();
    assert.ok(!list.data.records.some((r: any) => r.id === umbrellaDoc));
    assert.ok(!heldSuggests(list, 'Umbrella Corp', umbrellaDoc));
    const history = (await stack.admin.get(`/api/v1/organizations/${umbrellaDoc}/history`)).body.data;
    assert.equal(history[0].kind, 'review_excluded');
    assert.equal((await act({ action: 'unexclude', recordType: 'organization', recordId: umbrellaDoc })).status, 200);
    assert.ok(heldSuggests(await openList(), 'Umbrella Corp', umbrellaDoc));
  });

  function heldSuggests(list: any, bmsName: string, recordId: string): boolean {
    return list.data.held.find((h: any) => h.name === bmsName).suggestions.some((s: any) => s.id === recordId);
  }

  it('unlink undoes a match (the BMS record is held again) and re-matching picks another record', async () => {
    const recordId = docIds.get('ACME, Inc')!;
    const unlinked = await act({ action: 'unlink', recordType: 'organization', recordId });
    assert.equal(unlinked.status, 200, JSON.stringify(unlinked.body));
    const record = (await stack.admin.get(`/api/v1/organizations/${recordId}`)).body.data;
    assert.equal(record.sync.bmsId, null);
    const list = await openList();
    const held = list.data.held.find((h: any) => h.bmsId === bmsIds.get('Acme Inc.'));
    assert.ok(held, 'held again');
    assert.equal(held.suggestions[0].id, recordId);
    assert.equal((await act({ action: 'unlink', recordType: 'organization', recordId })).status, 409);
    const rematch = await act({ action: 'match', heldId: held.id, recordId });
    assert.equal(rematch.status, 200);
    const history = (await stack.admin.get(`/api/v1/organizations/${recordId}/history`)).body.data.map((h: any) => h.kind);
    assert.deepEqual(history.slice(0, 3), ['linked', 'unlinked', 'linked']);
  });

  it('contacts: held with suggestions that count their organization; a contact of an account still held waits for it', async () => {
    assert.equal((await stack.admin.patch(`${BMS}/sync-settings`, { settings: { contacts: { unmatched: 'hold' } } })).status, 200);
    const acmeDoc = docIds.get('ACME, Inc')!;
    const doc = (await stack.admin.post('/api/v1/contacts', { organizationId: acmeDoc, firstName: 'ada', lastName: 'lovelace' })).body.data;
    const elsewhere = (await stack.admin.post('/api/v1/contacts', { organizationId: docIds.get('Soylent'), firstName: 'Ada', lastName: 'Lovelace' })).body.data;
    const bms = await stack.simAdmin.post('/_sim/contacts', { accountId: bmsIds.get('Acme Inc.'), firstName: 'Ada', lastName: 'Lovelace' });
    assert.equal(bms.status, 201, JSON.stringify(bms.body));
    await stack.simAdmin.post('/_sim/contacts', { accountId: bmsIds.get('Soylent GmbH'), firstName: 'Waiting', lastName: 'Contact' });
    await syncNowAndWait(stack.admin);
    const list = await openList('contact');
    const held = list.data.held.find((h: any) => h.bmsId === bms.body.id);
    assert.ok(held, JSON.stringify(list.data.held));
    assert.equal(held.organizationName, 'Acme Inc.');
    assert.deepEqual(held.suggestions.map((x: any) => x.id), [doc.id, elsewhere.id]);
    assert.deepEqual(held.suggestions[0].reasons, ['name differs only in case', 'same organization']);
    assert.ok(!list.data.held.some((h: any) => h.name === 'Waiting Contact'), 'its account is held: the contact waits');
    assert.equal((await act({ action: 'match', heldId: held.id, recordId: doc.id })).status, 200);
    const linked = (await stack.admin.get(`/api/v1/contacts/${doc.id}`)).body.data;
    assert.deepEqual([linked.firstName, linked.lastName, linked.sync.state, linked.sync.bmsId], ['Ada', 'Lovelace', 'synced', bms.body.id]);
    assert.equal((await stack.admin.patch(`${BMS}/sync-settings`, { settings: { contacts: { unmatched: 'create' } } })).status, 200);
  });

  it('reconnects a disconnected record by natural key among held records, or to a BMS record picked by id (checked in BMS)', async () => {
    // Hooli and Pied Piper are deleted in BMS: both records become orphans.
    const hooliDoc = docIds.get('Hooli')!;
    const piedDoc = (await stack.admin.get(`/api/v1/organizations?search=Pied`)).body.data[0].id;
    await stack.simAdmin.delete(`/_sim/accounts/${bmsIds.get('Hooli')}`);
    await stack.simAdmin.delete(`/_sim/accounts/${bmsIds.get('Pied Piper')}`);
    const again = await stack.simAdmin.post('/_sim/accounts', { accountName: 'Hooli', accountTypeId: 1, isActive: true });
    const spare = await stack.simAdmin.post('/_sim/accounts', { accountName: 'Pied Piper Inc', accountTypeId: 1, isActive: true });
    await syncNowAndWait(stack.admin);
    for (const id of [hooliDoc, piedDoc]) assert.equal((await stack.admin.get(`/api/v1/organizations/${id}`)).body.data.sync.state, 'orphaned');

    const notOrphan = await act({ action: 'reconnect', recordType: 'organization', recordId: docIds.get('ACME, Inc') });
    assert.equal(notOrphan.status, 409);
    assert.equal(notOrphan.body.error.code, 'not_orphaned');

    const byKey = await act({ action: 'reconnect', recordType: 'organization', recordId: hooliDoc });
    assert.equal(byKey.status, 200, JSON.stringify(byKey.body));
    assert.equal(byKey.body.data.bmsId, again.body.id);
    const hooli = (await stack.admin.get(`/api/v1/organizations/${hooliDoc}`)).body.data;
    assert.deepEqual([hooli.sync.state, hooli.sync.bmsId], ['synced', again.body.id]);

    const noKey = await act({ action: 'reconnect', recordType: 'organization', recordId: piedDoc });
    assert.equal(noKey.status, 404);
    assert.equal(noKey.body.error.details.field, 'bmsId');
    const missing = await act({ action: 'reconnect', recordType: 'organization', recordId: piedDoc, bmsId: 999_999 });
    assert.equal(missing.status, 422);
    assert.equal(missing.body.error.code, 'bms_record_not_found');
    assert.equal(missing.body.error.details.field, 'bmsId');
    const taken = await act({ action: 'reconnect', recordType: 'organization', recordId: piedDoc, bmsId: again.body.id });
    assert.equal(taken.status, 409);
    const byId = await act({ action: 'reconnect', recordType: 'organization', recordId: piedDoc, bmsId: spare.body.id });
    assert.equal(byId.status, 200, JSON.stringify(byId.body));
    const history = (await stack.admin.get(`/api/v1/organizations/${piedDoc}/history`)).body.data;
    assert.match(history[0].summary, /^Reconnected to Kaseya BMS organization \d+ by Test Admin \(match review\)$/);
    // The next pull reads it again and merges it: BMS wins, as on a first link.
    await syncNowAndWait(stack.admin);
    const pied = (await stack.admin.get(`/api/v1/organizations/${piedDoc}`)).body.data;
    assert.deepEqual([pied.name, pied.sync.state, pied.sync.bmsId], ['Pied Piper Inc', 'synced', spare.body.id]);
  });

  it('links configurations automatically when serial and one of several MAC addresses match in another spelling', async () => {
    const lookups = (await stack.admin.get(`${BMS}/lookups`)).body.data;
    const category = lookups.assetCategories.find((c: any) => c.isActive !== false);
    const hooliDoc = docIds.get('Hooli')!;
    const hooliBms = (await stack.admin.get(`/api/v1/organizations/${hooliDoc}`)).body.data.sync.bmsId;
    const config = await stack.admin.post('/api/v1/configurations', {
      organizationId: hooliDoc,
      name: 'fs1',
      type: category.name,
      status: 'Active',
      serialNumber: 'SN-0042-x',
      macAddress: '00:11:22:33:44:55, 66:77:88:99:AA:BB',
    });
    assert.equal(config.status, 201, JSON.stringify(config.body));
    const asset = await stack.simAdmin.post('/_sim/assets', { name: 'fs1', accountId: hooliBms, categoryId: category.id, serialNumber: 'sn0042X', macAddress: '66-77-88-99-aa-bb', isActive: true });
    assert.equal(asset.status, 201, JSON.stringify(asset.body));
    const run = await syncNowAndWait(stack.admin);
    assert.equal(run.counts.assets.linked, 1, JSON.stringify(run.counts));
    const linked = (await stack.admin.get(`/api/v1/configurations/${config.body.data.id}`)).body.data;
    assert.equal(linked.sync.bmsId, asset.body.id);
  });

  it('administrators and managers act; editors and read-only users see but cannot act', async () => {
    const held = (await openList()).data.held[0];
    for (const role of ['editor', 'read-only'] as const) {
      const client = await stack.userWithRole(role);
      assert.equal((await client.get(`${REVIEW}?type=organization`)).status, 200);
      for (const body of [{ action: 'exclude', heldId: held.id }, { action: 'create', heldId: held.id }]) {
        const res = await act(body, client);
        assert.equal(res.status, 403, role);
        assert.equal(res.body.error.code, 'forbidden');
      }
      assert.equal((await client.post(`${ACTIONS}/bulk`, { actions: [{ action: 'exclude', heldId: held.id }] })).status, 403);
    }
    const manager = await stack.userWithRole('manager');
    assert.equal((await act({ action: 'exclude', heldId: held.id }, manager)).status, 200);
    assert.equal((await act({ action: 'unexclude', heldId: held.id }, manager)).status, 200);
    assert.equal((await stack.anonymous.get(`${REVIEW}?type=organization`)).status, 401);
  });

  it('answers bad input with a 4xx naming the field, never a 500', async () => {
    const held = (await openList()).data.held[0];
    const cases: Array<[string, string, unknown, number, string]> = [
      ['get', `${REVIEW}?type=widget`, undefined, 400, 'type'],
      ['get', `${REVIEW}?state=maybe`, undefined, 400, 'state'],
      ['get', `${REVIEW}?pageSize=1000`, undefined, 400, 'pageSize'],
      ['get', `${REVIEW}?colour=red`, undefined, 400, ''],
      ['post', ACTIONS, { action: 'merge' }, 400, 'action'],
      ['post', ACTIONS, { action: 'match', heldId: held.id }, 400, 'recordId'],
      ['post', ACTIONS, { action: 'match', heldId: 'not-an-id', recordId: docIds.get('Soylent') }, 400, 'heldId'],
      ['post', ACTIONS, { action: 'exclude' }, 400, 'heldId'],
      ['post', ACTIONS, { action: 'exclude', recordId: docIds.get('Soylent') }, 400, 'recordType'],
      ['post', ACTIONS, { action: 'reconnect', recordType: 'organization', recordId: docIds.get('Soylent'), bmsId: -4 }, 400, 'bmsId'],
      ['post', ACTIONS, { action: 'reconnect', recordType: 'organization', recordId: docIds.get('Soylent'), bmsId: 'x' }, 400, 'bmsId'],
      ['post', ACTIONS, { action: 'create', heldId: held.id, extra: 1 }, 400, ''],
      ['post', ACTIONS, { action: 'match', heldId: '00000000-0000-4000-8000-000000000000', recordId: docIds.get('Soylent') }, 404, 'heldId'],
      ['post', ACTIONS, { action: 'match', heldId: held.id, recordId: '00000000-0000-4000-8000-000000000000' }, 404, 'recordId'],
      ['post', ACTIONS, { action: 'unlink', recordType: 'contact', recordId: docIds.get('Soylent') }, 404, 'recordId'],
      ['post', `${ACTIONS}/bulk`, { actions: [] }, 400, 'actions'],
      ['post', `${ACTIONS}/bulk`, { actions: Array.from({ length: 101 }, () => ({ action: 'exclude', heldId: held.id })) }, 400, 'actions'],
      ['post', `${ACTIONS}/bulk`, { actions: [{ action: 'create' }] }, 400, 'actions.0.heldId'],
      ['put', BMS, { apiUrl: stack.sim.url, tenant: 'Demo MSP', username: 'api.user', unmatched: 'maybe' }, 400, 'unmatched'],
    ];
    for (const [method, path, body, status, field] of cases) {
      const res = await stack.admin.call(method.toUpperCase(), path, body);
      checkAnswer(method.toUpperCase(), path.replace('/api/v1', ''), res);
      assert.equal(res.status, status, `${method} ${path} ${JSON.stringify(body)?.slice(0, 120)} → ${res.status} ${JSON.stringify(res.body)}`);
      const named = res.body.error.details?.field ?? res.body.error.details?.issues?.[0]?.field;
      assert.equal(named, field, `${path} ${JSON.stringify(body)?.slice(0, 120)}: ${JSON.stringify(res.body.error)}`);
    }
  });

  it('a held record whose BMS side is deleted or made inactive leaves the list on the next pull', async () => {
    let list = await openList();
    const soylent = list.data.held.find((h: any) => h.name === 'Soylent GmbH');
    const umbrella = list.data.held.find((h: any) => h.name === 'Umbrella Corp');
    assert.ok(soylent && umbrella);
    await stack.simAdmin.delete(`/_sim/accounts/${soylent.bmsId}`);
    await stack.simAdmin.patch(`/_sim/accounts/${umbrella.bmsId}`, { isActive: false });
    await syncNowAndWait(stack.admin);
    list = await openList();
    assert.ok(!list.data.held.some((h: any) => h.id === soylent.id || h.id === umbrella.id), JSON.stringify(list.data.held.map((h: any) => h.name)));
    assert.ok(list.data.held.length > 0, 'the others stay');
  });
});
