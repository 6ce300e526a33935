/**
 * Adopting existing records (R5 and R6 stand) and previewing Sync Settings changes, against the real
 * stack: a preview reads Kaseya BMS and writes nothing there; a confirm pushes exactly what was previewed,
 * once each; a settings preview's counts are what saving then does.
 */
import assert from 'node:assert/strict';
import type { ApiResponse, HttpClient } from '../helpers/api-client';
import { answerChecker, type OpenApiDocument } from '../helpers/openapi';
import { startStack, type Stack } from '../helpers/stack';
import { simRequests, syncNowAndWait, waitFor, waitForSyncState } from '../helpers/sync';

const SETTINGS = '/api/v1/integrations/kaseya-bms/sync-settings';

/** BMS writes the simulator served (logging in is not a write). */
async function bmsWrites(stack: Stack): Promise<Record<string, number>> {
  const counts = await simRequests(stack.simAdmin);
  const out: Record<string, number> = {};
  for (const [route, c] of Object.entries(counts)) {
    if (route.startsWith('GET ') || /authenticate|token|login/i.test(route)) continue;
    if (c.served > 0) out[route] = c.served;
  }
  return out;
}

async function create(api: HttpClient, collection: string, body: Record<string, unknown>) {
  const res = await api.post(`/api/v1/${collection}`, body);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.data as { id: string; version: number };
}

let checkAnswer: (method: string, path: string, res: ApiResponse) => void;

async function documented(stack: Stack, method: string, path: string, body?: unknown): Promise<ApiResponse<any>> {
  checkAnswer ??= answerChecker((await stack.anonymous.get('/api/v1/openapi.json')).body as OpenApiDocument);
  const res = await stack.admin.call(method, path, body);
  checkAnswer(method, path.replace(/^\/api\/v1/, ''), res);
  return res;
}

async function previewReady(api: HttpClient, id: string) {
  return waitFor(
    async () => {
      const res = await api.get(`/api/v1/adoptions/${id}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      if (res.body.data.status === 'failed') throw new Error(`preview failed: ${res.body.data.error}`);
      return res.body.data.status === 'ready' ? res.body.data : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100, what: 'the preview to be ready' },
  ) as Promise<any>;
}

function itemOf(preview: any, id: string) {
  const item = preview.items.find((i: any) => i.recordId === id);
  assert.ok(item, `item ${id} in ${JSON.stringify(preview.items)}`);
  return item;
}

describe('adopting existing records', function () {
  this.timeout(180_000);
  let stack: Stack;
  let clientTypeId: number;
  let pulledOrg: { id: string };
  const ids = {} as Record<'orgNew' | 'orgExisting' | 'orgDormant' | 'contactOk' | 'contactNoEmail', string>;
  let seededBmsId: number;
  let previewId: string;

  before(async () => {
    stack = await startStack();
    const lookups = (await stack.admin.get('/api/v1/integrations/kaseya-bms/lookups')).body.data;
    clientTypeId = lookups.accountTypes.find((t: any) => t.name === 'Client').id;
    pulledOrg = (await stack.admin.get('/api/v1/organizations?syncState=synced&pageSize=1')).body.data[0];
    assert.ok(pulledOrg, 'the first pull brought organizations');

    // One-way mode: records made here before two-way sync is on.
    ids.orgNew = (await create(stack.admin, 'organizations', { name: 'Adopt New Ltd', type: 'Client', status: 'Active' })).id;
    ids.orgExisting = (await create(stack.admin, 'organizations', { name: 'Adopt Existing Ltd', shortName: 'AEX', type: 'Client', status: 'Active' })).id;
    ids.orgDormant = (await create(stack.admin, 'organizations', { name: 'Adopt Dormant Ltd', type: 'Client', status: 'Inactive' })).id;
    ids.contactOk = (
      await create(stack.admin, 'contacts', {
        organizationId: pulledOrg.id,
        firstName: 'Ada',
        lastName: 'Adopted',
        emails: [{ value: 'ada.adopted@example.com', label: 'Work', primary: true }],
        phones: [{ value: '+1 512 555 0101', label: 'Office', primary: true }],
      })
    ).id;
    ids.contactNoEmail = (await create(stack.admin, 'contacts', { organizationId: pulledOrg.id, firstName: 'Nomail', lastName: 'Adopted' })).id;
    // BMS already has an account by the same name (natural key): a push links to it rather than creating.
    const seeded = await stack.simAdmin.post('/_sim/accounts', { accountName: 'Adopt Existing Ltd', accountTypeId: clientTypeId });
    assert.equal(seeded.status, 201, JSON.stringify(seeded.body));
    seededBmsId = seeded.body.id;

    const on = await stack.admin.patch(SETTINGS, { twoWayEnabled: true });
    assert.equal(on.status, 200, JSON.stringify(on.body));
  });
  after(async () => stack?.stop());

  it('filters candidates by origin and sync state: records created here and not yet pushed', async () => {
    const created = (await stack.admin.get('/api/v1/organizations?origin=created&syncState=not_pushed&pageSize=200')).body.data.map((o: any) => o.id);
    assert.deepEqual(created.sort(), [ids.orgNew, ids.orgExisting, ids.orgDormant].sort());
    assert.equal(created.includes(pulledOrg.id), false);
    const pulled = (await stack.admin.get('/api/v1/organizations?origin=pulled&pageSize=200')).body.data.map((o: any) => o.id);
    assert.ok(pulled.includes(pulledOrg.id));
    assert.equal(pulled.includes(ids.orgNew), false);
    assert.equal((await stack.admin.get('/api/v1/organizations?origin=somewhere')).status, 400);
    const state = (await stack.admin.get(`/api/v1/organizations/${ids.orgNew}`)).body.data.sync;
    assert.equal(state.state, 'not_pushed', 'R5: turning two-way on pushed nothing');
  });

  it('refuses bad input with a 4xx naming the field, and lets only administrators and managers act', async () => {
    const cases: Array<[unknown, number, string]> = [
      [{}, 400, 'records'],
      [{ records: [] }, 400, 'records'],
      [{ records: [{ recordType: 'organization', id: 'nope' }] }, 400, 'records.0.id'],
      [{ records: [{ recordType: 'ticket', id: ids.orgNew }] }, 400, 'records.0.recordType'],
      [{ records: Array.from({ length: 501 }, () => ({ recordType: 'organization', id: ids.orgNew })) }, 400, 'records'],
      [{ records: [{ recordType: 'contact', id: ids.orgNew }] }, 404, 'records.0.id'],
    ];
    for (const [body, status, field] of cases) {
      const res = await stack.admin.post('/api/v1/adoptions', body);
      assert.equal(res.status, status, JSON.stringify(res.body));
      const fields = [res.body.error.details?.field, ...(res.body.error.details?.issues ?? []).map((i: any) => i.field)];
      assert.ok(fields.includes(field), `${field} in ${JSON.stringify(res.body.error)}`);
    }
    const body = { records: [{ recordType: 'organization', id: ids.orgNew }] };
    for (const role of ['editor', 'read-only'] as const) {
      const api = await stack.userWithRole(role);
      assert.equal((await api.post('/api/v1/adoptions', body)).status, 403, role);
    }
    const manager = await stack.userWithRole('manager');
    const res = await manager.post('/api/v1/adoptions', body);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await previewReady(manager, res.body.data.id);
    const readOnly = await stack.userWithRole('read-only');
    assert.equal((await readOnly.get(`/api/v1/adoptions/${res.body.data.id}`)).status, 200, 'read-only sees');
    assert.equal((await readOnly.post(`/api/v1/adoptions/${res.body.data.id}/confirm`)).status, 403, 'read-only cannot act');
    assert.equal((await stack.admin.get('/api/v1/adoptions/00000000-0000-4000-8000-000000000000')).status, 404);
    // Another account neither sees nor confirms it.
    const other = await stack.otherAccount();
    assert.equal((await other.admin.get(`/api/v1/adoptions/${res.body.data.id}`)).status, 404);
    assert.equal((await other.admin.post(`/api/v1/adoptions/${res.body.data.id}/confirm`, {})).status, 404);
  });

  it('previews create, link by natural key, field changes and refusals without writing to BMS', async () => {
    await stack.simAdmin.delete('/_sim/requests');
    const records = [
      { recordType: 'organization', id: ids.orgNew },
      { recordType: 'organization', id: ids.orgExisting },
      { recordType: 'organization', id: ids.orgDormant },
      { recordType: 'contact', id: ids.contactOk },
      { recordType: 'contact', id: ids.contactNoEmail },
    ];
    const started = await documented(stack, 'POST', '/api/v1/adoptions', { records });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.data.status, 'computing');
    previewId = started.body.data.id;
    const preview = await previewReady(stack.admin, previewId);
    await documented(stack, 'GET', `/api/v1/adoptions/${previewId}`);

    const orgNew = itemOf(preview, ids.orgNew);
    assert.equal(orgNew.action, 'create');
    assert.ok(orgNew.changes.some((c: any) => c.field === 'name' && c.from === null && c.to === 'Adopt New Ltd'), JSON.stringify(orgNew.changes));
    const orgExisting = itemOf(preview, ids.orgExisting);
    assert.equal(orgExisting.action, 'link', JSON.stringify(orgExisting));
    assert.equal(orgExisting.bmsId, seededBmsId);
    assert.ok(orgExisting.changes.every((c: any) => c.field !== 'name'), 'the name is the same in BMS');
    const dormant = itemOf(preview, ids.orgDormant);
    assert.equal(dormant.action, 'excluded');
    assert.match(dormant.reason, /status 'Inactive' is not set to sync/);
    assert.equal(itemOf(preview, ids.contactOk).action, 'create');
    const noEmail = itemOf(preview, ids.contactNoEmail);
    assert.equal(noEmail.action, 'refused');
    assert.match(noEmail.reason, /email/);
    assert.equal(preview.counts.create, 2);
    assert.equal(preview.counts.link, 1);

    assert.deepEqual(await bmsWrites(stack), {}, 'the preview wrote nothing to BMS');
    const reads = await simRequests(stack.simAdmin);
    assert.ok((reads['GET /v2/crm/accounts/lookup']?.served ?? 0) >= 2, 'it looked the organizations up by name');

    const history = (await stack.admin.get(`/api/v1/organizations/${ids.orgExisting}/history`)).body.data;
    const entry = history.find((h: any) => h.kind === 'previewed');
    assert.ok(entry, JSON.stringify(history));
    assert.match(entry.summary, new RegExp(`Test Admin: would link it to Kaseya BMS record ${seededBmsId}`));
    assert.equal((await stack.admin.get(`/api/v1/organizations/${ids.orgNew}`)).body.data.sync.state, 'not_pushed', 'nothing queued by a preview');
  });

  it('refuses a confirm whose records changed since the preview, naming them, and queues nothing', async () => {
    const other = await create(stack.admin, 'organizations', { name: 'Adopt Edited Ltd', type: 'Client', status: 'Active' });
    const started = await stack.admin.post('/api/v1/adoptions', { records: [{ recordType: 'organization', id: other.id }] });
    await previewReady(stack.admin, started.body.data.id);
    const edited = await stack.admin.patch(`/api/v1/organizations/${other.id}`, { quickNotes: 'changed after the preview' });
    assert.equal(edited.status, 200);
    const res = await documented(stack, 'POST', `/api/v1/adoptions/${started.body.data.id}/confirm`, {});
    assert.equal(res.status, 409, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'records_changed');
    assert.match(res.body.error.message, /Adopt Edited Ltd/);
    assert.deepEqual(res.body.error.details.records.map((r: any) => r.id), [other.id]);
    // The edit itself was a person's save in two-way mode: it queued the record (R4), the preview did not.
    const state = await waitForSyncState(stack.admin, 'organizations', other.id, 'synced');
    assert.ok(state);

    // A preview older than its lifetime is refused too.
    const stale = await stack.admin.post('/api/v1/adoptions', { records: [{ recordType: 'organization', id: ids.orgDormant }] });
    await previewReady(stack.admin, stale.body.data.id);
    await stack.env.db('adoptions').where({ id: stale.body.data.id }).update({ computed_at: new Date(Date.now() - 16 * 60_000) });
    const late = await stack.admin.post(`/api/v1/adoptions/${stale.body.data.id}/confirm`, {});
    assert.equal(late.status, 409);
    assert.equal(late.body.error.code, 'preview_expired');
  });

  it('confirms the preview: pushes exactly the records it would create or link, once each, with progress and history', async () => {
    // Only records the preview would push may be named.
    const wrong = await stack.admin.post(`/api/v1/adoptions/${previewId}/confirm`, { records: [{ recordType: 'organization', id: ids.orgDormant }] });
    assert.equal(wrong.status, 422);
    assert.equal(wrong.body.error.details.field, 'records.0.id');

    await stack.simAdmin.delete('/_sim/requests');
    const res = await documented(stack, 'POST', `/api/v1/adoptions/${previewId}/confirm`, {});
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.data.status, 'confirmed');
    assert.equal(res.body.data.confirmedBy, 'Test Admin');
    const done = await waitFor(
      async () => {
        const view = (await stack.admin.get(`/api/v1/adoptions/${previewId}`)).body.data;
        const pending = view.items.filter((i: any) => i.progress === 'queued');
        return pending.length === 0 ? view : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'the adopted records to be pushed' },
    );
    assert.equal(done.counts.pushed, 3, JSON.stringify(done.items));
    assert.equal(done.counts.not_queued, 2);
    assert.equal(itemOf(done, ids.orgExisting).bmsId, seededBmsId);

    const writes = await bmsWrites(stack);
    assert.equal(writes['POST /v2/crm/accounts'], 1, `one account created: ${JSON.stringify(writes)}`);
    assert.equal(writes['POST /v2/crm/contacts/summary'], 1, `one contact created: ${JSON.stringify(writes)}`);
    const accounts = (await stack.simAdmin.get('/_sim/accounts')).body as Array<{ id: number; accountName: string }>;
    assert.equal(accounts.filter((a) => a.accountName === 'Adopt Existing Ltd').length, 1, 'linked, not duplicated');
    assert.equal(accounts.filter((a) => a.accountName === 'Adopt New Ltd').length, 1);
    assert.equal(accounts.filter((a) => a.accountName === 'Adopt Dormant Ltd').length, 0);

    for (const id of [ids.orgDormant]) {
      assert.equal((await stack.admin.get(`/api/v1/organizations/${id}`)).body.data.sync.state, 'not_pushed');
    }
    assert.equal((await stack.admin.get(`/api/v1/contacts/${ids.contactNoEmail}`)).body.data.sync.state, 'not_pushed');
    const history = (await stack.admin.get(`/api/v1/organizations/${ids.orgNew}/history`)).body.data.map((h: any) => h.kind);
    for (const kind of ['previewed', 'adopted', 'queued', 'pushed']) assert.ok(history.includes(kind), `${kind} in ${history}`);

    const again = await stack.admin.post(`/api/v1/adoptions/${previewId}/confirm`, {});
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'already_confirmed');
  });

  it('sent BMS nothing its vendor document refuses', async () => {
    assert.deepEqual((await stack.simAdmin.get('/_sim/violations')).body, []);
  });
});

describe('previewing Sync Settings changes', function () {
  this.timeout(180_000);
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack?.stop());

  it('lets only administrators and managers preview, and names the field of bad input', async () => {
    const body = { settings: { organizations: { types: [1] } } };
    for (const role of ['editor', 'read-only'] as const) {
      const api = await stack.userWithRole(role);
      assert.equal((await api.post(`${SETTINGS}/preview`, body)).status, 403, role);
    }
    const bad = await stack.admin.post(`${SETTINGS}/preview`, { settings: { organizations: { types: ['x'] } } });
    assert.equal(bad.status, 422, JSON.stringify(bad.body));
    assert.match(bad.body.error.details.field, /^settings\.organizations\.types/);
    const unknown = await stack.admin.post(`${SETTINGS}/preview`, { settings: { organizations: { types: [99999] } } });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.error.details.field, 'settings.organizations.types');
    const manager = await stack.userWithRole('manager');
    assert.equal((await manager.post(`${SETTINGS}/preview`, body)).status, 200);
  });

  it('counts the orphans saving makes on the next pull, the pushes that stop, and the BMS records that start to sync', async () => {
    const lookups = (await stack.admin.get('/api/v1/integrations/kaseya-bms/lookups')).body.data;
    const client = lookups.accountTypes.find((t: any) => t.name === 'Client').id;
    const before = (await stack.admin.get(SETTINGS)).body.data.settings;
    const proposal = { settings: { organizations: { types: [client] } } };

    const res = await documented(stack, 'POST', `${SETTINGS}/preview`, proposal);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const preview = res.body.data;
    assert.deepEqual((await stack.admin.get(SETTINGS)).body.data.settings, before, 'nothing saved');
    const orgs = (await stack.admin.get('/api/v1/organizations?syncState=synced&pageSize=200')).body.data as any[];
    const nonClients = orgs.filter((o) => o.type !== 'Client');
    assert.ok(nonClients.length > 0);
    assert.equal(preview.orphans.byType.organization, nonClients.length);
    assert.ok(preview.orphans.sample.length > 0 && preview.orphans.sample.length <= 20);
    assert.ok(preview.orphans.sample.every((s: any) => nonClients.some((o) => o.id === s.id)));
    assert.match(preview.orphans.sample[0].reason, /type '.+' is not set to sync/);
    assert.ok(preview.stopPushing.byType.organization >= nonClients.length);
    assert.deepEqual(preview.startSync, [], 'narrowing starts nothing');

    // Saving after seeing it, then the next pull: exactly those become orphans.
    const saved = await stack.admin.patch(SETTINGS, proposal);
    assert.equal(saved.status, 200);
    const run = await syncNowAndWait(stack.admin);
    assert.equal(run.counts.accounts.orphaned, preview.orphans.byType.organization);

    // Widening again: BMS counts what would start to sync (totalRecords of a filtered listing).
    const widen = { settings: { organizations: { types: before.organizations.types, statuses: ['Active', 'Inactive'] } } };
    const back = (await stack.admin.post(`${SETTINGS}/preview`, widen)).body.data;
    const bmsAccounts = (await stack.simAdmin.get('/_sim/accounts')).body as Array<{ accountTypeId: number; isActive: boolean }>;
    for (const start of back.startSync) {
      assert.equal(start.recordType, 'organization');
      const typeId = lookups.accountTypes.find((t: any) => t.name === start.typeName).id;
      const expected = bmsAccounts.filter((a) => a.accountTypeId === typeId && a.isActive === (start.status === 'Active')).length;
      assert.equal(start.count, expected, `${start.typeName} ${start.status}`);
    }
    assert.ok(back.startSync.some((s: any) => s.typeName === 'Client' && s.status === 'Inactive'));
    assert.equal(back.orphans.count, 0);
    assert.match(back.countedBy, /totalRecords/);

    // Asset categories are counted by paging the asset search, filtered the way the vendor document allows.
    const configurations = (await stack.admin.get(SETTINGS)).body.data.settings.configurations;
    const assets = (await stack.admin.post(`${SETTINGS}/preview`, { settings: { configurations: { statuses: ['Active', 'Inactive'] } } })).body.data;
    assert.equal(assets.startSync.length, configurations.types.length, JSON.stringify(assets.startSync));
    const bmsAssets = (await stack.simAdmin.get('/_sim/assets')).body as Array<{ categoryId: number; isActive: boolean }>;
    for (const start of assets.startSync) {
      const typeId = lookups.assetCategories.find((t: any) => t.name === start.typeName).id;
      assert.equal(start.count, bmsAssets.filter((a) => a.categoryId === typeId && !a.isActive).length, start.typeName);
    }
    assert.deepEqual((await stack.simAdmin.get('/_sim/violations')).body, []);
  });
});
