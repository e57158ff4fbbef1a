import { existsSync } from 'node:fs';
import path from 'node:path';
import express from 'express';
import { simplePage } from './html.js';

/** Paths the console never answers: the API, the OAuth callback and the health check. */
const SERVER_PATHS = /^\/(?:v1|callback|health)(?:\/|$)/;

/**
 * A request for a file (under `/assets/`, or any name with an extension) that the static middleware did
 * not find is a 404: answering it with index.html would hand a script tag HTML with a 200, and hide a
 * broken build. The console routes in the hash, so pages never look like files.
 */
const FILE_PATHS = /^\/assets\/|\.[A-Za-z0-9]+$/;

/**
 * Defence in depth behind the console's safe Markdown rendering: only the console's own scripts run,
 * it only talks to its own origin, and no other site can frame it.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Serves the built web console (`npm run build:web` writes `web/dist/`): its static files, and
 * `index.html` for any other GET so that a reload on a console route works. When the console is not
 * built, `GET /` says how to build it instead of a bare 404.
 */
export function serveConsole(app: express.Express, { distDir }: { distDir: string }): void {
  const indexFile = path.resolve(distDir, 'index.html');
  // Checked per request: a `npm run build:web` while the server runs is picked up without a restart.
  const isBuilt = () => existsSync(indexFile);
  const staticFiles = express.static(distDir, {
    setHeaders(response, filePath) {
      // Hashed assets never change under one name; index.html is revalidated to pick up a new build.
      const immutable = filePath.includes(`${path.sep}assets${path.sep}`);
      response.set('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      response.set('content-security-policy', CONTENT_SECURITY_POLICY);
      response.set('x-content-type-options', 'nosniff');
    },
  });
  const isPageRequest = (request: express.Request) =>
    (request.method === 'GET' || request.method === 'HEAD') && !SERVER_PATHS.test(request.path);

  app.use((request, response, next) => {
    if (!isPageRequest(request) || !isBuilt()) {
      next();
      return;
    }
    staticFiles(request, response, next);
  });

  app.use((request, response, next) => {
    if (!isPageRequest(request) || FILE_PATHS.test(request.path)) {
      next();
      return;
    }
    if (isBuilt()) {
      response.set('cache-control', 'no-cache');
      response.set('content-security-policy', CONTENT_SECURITY_POLICY);
      response.sendFile(indexFile);
      return;
    }
    if (request.path !== '/') {
      next();
      return;
    }
    response.type('html').send(
      simplePage({
        title: 'WPS agent',
        heading: 'The console is not built',
        body: 'The agent API is running, but its web console has not been built: run npm run build:web (npm start does it for you), then reload this page.',
        tone: 'error',
      }),
    );
  });
}
