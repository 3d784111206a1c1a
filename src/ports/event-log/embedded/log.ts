import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { SwitchboardConfig } from '../../../config/index.js';
import { SwitchboardError } from '../../../errors/index.js';
import type { HealthReport } from '../../wide-column/engine.js';
import type { ConsumerOptions, EventLog, OutgoingMessage, TopicSpec } from '../log.js';
import { createEventLogMetrics } from '../metrics.js';
import { resolveConsumerOptions, validateMessages, validateTopicName } from '../shared.js';
import { EmbeddedConsumer } from './consumer.js';
import { startCheckpointer } from './checkpointer.js';
import { GroupCoordinator } from './coordinator.js';
import { LogStore } from './store.js';

export interface EmbeddedEventLog extends EventLog {
  readonly kind: 'embedded';
  /** Runs the retention job now (it also runs every `event_log.retention_interval_ms`). */
  enforceRetention(now?: number): { topic: string; deleted: number }[];
}

/**
 * The embedded event log: a durable SQLite log in one file (see store.ts and schema.ts).
 * publish() returns after its transaction commits, so an accepted message survives a process
 * crash. Consumer groups coordinate within this log instance (coordinator.ts).
 */
export async function createEmbeddedEventLog(options: {
  path: string;
  config: SwitchboardConfig;
  registry?: Registry;
  logger?: Logger;
}): Promise<EmbeddedEventLog> {
  const settings = options.config.event_log;
  const store = new LogStore(options.path);
  const checkpointer = startCheckpointer(options.path, 200, (message) =>
    options.logger?.warn({ error: message }, 'event log checkpoint failed'),
  );
  const metrics = createEventLogMetrics(options.registry);
  const coordinators = new Map<string, GroupCoordinator>();
  const consumers = new Set<EmbeddedConsumer>();
  let closed = false;

  const ensureOpen = () => {
    if (closed) throw new SwitchboardError('SHUTTING_DOWN', 'The event log is closed');
  };

  const retention = (now = Date.now()) => {
    const deleted = store.enforceRetention(now, settings.retention_ms, settings.retention_bytes);
    for (const d of deleted) metrics.retentionDeleted.inc({ topic: d.topic }, d.deleted);
    return deleted;
  };
  const retentionTimer = setInterval(() => {
    try {
      retention();
    } catch (error) {
      options.logger?.error({ err: error }, 'event log retention failed');
    }
  }, settings.retention_interval_ms);
  retentionTimer.unref();

  const coordinatorFor = (group: string) => {
    let coordinator = coordinators.get(group);
    if (!coordinator) {
      coordinator = new GroupCoordinator((topic) => store.ensureTopic(topic, settings.partitions).partitions);
      coordinators.set(group, coordinator);
    }
    return coordinator;
  };

  return {
    kind: 'embedded',

    async ensureTopics(topics: readonly TopicSpec[]) {
      ensureOpen();
      for (const t of topics) {
        validateTopicName(t.name);
        store.ensureTopic(t.name, t.partitions ?? settings.partitions);
      }
    },

    async publish(topic: string, messages: readonly OutgoingMessage[]) {
      ensureOpen();
      if (messages.length === 0) return;
      const started = process.hrtime.bigint();
      try {
        validateMessages(messages);
        const info = store.ensureTopic(topic, settings.partitions);
        store.append(info, messages);
      } catch (error) {
        metrics.publishErrors.inc({ adapter: 'embedded' });
        if (error instanceof SwitchboardError) throw error;
        throw new SwitchboardError(
          'STORE_UNAVAILABLE',
          `Event log append failed: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      metrics.published.inc({ adapter: 'embedded', topic }, messages.length);
      metrics.publishSeconds.observe(
        { adapter: 'embedded' },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
      for (const c of consumers) c.onAppended(topic, messages.length);
    },

    consumer(consumerOptions: ConsumerOptions) {
      ensureOpen();
      const resolved = resolveConsumerOptions(consumerOptions);
      const consumer: EmbeddedConsumer = new EmbeddedConsumer(resolved, {
        store,
        coordinator: coordinatorFor(resolved.group),
        metrics,
        logger: options.logger,
        pollIntervalMs: settings.poll_interval_ms,
        defaultPartitions: settings.partitions,
        onStopped: (c) => consumers.delete(c),
      });
      consumers.add(consumer);
      return consumer;
    },

    async health(): Promise<HealthReport> {
      const started = performance.now();
      try {
        if (closed) return { ok: false, detail: 'closed', latencyMs: 0 };
        store.ping();
        return {
          ok: true,
          detail: `embedded log at ${options.path}`,
          latencyMs: performance.now() - started,
        };
      } catch (error) {
        return { ok: false, detail: (error as Error).message, latencyMs: performance.now() - started };
      }
    },

    enforceRetention: retention,

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(retentionTimer);
      // Graceful: each consumer finishes and commits its batch in flight.
      await Promise.all([...consumers].map((c) => c.stop()));
      store.close();
      await checkpointer.close();
    },
  };
}
