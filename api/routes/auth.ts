/** /api/v1/auth: log in (a session for the web UI), log out; /api/v1/me. */
import { type RequestHandler, Router } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { Db } from '../../db';
import { getAccount, login, logout } from '../../services/accounts';
import { credentialOf, principalOf } from '../auth';
import { ApiError, envelope } from '../errors';
import { LoginBody } from '../schemas';
import { parse } from '../validate';

/** Failed logins allowed per (client address, email) in the window, before 429s. */
export const LOGIN_FAILURES_ALLOWED = 10;
export const LOGIN_WINDOW_MS = 15 * 60_000;

/**
 * Throttles password guessing: after LOGIN_FAILURES_ALLOWED failed attempts for one email from one
 * address within the window, further attempts get 429 until the window passes. Successful logins do not
 * count. The count is kept per API process.
 */
function loginThrottle(): RequestHandler {
  return rateLimit({
    windowMs: LOGIN_WINDOW_MS,
    limit: LOGIN_FAILURES_ALLOWED,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) => {
      const email = typeof (req.body as { email?: unknown } | undefined)?.email === 'string' ? (req.body as { email: string }).email : '';
      return `${ipKeyGenerator(req.ip ?? '')}|${email.trim().toLowerCase()}`;
    },
    handler: (_req, res) => {
      res.status(429).json(envelope('too_many_attempts', 'Too many failed logins; wait a few minutes and try again'));
    },
  });
}

export function loginRoutes(db: Db): Router {
  const router = Router();
  router.post('/login', loginThrottle(), async (req, res) => {
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
