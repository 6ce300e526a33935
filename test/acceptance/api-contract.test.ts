/** The API describes itself (OpenAPI) and answers every bad input with the one error envelope. */
import assert from 'node:assert/strict';
import { startStack, type Stack } from '../helpers/stack';

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
