import type { ModuleDefinition, SwitchboardContext } from '../module.js';
import { InteractionsConsumer, defaultInstance } from './consumer.js';
import { interactionMetrics } from './metrics.js';
import { InteractionPublisher } from './publisher.js';
import { InteractionQueries } from './queries.js';
import { interactionRoutes } from './routes.js';
import { interactionTables } from './tables.js';
import { interactionTopicSpecs, stageTopics, topicStages, type StageTopics } from './topics.js';

export interface InteractionServices {
  /** `interactions.publisher.stt(event)` etc.: what an agent calls after each stage. */
  publisher: InteractionPublisher;
  queries: InteractionQueries;
  /** The logging consumer worker (started by `serve` when enabled, alone by `switchboard consume`). */
  consumer: InteractionsConsumer;
  topics: StageTopics;
  now(): Date;
}

declare module '../../app/services.js' {
  interface SwitchboardServices {
    interactions: InteractionServices;
  }
}

const DAY_S = 86_400;

/** `store_batch_ops`, with 0 resolved per engine (see config.ts for why the two differ). */
export function storeBatchOpsFor(configured: number, engine: 'embedded' | 'scylladb'): number {
  if (configured > 0) return configured;
  return engine === 'embedded' ? 20_000 : 50;
}

export function createInteractionServices(context: SwitchboardContext): InteractionServices {
  const c = context.config.interactions;
  const topics = stageTopics(context.config);
  const metrics = interactionMetrics(context.metrics);
  const instance = c.instance ?? defaultInstance();
  const now = () => context.clock.now();
  const consumer = new InteractionsConsumer({
    log: context.eventLog,
    store: context.wideColumn,
    metrics,
    logger: context.logger.child({ component: 'interactions-consumer' }),
    clock: context.clock,
    processor: {
      stages: topicStages(topics),
      ttlSeconds: c.retention_days * DAY_S,
      errorTtlSeconds: c.error_retention_days * DAY_S,
      payloadMaxChars: c.error_payload_max_chars,
      storeBatchOps: storeBatchOpsFor(c.store_batch_ops, context.wideColumn.kind),
      cacheEntries: c.snapshot_cache_entries,
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
      instance,
    },
  });
  return {
    publisher: new InteractionPublisher({
      log: context.eventLog,
      topics,
      metrics,
      instance,
      now,
      maxBatch: c.max_events_per_request,
    }),
    queries: new InteractionQueries(context.wideColumn, context.clock, () => consumer.lag()),
    consumer,
    topics,
    now,
  };
}

/** The STT / LLM / TTS logging pipeline (issue 5, seed 004). */
export const interactionsModule: ModuleDefinition<InteractionServices> = {
  name: 'interactions',
  tables: interactionTables,
  topics: interactionTopicSpecs,
  createServices: createInteractionServices,
  routes: (app, services) => interactionRoutes(app, services),
  workers: (services, context) => (context.config.interactions.consumer_enabled ? [services.consumer] : []),
};
