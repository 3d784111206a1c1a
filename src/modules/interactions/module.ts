import type { ModuleDefinition, SwitchboardContext } from '../module.js';
import { buildConsumer } from './build-consumer.js';
import { defaultInstance, type LoggingConsumer } from './consumer.js';
import { interactionMetrics } from './metrics.js';
import { InteractionPublisher } from './publisher.js';
import { InteractionQueries } from './queries.js';
import { recentRoute } from './recent-route.js';
import { interactionRoutes } from './routes.js';
import { interactionTables } from './tables.js';
import { ThreadedConsumer } from './thread/threaded-consumer.js';
import { interactionTopicSpecs, stageTopics, type StageTopics } from './topics.js';

export interface InteractionServices {
  /** `interactions.publisher.stt(event)` etc.: what an agent calls after each stage. */
  publisher: InteractionPublisher;
  queries: InteractionQueries;
  /**
   * The logging consumer worker (started by `serve` when enabled, alone by `switchboard
   * consume`): on its own thread, or on this event loop when `consumer_thread = false`.
   */
  consumer: LoggingConsumer;
  topics: StageTopics;
  now(): Date;
}

declare module '../../app/services.js' {
  interface SwitchboardServices {
    interactions: InteractionServices;
  }
}

export function createInteractionServices(context: SwitchboardContext): InteractionServices {
  const c = context.config.interactions;
  const topics = stageTopics(context.config);
  const metrics = interactionMetrics(context.metrics);
  const instance = c.instance ?? defaultInstance();
  const now = () => context.clock.now();
  const consumer: LoggingConsumer = c.consumer_thread
    ? new ThreadedConsumer({
        config: context.config,
        instance,
        logger: context.logger.child({ component: 'interactions-consumer' }),
      })
    : buildConsumer({
        config: context.config,
        log: context.eventLog,
        store: context.wideColumn,
        metrics,
        logger: context.logger,
        clock: context.clock,
        instance,
      });
  return {
    publisher: new InteractionPublisher({
      log: context.eventLog,
      topics,
      metrics,
      instance,
      now,
      maxBatch: c.max_events_per_request,
      maxFutureSkewMs: c.max_future_skew_seconds * 1000,
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
  routes: (app, services, context) => {
    interactionRoutes(app, services);
    recentRoute(app, services, context.wideColumn);
  },
  workers: (services, context) => (context.config.interactions.consumer_enabled ? [services.consumer] : []),
};
