import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One Prometheus registry per Switchboard instance (not the global one), so two instances in
 * one process (tests, embedding) do not collide. Every port and module registers its metrics
 * here; the server exposes it at /metrics.
 */
export function createMetricsRegistry(options: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  return registry;
}

/** Latency buckets in seconds, from 50 µs (embedded engines) to 10 s (timeouts). */
export const LATENCY_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Returns the metric already registered under `name`, or creates it; lets adapters share one registry safely. */
export function getOrCreate<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}
