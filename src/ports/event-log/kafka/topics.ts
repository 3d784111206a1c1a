import type { Admin } from '@platformatic/kafka';
import type { SwitchboardConfig } from '../../../config/index.js';
import type { TopicSpec } from '../log.js';
import { sleep, validateTopicName } from '../shared.js';
import { hasProtocolError, toSwitchboardError } from './errors.js';

/**
 * CreateTopics calls in flight per Admin client. @platformatic/kafka 1.20 deduplicates
 * `Admin.createTopics` under one constant key ('createTopics' in clients/admin/admin.js), so a
 * second call made while one is in flight gets the first call's answer and its own topics are
 * never requested. Calls through one Admin therefore go one at a time.
 */
const createQueues = new WeakMap<Admin, Promise<unknown>>();

function serialized<T>(admin: Admin, task: () => Promise<T>): Promise<T> {
  const previous = createQueues.get(admin) ?? Promise.resolve();
  const run = previous.then(task, task);
  createQueues.set(
    admin,
    run.catch(() => undefined),
  );
  return run;
}

/**
 * Creates absent topics with the configured partitions, replication and retention (Kafka's
 * `retention.ms` and per-partition `retention.bytes`, the same meaning as on the embedded log),
 * then waits until the cluster's metadata shows them with leaders, so a publish right after
 * does not race topic creation. Existing topics are left as they are.
 */
export async function ensureKafkaTopics(
  admin: Admin,
  config: SwitchboardConfig,
  topics: readonly TopicSpec[],
) {
  for (const t of topics) validateTopicName(t.name);
  if (topics.length === 0) return;
  try {
    const existing = new Set(await admin.listTopics());
    for (const t of topics.filter((x) => !existing.has(x.name))) {
      try {
        await serialized(admin, () =>
          admin.createTopics({
            topics: [t.name],
            partitions: t.partitions ?? config.event_log.partitions,
            replicas: config.kafka.replication_factor,
            configs: [
              { name: 'retention.ms', value: String(config.event_log.retention_ms) },
              { name: 'retention.bytes', value: String(config.event_log.retention_bytes) },
            ],
          }),
        );
      } catch (error) {
        // Another process created it between our list and our create: that is the goal.
        if (!hasProtocolError(error, 'TOPIC_ALREADY_EXISTS')) throw error;
      }
    }
    await waitForLeaders(
      admin,
      topics.map((t) => t.name),
      config.kafka.request_timeout_ms,
    );
  } catch (error) {
    throw toSwitchboardError(error, 'topic creation');
  }
}

async function waitForLeaders(admin: Admin, names: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const metadata = await admin.metadata({ topics: names, forceUpdate: true });
      const ready = names.every((n) => {
        const t = metadata.topics.get(n);
        return (
          t !== undefined &&
          t.partitions.length === t.partitionsCount &&
          t.partitions.every((p) => p.leader >= 0)
        );
      });
      if (ready) return;
    } catch (error) {
      if (Date.now() >= deadline) throw error;
    }
    if (Date.now() >= deadline) throw new Error(`topics ${names.join(', ')} have no leaders yet`);
    await sleep(100);
  }
}
