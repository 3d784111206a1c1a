import Fastify, { type FastifyInstance } from 'fastify';
import type { Switchboard } from '../app/create-switchboard.js';
import { keyGuard } from '../auth/guard.js';
import { registerDocs } from './docs.js';
import { installErrorHandling } from './error-handler.js';
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
  const app = Fastify({
    loggerInstance: context.logger.child({ component: 'http' }),
    // Our onResponse hook logs one line per request without the raw URL or any body.
    disableRequestLogging: true,
    genReqId,
    bodyLimit: options.bodyLimit ?? config.server.body_limit_bytes,
    return503OnClosing: true,
    // Idle keep-alive sockets are closed at shutdown; busy ones finish their request first.
    forceCloseConnections: 'idle',
    ajv: {
      customOptions: { allErrors: false, removeAdditional: false, coerceTypes: 'array', useDefaults: true },
    },
  }) as unknown as FastifyInstance;

  // JSON only: without the text/plain parser a wrong content type is a clear 415, not a type error.
  app.removeContentTypeParser('text/plain');
  app.addSchema(ErrorResponse);
  installErrorHandling(app);
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

  await app.register(
    async (v1) => {
      v1.addHook('onRequest', keyGuard(keys));
      for (const m of switchboard.modules) {
        if (!m.routes) continue;
        await v1.register(async (scope) => {
          await m.routes!(scope, switchboard.services[m.name], context);
        });
      }
      if (options.routes) await v1.register(async (scope) => options.routes!(scope));
    },
    { prefix: '/v1' },
  );

  await app.ready();
  return app;
}
