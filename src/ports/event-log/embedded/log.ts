import { resolve } from 'node:path';
import { BroadcastChannel } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { SwitchboardConfig } from '../../../config/index.js';
import { SwitchboardError } from '../../../errors/index.js';
import type { HealthReport } from '../../wide-column/engine.js';
import type { ConsumerOptions, EventLog, OutgoingMessage, TopicSpec } from '../log.js';
import { createEventLogMetrics } from '../metrics.js';
import {
  resolveConsumerOptions,
  validateMessages,
  validateTopicName,
  withConsumerHealth,
} from '../shared.js';
import { startCheckpointer } from '../../../shared/sqlite-checkpointer.js';
import { EmbeddedConsumer } from './consumer.js';
import { GroupCoordinator } from './coordinator.js';
import { LogStore, type TopicInfo } from './store.js';

interface PendingAppend {
  topic: TopicInfo;
  messages: readonly OutgoingMessage[];
  started: bigint;
  resolve(): void;
  reject(error: unknown): void;
}

export interface EmbeddedEventLog extends EventLog {
  readonly kind: 'embedded';
  /** Runs the retention job now (it also runs every `event_log.retention_interval_ms`). */
  enforceRetention(now?: number): { topic: string; deleted: number }[];
}

/**
 * The embedded event log: a durable SQLite log in one file (see store.ts and schema.ts).
 * publish() returns after its transaction commits, so an accepted message survives a process
 * crash (the publishes of one tick share that transaction). Consumer groups coordinate within this log instance (coordinator.ts).
 */
export async function createEmbeddedEventLog(options: {
  path: string;
  config: SwitchboardConfig;
  registry?: Registry;
  logger?: Logger;
  /**
   * False for a second log on the same file in this process (the interactions consumer's
   * thread): the first one runs checkpoints and retention.
   */
  maintenance?: boolean;
  /** The WAL size at which the checkpointer starts it over (default 64 MiB; see sqlite-checkpointer.ts). */
  walLimitBytes?: number;
}): Promise<EmbeddedEventLog> {
  const settings = options.config.event_log;
  const maintenance = options.maintenance !== false;
  const store = new LogStore(options.path, options.walLimitBytes);
  const checkpointer = maintenance
    ? startCheckpointer(options.path, {
        walLimitBytes: options.walLimitBytes,
        onError: (message) => options.logger?.warn({ error: message }, 'event log checkpoint failed'),
        onRestart: ({ restarted, walBytes }) => {
          if (!restarted)
            options.logger?.warn(
              { walBytes },
              'event log WAL over its limit and busy; starting it over again shortly',
            );
        },
      })
    : undefined;
  /**
   * Appends made by another log instance on this file in this process (another thread) wake
   * this instance's waiting consumers at once, as appends in its own instance do; without it
   * they would notice only at their next poll. Other processes are still seen by polling.
   */
  const siblings = new BroadcastChannel(`switchboard:event-log:${resolve(options.path)}`);
  siblings.unref();
  siblings.onmessage = (event) => {
    const { topic, count } = (event as { data: { topic: string; count: number } }).data;
    for (const c of consumers) c.onAppended(topic, count);
  };
  const metrics = createEventLogMetrics(options.registry);
  const coordinators = new Map<string, GroupCoordinator>();
  const consumers = new Set<EmbeddedConsumer>();
  let closed = false;

  /**
   * Publishes made in one tick (to any topics) are appended in one transaction, flushed in a
   * microtask: a commit costs about the same for one message as for a hundred, so the
   * interactions publisher's three per-topic appends per tick (and any other concurrent
   * callers') share one. Each call still resolves only once the transaction holding its
   * messages committed; messages are validated before they are queued, so a call's own
   * invalid input still fails only that call.
   */
  let pending: PendingAppend[] = [];
  let flushScheduled = false;

  const appendFailed = (error: unknown): SwitchboardError => {
    metrics.publishErrors.inc({ adapter: 'embedded' });
    if (error instanceof SwitchboardError) return error;
    return new SwitchboardError('STORE_UNAVAILABLE', `Event log append failed: ${(error as Error).message}`, {
      cause: error,
      details: { port: 'event_log', engine: 'embedded' },
    });
  };

  const appended = (p: PendingAppend) => {
    const topic = p.topic.name;
    metrics.published.inc({ adapter: 'embedded', topic }, p.messages.length);
    metrics.publishSeconds.observe(
      { adapter: 'embedded' },
      Number(process.hrtime.bigint() - p.started) / 1e9,
    );
    for (const c of consumers) c.onAppended(topic, p.messages.length);
    siblings.postMessage({ topic, count: p.messages.length });
    p.resolve();
  };

  const flush = () => {
    flushScheduled = false;
    const groups = pending;
    pending = [];
    if (groups.length === 0) return;
    try {
      if (groups.length === 1) store.append(groups[0]!.topic, groups[0]!.messages);
      else store.appendMany(groups);
    } catch (error) {
      if (groups.length === 1) {
        groups[0]!.reject(appendFailed(error));
        return;
      }
      // The shared transaction rolled back: retry each call alone so each gets its own outcome.
      for (const g of groups) {
        try {
          store.append(g.topic, g.messages);
        } catch (single) {
          g.reject(appendFailed(single));
          continue;
        }
        appended(g);
      }
      return;
    }
    for (const g of groups) appended(g);
  };

  const ensureOpen = () => {
    if (closed) throw new SwitchboardError('SHUTTING_DOWN', 'The event log is closed');
  };

  const retention = (now = Date.now()) => {
    const deleted = store.enforceRetention(now, settings.retention_ms, settings.retention_bytes);
    for (const d of deleted) metrics.retentionDeleted.inc({ topic: d.topic }, d.deleted);
    return deleted;
  };
  const retentionTimer = maintenance
    ? setInterval(() => {
        try {
          retention();
        } catch (error) {
          options.logger?.error({ err: error }, 'event log retention failed');
        }
      }, settings.retention_interval_ms)
    : undefined;
  retentionTimer?.unref();

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
      let info: TopicInfo;
      try {
        validateMessages(messages);
        info = store.ensureTopic(topic, settings.partitions);
      } catch (error) {
        throw appendFailed(error);
      }
      return new Promise<void>((resolve, reject) => {
        pending.push({ topic: info, messages, started, resolve, reject });
        if (!flushScheduled) {
          flushScheduled = true;
          queueMicrotask(flush);
        }
      });
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
        return withConsumerHealth(
          { ok: true, detail: `embedded log at ${options.path}`, latencyMs: performance.now() - started },
          consumers,
        );
      } catch (error) {
        return { ok: false, detail: (error as Error).message, latencyMs: performance.now() - started };
      }
    },

    enforceRetention: retention,

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(retentionTimer);
      // Appends accepted before close still commit (their callers are waiting on them).
      flush();
      // Graceful: each consumer finishes and commits its batch in flight.
      await Promise.all([...consumers].map((c) => c.stop()));
      siblings.close();
      store.close();
      await checkpointer?.close();
    },
  };
}
