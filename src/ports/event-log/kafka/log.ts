import { Admin } from '@platformatic/kafka';
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
import { baseClientOptions } from './client-options.js';
import { KafkaGroupConsumer } from './consumer.js';
import { toSwitchboardError, withTimeout } from './errors.js';
import { KafkaPublisher } from './producer.js';
import { ensureKafkaTopics } from './topics.js';

/**
 * The event log on Kafka or Redpanda through @platformatic/kafka (pure JavaScript, maintained,
 * Node >= 20.19; see docs/ARCHITECTURE.md). Opening does not contact the brokers, so the
 * service can start while Kafka is down and report it through health(); topics are created
 * on first use (publish, consumer run) or by ensureTopics.
 */
export async function createKafkaEventLog(options: {
  config: SwitchboardConfig;
  registry?: Registry;
  logger?: Logger;
}): Promise<EventLog> {
  const { config } = options;
  const metrics = createEventLogMetrics(options.registry);
  const admin = new Admin(baseClientOptions(config, 'admin'));
  const publisher = new KafkaPublisher(config);
  const consumers = new Set<KafkaGroupConsumer>();
  /** Topics known to exist, so publish checks (and creates) a topic once per process. */
  const knownTopics = new Set<string>();
  let closed = false;

  const ensureOpen = () => {
    if (closed) throw new SwitchboardError('SHUTTING_DOWN', 'The event log is closed');
  };

  const ensure = async (topics: readonly TopicSpec[]) => {
    const missing = topics.filter((t) => !knownTopics.has(t.name));
    if (missing.length === 0) return;
    await ensureKafkaTopics(admin, config, missing);
    for (const t of missing) knownTopics.add(t.name);
  };

  return {
    kind: 'kafka',

    async ensureTopics(topics: readonly TopicSpec[]) {
      ensureOpen();
      await ensure(topics);
    },

    async publish(topic: string, messages: readonly OutgoingMessage[]) {
      ensureOpen();
      if (messages.length === 0) return;
      validateTopicName(topic);
      validateMessages(messages);
      const started = process.hrtime.bigint();
      try {
        await ensure([{ name: topic }]);
        await publisher.publish(topic, messages);
      } catch (error) {
        metrics.publishErrors.inc({ adapter: 'kafka' });
        throw toSwitchboardError(error, 'publish');
      }
      metrics.published.inc({ adapter: 'kafka', topic }, messages.length);
      metrics.publishSeconds.observe({ adapter: 'kafka' }, Number(process.hrtime.bigint() - started) / 1e9);
    },

    consumer(consumerOptions: ConsumerOptions) {
      ensureOpen();
      const consumer: KafkaGroupConsumer = new KafkaGroupConsumer(resolveConsumerOptions(consumerOptions), {
        config,
        admin,
        metrics,
        logger: options.logger,
        onStopped: (c) => consumers.delete(c),
      });
      consumers.add(consumer);
      return consumer;
    },

    async health(): Promise<HealthReport> {
      const started = performance.now();
      if (closed) return { ok: false, detail: 'closed', latencyMs: 0 };
      try {
        // A fresh metadata request (not the cached one), bounded by our own timeout because
        // the client's retries could otherwise hold /ready for several seconds.
        const metadata = await withTimeout(
          admin.metadata({ topics: [], forceUpdate: true }),
          config.kafka.request_timeout_ms,
          'metadata',
        );
        return withConsumerHealth(
          {
            ok: true,
            detail: `kafka cluster ${metadata.id}, ${metadata.brokers.size} broker(s)`,
            latencyMs: performance.now() - started,
          },
          consumers,
        );
      } catch (error) {
        return {
          ok: false,
          detail: toSwitchboardError(error, 'metadata').message,
          latencyMs: performance.now() - started,
        };
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      // Drain consumers (finish and commit batches in flight), then flush pending publishes.
      await Promise.all([...consumers].map((c) => c.stop()));
      await publisher
        .close()
        .catch((error: unknown) => options.logger?.warn({ err: error }, 'kafka producer close failed'));
      await admin.close().catch(() => undefined);
    },
  };
}
