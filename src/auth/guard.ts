import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import type { ApiKey, ApiKeyService } from './key-service.js';
import type { Scope } from './scopes.js';
import { secretFromHeaders } from './secrets.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified key of a keyed route (absent on open routes). */
    apiKey?: ApiKey;
  }
}

/** What a route needs: its declared scope, else read for safe methods and write for the rest. */
export function requiredScope(request: FastifyRequest): Scope {
  const declared = request.routeOptions.config?.scope;
  if (declared) return declared;
  return request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS'
    ? 'read'
    : 'write';
}

/**
 * The API key check, as an onRequest hook: it runs before the body is read, so a caller
 * without a key learns nothing about a route's schema and cannot make us parse a large body.
 * Errors are thrown as SwitchboardErrors and rendered by the one error handler.
 */
export function keyGuard(keys: ApiKeyService, options: { scope?: Scope } = {}): onRequestHookHandler {
  return async (request) => {
    if (request.routeOptions.config?.public) return;
    const scope = options.scope ?? requiredScope(request);
    request.apiKey = await keys.authorize(secretFromHeaders(request.headers), scope);
  };
}
