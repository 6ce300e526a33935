/**
 * Serving the web UI (built into web/dist by web/build.ts) from the API process: hashed assets with a
 * long cache, index.html for every other non-API page path (the UI routes in the browser), and the
 * security headers: a Content-Security-Policy that allows nothing but this origin and no inline code.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler, Router } from 'express';
import helmet from 'helmet';

/** web/dist of the project, whether this file runs from source or compiled into dist/. */
export const DEFAULT_WEB_DIR = [path.resolve(__dirname, '..', '..', 'web', 'dist'), path.resolve(__dirname, '..', '..', '..', 'web', 'dist')].find(
  (dir) => existsSync(path.join(dir, '..', 'src', 'index.html')),
) ?? path.resolve(__dirname, '..', '..', 'web', 'dist');

export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
  });
}

/** A page path of the single-page app: not the API, and not a file (no extension in its last segment). */
function isPagePath(p: string): boolean {
  return !p.startsWith('/api/') && p !== '/api' && !/\.[A-Za-z0-9]+$/.test(p);
}

export function webUiRoutes(dir: string = DEFAULT_WEB_DIR): Router {
  const router = Router();
  router.use(
    '/assets',
    express.static(path.join(dir, 'assets'), {
      index: false,
      fallthrough: true,
      immutable: true,
      maxAge: '365d',
    }),
  );
  router.use(express.static(dir, { index: false, fallthrough: true, maxAge: 0 }));
  router.use((req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !isPagePath(req.path)) return next();
    const index = path.join(dir, 'index.html');
    // Checked per request: the UI may be built after the API started.
    if (!existsSync(index)) {
      res.status(503).type('text/plain').send('The web UI is not built. Run `npm run build:web` (npm start does it for you).\n');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  return router;
}
