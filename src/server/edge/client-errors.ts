import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SwitchboardError, type ErrorCode } from '../../errors/index.js';
import { errorBody } from '../error-handler.js';

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (a request not received in
 * time, headers too large, a request line that is not HTTP). Fastify answers them itself with
 * its own body; here they get the catalogue's shape and a request id like every other error.
 */
export function clientErrorHandler(
  this: FastifyInstance,
  error: NodeJS.ErrnoException,
  socket: Socket,
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const code: ErrorCode =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? 'REQUEST_TIMEOUT'
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? 'HEADERS_TOO_LARGE'
        : 'BAD_REQUEST';
  const failure = new SwitchboardError(code);
  const requestId = randomUUID();
  this.log.debug({ code: error.code, requestId }, 'client error before routing');
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(errorBody(failure, requestId));
  socket.end(
    `HTTP/1.1 ${failure.status} ${statusText(failure.status)}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `X-Request-Id: ${requestId}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function statusText(status: number): string {
  return status === 408
    ? 'Request Timeout'
    : status === 431
      ? 'Request Header Fields Too Large'
      : 'Bad Request';
}

/**
 * Errors Fastify raises while routing (a malformed percent-escape in the path): the catalogue's
 * shape, with the request's id.
 */
export function frameworkErrors(
  error: Error & { code?: string },
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const failure =
    error.code === 'FST_ERR_BAD_URL'
      ? new SwitchboardError('BAD_REQUEST', 'The request path is not a valid URL (a bad percent-escape)')
      : new SwitchboardError('BAD_REQUEST');
  void reply
    .code(failure.status)
    .type('application/json; charset=utf-8')
    .send(errorBody(failure, request.id));
}

interface KnownRoute {
  pattern: RegExp;
  method: string;
}

/** Longest path parameter the router matches (build-server.ts); longer ones match no route. */
export const MAX_PARAM_LENGTH = 2048;

/** `/v1/x/` as `/v1/x` (query kept); every other URL as it came. */
export function withoutApiTrailingSlash(url: string): string {
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  if (!path.startsWith('/v1/') || !path.endsWith('/')) return url;
  return path.replace(/\/+$/, '') + (query < 0 ? '' : url.slice(query));
}

/**
 * Remembers every route's path pattern, so an unknown method on a known path is answered 405
 * with `Allow` (what the path does accept), not 404.
 */
export function trackRoutes(app: FastifyInstance): (path: string) => string[] {
  const routes: KnownRoute[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const pattern = new RegExp(
      `^${route.url
        .split('/')
        .map((part) =>
          part.startsWith(':') ? `[^/]{1,${MAX_PARAM_LENGTH}}` : part === '*' ? '.*' : escapeRe(part),
        )
        .join('/')}/?$`,
    );
    for (const method of methods) routes.push({ pattern, method: method.toUpperCase() });
  });
  return (path) => [...new Set(routes.filter((r) => r.pattern.test(path)).map((r) => r.method))].sort();
}

function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
