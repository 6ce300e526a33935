/**
 * The HTTP API and the web UI it serves (web/dist, built by web/build.ts). Built from injected
 * dependencies so tests run it in-process against the real database and Temporal.
 */
import type { IncomingMessage } from 'node:http';
import type { Client } from '@temporalio/client';
import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import type { Config } from '../config';
import type { Db } from '../db';
import { type Logger, requestLogSerializers } from '../lib/logger';
import type { SecretBox } from '../lib/secrets';
import { credentialOf, principalOf, requireAuth } from './auth';
import type { Health } from './contract';
import { authenticate } from '../services/accounts';
import { healthChecker } from '../services/operations';
import { allowed } from './permissions';
import { refuseDeepNesting } from './validate';
import { errorHandler, notFoundHandler } from './errors';
import { loginRoutes, logoutHandler, meHandler } from './routes/auth';
import { passwordRoutes } from './routes/passwords';
import { adoptionRoutes } from './routes/adoptions';
import { integrationRoutes } from './routes/integration';
import { notificationRoutes } from './routes/notifications';
import { IMPORT_BODY_LIMIT, recordRoutes } from './routes/records';
import { accessRoutes } from './routes/access';
import { problemRoutes } from './routes/problems';
import { metaRoutes } from './routes/meta';
import { securityHeaders, webUiRoutes } from './routes/web-ui';
import { buildOpenApiDocument } from './openapi';

export interface ApiDeps {
  config: Config;
  db: Db;
  temporal: Client;
  secrets: SecretBox;
  logger: Logger;
  /** Idle timeout of push workflows the API starts (tests shorten it). */
  pushIdleTimeoutMs?: number;
  /** The built web UI (default web/dist). */
  webDir?: string;
}

export const BODY_LIMIT = '1mb';
/** Login is the one body read before a credential is checked, so it is kept small. */
export const LOGIN_BODY_LIMIT = '16kb';
const IMPORT_ROUTE = /^\/[a-z-]+\/import$/;

function jsonParser(limit: string) {
  const isJson = (req: IncomingMessage) => /^application\/(.+\+)?json\b/i.test(req.headers['content-type'] ?? '');
  return express.json({ limit, strict: true, type: isJson, verify: refuseDeepNesting });
}

export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.api.trustProxy);
  app.set('query parser', 'simple');
  app.use(securityHeaders());
  app.use(pinoHttp({ logger: deps.logger, autoLogging: { ignore: (req) => req.url === '/api/v1/health' }, serializers: requestLogSerializers }));

  const api = express.Router();
  const health = healthChecker(deps);
  api.get('/health', async (req, res) => {
    // Anyone may probe; a credential, when sent, only adds the administrator's own account's detail.
    const credential = credentialOf(req);
    const principal = credential ? await authenticate(deps.db, credential).catch(() => undefined) : undefined;
    const view = await health(principal?.role === 'administrator' ? principal.accountId : undefined);
    res.status(view.status === 'down' ? 503 : 200).json({ data: view satisfies Health });
  });
  let openApi: object | undefined;
  api.get('/openapi.json', (_req, res) => {
    openApi ??= buildOpenApiDocument();
    res.json(openApi);
  });
  api.use('/auth/login', jsonParser(LOGIN_BODY_LIMIT));
  api.use('/auth', loginRoutes(deps.db));
  // No body is read before the caller is known: an anonymous sender of a large or slow body gets its 401
  // without the API waiting for, buffering or parsing any of it.
  api.use(requireAuth(deps.db));
  const importJson = jsonParser(IMPORT_BODY_LIMIT);
  const normalJson = jsonParser(BODY_LIMIT);
  api.use((req, res, next) => {
    const mayImport = IMPORT_ROUTE.test(req.path) && allowed(principalOf(res).role, 'records:import');
    (mayImport ? importJson : normalJson)(req, res, next);
  });
  api.post('/auth/logout', logoutHandler(deps.db));
  api.get('/me', meHandler(deps.db));
  api.use(passwordRoutes(deps.db));
  const recordDeps = {
    db: deps.db,
    temporal: deps.temporal,
    temporalConfig: deps.config.temporal,
    logger: deps.logger,
    pushIdleTimeoutMs: deps.pushIdleTimeoutMs,
  };
  api.use(recordRoutes(recordDeps));
  api.use('/adoptions', adoptionRoutes(recordDeps));
  api.use('/problems', problemRoutes(recordDeps));
  api.use('/integrations/kaseya-bms', integrationRoutes(deps));
  api.use('/notifications', notificationRoutes(deps));
  api.use(accessRoutes(deps.db));
  api.use(metaRoutes());
  app.use('/api/v1', api);
  app.use(webUiRoutes(deps.webDir));

  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
