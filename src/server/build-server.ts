import Fastify, { type FastifyInstance } from 'fastify';
import type { Switchboard } from '../app/create-switchboard.js';
import { keyGuard } from '../auth/guard.js';
import { registerDocs } from './docs.js';
import { dashboardApiRoutes } from './dashboard-api.js';
import { dashboardRoutes } from './dashboard.js';
import {
  clientErrorHandler,
  frameworkErrors,
  MAX_PARAM_LENGTH,
  trackRoutes,
  withoutApiTrailingSlash,
} from './edge/client-errors.js';
import { installJsonBodyParser } from './edge/json-body.js';
import { installPageTokens, pageTokenSecret } from './edge/page-tokens.js';
import { installValidators } from './edge/validator.js';
import { installErrorHandling } from './error-handler.js';
import { SwitchboardError } from '../errors/index.js';
import { installHttpObservability } from './http-observability.js';
import { opsRoutes } from './ops-routes.js';
import { genReqId } from './request-id.js';
import { ErrorResponse } from './schemas.js';

export interface BuildServerOptions {
  /** Overrides `[server] body_limit_bytes`. */
  bodyLimit?: number;
  /**
   * Extra routes an embedding application mounts under /v1, behind the same key guard and
   * error handling as the modules' routes.
   */
  routes?: (v1: FastifyInstance) => void | Promise<void>;
  /**
   * Only /health, /ready and /metrics: for processes that run a worker without the API
   * (`switchboard consume`), so they can still be probed and scraped.
   */
  opsOnly?: boolean;
  /** Where the built dashboard is (default: dist/dashboard, see dashboard.ts). */
  dashboardDir?: string;
}

/**
 * The HTTP service on a Switchboard: operations routes, OpenAPI docs and every module's
 * routes under /v1 behind the API key guard. Returned ready but not listening (tests use
 * `app.inject`; `startServer` listens).
 */
export async function buildServer(
  switchboard: Switchboard,
  options: BuildServerOptions = {},
): Promise<FastifyInstance> {
  const { config, context } = switchboard;
  const { server } = config;
  const app = Fastify({
    loggerInstance: context.logger.child({ component: 'http' }),
    // Our onResponse hook logs one line per request without the raw URL or any body.
    disableRequestLogging: true,
    genReqId,
    bodyLimit: options.bodyLimit ?? server.body_limit_bytes,
    // Requests that arrive while closing get SHUTTING_DOWN from our own hook below, in the
    // catalogue's shape with a request id and Retry-After (Fastify's own 503 body is not).
    return503OnClosing: false,
    // Idle keep-alive sockets are closed at shutdown; busy ones finish their request first.
    forceCloseConnections: 'idle',
    // A stalled upload (headers or body) is cut off with 408; Node checks every second.
    requestTimeout: server.request_timeout_ms,
    keepAliveTimeout: server.keep_alive_timeout_ms,
    http: {
      headersTimeout: Math.min(server.headers_timeout_ms, server.request_timeout_ms),
      connectionsCheckingInterval: 1_000,
    },
    clientErrorHandler,
    frameworkErrors,
    routerOptions: {
      // Far above any id a route accepts (a few hundred characters at most), so an id that is
      // too long meets its route's validation (400 with the field) instead of matching no
      // route at Fastify's default of 100 (ids of 101-128 characters could be created in a
      // body and then never named in a URL).
      maxParamLength: MAX_PARAM_LENGTH,
    },
    // `/v1/channels/<id>/` is `/v1/channels/<id>`, as most HTTP APIs treat it. Only under /v1:
    // the dashboard's `/dashboard/` is its own route (relative asset URLs need the slash).
    rewriteUrl: (request) => withoutApiTrailingSlash(request.url ?? '/'),
  }) as unknown as FastifyInstance;
  app.server.maxConnections = server.max_connections;

  installJsonBodyParser(app);
  // JSON only: without the text/plain parser a wrong content type is a clear 415, not a type error.
  app.removeContentTypeParser('text/plain');
  app.addSchema(ErrorResponse);
  installValidators(app, [ErrorResponse]);
  installErrorHandling(app, trackRoutes(app));
  refuseWhileClosing(app);
  installHttpObservability(app, context.metrics);

  const keys = switchboard.services.auth.keys;
  if (options.opsOnly) {
    opsRoutes(app, switchboard);
    await app.ready();
    return app;
  }
  await registerDocs(app, {
    ...(config.server.docs_requires_key ? { guard: keyGuard(keys, { scope: 'read' }) } : {}),
  });
  opsRoutes(app, switchboard);
  dashboardRoutes(app, options.dashboardDir);

  await app.register(
    async (v1) => {
      v1.addHook('onRequest', keyGuard(keys));
      installPageTokens(v1, pageTokenSecret(server.page_token_secret, config.store.data_dir));
      for (const m of switchboard.modules) {
        if (!m.routes) continue;
        await v1.register(async (scope) => {
          await m.routes!(scope, switchboard.services[m.name], context);
        });
      }
      await v1.register(async (scope) => dashboardApiRoutes(scope, switchboard));
      if (options.routes) await v1.register(async (scope) => options.routes!(scope));
    },
    { prefix: '/v1' },
  );

  await app.ready();
  return app;
}

/**
 * Once `close()` has begun, a request that still arrives (on a kept-alive connection) is
 * answered 503 SHUTTING_DOWN by the one error handler, with `Connection: close` (Fastify sets
 * it) and Retry-After, so a client retries elsewhere. In-flight requests finish normally.
 */
function refuseWhileClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async () => {
    if (closing) throw new SwitchboardError('SHUTTING_DOWN');
  });
}
