import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS, getOrCreate } from '../shared/metrics.js';

/** The route pattern (`/v1/keys/:id`), never the raw URL, so labels stay few and hold no data. */
export function routeLabel(request: FastifyRequest): string {
  return request.routeOptions.url ?? 'unmatched';
}

/**
 * Path for a log line: the route pattern when the request matched one, else the raw path
 * with long digit runs (phone numbers, ids) masked and the query string dropped.
 */
function loggedPath(request: FastifyRequest): string {
  if (request.routeOptions.url) return request.routeOptions.url;
  return request.url.split('?')[0]!.replace(/\+?\d{5,}/g, '<n>');
}

/**
 * One metric pair and one log line per request. Fastify's own request logging is off: its
 * lines carry the raw URL (which may hold a phone number) and would double the volume.
 */
export function installHttpObservability(app: FastifyInstance, registry: Registry): void {
  const requests = getOrCreate(
    registry,
    'switchboard_http_requests_total',
    () =>
      new Counter({
        name: 'switchboard_http_requests_total',
        help: 'HTTP requests by method, route pattern and status',
        labelNames: ['method', 'route', 'status'] as const,
        registers: [registry],
      }),
  );
  const latency = getOrCreate(
    registry,
    'switchboard_http_request_seconds',
    () =>
      new Histogram({
        name: 'switchboard_http_request_seconds',
        help: 'HTTP request duration by method and route pattern',
        labelNames: ['method', 'route'] as const,
        buckets: LATENCY_BUCKETS,
        registers: [registry],
      }),
  );

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = routeLabel(request);
    const seconds = reply.elapsedTime / 1000;
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    latency.observe({ method: request.method, route }, seconds);
    const line = {
      method: request.method,
      path: loggedPath(request),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (reply.statusCode >= 500) request.log.warn(line, 'request completed');
    else request.log.info(line, 'request completed');
  });
}
