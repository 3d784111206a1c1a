import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS, getOrCreate } from '../../shared/metrics.js';

/** The pipeline's Prometheus instruments, registered once per registry. */
export interface InteractionMetrics {
  published: Counter<'stage'>;
  publishSeconds: Histogram<'stage'>;
  consumed: Counter<'topic'>;
  invalid: Counter<'topic' | 'code'>;
  processingFailures: Counter<'topic'>;
  redeliveries: Counter;
  batchSize: Histogram;
  processingSeconds: Histogram;
  storeWriteSeconds: Histogram<'phase'>;
  lag: Gauge<'topic' | 'partition'>;
  paused: Gauge;
}

export function interactionMetrics(registry: Registry): InteractionMetrics {
  const registers = [registry];
  return {
    published: getOrCreate(
      registry,
      'switchboard_interactions_published_total',
      () =>
        new Counter({
          name: 'switchboard_interactions_published_total',
          help: 'Interaction events accepted by the event log, by stage',
          labelNames: ['stage'],
          registers,
        }),
    ),
    publishSeconds: getOrCreate(
      registry,
      'switchboard_interactions_publish_seconds',
      () =>
        new Histogram({
          name: 'switchboard_interactions_publish_seconds',
          help: 'Time from publish call to the log accepting the event',
          labelNames: ['stage'],
          buckets: LATENCY_BUCKETS,
          registers,
        }),
    ),
    consumed: getOrCreate(
      registry,
      'switchboard_interactions_consumed_total',
      () =>
        new Counter({
          name: 'switchboard_interactions_consumed_total',
          help: 'Messages consumed from the interaction topics (valid or not), by topic',
          labelNames: ['topic'],
          registers,
        }),
    ),
    invalid: getOrCreate(
      registry,
      'switchboard_interactions_invalid_total',
      () =>
        new Counter({
          name: 'switchboard_interactions_invalid_total',
          help: 'Messages that failed validation and went to error_logs, by topic and problem code',
          labelNames: ['topic', 'code'],
          registers,
        }),
    ),
    processingFailures: getOrCreate(
      registry,
      'switchboard_interactions_processing_failures_total',
      () =>
        new Counter({
          name: 'switchboard_interactions_processing_failures_total',
          help: 'Valid events the store refused; recorded in error_logs',
          labelNames: ['topic'],
          registers,
        }),
    ),
    redeliveries: getOrCreate(
      registry,
      'switchboard_interactions_redeliveries_total',
      () =>
        new Counter({
          name: 'switchboard_interactions_redeliveries_total',
          help: 'Events delivered again that were already folded into the aggregates (skipped)',
          registers,
        }),
    ),
    batchSize: getOrCreate(
      registry,
      'switchboard_interactions_batch_size',
      () =>
        new Histogram({
          name: 'switchboard_interactions_batch_size',
          help: 'Messages per consumer batch',
          buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000],
          registers,
        }),
    ),
    processingSeconds: getOrCreate(
      registry,
      'switchboard_interactions_processing_seconds',
      () =>
        new Histogram({
          name: 'switchboard_interactions_processing_seconds',
          help: 'Time to process one consumer batch (validate, read snapshots, write)',
          buckets: LATENCY_BUCKETS,
          registers,
        }),
    ),
    storeWriteSeconds: getOrCreate(
      registry,
      'switchboard_interactions_store_write_seconds',
      () =>
        new Histogram({
          name: 'switchboard_interactions_store_write_seconds',
          help: 'Store time per batch phase: rows (events and errors), snapshot reads, snapshot writes',
          labelNames: ['phase'],
          buckets: LATENCY_BUCKETS,
          registers,
        }),
    ),
    lag: getOrCreate(
      registry,
      'switchboard_interactions_consumer_lag',
      () =>
        new Gauge({
          name: 'switchboard_interactions_consumer_lag',
          help: 'Messages not yet committed by the interactions consumer group, per partition',
          labelNames: ['topic', 'partition'],
          registers,
        }),
    ),
    paused: getOrCreate(
      registry,
      'switchboard_interactions_consumer_paused',
      () =>
        new Gauge({
          name: 'switchboard_interactions_consumer_paused',
          help: '1 while the consumer waits for the store to come back',
          registers,
        }),
    ),
  };
}
