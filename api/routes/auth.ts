/** /api/v1/auth: log in (a session for the web UI), log out; /api/v1/me. */
import { type Request, type RequestHandler, type Response, Router } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { Db } from '../../db';
import { normalizeEmail } from '../../domain/email';
import { login, logout, requireAccount } from '../../services/accounts';
import { PasswordHashingBusyError } from '../../services/passwords';
import { credentialOf, principalOf } from '../auth';
import { ApiError, envelope } from '../errors';
import type { Me, Session } from '../contract';
import { LoginBody } from '../schemas';
import { parse } from '../validate';

/** Failed logins allowed per (client address, email) in the window, before 429s. */
export const LOGIN_FAILURES_ALLOWED = 10;
/** Failed logins allowed per email in the window from all addresses together (guessing spread over many). */
export const LOGIN_FAILURES_PER_EMAIL_ALLOWED = 30;
export const LOGIN_WINDOW_MS = 15 * 60_000;

function loginEmailOf(req: Request): string {
  const email = (req.body as { email?: unknown } | undefined)?.email;
  return typeof email === 'string' ? normalizeEmail(email) : '';
}

/**
 * Throttles password guessing: after `limit` wrong guesses with one key within the window, further
 * attempts get 429 until the window passes, before any password is hashed. Only what `wasWrongGuess`
 * says counts: for a login, a success, a malformed body, a busy answer or an account choice is no guess.
 * The count is kept per API process.
 */
export function passwordGuessThrottle(
  limit: number,
  keyOf: (req: Request, res: Response) => string,
  wasWrongGuess: (res: Response) => boolean,
): RequestHandler {
  return rateLimit({
    windowMs: LOGIN_WINDOW_MS,
    limit,
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req, res) => !wasWrongGuess(res),
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: keyOf,
    handler: (_req, res) => {
      res.status(429).json(envelope('too_many_attempts', 'Too many wrong passwords; wait a few minutes and try again'));
    },
  });
}

export function loginRoutes(db: Db): Router {
  const router = Router();
  const wrongCredentials = (res: Response) => res.statusCode === 401;
  const perAddressAndEmail = passwordGuessThrottle(LOGIN_FAILURES_ALLOWED, (req) => `${ipKeyGenerator(req.ip ?? '')}|${loginEmailOf(req)}`, wrongCredentials);
  const perEmail = passwordGuessThrottle(LOGIN_FAILURES_PER_EMAIL_ALLOWED, loginEmailOf, wrongCredentials);
  router.post('/login', perAddressAndEmail, perEmail, async (req, res) => {
    const body = parse(LoginBody, req.body, 'body');
    try {
      const session = await login(db, body.email, body.password, body.accountId);
      if (!session) throw new ApiError(401, 'invalid_credentials', 'Email or password is wrong');
      const account = await requireAccount(db, session.user.accountId);
      res.json({ data: { token: session.token, expiresAt: session.expiresAt.toISOString(), user: session.user, account } satisfies Session });
    } catch (err) {
      if (err instanceof PasswordHashingBusyError) res.setHeader('Retry-After', '1');
      throw err;
    }
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
    res.json({ data: { ...principal, account: await requireAccount(db, principal.accountId) } satisfies Me });
  };
}
