import {
  AggregatorRegistry,
  type MetricObjectWithValues,
  type MetricValue,
  type Registry,
} from 'prom-client';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Switchboard } from '../app/create-switchboard.js';
import { withTimeout } from '../app/ports.js';
import { keyGuard } from '../auth/guard.js';
import { secretFromHeaders } from '../auth/secrets.js';
import type { Worker } from '../modules/module.js';
import { ErrorResponse } from './schemas.js';
import { typed } from './type-provider.js';

/** engine, detail and latencyMs are details: see `[server] ready_details`. */
const PortSchema = Type.Object({
  ok: Type.Boolean(),
  engine: Type.Optional(Type.String()),
  detail: Type.Optional(Type.String()),
  latencyMs: Type.Optional(Type.Number()),
});
const WorkerSchema = Type.Object({ ok: Type.Boolean(), detail: Type.Optional(Type.String()) });
const ReadySchema = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  /** Names of the failing ports (`relational`, `hot_state`, ...) and workers (`worker:<name>`). */
  failing: Type.Array(Type.String()),
  ports: Type.Record(Type.String(), PortSchema),
  workers: Type.Record(Type.String(), WorkerSchema),
});

async function workerHealth(workers: Worker[], timeoutMs: number) {
  const entries = await Promise.all(
    workers
      .filter((w) => w.health)
      .map(async (w) => {
        const report = await withTimeout(w.health!(), timeoutMs).catch((error: unknown) => ({
          ok: false,
          detail: error instanceof Error ? error.message : String(error),
        }));
        return [w.name, report] as const;
      }),
  );
  return Object.fromEntries(entries);
}

type MetricJson = MetricObjectWithValues<MetricValue<string>>;

/**
 * How a metric that several registries report is merged, where summing (prom-client's default)
 * would misstate it: a state gauge of two store connections is the worse state, not a sum the
 * gauge does not define (two open breakers are 2, not 4).
 */
const MERGED_BY: Record<string, 'max'> = { switchboard_store_breaker_state: 'max' };

/**
 * The process registry's metrics with those of workers that keep their own (a worker on its own
 * thread): series both report (the same store metric from two connections) are summed, unless
 * MERGED_BY says otherwise. prom-client's `aggregate` drops metrics marked `omit` (the process
 * start time: meant for cluster workers, each with its own); here only one registry has them,
 * so they are kept as reported.
 */
function mergeMetrics(parts: readonly MetricJson[][]): Registry {
  const how = (m: MetricJson) => MERGED_BY[m.name] ?? (m.aggregator === 'omit' ? 'first' : m.aggregator);
  return AggregatorRegistry.aggregate(
    parts.map((part) => part.map((m) => (how(m) === m.aggregator ? m : { ...m, aggregator: how(m) }))),
  );
}

/** /health, /ready and /metrics: outside /v1, open unless `[server] *_requires_key` says otherwise. */
export function opsRoutes(app: FastifyInstance, switchboard: Switchboard): void {
  const { server } = switchboard.config;
  const guard = keyGuard(switchboard.services.auth.keys, { scope: 'read' });
  const r = typed(app);

  r.get(
    '/health',
    {
      schema: {
        operationId: 'ops.health',
        tags: ['operations'],
        summary: 'Liveness: the process is up (does not look at the ports)',
        security: [],
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  r.get(
    '/ready',
    {
      ...(server.ready_requires_key ? { onRequest: guard } : {}),
      schema: {
        operationId: 'ops.ready',
        tags: ['operations'],
        summary: "Readiness: every port's health and every worker's; 503 names what fails",
        ...(server.ready_requires_key ? {} : { security: [] }),
        response: { 200: ReadySchema, 503: ReadySchema, 401: Type.Ref(ErrorResponse) },
      },
    },
    async (request, reply) => {
      const timeoutMs = server.ready_timeout_ms;
      // Details (engines, file paths, versions, error messages) tell an attacker what runs here:
      // only an admin key sees them unless `[server] ready_details = "public"`.
      const details =
        server.ready_details === 'public' ||
        (await switchboard.services.auth.keys
          .authorize(secretFromHeaders(request.headers), 'admin')
          .then(() => true)
          .catch(() => false));
      const [ports, workers] = await Promise.all([
        switchboard.health(),
        workerHealth(switchboard.workers(), timeoutMs),
      ]);
      const failing = [
        ...Object.entries(ports)
          .filter(([, h]) => !h.ok)
          .map(([name]) => name),
        ...Object.entries(workers)
          .filter(([, h]) => !h.ok)
          .map(([name]) => `worker:${name}`),
      ];
      const ok = failing.length === 0;
      const summary = <T extends { ok: boolean }>(all: Record<string, T>) =>
        Object.fromEntries(Object.entries(all).map(([name, h]) => [name, { ok: h.ok }]));
      return reply.code(ok ? 200 : 503).send({
        status: ok ? 'ready' : 'unavailable',
        failing,
        ports: details ? ports : summary(ports),
        workers: details ? workers : summary(workers),
      });
    },
  );

  app.get(
    '/metrics',
    {
      ...(server.metrics_requires_key ? { onRequest: guard } : {}),
      schema: {
        operationId: 'ops.metrics',
        tags: ['operations'],
        summary: 'Prometheus metrics: HTTP, every port, workers, Node process',
        ...(server.metrics_requires_key ? {} : { security: [] }),
        response: {
          200: {
            description: 'The Prometheus text exposition format',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      },
    },
    async (_request, reply) => {
      const registry = switchboard.context.metrics;
      const own = switchboard.workers().filter((w) => w.metrics);
      if (own.length === 0) return reply.type(registry.contentType).send(await registry.metrics());
      // Workers on their own threads keep their own registries: merged here (mergeMetrics).
      // A worker that cannot answer, however it fails (throws, rejects, or hangs for longer
      // than /ready would wait), only leaves its series out.
      const parts = await Promise.all([
        registry.getMetricsAsJSON(),
        ...own.map((w) =>
          withTimeout(
            Promise.resolve().then(() => w.metrics!()),
            server.ready_timeout_ms,
          ).catch((): MetricJson[] => []),
        ),
      ]);
      return reply.type(registry.contentType).send(await mergeMetrics(parts).metrics());
    },
  );
}
