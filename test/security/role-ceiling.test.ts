/**
 * The role ceiling: no session or API key grants, creates or raises anyone above its own role; the account
 * always keeps an enabled administrator, even against two demotions at once; a key lives only while the
 * user or key that made it does, and never acts above it.
 */
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { type Action, allowed } from '../../api/permissions';
import { ROLES, type Role, roleWithin } from '../../domain/access';
import { createApiKey, updateUser } from '../../services/accounts';
import type { ApiResponse, HttpClient } from '../helpers/api-client';
import { startStack, type Stack } from '../helpers/stack';

type CallerKind = 'session' | 'api key';

/** What the API must answer a caller of `callerRole` granting `role` through a route that needs `action`. */
function expectedGrant(callerRole: Role, action: Action, role: Role, granted: 200 | 201): { status: number; code?: string } {
  if (!allowed(callerRole, action)) return { status: 403, code: 'forbidden' };
  if (!roleWithin(role, callerRole)) return { status: 403, code: 'role_ceiling' };
  return { status: granted };
}

function assertAnswer(res: ApiResponse<any>, expected: { status: number; code?: string }, what: string) {
  const shown = `${what} → ${res.status} ${JSON.stringify(res.body)}`;
  assert.equal(res.status, expected.status, shown);
  if (expected.code) {
    assert.equal(res.body.error.code, expected.code, shown);
    if (expected.code === 'role_ceiling') assert.equal(res.body.error.details.field, 'role', shown);
  }
}

async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('role ceiling', function () {
  this.timeout(180_000);
  let stack: Stack;
  let callers: Array<{ kind: CallerKind; role: Role; client: HttpClient }>;
  let emails = 0;

  before(async () => {
    stack = await startStack({ connect: false, worker: false });
    callers = [];
    for (const role of ROLES) {
      callers.push({ kind: 'session', role, client: await stack.userWithRole(role) });
      callers.push({ kind: 'api key', role, client: await stack.apiKey(role) });
    }
  });
  after(async () => stack?.stop());

  const userIdOf = async (client: HttpClient) => (await client.get('/api/v1/me')).body.data.userId as string;
  const roleOf = async (client: HttpClient) => (await client.get('/api/v1/meta/permissions')).body.data.role as Role;
  const newUser = (role: Role) => ({ email: `ceiling-${++emails}@test.example`, name: `Ceiling ${emails}`, role, password: 'ceiling-password' });

  it('lets every caller create API keys up to its own role only, sessions and keys alike', async () => {
    for (const caller of callers) {
      for (const role of ROLES) {
        const res = await caller.client.post('/api/v1/api-keys', { name: `from ${caller.kind} ${caller.role}`, role });
        const expected = expectedGrant(caller.role, 'api-keys:manage', role, 201);
        assertAnswer(res, expected, `${caller.role} ${caller.kind} creating a ${role} key`);
        if (res.status === 201) assert.equal(await roleOf(stack.anonymous.withToken(res.body.data.key)), role, 'the new key acts with its role');
      }
    }
  });

  it('lets every caller create users, and raise them, up to its own role only', async () => {
    for (const caller of callers) {
      for (const role of ROLES) {
        const what = `${caller.role} ${caller.kind}`;
        const created = expectedGrant(caller.role, 'users:manage', role, 201);
        const body = newUser(role);
        assertAnswer(await caller.client.post('/api/v1/users', body), created, `${what} creating a ${role} user`);
        const stored = (await stack.admin.get('/api/v1/users')).body.data as Array<{ email: string }>;
        assert.equal(stored.some((u) => u.email === body.email), created.status === 201, `${what} creating a ${role} user: stored or not`);

        const target = (await stack.admin.post('/api/v1/users', newUser('read-only'))).body.data as { id: string };
        const changed = expectedGrant(caller.role, 'users:manage', role, 200);
        assertAnswer(await caller.client.patch(`/api/v1/users/${target.id}`, { role }), changed, `${what} changing a read-only user to ${role}`);
        const after = (await stack.admin.get('/api/v1/users')).body.data.find((u: { id: string }) => u.id === target.id) as { role: Role };
        assert.equal(after.role, changed.status === 200 ? role : 'read-only', `${what} changing a read-only user to ${role}: stored role`);
      }
    }
  });

  it('refuses to change a user who outranks the caller', async () => {
    const administrator = (await stack.admin.post('/api/v1/users', newUser('administrator'))).body.data as { id: string };
    const manager = { kind: 'api_key', userId: null, apiKeyId: null, role: 'manager' } as const;
    await assert.rejects(updateUser(stack.env.db, stack.accountId, administrator.id, { disabled: true }, manager), { code: 'role_ceiling' });
    await assert.rejects(updateUser(stack.env.db, stack.accountId, administrator.id, { role: 'editor' }, manager), { code: 'role_ceiling' });
    const stored = (await stack.admin.get('/api/v1/users')).body.data.find((u: { id: string }) => u.id === administrator.id);
    assert.deepEqual([stored.role, stored.disabled], ['administrator', false]);
  });

  it('never lets an API key disable or demote the last enabled administrator', async () => {
    const other = await stack.otherAccount();
    const { key } = await createApiKey(stack.env.db, { accountId: other.accountId, name: 'admin automation', role: 'administrator', createdBy: null });
    const viaKey = stack.anonymous.withToken(key);
    const adminId = await userIdOf(other.admin);
    for (const change of [{ disabled: true }, { role: 'manager' }, { role: 'read-only', disabled: true }]) {
      const res = await viaKey.patch(`/api/v1/users/${adminId}`, change);
      assert.equal(res.status, 409, `${JSON.stringify(change)} → ${res.status} ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'last_administrator');
      assert.equal(res.body.error.details.field, 'disabled' in change ? 'disabled' : 'role');
    }
    const me = await other.admin.get('/api/v1/me');
    assert.equal(me.status, 200, 'the administrator still logs in');
    assert.equal(me.body.data.role, 'administrator');

    // With a second administrator the first may go, and then the second is the last.
    const second = (await viaKey.post('/api/v1/users', { ...newUser('administrator') })).body.data as { id: string };
    assert.equal((await viaKey.patch(`/api/v1/users/${adminId}`, { disabled: true })).status, 200);
    assert.equal((await viaKey.patch(`/api/v1/users/${second.id}`, { role: 'editor' })).body.error.code, 'last_administrator');
  });

  it('lets only one of two administrators demoting each other at the same moment succeed', async () => {
    const other = await stack.otherAccount();
    const first = other.admin;
    const secondUser = newUser('administrator');
    assert.equal((await first.post('/api/v1/users', secondUser)).status, 201);
    const login = await stack.anonymous.post('/api/v1/auth/login', { email: secondUser.email, password: secondUser.password });
    const second = stack.anonymous.withToken(login.body.data.token as string);
    const [firstId, secondId] = [await userIdOf(first), await userIdOf(second)];

    // Holding both users' rows stops each demotion at its write: unless the check is serialized per
    // account, both have checked for another administrator, and found one, before either commits.
    const { db } = stack.env;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const holder = db.transaction(async (trx: Knex.Transaction) => {
      await trx('users').whereIn('id', [firstId, secondId]).forNoKeyUpdate();
      holding();
      await released;
    });
    await held;
    const answers: Array<ApiResponse<any>> = [];
    const demotions = [first.patch(`/api/v1/users/${secondId}`, { role: 'manager' }), second.patch(`/api/v1/users/${firstId}`, { role: 'manager' })].map((p) =>
      p.then((res) => answers.push(res)),
    );
    const waitingOnLocks = async () => {
      const row = (await db('pg_stat_activity').where({ datname: db.raw('current_database()'), wait_event_type: 'Lock' }).count('* as n').first()) as { n: string };
      return Number(row.n) >= 2;
    };
    await waitFor('both demotions to wait on a lock or to be answered', async () => answers.length === 2 || (await waitingOnLocks()));
    release();
    await holder;
    await Promise.all(demotions);

    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(statuses, [200, 409], JSON.stringify(answers.map((a) => a.body)));
    assert.equal(answers.find((a) => a.status === 409)!.body.error.code, 'last_administrator');
    const administrators = await db('users').where({ account_id: other.accountId, role: 'administrator' }).whereNull('disabled_at').count('* as n').first();
    assert.equal(Number((administrators as { n: string }).n), 1);
  });

  it('kills a key when the user who made it is disabled (for good) or deleted', async () => {
    const { db } = stack.env;
    const maker = await stack.userWithRole('manager');
    const makerId = await userIdOf(maker);
    const made = await maker.post('/api/v1/api-keys', { name: 'made by a manager', role: 'editor' });
    const key = stack.anonymous.withToken(made.body.data.key as string);
    assert.equal((await key.get('/api/v1/meta/permissions')).status, 200);

    assert.equal((await stack.admin.patch(`/api/v1/users/${makerId}`, { disabled: true })).status, 200);
    assert.equal((await key.get('/api/v1/meta/permissions')).status, 401, 'dead once its maker is disabled');
    assert.equal((await stack.admin.patch(`/api/v1/users/${makerId}`, { disabled: false })).status, 200);
    assert.equal((await key.get('/api/v1/meta/permissions')).status, 401, 'still dead after its maker is enabled again');

    const deletedMaker = await stack.userWithRole('manager');
    const deletedMakerId = await userIdOf(deletedMaker);
    const orphan = await deletedMaker.post('/api/v1/api-keys', { name: 'made by a deleted manager', role: 'editor' });
    const orphanKey = stack.anonymous.withToken(orphan.body.data.key as string);
    assert.equal((await orphanKey.get('/api/v1/meta/permissions')).status, 200);
    await db('users').where({ id: deletedMakerId }).delete();
    assert.equal((await orphanKey.get('/api/v1/meta/permissions')).status, 401, 'dead once its maker is deleted');
  });

  it('keeps a key no higher than the user who made it is now', async () => {
    const demotedMaker = await stack.userWithRole('manager');
    const demotedMakerId = await userIdOf(demotedMaker);
    const managerKey = stack.anonymous.withToken((await demotedMaker.post('/api/v1/api-keys', { name: 'manager key', role: 'manager' })).body.data.key as string);
    assert.equal((await stack.admin.patch(`/api/v1/users/${demotedMakerId}`, { role: 'editor' })).status, 200);
    assert.equal(await roleOf(managerKey), 'editor', 'a key acts no higher than its maker is now');
    assert.equal((await managerKey.post('/api/v1/api-keys', { name: 'escape', role: 'manager' })).status, 403);

    // Demoted, an administrator cannot go on acting as one through a key made before.
    const formerAdministrator = await stack.userWithRole('administrator');
    const formerAdministratorId = await userIdOf(formerAdministrator);
    const kept = (await formerAdministrator.post('/api/v1/api-keys', { name: 'kept for later', role: 'administrator' })).body.data as { key: string };
    assert.equal((await stack.admin.patch(`/api/v1/users/${formerAdministratorId}`, { role: 'manager' })).status, 200);
    const keptKey = stack.anonymous.withToken(kept.key);
    assertAnswer(await keptKey.post('/api/v1/users', newUser('administrator')), { status: 403, code: 'forbidden' }, 'creating an administrator');
    assertAnswer(await keptKey.post('/api/v1/api-keys', { name: 'new admin key', role: 'administrator' }), { status: 403, code: 'role_ceiling' }, 'creating an administrator key');
  });

  async function keyChain(names: [string, string, string]) {
    const root = (await stack.admin.post('/api/v1/api-keys', { name: names[0], role: 'manager' })).body.data as { id: string; key: string };
    const child = (await stack.anonymous.withToken(root.key).post('/api/v1/api-keys', { name: names[1], role: 'manager' })).body.data as { id: string; key: string };
    const grandchild = (await stack.anonymous.withToken(child.key).post('/api/v1/api-keys', { name: names[2], role: 'editor' })).body.data as { id: string; key: string };
    return { root, child, grandchild };
  }

  it('kills a key made by a key when the creating key is revoked, down the whole chain', async () => {
    const { root, child, grandchild } = await keyChain(['root', 'child', 'grandchild']);
    const [childKey, grandchildKey] = [stack.anonymous.withToken(child.key), stack.anonymous.withToken(grandchild.key)];
    assert.equal((await childKey.get('/api/v1/organizations')).status, 200);
    assert.equal((await grandchildKey.get('/api/v1/organizations')).status, 200);

    assert.equal((await stack.admin.delete(`/api/v1/api-keys/${root.id}`)).status, 204);
    assert.equal((await childKey.get('/api/v1/organizations')).status, 401, 'dead once its creating key is revoked');
    assert.equal((await grandchildKey.get('/api/v1/organizations')).status, 401, 'dead once a key up its chain is revoked');
    const listed = (await stack.admin.get('/api/v1/api-keys')).body.data as Array<Record<string, unknown>>;
    const entry = listed.find((k) => k.id === grandchild.id)!;
    assert.deepEqual([entry.live, entry.effectiveRole, entry.revokedAt], [false, null, null], 'shown dead, though never revoked itself');
  });

  it('lets a caller revoke only keys granted no more than its own role', async () => {
    const manager = await stack.userWithRole('manager');
    const administratorKey = (await stack.admin.post('/api/v1/api-keys', { name: 'admin automation', role: 'administrator' })).body.data as { id: string; key: string };
    const managerKey = (await stack.admin.post('/api/v1/api-keys', { name: 'manager automation', role: 'manager' })).body.data as { id: string; key: string };
    assertAnswer(await manager.delete(`/api/v1/api-keys/${administratorKey.id}`), { status: 403, code: 'role_ceiling' }, 'a manager revoking an administrator key');
    assert.equal((await stack.anonymous.withToken(administratorKey.key).get('/api/v1/organizations')).status, 200, 'the administrator key still works');
    assert.equal((await manager.delete(`/api/v1/api-keys/${managerKey.id}`)).status, 204, 'a manager revokes a manager key');
    assert.equal((await stack.anonymous.withToken(managerKey.key).get('/api/v1/organizations')).status, 401);
    assert.equal((await stack.admin.delete(`/api/v1/api-keys/${administratorKey.id}`)).status, 204, 'an administrator revokes it');
  });

  it('lists who or what made each key, when it was last used and whether it is live', async () => {
    const { root, child, grandchild } = await keyChain(['listed root', 'listed child', 'listed grandchild']);
    assert.equal((await stack.anonymous.withToken(grandchild.key).get('/api/v1/organizations')).status, 200);
    const listed = (await stack.admin.get('/api/v1/api-keys')).body.data as Array<Record<string, any>>;
    const entry = (id: string) => listed.find((k) => k.id === id)!;
    const adminId = await userIdOf(stack.admin);
    assert.deepEqual(entry(root.id).createdBy, { kind: 'user', userId: adminId, name: 'Test Admin', email: `admin-${stack.accountId}@test.example` });
    assert.deepEqual(entry(child.id).createdBy, { kind: 'api_key', apiKeyId: root.id, name: 'listed root' });
    assert.deepEqual(entry(grandchild.id).createdBy, { kind: 'api_key', apiKeyId: child.id, name: 'listed child' });
    assert.deepEqual(listed.find((k) => k.name === 'key editor')!.createdBy, { kind: 'operator' });
    assert.ok(entry(root.id).lastUsedAt, 'a key that made another was used');
    assert.ok(entry(grandchild.id).lastUsedAt, 'a key that read records was used');
    assert.ok(entry(child.id).lastUsedAt, 'a key that made another was used');
    assert.deepEqual([entry(grandchild.id).live, entry(grandchild.id).effectiveRole], [true, 'editor']);
  });
});
