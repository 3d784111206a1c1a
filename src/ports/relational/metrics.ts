import type { LogEvent } from 'kysely';
import { Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS, getOrCreate } from '../../shared/metrics.js';
import type { Dialect } from './store.js';

/** A Kysely `log` hook that times every statement into `switchboard_relational_query_seconds`. */
export function queryTimer(
  registry: Registry | undefined,
  dialect: Dialect,
): ((event: LogEvent) => void) | undefined {
  if (!registry) return undefined;
  const histogram = getOrCreate(
    registry,
    'switchboard_relational_query_seconds',
    () =>
      new Histogram({
        name: 'switchboard_relational_query_seconds',
        help: 'Relational store statement latency, by dialect and outcome',
        labelNames: ['dialect', 'outcome'] as const,
        buckets: LATENCY_BUCKETS,
        registers: [registry],
      }),
  );
  return (event) => {
    histogram.observe(
      { dialect, outcome: event.level === 'query' ? 'ok' : 'error' },
      event.queryDurationMillis / 1000,
    );
  };
}

export interface PoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

// Several stores may share one registry (tests, a migration between two databases); the gauge
// sums over every open pool registered with that registry.
const poolsByRegistry = new WeakMap<Registry, Set<PoolCounts>>();

/** Registers a pg pool with `switchboard_relational_pool_connections{state}`; returns the unregister. */
export function trackPool(registry: Registry | undefined, pool: PoolCounts): () => void {
  if (!registry) return () => {};
  let pools = poolsByRegistry.get(registry);
  if (!pools) {
    const set = new Set<PoolCounts>();
    pools = set;
    poolsByRegistry.set(registry, set);
    getOrCreate(
      registry,
      'switchboard_relational_pool_connections',
      () =>
        new Gauge({
          name: 'switchboard_relational_pool_connections',
          help: 'PostgreSQL pool connections: total, idle, and callers waiting for one',
          labelNames: ['state'] as const,
          registers: [registry],
          collect() {
            let total = 0;
            let idle = 0;
            let waiting = 0;
            for (const p of set) {
              total += p.totalCount;
              idle += p.idleCount;
              waiting += p.waitingCount;
            }
            this.set({ state: 'total' }, total);
            this.set({ state: 'idle' }, idle);
            this.set({ state: 'waiting' }, waiting);
          },
        }),
    );
  }
  pools.add(pool);
  return () => pools.delete(pool);
}
