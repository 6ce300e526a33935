/** /api/v1/account, /api/v1/users and /api/v1/api-keys: who may use this account, and how. */
import { Router } from 'express';
import type { Db } from '../../db';
import {
  assertRoleGrantable,
  createApiKey,
  createUser,
  listApiKeys,
  listUsers,
  requireAccount,
  revokeApiKey,
  updateUser,
} from '../../services/accounts';
import { requireStrongPassword } from '../../services/passwords';
import { principalOf, requirePermission } from '../auth';
import type { NewApiKeyAnswer } from '../contract';
import { ApiError } from '../errors';
import { IdParams, NewApiKey, NewUser, UserChange } from '../schemas';
import { parse } from '../validate';

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string }).code === '23505';
}

export function accessRoutes(db: Db): Router {
  const router = Router();

  router.get('/account', async (_req, res) => {
    res.json({ data: await requireAccount(db, principalOf(res).accountId) });
  });

  router.get('/api-keys', requirePermission('api-keys:manage'), async (_req, res) => {
    res.json({ data: await listApiKeys(db, principalOf(res).accountId) });
  });

  router.post('/api-keys', requirePermission('api-keys:manage'), async (req, res) => {
    const body = parse(NewApiKey, req.body, 'body');
    const principal = principalOf(res);
    const created = await createApiKey(db, { accountId: principal.accountId, name: body.name, role: body.role, createdBy: principal });
    res.status(201).json({ data: { ...created, name: body.name, role: body.role, note: 'The key is shown once; store it now.' } satisfies NewApiKeyAnswer });
  });

  router.delete('/api-keys/:id', requirePermission('api-keys:manage'), async (req, res) => {
    const { id } = parse(IdParams, req.params, 'path');
    const principal = principalOf(res);
    if (!(await revokeApiKey(db, principal.accountId, id, principal))) throw new ApiError(404, 'not_found', `No active API key with id ${id}`);
    res.status(204).end();
  });

  router.get('/users', requirePermission('users:manage'), async (_req, res) => {
    res.json({ data: await listUsers(db, principalOf(res).accountId) });
  });

  router.post('/users', requirePermission('users:manage'), async (req, res) => {
    const body = parse(NewUser, req.body, 'body');
    const principal = principalOf(res);
    assertRoleGrantable(principal.role, body.role);
    await requireStrongPassword(body.password, [body.email, body.name]);
    try {
      const user = await createUser(db, { ...body, accountId: principal.accountId });
      res.status(201).json({ data: user });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ApiError(409, 'email_taken', 'A user with this email already exists in this account', { field: 'email' });
      throw err;
    }
  });

  router.patch('/users/:id', requirePermission('users:manage'), async (req, res) => {
    const { id } = parse(IdParams, req.params, 'path');
    const body = parse(UserChange, req.body, 'body');
    const principal = principalOf(res);
    if (id === principal.userId && (body.disabled || (body.role && body.role !== 'administrator'))) {
      throw new ApiError(409, 'self_lockout', 'You cannot disable yourself or give up your own administrator role');
    }
    if (!(await updateUser(db, principal.accountId, id, body, principal))) throw new ApiError(404, 'not_found', `No user with id ${id}`);
    const users = await listUsers(db, principal.accountId);
    res.json({ data: users.find((u) => u.id === id) });
  });

  return router;
}
