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
import type { Logger } from '../lib/logger';
import type { SecretBox } from '../lib/secrets';
import { requireAuth } from './auth';
import { errorHandler, notFoundHandler } from './errors';
import { loginRoutes, logoutHandler, meHandler } from './routes/auth';
import { passwordRoutes } from './routes/passwords';
import { integrationRoutes } from './routes/integration';
import { IMPORT_BODY_LIMIT, recordRoutes } from './routes/records';
import { accessRoutes } from './routes/access';
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

export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.api.trustProxy);
  app.set('query parser', 'simple');
  app.use(securityHeaders());
  app.use(pinoHttp({ logger: deps.logger, autoLogging: { ignore: (req) => req.url === '/api/v1/health' } }));
  const isJson = (req: IncomingMessage) => /^application\/(.+\+)?json\b/i.test(req.headers['content-type'] ?? '');
  // Imports take larger bodies than any other route.
  app.use(/^\/api\/v1\/[a-z]+\/import$/, express.json({ limit: IMPORT_BODY_LIMIT, type: isJson }));
  app.use(express.json({ limit: BODY_LIMIT, strict: true, type: isJson }));

  const api = express.Router();
  api.get('/health', (_req, res) => {
    res.json({ data: { status: 'ok' } });
  });
  let openApi: object | undefined;
  api.get('/openapi.json', (_req, res) => {
    openApi ??= buildOpenApiDocument();
    res.json(openApi);
  });
  api.use('/auth', loginRoutes(deps.db));
  api.use(requireAuth(deps.db));
  api.post('/auth/logout', logoutHandler(deps.db));
  api.get('/me', meHandler(deps.db));
  api.use(passwordRoutes(deps.db));
  api.use(
    recordRoutes({
      db: deps.db,
      temporal: deps.temporal,
      temporalConfig: deps.config.temporal,
      logger: deps.logger,
      pushIdleTimeoutMs: deps.pushIdleTimeoutMs,
    }),
  );
  api.use('/integrations/kaseya-bms', integrationRoutes(deps));
  api.use(accessRoutes(deps.db));
  api.use(metaRoutes());
  app.use('/api/v1', api);
  app.use(webUiRoutes(deps.webDir));

  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
