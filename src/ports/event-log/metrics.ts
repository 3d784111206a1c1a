import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS, getOrCreate } from '../../shared/metrics.js';

/** The event log's Prometheus instruments; both adapters report under the same names. */
export interface EventLogMetrics {
  published: Counter<'adapter' | 'topic'>;
  publishSeconds: Histogram<'adapter'>;
  publishErrors: Counter<'adapter'>;
  consumed: Counter<'adapter' | 'group' | 'topic'>;
  batchSize: Histogram<'adapter' | 'group'>;
  handlerFailures: Counter<'adapter' | 'group'>;
  redeliveredBatches: Counter<'adapter' | 'group'>;
  lag: Gauge<'adapter' | 'group' | 'topic' | 'partition'>;
  retentionDeleted: Counter<'topic'>;
}

export function createEventLogMetrics(registry: Registry | undefined): EventLogMetrics {
  const registers = registry ? [registry] : [];
  const make = <M>(name: string, create: () => M): M =>
    registry ? getOrCreate(registry, name, create) : create();
  return {
    published: make(
      'switchboard_event_log_published_total',
      () =>
        new Counter({
          name: 'switchboard_event_log_published_total',
          help: 'Messages accepted by publish',
          labelNames: ['adapter', 'topic'] as const,
          registers,
        }),
    ),
    publishSeconds: make(
      'switchboard_event_log_publish_seconds',
      () =>
        new Histogram({
          name: 'switchboard_event_log_publish_seconds',
          help: 'Latency of publish calls (one call may carry many messages)',
          labelNames: ['adapter'] as const,
          buckets: LATENCY_BUCKETS,
          registers,
        }),
    ),
    publishErrors: make(
      'switchboard_event_log_publish_errors_total',
      () =>
        new Counter({
          name: 'switchboard_event_log_publish_errors_total',
          help: 'Publish calls that failed',
          labelNames: ['adapter'] as const,
          registers,
        }),
    ),
    consumed: make(
      'switchboard_event_log_consumed_total',
      () =>
        new Counter({
          name: 'switchboard_event_log_consumed_total',
          help: 'Messages whose batch was handled and committed',
          labelNames: ['adapter', 'group', 'topic'] as const,
          registers,
        }),
    ),
    batchSize: make(
      'switchboard_event_log_batch_size',
      () =>
        new Histogram({
          name: 'switchboard_event_log_batch_size',
          help: 'Messages per batch handed to a consumer',
          labelNames: ['adapter', 'group'] as const,
          buckets: [1, 5, 10, 50, 100, 250, 500, 1000, 5000],
          registers,
        }),
    ),
    handlerFailures: make(
      'switchboard_event_log_handler_failures_total',
      () =>
        new Counter({
          name: 'switchboard_event_log_handler_failures_total',
          help: 'Batches whose handler threw (left uncommitted and retried)',
          labelNames: ['adapter', 'group'] as const,
          registers,
        }),
    ),
    redeliveredBatches: make(
      'switchboard_event_log_redelivered_batches_total',
      () =>
        new Counter({
          name: 'switchboard_event_log_redelivered_batches_total',
          help: 'Batches flagged mayContainRedeliveries',
          labelNames: ['adapter', 'group'] as const,
          registers,
        }),
    ),
    lag: make(
      'switchboard_event_log_consumer_lag',
      () =>
        new Gauge({
          name: 'switchboard_event_log_consumer_lag',
          help: 'Messages between the committed offset and the end of a partition (updated by lag())',
          labelNames: ['adapter', 'group', 'topic', 'partition'] as const,
          registers,
        }),
    ),
    retentionDeleted: make(
      'switchboard_event_log_retention_deleted_total',
      () =>
        new Counter({
          name: 'switchboard_event_log_retention_deleted_total',
          help: 'Messages removed by retention on the embedded log',
          labelNames: ['topic'] as const,
          registers,
        }),
    ),
  };
}
