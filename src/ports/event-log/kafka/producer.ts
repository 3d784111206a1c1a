import { Producer, ProduceAcks, stringSerializer, type MessageToProduce } from '@platformatic/kafka';
import type { SwitchboardConfig } from '../../../config/index.js';
import type { OutgoingMessage } from '../log.js';
import { positiveHash } from '../partitioner.js';
import { toBuffer } from '../shared.js';
import { baseClientOptions } from './client-options.js';
import { toSwitchboardError } from './errors.js';

type Out = MessageToProduce<string, Buffer, string, string>;

interface Waiting {
  messages: Out[];
  resolve(): void;
  reject(error: unknown): void;
}

/** Most messages gathered into one produce request before it is sent without waiting for linger. */
const MAX_LINGER_BATCH = 5000;
/**
 * Most payload bytes gathered before sending without waiting for linger. The library writes one
 * record batch per partition per request, and a batch above the topic's max.message.bytes
 * (1 MiB by default on Kafka and Redpanda) is refused whole with MESSAGE_TOO_LARGE, failing
 * every publish merged into it; staying well below keeps merging from causing that.
 */
const MAX_LINGER_BYTES = 256 * 1024;

/**
 * Publishing on Kafka. Every publish resolves only after the brokers acknowledged it with
 * acks=all (every in-sync replica has it), the durable choice: a resolved publish survives a
 * broker failure. That costs a network round trip (about 1-5 ms on a LAN, plus `linger_ms`),
 * so a caller that must not block (an agent's turn) should not await it on its hot path.
 * Publishes arriving within `linger_ms` share one produce request. Keys go through Kafka's
 * default partitioner (murmur2, sign bit masked), identical to Java clients and to the embedded log.
 */
export class KafkaPublisher {
  private readonly producer: Producer<string, Buffer, string, string>;
  private queue: Waiting[] = [];
  private queued = 0;
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly config: SwitchboardConfig) {
    this.producer = new Producer<string, Buffer, string, string>({
      ...baseClientOptions(config, 'producer'),
      // Only a default for documentation: Producer#send (1.20) takes `acks` from the send
      // options alone (`options.acks ??= ProduceAcks.LEADER`), so send() passes it every time.
      acks: ProduceAcks.ALL,
      serializers: { key: stringSerializer, headerKey: stringSerializer, headerValue: stringSerializer },
      // The library itself takes this modulo the partition count.
      partitioner: (message) => positiveHash(message.key ?? ''),
    });
  }

  publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    const now = BigInt(Date.now());
    const out: Out[] = messages.map((m) => ({
      topic,
      key: m.key,
      value: toBuffer(m.value),
      ...(m.headers ? { headers: m.headers } : {}),
      timestamp: m.timestamp !== undefined ? BigInt(m.timestamp) : now,
    }));
    if (this.config.kafka.linger_ms === 0) return this.send(out);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ messages: out, resolve, reject });
      this.queued += out.length;
      for (const m of out) this.queuedBytes += (m.value?.length ?? 0) + Buffer.byteLength(m.key ?? '') + 64;
      if (this.queued >= MAX_LINGER_BATCH || this.queuedBytes >= MAX_LINGER_BYTES) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.config.kafka.linger_ms);
    });
  }

  /** Sends whatever is gathered now (used by close so nothing waits for the linger timer). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const waiting = this.queue;
    if (waiting.length === 0) return;
    this.queue = [];
    this.queued = 0;
    this.queuedBytes = 0;
    this.send(waiting.flatMap((w) => w.messages)).then(
      () => waiting.forEach((w) => w.resolve()),
      (error: unknown) => waiting.forEach((w) => w.reject(error)),
    );
  }

  private send(messages: Out[]): Promise<void> {
    // acks=all here, not in the constructor: see above.
    const sent = this.producer.send({ messages, acks: ProduceAcks.ALL }).then(
      () => undefined,
      (error: unknown) => {
        throw toSwitchboardError(error, 'publish');
      },
    );
    this.inFlight.add(sent);
    const forget = () => this.inFlight.delete(sent);
    sent.then(forget, forget);
    return sent;
  }

  async close(): Promise<void> {
    this.flush();
    await Promise.allSettled([...this.inFlight]);
    await this.producer.close();
  }
}
