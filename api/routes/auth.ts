/** /api/v1/auth: log in (a session for the web UI), log out; /api/v1/me. */
import { type RequestHandler, Router } from 'express';
import type { Db } from '../../db';
import { getAccount, login, logout } from '../../services/accounts';
import { credentialOf, principalOf } from '../auth';
import { ApiError } from '../errors';
import { LoginBody } from '../schemas';
import { parse } from '../validate';

export function loginRoutes(db: Db): Router {
  const router = Router();
  router.post('/login', async (req, res) => {
    const body = parse(LoginBody, req.body, 'body');
    const session = await login(db, body.email, body.password);
    if (!session) throw new ApiError(401, 'invalid_credentials', 'Email or password is wrong');
    const account = await getAccount(db, session.user.accountId);
    res.json({ data: { token: session.token, expiresAt: session.expiresAt.toISOString(), user: session.user, account } });
  });
  return router;
}

export function logoutHandler(db: Db): RequestHandler {
  return async (req, res) => {
    const credential = credentialOf(req);
    if (credential) await logout(db, credential);
    res.status(204).end();
  };
}

export function meHandler(db: Db): RequestHandler {
  return async (_req, res) => {
    const principal = principalOf(res);
    const account = await getAccount(db, principal.accountId);
    res.json({ data: { ...principal, account } });
  };
}
