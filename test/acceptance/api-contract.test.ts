/** The API describes itself (OpenAPI) and answers every bad input with the one error envelope. */
import assert from 'node:assert/strict';
import type { ApiResponse } from '../helpers/api-client';
import { answerChecker, type OpenApiDocument } from '../helpers/openapi';
import { startStack, type Stack } from '../helpers/stack';
import { waitForIdlePulls } from '../helpers/sync';

describe('API contract', function () {
  this.timeout(60_000);
  let stack: Stack;
  before(async () => {
    stack = await startStack({ connect: false });
  });
  after(async () => stack?.stop());

  it('serves an OpenAPI document of every route, generated from the validation schemas', async () => {
    const res = await stack.anonymous.get('/api/v1/openapi.json');
    assert.equal(res.status, 200);
    assert.equal(res.body.openapi, '3.1.0');
    for (const path of ['/organizations', '/configurations/{id}', '/contacts/{id}/push', '/locations/import', '/integrations/kaseya-bms/sync-settings', '/api-keys']) {
      assert.ok(res.body.paths[path], path);
    }
    const create = res.body.paths['/organizations'].post.requestBody.content['application/json'].schema;
    assert.deepEqual(create.required, ['name']);
    assert.equal(create.additionalProperties, false);
  });

  it('refuses bad input with a 4xx in the envelope, naming the field, and stores nothing', async () => {
    const before = (await stack.admin.get('/api/v1/organizations?pageSize=1')).body.meta.total;
    const cases: Array<[string, string, unknown, number, string]> = [
      ['POST', '/api/v1/organizations', '{"name": ', 400, 'invalid_json'],
      ['POST', '/api/v1/organizations', { name: 42 }, 400, 'validation_error'],
      ['POST', '/api/v1/organizations', { name: 'X', colour: 'red' }, 400, 'validation_error'],
      ['POST', '/api/v1/organizations', { shortName: 'no name' }, 400, 'validation_error'],
      ['POST', '/api/v1/organizations', { name: 'X', parentId: 'not-a-uuid' }, 400, 'validation_error'],
      ['GET', '/api/v1/organizations/not-a-uuid', undefined, 400, 'validation_error'],
      ['GET', '/api/v1/organizations?pageSize=100000', undefined, 400, 'validation_error'],
      ['GET', '/api/v1/organizations/00000000-0000-4000-8000-000000000000', undefined, 404, 'not_found'],
      ['GET', '/api/v1/nothing-here', undefined, 404, 'not_found'],
      ['POST', '/api/v1/organizations', { name: 'x'.repeat(2_000_000) }, 413, 'payload_too_large'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const res = await stack.admin.call(method, path, body);
      assert.equal(res.status, status, `${method} ${path}: ${JSON.stringify(res.body).slice(0, 300)}`);
      assert.equal(res.body.error.code, code, `${method} ${path}`);
      assert.equal(typeof res.body.error.message, 'string');
    }
    const unknownField = await stack.admin.post('/api/v1/organizations', { name: 'X', colour: 'red' });
    assert.match(unknownField.body.error.message, /colour/);
    const wrongType = await stack.admin.post('/api/v1/organizations', { name: 42 });
    assert.equal(wrongType.body.error.details.issues[0].field, 'name');
    assert.equal((await stack.admin.get('/api/v1/organizations?pageSize=1')).body.meta.total, before, 'nothing stored');
    // Hostile strings are data: stored and returned verbatim, found by search, never executed.
    for (const name of ["Robert'); DROP TABLE organizations; --", '<script>alert("x")</script>', '%_\\ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 مرحبا']) {
      const created = await stack.admin.post('/api/v1/organizations', { name, quickNotes: name });
      assert.equal(created.status, 201);
      const read = await stack.admin.get(`/api/v1/organizations/${created.body.data.id}`);
      assert.equal(read.body.data.name, name);
      assert.equal(read.body.data.quickNotes, name);
      const found = await stack.admin.get(`/api/v1/organizations?search=${encodeURIComponent(name)}`);
      assert.deepEqual(found.body.data.map((o: any) => o.id), [created.body.data.id]);
    }
    assert.equal((await stack.admin.get('/api/v1/organizations?pageSize=1')).body.meta.total, before + 3, 'the tables are still there');
    const anonymous = await stack.anonymous.get('/api/v1/organizations');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.error.code, 'unauthorized');
  });
});

/**
 * Every answer the API gives matches the OpenAPI document's schema for its route and status, with no
 * field the document does not name: the schemas that generate the document are the API's one contract.
 */
describe('API answers match the OpenAPI document', function () {
  this.timeout(120_000);
  let stack: Stack;
  let checkAnswer: (method: string, path: string, res: ApiResponse) => void;
  before(async () => {
    stack = await startStack();
    await waitForIdlePulls(stack.admin);
    checkAnswer = answerChecker((await stack.anonymous.get('/api/v1/openapi.json')).body as OpenApiDocument);
  });
  after(async () => stack?.stop());

  it('answers records, sync, access, meta and errors in the documented shapes', async () => {
    const bms = '/integrations/kaseya-bms';
    const api = async (method: string, path: string, body?: unknown, client = stack.admin) => {
      const res = await client.call(method, `/api/v1${path}`, body);
      checkAnswer(method, path, res);
      return res;
    };
    const pulled = (await api('GET', '/organizations?syncState=synced')).body.data;
    assert.ok(pulled.length > 0, 'the first pull brought organizations');
    const created = (await api('POST', '/organizations', { name: 'Contract Co', quickNotes: 'n' })).body.data;
    const contact = (await api('POST', '/contacts', { organizationId: created.id, firstName: 'Ada', lastName: 'L', emails: [{ value: 'ada@example.com' }] })).body.data;
    await api('GET', `/contacts/${contact.id}`);
    await api('PATCH', `/organizations/${created.id}`, { quickNotes: 'm' });
    await api('GET', `/organizations/${created.id}/history`);
    await api('GET', `/organizations/${pulled[0].id}/history`);
    await api('POST', `/organizations/${pulled[0].id}/sync/disable`);
    await api('POST', `/organizations/${pulled[0].id}/sync/enable`);
    await api('POST', '/locations/import', { records: [{ organizationId: created.id, name: 'HQ' }] });
    await api('GET', '/configurations');

    await api('GET', bms);
    await api('GET', `${bms}/sync-settings`);
    await api('PATCH', `${bms}/sync-settings`, { settings: { pull: { overlapMinutes: 11 } } });
    await api('GET', `${bms}/lookups`);
    await api('GET', `${bms}/summary`);
    await api('POST', `${bms}/manage`, { action: 'delete', records: [{ recordType: 'organization', id: pulled[0].id }] });
    await api('POST', `${bms}/pause`);
    await api('POST', `${bms}/resume`);
    const runs = (await api('GET', `${bms}/runs`)).body.data;
    await api('GET', `${bms}/runs/${runs[0].id}`);

    await api('GET', '/me');
    await api('GET', '/account');
    await api('GET', '/meta/records');
    await api('GET', '/meta/permissions');
    const user = (await api('POST', '/users', { email: 'contract@example.com', name: 'Contract Person', role: 'editor', password: 'a long and unusual passphrase 7' })).body.data;
    await api('PATCH', `/users/${user.id}`, { role: 'read-only' });
    await api('GET', '/users');
    await api('POST', '/api-keys', { name: 'contract', role: 'editor' });
    await api('GET', '/api-keys');
    await api('GET', '/me', undefined, await stack.apiKey('editor'));
    await api('POST', '/auth/login', { email: 'contract@example.com', password: 'a long and unusual passphrase 7' }, stack.anonymous);

    // Refusals: the envelope, with every issues list in the one shape.
    const refusals: Array<[string, string, unknown]> = [
      ['POST', '/organizations', { name: 42, colour: 'red' }],
      ['POST', '/locations/import', { records: [{ name: 'no organization' }] }],
      ['PATCH', `${bms}/sync-settings`, { settings: { pull: { intervalMinutes: 0 } } }],
      ['GET', '/organizations/00000000-0000-4000-8000-000000000000', undefined],
      ['PATCH', `/organizations/${created.id}`, { version: 1 }],
    ];
    for (const [method, path, body] of refusals) {
      const res = await api(method, path, body);
      assert.ok(res.status >= 400 && res.status < 500, `${method} ${path}: ${res.status}`);
    }
    const settingsRefused = await stack.admin.patch(`/api/v1${bms}/sync-settings`, { settings: { pull: { intervalMinutes: 0 } } });
    assert.deepEqual(settingsRefused.body.error.details.issues.map((i: any) => Object.keys(i).sort()), [['code', 'field', 'message']]);
    assert.equal(settingsRefused.body.error.details.issues[0].field, 'settings.pull.intervalMinutes');
  });
});
