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

/** Most messages in one produce request. */
const MAX_REQUEST_MESSAGES = 5000;
/**
 * Most payload bytes in one produce request. The library writes one record batch per partition
 * per request, and a batch above the topic's max.message.bytes (1 MiB by default on Kafka and
 * Redpanda) is refused whole with MESSAGE_TOO_LARGE, failing every publish merged into it;
 * staying well below keeps merging from causing that.
 */
const MAX_REQUEST_BYTES = 256 * 1024;
/**
 * @platformatic/dynamic-buffer 0.3.1 zigzag-encodes 64-bit varints with `value >> 31n` (not
 * 63n), so a record's timestamp delta from the first record of its batch is written wrong once
 * it is 2^31 ms (~24.8 days) or more away: measured on Kafka 4.1, 1700000000000 published after
 * a record stamped now read back as 1699999999978. Every request keeps the timestamps it carries
 * within this window of each other, so every delta is encoded exactly.
 */
const SAFE_TIMESTAMP_SPREAD = 2n ** 31n - 1n;

/**
 * Publishing on Kafka, with the idempotent producer (acks=all, producer id and per-partition
 * sequence numbers): a produce the library retries (a leader move, a partition not ready yet)
 * is written once, not twice. Measured on Kafka 4.1 without it: the library retries a whole
 * multi-partition request when one partition answers NOT_LEADER, and the partitions that had
 * succeeded got every message twice.
 *
 * One produce request is in flight at a time. The library reserves sequence numbers only when
 * a request succeeds, so two concurrent requests to one partition would carry the same
 * sequence and the broker would drop the second as a duplicate; and one request at a time also
 * keeps each key's order. Publishes arriving while a request is out (or within `linger_ms`)
 * share the next one, so concurrency becomes batching rather than waiting.
 *
 * Every publish resolves only after the brokers acknowledged it with acks=all (every in-sync
 * replica has it), so a resolved publish survives a broker failure; that costs a round trip, so
 * a caller that must not block (an agent's turn) should not await it on its hot path. Keys go
 * through Kafka's default partitioner (murmur2, sign bit masked), identical to Java clients and
 * to the embedded log.
 */
export class KafkaPublisher {
  private producer: Producer<string, Buffer, string, string>;
  /** Producers replaced after a failed request, closing in the background. */
  private readonly retiring = new Set<Promise<void>>();
  private queue: Waiting[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;

  constructor(private readonly config: SwitchboardConfig) {
    this.producer = this.newProducer();
  }

  private newProducer(): Producer<string, Buffer, string, string> {
    return new Producer<string, Buffer, string, string>({
      ...baseClientOptions(this.config, 'producer'),
      idempotent: true,
      acks: ProduceAcks.ALL,
      serializers: { key: stringSerializer, headerKey: stringSerializer, headerValue: stringSerializer },
      // The library itself takes this modulo the partition count.
      partitioner: (message) => positiveHash(message.key ?? ''),
    });
  }

  /**
   * Starts over with a new producer id after a request whose outcome is unknown. A produce that
   * timed out may still have been written, and @platformatic/kafka 1.35 advances its sequence
   * numbers only on success: the next request would carry the same sequences, and a broker that
   * had written the first takes the second for its retry, drops it as a duplicate and
   * acknowledges it all the same, so an acknowledged publish is lost (measured on Kafka 4.1 with
   * a paused broker: test/faults/event-log-faults.test.ts). Sequences are per producer id, so a
   * new id cannot collide. (The Java client bumps the epoch instead, KIP-360.)
   */
  private renewProducer(): void {
    const old = this.producer;
    this.producer = this.newProducer();
    const closing = old.close().catch(() => undefined);
    this.retiring.add(closing);
    void closing.finally(() => this.retiring.delete(closing));
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
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ messages: out, resolve, reject });
      if (this.sending) return; // sent when the request in flight completes
      if (this.config.kafka.linger_ms === 0) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.config.kafka.linger_ms);
    });
  }

  /** Sends whatever is gathered now, unless a request is in flight (then it goes right after). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.sending || this.queue.length === 0) return;
    const waiting = this.queue;
    this.queue = [];
    this.sending = this.sendAll(waiting).finally(() => {
      this.sending = undefined;
      // What arrived meanwhile has already waited at least one round trip: send it now.
      this.flush();
    });
  }

  /** Sends the gathered publishes in order, in as few requests as the limits allow. */
  private async sendAll(waiting: Waiting[]): Promise<void> {
    const failed = new Set<Waiting>();
    for (const request of requests(waiting)) {
      const live = request.filter(([w]) => !failed.has(w));
      if (live.length === 0) continue;
      try {
        await this.producer.send({ messages: live.map(([, m]) => m), acks: ProduceAcks.ALL });
      } catch (error) {
        this.renewProducer();
        const mapped = toSwitchboardError(error, 'publish');
        for (const [w] of live) {
          if (failed.has(w)) continue;
          failed.add(w);
          w.reject(mapped);
        }
      }
    }
    for (const w of waiting) if (!failed.has(w)) w.resolve();
  }

  async close(): Promise<void> {
    this.flush();
    while (this.sending) await this.sending.catch(() => undefined);
    await Promise.all(this.retiring);
    await this.producer.close();
  }
}

/**
 * Splits gathered publishes into requests, in order, each within the message, byte and
 * timestamp-spread limits above. A publish larger than one request spans several.
 */
function* requests(waiting: readonly Waiting[]): Generator<[Waiting, Out][]> {
  let current: [Waiting, Out][] = [];
  let bytes = 0;
  let min = 0n;
  let max = 0n;
  for (const w of waiting) {
    for (const m of w.messages) {
      const size = (m.value?.length ?? 0) + Buffer.byteLength(m.key ?? '') + 64;
      const ts = m.timestamp as bigint;
      const lo = current.length === 0 || ts < min ? ts : min;
      const hi = current.length === 0 || ts > max ? ts : max;
      const full =
        current.length >= MAX_REQUEST_MESSAGES ||
        (current.length > 0 && bytes + size > MAX_REQUEST_BYTES) ||
        hi - lo > SAFE_TIMESTAMP_SPREAD;
      if (full && current.length > 0) {
        yield current;
        current = [];
        bytes = 0;
        min = ts;
        max = ts;
      } else {
        min = lo;
        max = hi;
      }
      current.push([w, m]);
      bytes += size;
    }
  }
  if (current.length > 0) yield current;
}
