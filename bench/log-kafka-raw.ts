import {
  Admin,
  Consumer,
  MessagesStreamModes,
  Producer,
  ProduceAcks,
  stringSerializers,
} from '@platformatic/kafka';
import { measure, percentile, type ScenarioResult } from './lib.js';

/**
 * The raw client beside the Kafka event log: @platformatic/kafka used directly, with the same
 * durability (idempotent producer, acks=all), the same payload, keys and batch sizes, and for
 * end to end the library's own consumer stream (autocommit) on a fresh group. What the event
 * log adds on top of it (validation, linger batching, one request in flight, its own
 * fetch/commit loop with exact offsets) is the difference between the two rows.
 */
const SUBJECT = 'raw @platformatic/kafka';

export async function rawKafkaScenarios(
  brokers: string[],
  suite: string,
  event: string,
  scale: { single: number; batches: number; e2eMessages: number },
): Promise<ScenarioResult[]> {
  const run = Date.now().toString(36);
  const topics = { single: `raw-single-${run}`, batched: `raw-batched-${run}`, e2e: `raw-e2e-${run}` };
  const admin = new Admin({ clientId: 'bench-raw-admin', bootstrapBrokers: brokers });
  await admin.createTopics({ topics: Object.values(topics), partitions: 6, replicas: 1 });
  await admin.close();
  const producer = new Producer({
    clientId: 'bench-raw-producer',
    bootstrapBrokers: brokers,
    idempotent: true,
    acks: ProduceAcks.ALL,
    serializers: stringSerializers,
  });
  const out: ScenarioResult[] = [];
  try {
    out.push(
      await measure(
        {
          suite,
          scenario: 'publish, 1 message per call',
          subject: SUBJECT,
          iterations: scale.single,
          warmup: 200,
        },
        (i) =>
          producer.send({
            messages: [{ topic: topics.single, key: `session-${i % 500}`, value: event }],
            acks: ProduceAcks.ALL,
          }),
      ),
    );
    const perCall = 100;
    const batch = await measure(
      {
        suite,
        scenario: `publish, ${perCall} messages per call`,
        subject: SUBJECT,
        iterations: scale.batches,
        warmup: 20,
      },
      (i) =>
        producer.send({
          messages: Array.from({ length: perCall }, (_, j) => ({
            topic: topics.batched,
            key: `session-${(i * perCall + j) % 500}`,
            value: event,
          })),
          acks: ProduceAcks.ALL,
        }),
    );
    out.push({
      ...batch,
      ops: batch.ops * perCall,
      opsPerSecond: batch.opsPerSecond * perCall,
      note: `messages/s; latency per call of ${perCall}`,
    });
    out.push(await endToEnd(brokers, producer, topics.e2e, suite, event, scale.e2eMessages));
  } finally {
    await producer.close();
  }
  return out;
}

async function endToEnd(
  brokers: string[],
  producer: Producer<string, string, string, string>,
  topic: string,
  suite: string,
  event: string,
  total: number,
): Promise<ScenarioResult> {
  const consumer = new Consumer({
    clientId: 'bench-raw-consumer',
    groupId: `bench-raw-${topic}`,
    bootstrapBrokers: brokers,
    deserializers: {
      key: (b) => b?.toString(),
      value: (b) => b?.toString(),
      headerKey: (b) => b?.toString(),
      headerValue: (b) => b?.toString(),
    },
  });
  const latencies = new Float64Array(total);
  let handled = 0;
  const stream = await consumer.consume({
    topics: [topic],
    mode: MessagesStreamModes.EARLIEST,
    autocommit: 100,
    maxWaitTime: 5,
  });
  const done = new Promise<void>((resolve, reject) => {
    stream.on('data', (message: { headers: Map<string, string> }) => {
      const sentAt = Number(message.headers.get('t'));
      if (handled < total) latencies[handled] = performance.now() - sentAt;
      handled += 1;
      if (handled >= total) resolve();
    });
    stream.on('error', reject);
  });
  const started = performance.now();
  for (let sent = 0; sent < total; sent += 100) {
    const t = String(performance.now());
    await producer.send({
      messages: Array.from({ length: Math.min(100, total - sent) }, (_, j) => ({
        topic,
        key: `session-${(sent + j) % 500}`,
        value: event,
        headers: new Map([['t', t]]),
      })),
      acks: ProduceAcks.ALL,
    });
  }
  await done;
  const elapsedS = (performance.now() - started) / 1000;
  await stream.close();
  await consumer.close(true);
  latencies.sort();
  return {
    suite,
    scenario: 'end to end, unpaced (throughput)',
    subject: SUBJECT,
    ops: total,
    opsPerSecond: total / elapsedS,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    note: 'publish (100/call) -> library stream (autocommit every 100 ms); latency publish to handler',
  };
}
