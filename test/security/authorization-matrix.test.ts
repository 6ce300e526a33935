/**
 * Every endpoint × every role × own or another account's record, checked against the one permission
 * table (api/permissions.ts). The endpoint list comes from the OpenAPI document, so a new route without
 * an entry here fails the test.
 */
import assert from 'node:assert/strict';
import { type Action, allowed } from '../../api/permissions';
import { RECORD_COLLECTIONS } from '../../domain/records';
import { ROLES, type Role } from '../../domain/access';
import type { HttpClient } from '../helpers/api-client';
import { startStack, type Stack } from '../helpers/stack';

/** The permission each endpoint needs; `null` = any authenticated caller; `public` = no credential. */
function expectedAction(method: string, path: string): Action | null | 'public' {
  if (path === '/auth/login' || path === '/health') return 'public';
  if (path === '/auth/logout' || path === '/me' || path === '/me/password' || path === '/account' || path === '/meta/permissions') return null;
  if (path === '/meta/records') return 'records:read';
  if (path === '/users' || path.startsWith('/users/')) return 'users:manage';
  if (path.startsWith('/api-keys')) return 'api-keys:manage';
  if (path.startsWith('/adoptions')) return method === 'get' ? 'records:read' : 'records:adopt';
  if (path === '/notifications/deliveries') return 'notifications:read';
  if (path.startsWith('/notifications/')) return 'notifications:manage';
  if (path.startsWith('/integrations/kaseya-bms')) {
    if (path.endsWith('/sync')) return 'sync:trigger';
    if (method === 'get') return 'integration:read';
    return 'integration:write';
  }
  if (path.startsWith('/problems')) return method === 'get' ? 'records:read' : 'problems:retry';
  const collection = Object.values(RECORD_COLLECTIONS).find((c) => path.startsWith(`/${c}`));
  if (collection) {
    if (path.endsWith('/import')) return 'records:import';
    if (/\/sync\/(enable|disable)$/.test(path)) return 'integration:write';
    return method === 'get' ? 'records:read' : 'records:write';
  }
  throw new Error(`No expected permission for ${method.toUpperCase()} ${path}: add it to the authorization matrix`);
}

describe('authorization matrix', function () {
  this.timeout(300_000);
  let stack: Stack;
  let clients: Record<Role, HttpClient>;
  let ownIds: Record<string, string>;
  let otherIds: Record<string, string>;
  let endpoints: Array<{ method: string; path: string }>;

  before(async () => {
    stack = await startStack();
    const other = await stack.otherAccount();
    clients = {} as Record<Role, HttpClient>;
    for (const role of ROLES) clients[role] = await stack.userWithRole(role);
    const org = (await stack.admin.get('/api/v1/organizations?pageSize=1')).body.data[0];
    const location = (await stack.admin.post('/api/v1/locations', { organizationId: org.id, name: 'Matrix site' })).body.data;
    const contact = (await stack.admin.post('/api/v1/contacts', { organizationId: org.id, firstName: 'Matrix' })).body.data;
    const config = (await stack.admin.post('/api/v1/configurations', { organizationId: org.id, name: 'Matrix box' })).body.data;
    ownIds = { organizations: org.id, locations: location.id, contacts: contact.id, configurations: config.id };
    const otherOrg = (await other.admin.post('/api/v1/organizations', { name: 'Other Co' })).body.data;
    const otherLoc = (await other.admin.post('/api/v1/locations', { organizationId: otherOrg.id, name: 'Other site' })).body.data;
    const otherContact = (await other.admin.post('/api/v1/contacts', { organizationId: otherOrg.id, firstName: 'Other' })).body.data;
    const otherConfig = (await other.admin.post('/api/v1/configurations', { organizationId: otherOrg.id, name: 'Other box' })).body.data;
    otherIds = { organizations: otherOrg.id, locations: otherLoc.id, contacts: otherContact.id, configurations: otherConfig.id };
    const doc = (await stack.anonymous.get('/api/v1/openapi.json')).body;
    endpoints = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => ({ method, path })),
    );
    assert.ok(endpoints.length > 40);
  });
  after(async () => stack?.stop());

  function fill(path: string, ids: Record<string, string>): string {
    const collection = path.split('/')[1]!;
    return path.replace('{id}', ids[collection] ?? '00000000-0000-4000-8000-000000000000');
  }

  it('answers 401 to every endpoint without a credential (except logging in)', async () => {
    for (const { method, path } of endpoints) {
      if (expectedAction(method, path) === 'public') continue;
      const res = await stack.anonymous.call(method.toUpperCase(), `/api/v1${fill(path, ownIds)}`, method === 'get' ? undefined : {});
      assert.equal(res.status, 401, `${method.toUpperCase()} ${path}`);
      assert.equal(res.body.error.code, 'unauthorized');
    }
  });

  it('allows exactly what the permission table says, per role, on own records; never another account’s', async () => {
    const rows: string[] = [];
    // Destructive calls last, so earlier calls still find their records.
    const ordered = [...endpoints].sort((a, b) => Number(a.method === 'delete') - Number(b.method === 'delete'));
    for (const { method, path } of ordered) {
      const action = expectedAction(method, path);
      if (action === 'public' || path === '/auth/logout') continue;
      for (const role of ROLES) {
        const may: boolean = action === null || allowed(role, action);
        const body = method === 'get' || method === 'delete' ? undefined : {};
        const own = await clients[role].call(method.toUpperCase(), `/api/v1${fill(path, ownIds)}`, body);
        if (may) assert.ok(own.status !== 401 && own.status !== 403, `${role} ${method.toUpperCase()} ${path} → ${own.status} ${JSON.stringify(own.body)}`);
        else {
          assert.equal(own.status, 403, `${role} ${method.toUpperCase()} ${path} must be refused`);
          assert.equal(own.body.error.code, 'forbidden');
        }
        if (path.includes('{id}') && Object.values(RECORD_COLLECTIONS).some((c) => path.startsWith(`/${c}/`))) {
          const theirs = await clients[role].call(method.toUpperCase(), `/api/v1${fill(path, otherIds)}`, body);
          assert.equal(theirs.status, may ? 404 : 403, `${role} ${method.toUpperCase()} ${path} on another account's record → ${theirs.status}`);
        }
        rows.push(`${role.padEnd(13)} ${method.toUpperCase().padEnd(6)} ${path.padEnd(48)} ${may ? 'allowed' : 'refused'}`);
      }
    }
    console.log(`      checked ${rows.length} (role, endpoint) pairs`);
  });
});
