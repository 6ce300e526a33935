/**
 * Authentication and authorization middleware. Every route under /api/v1 except login and health needs
 * a credential: a session token (a person in the web UI) or an API key (automation), as
 * `Authorization: Bearer …` or `X-API-Key: …`.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Db } from '../db';
import { authenticate, type Principal } from '../services/accounts';
import { ApiError } from './errors';
import { type Action, allowed } from './permissions';

export function credentialOf(req: Request): string | undefined {
  const header = req.get('authorization');
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    return match?.[1];
  }
  return req.get('x-api-key')?.trim() || undefined;
}

export function requireAuth(db: Db): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const credential = credentialOf(req);
    if (!credential) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      throw new ApiError(401, 'unauthorized', 'Log in or send an API key (Authorization: Bearer …)');
    }
    const principal = await authenticate(db, credential);
    if (!principal) {
      res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
      throw new ApiError(401, 'unauthorized', 'The session has expired or the API key is not valid');
    }
    res.locals.principal = principal;
    next();
  };
}

export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new ApiError(401, 'unauthorized', 'Not authenticated');
  return principal;
}

export function requirePermission(action: Action): RequestHandler {
  return (_req, res, next) => {
    const principal = principalOf(res);
    if (!allowed(principal.role, action)) {
      throw new ApiError(403, 'forbidden', `The ${principal.role} role may not ${action.replace(':', ' ')}`, { action, role: principal.role });
    }
    next();
  };
}
