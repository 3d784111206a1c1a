import type { Logger } from 'pino';
import type { SwitchboardConfig } from '../../config/index.js';
import type { EventLog } from '../../ports/event-log/log.js';
import type { WideColumnEngine } from '../../ports/wide-column/engine.js';
import type { Clock } from '../../shared/clock.js';
import { InteractionsConsumer } from './consumer.js';
import type { InteractionMetrics } from './metrics.js';
import { stageTopics, topicStages } from './topics.js';

const DAY_S = 86_400;

/** `store_batch_ops`, with 0 resolved per engine (see config.ts for why the two differ). */
export function storeBatchOpsFor(configured: number, engine: 'embedded' | 'scylladb'): number {
  if (configured > 0) return configured;
  return engine === 'embedded' ? 20_000 : 50;
}

/** `store_batch_kb` in bytes, with 0 resolved per engine (see config.ts). */
export function storeBatchBytesFor(configuredKb: number, engine: 'embedded' | 'scylladb'): number {
  if (configuredKb > 0) return configuredKb * 1024;
  return engine === 'embedded' ? Number.POSITIVE_INFINITY : 32 * 1024;
}

/**
 * The logging consumer `[interactions]` describes, on the given log and store. One place for
 * both homes of the consumer: the caller's event loop and the consumer thread (thread/entry.ts).
 */
export function buildConsumer(deps: {
  config: SwitchboardConfig;
  log: EventLog;
  store: WideColumnEngine;
  metrics: InteractionMetrics;
  logger: Logger;
  clock: Clock;
  instance: string;
  onBatch?: () => void;
}): InteractionsConsumer {
  const c = deps.config.interactions;
  const topics = stageTopics(deps.config);
  return new InteractionsConsumer({
    log: deps.log,
    store: deps.store,
    metrics: deps.metrics,
    logger: deps.logger.child({ component: 'interactions-consumer' }),
    clock: deps.clock,
    processor: {
      stages: topicStages(topics),
      ttlSeconds: c.retention_days * DAY_S,
      errorTtlSeconds: c.error_retention_days * DAY_S,
      payloadMaxChars: c.error_payload_max_chars,
      storeBatchOps: storeBatchOpsFor(c.store_batch_ops, deps.store.kind),
      storeBatchBytes: storeBatchBytesFor(c.store_batch_kb, deps.store.kind),
      cacheEntries: c.snapshot_cache_entries,
      dedupWindow: c.dedup_window,
    },
    settings: {
      group: c.consumer_group,
      topics: [topics.stt, topics.llm, topics.tts],
      batchSize: c.batch_size,
      batchWaitMs: c.batch_wait_ms,
      breakerFailureThreshold: c.breaker_failure_threshold,
      breakerResetMs: c.breaker_reset_ms,
      retryInitialMs: c.retry_initial_ms,
      retryMaxMs: c.retry_max_ms,
      heartbeatMs: c.heartbeat_ms,
      instance: deps.instance,
    },
    ...(deps.onBatch ? { onBatch: deps.onBatch } : {}),
  });
}
