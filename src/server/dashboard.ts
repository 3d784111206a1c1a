import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { SwitchboardError } from '../errors/index.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/**
 * The page loads only its own assets and talks only to this service: a CSP of 'self' makes
 * the browser refuse anything else (a stray CDN link fails loudly in the e2e test instead of
 * leaking the operator's address to a third party). uPlot sets inline styles on its canvas
 * wrappers, hence style-src 'unsafe-inline'; no inline script is allowed.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * Where `npm run build` put the dashboard: dist/dashboard. From dist/server that is
 * ../dashboard; when the service runs from source (tsx, the tests) it is ../../dist/dashboard.
 */
export function defaultDashboardDir(): string | undefined {
  for (const candidate of ['../dashboard/', '../../dist/dashboard/']) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return undefined;
}

/** Every file under `dir`, by URL path relative to it (`assets/index-abc.js`), read once at start-up. */
function readTree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(dir, path).split(sep).join('/'), readFileSync(path));
    }
  };
  walk(dir);
  return files;
}

/**
 * GET /dashboard: the operations dashboard's static files (built by Vite at `npm run build`).
 * Open routes: the page signs in itself and every data call it makes carries the API key, so
 * the files hold nothing secret. The files are few and small, so they are held in memory
 * (no file system access per request, no path to traverse). Hidden from the OpenAPI document:
 * they are not part of the API.
 */
export function dashboardRoutes(app: FastifyInstance, dir: string | undefined = defaultDashboardDir()): void {
  const files = dir ? readTree(dir) : new Map<string, Buffer>();

  const send = (reply: FastifyReply, path: string) => {
    const body = files.get(path);
    if (!body) {
      throw new SwitchboardError(
        'NOT_FOUND',
        files.size === 0 ? 'The dashboard is not built: run `npm run build`' : 'No such dashboard file',
      );
    }
    // Vite fingerprints the asset names, so they can be cached for good; index.html must not be.
    const immutable = path.startsWith('assets/');
    return reply
      .headers(SECURITY_HEADERS)
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .type(TYPES[extname(path)] ?? 'application/octet-stream')
      .send(body);
  };

  const hidden = { schema: { hide: true } };
  app.get('/dashboard', hidden, async (_request, reply) => reply.redirect('/dashboard/', 302));
  app.get('/dashboard/', hidden, async (_request, reply) => send(reply, 'index.html'));
  app.get<{ Params: { '*': string } }>('/dashboard/*', hidden, async (request, reply) =>
    send(reply, request.params['*']),
  );
}
