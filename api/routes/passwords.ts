/** /api/v1/me/password (a person changes their own) and /api/v1/users/{id}/password (an administrator resets one). */
import { Router } from 'express';
import type { Db } from '../../db';
import { changeOwnPassword, personalFacts, resetPassword } from '../../services/accounts';
import { requireStrongPassword } from '../../services/passwords';
import { credentialOf, principalOf, requirePermission } from '../auth';
import { ApiError } from '../errors';
import { IdParams, OwnPasswordChange, PasswordReset } from '../schemas';
import { parse } from '../validate';
import { LOGIN_FAILURES_ALLOWED, passwordGuessThrottle } from './auth';

export function passwordRoutes(db: Db): Router {
  const router = Router();

  // A stolen session must not become a way to guess the password it was opened with.
  const currentPasswordGuesses = passwordGuessThrottle(
    LOGIN_FAILURES_ALLOWED,
    (_req, res) => `password-change|${principalOf(res).userId ?? ''}`,
    (res) => res.locals.wrongCurrentPassword === true,
  );

  router.post('/me/password', currentPasswordGuesses, async (req, res) => {
    const principal = principalOf(res);
    if (principal.kind !== 'session' || !principal.userId) {
      throw new ApiError(403, 'session_required', 'Only a person logged in can change their password; an API key has none');
    }
    const body = parse(OwnPasswordChange, req.body, 'body');
    await requireStrongPassword(body.newPassword, (await personalFacts(db, principal.accountId, principal.userId)) ?? [], 'newPassword');
    const changed = await changeOwnPassword(db, {
      userId: principal.userId,
      currentPassword: body.currentPassword,
      newPassword: body.newPassword,
      keepToken: credentialOf(req)!,
    });
    if (!changed) {
      res.locals.wrongCurrentPassword = true;
      throw new ApiError(403, 'wrong_password', 'currentPassword: it is not your current password', { field: 'currentPassword' });
    }
    res.status(204).end();
  });

  router.post('/users/:id/password', requirePermission('users:manage'), async (req, res) => {
    const principal = principalOf(res);
    // A key that sets a person's password can log in as them: automation would become that person, and an
    // administrator key could take the last administrator's login from them.
    if (principal.kind !== 'session') {
      throw new ApiError(403, 'session_required', 'Only an administrator logged in can set a password; an API key cannot');
    }
    const { id } = parse(IdParams, req.params, 'path');
    // One's own password is changed with the current one (POST /me/password): a session left open, or
    // stolen, must not be enough to take the login over.
    if (id === principal.userId) {
      throw new ApiError(403, 'current_password_required', 'Change your own password with your current password (POST /api/v1/me/password)', {
        field: 'currentPassword',
      });
    }
    const body = parse(PasswordReset, req.body, 'body');
    const facts = await personalFacts(db, principal.accountId, id);
    if (!facts) throw new ApiError(404, 'not_found', `No user with id ${id}`);
    await requireStrongPassword(body.password, facts);
    if (!(await resetPassword(db, { accountId: principal.accountId, userId: id, password: body.password }))) {
      throw new ApiError(404, 'not_found', `No user with id ${id}`);
    }
    res.status(204).end();
  });

  return router;
}
