import { Gauge, type Registry } from 'prom-client';
import type { BreakerState } from '../../../shared/breaker.js';
import { getOrCreate } from '../../../shared/metrics.js';

/**
 * The metrics only the ScyllaDB engine has: prepared statements and the circuit breaker's
 * state. Operations, errors and latency come from `instrumentEngine`, shared with the
 * embedded engine, so both report under the same names and labels.
 */

export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

export interface ScyllaMetrics {
  setPreparedStatements(count: number): void;
  setBreakerState(state: BreakerState): void;
}

export function createScyllaMetrics(registry: Registry | undefined): ScyllaMetrics {
  if (!registry) return { setPreparedStatements() {}, setBreakerState() {} };
  const prepared = getOrCreate(
    registry,
    'switchboard_scylla_prepared_statements',
    () =>
      new Gauge({
        name: 'switchboard_scylla_prepared_statements',
        help: 'Distinct CQL statements the ScyllaDB engine has prepared (each prepared once and reused)',
        registers: [registry],
      }),
  );
  const breaker = getOrCreate(
    registry,
    'switchboard_store_breaker_state',
    () =>
      new Gauge({
        name: 'switchboard_store_breaker_state',
        help: 'Circuit breaker state of a remote store: 0 closed, 1 half-open, 2 open',
        labelNames: ['engine'],
        registers: [registry],
      }),
  );
  breaker.set({ engine: 'scylladb' }, BREAKER_STATE_VALUE.closed);
  prepared.set(0);
  return {
    setPreparedStatements(count) {
      prepared.set(count);
    },
    setBreakerState(state) {
      breaker.set({ engine: 'scylladb' }, BREAKER_STATE_VALUE[state]);
    },
  };
}
