import { Counter, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS, getOrCreate } from '../../shared/metrics.js';
import type { HotState } from './store.js';

const OPERATIONS = [
  'get',
  'set',
  'delete',
  'ttl',
  'expire',
  'increment',
  'compareAndSet',
  'setAdd',
  'setRemove',
  'setMembers',
  'publish',
  'subscribe',
] as const;

/**
 * Counts and times every operation of an adapter:
 * `switchboard_hot_state_operations_total{adapter,operation}`,
 * `switchboard_hot_state_errors_total{adapter,operation}` and
 * `switchboard_hot_state_operation_seconds{adapter,operation}`.
 */
export function instrumentHotState(inner: HotState, registry: Registry | undefined): HotState {
  if (!registry) return inner;
  const operations = getOrCreate(
    registry,
    'switchboard_hot_state_operations_total',
    () =>
      new Counter({
        name: 'switchboard_hot_state_operations_total',
        help: 'Hot-state operations, by adapter and operation',
        labelNames: ['adapter', 'operation'] as const,
        registers: [registry],
      }),
  );
  const errors = getOrCreate(
    registry,
    'switchboard_hot_state_errors_total',
    () =>
      new Counter({
        name: 'switchboard_hot_state_errors_total',
        help: 'Hot-state operations that failed, by adapter and operation',
        labelNames: ['adapter', 'operation'] as const,
        registers: [registry],
      }),
  );
  const latency = getOrCreate(
    registry,
    'switchboard_hot_state_operation_seconds',
    () =>
      new Histogram({
        name: 'switchboard_hot_state_operation_seconds',
        help: 'Hot-state operation latency, by adapter and operation',
        labelNames: ['adapter', 'operation'] as const,
        buckets: LATENCY_BUCKETS,
        registers: [registry],
      }),
  );
  const adapter = inner.kind;
  const wrapped: HotState = Object.create(inner) as HotState;
  for (const operation of OPERATIONS) {
    const original = inner[operation] as (...args: unknown[]) => Promise<unknown>;
    (wrapped as unknown as Record<string, unknown>)[operation] = async (...args: unknown[]) => {
      const labels = { adapter, operation };
      operations.inc(labels);
      const stop = latency.startTimer(labels);
      try {
        return await original.apply(inner, args);
      } catch (error) {
        errors.inc(labels);
        throw error;
      } finally {
        stop();
      }
    };
  }
  return wrapped;
}
