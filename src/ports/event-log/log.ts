import type { HealthReport } from '../wide-column/engine.js';

/**
 * The event-log port: durable topics with keyed messages and consumer groups that commit
 * offsets (at-least-once). A message's key decides its partition, so one key's messages
 * stay in order. Embedded: a SQLite log in the data directory. Scale-out: Kafka / Redpanda.
 */
export interface OutgoingMessage {
  key: string;
  value: Buffer | string;
  headers?: Record<string, string>;
  /** Epoch ms; defaults to now. */
  timestamp?: number;
}

export interface LogMessage {
  topic: string;
  partition: number;
  offset: bigint;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  timestamp: number;
}

export interface TopicSpec {
  name: string;
  partitions?: number;
}

export interface ConsumerOptions {
  group: string;
  topics: readonly string[];
  /** Most messages handed to one handler call (default 500). */
  maxBatchSize?: number;
  /** Longest wait for a batch to fill before handing over what there is (default 100 ms). */
  maxWaitMs?: number;
  /** Where a group with no committed offset starts: 'earliest' (default) or 'latest'. */
  startFrom?: 'earliest' | 'latest';
}

export interface Batch {
  messages: LogMessage[];
  /** True when some messages may have been delivered before (uncommitted after a restart or rebalance). */
  mayContainRedeliveries: boolean;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  committed: bigint;
  end: bigint;
  lag: bigint;
}

/** A consumer's own view of its reads (see Consumer.health). */
export interface ConsumerHealth {
  ok: boolean;
  detail: string;
}

export interface Consumer {
  /**
   * Starts delivering batches; the offsets of a batch are committed after `handler` resolves.
   * A handler that throws leaves the batch uncommitted: it is delivered again.
   */
  run(handler: (batch: Batch) => Promise<void>): Promise<void>;
  /** Finishes the batch in flight, commits it, and stops. */
  stop(): Promise<void>;
  /** Moves the group's position on a partition (replay from an offset). */
  seek(topic: string, partition: number, offset: bigint): Promise<void>;
  lag(): Promise<PartitionLag[]>;
  /**
   * Whether the consumer's own reads work: not ok while its fetches or commits keep failing
   * (it retries with backoff meanwhile). The event log's health() includes every running one.
   */
  health(): ConsumerHealth;
}

export interface EventLog {
  readonly kind: 'embedded' | 'kafka';
  ensureTopics(topics: readonly TopicSpec[]): Promise<void>;
  /** Returns once the messages are accepted locally (durably appended on the embedded log). */
  publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
  consumer(options: ConsumerOptions): Consumer;
  health(): Promise<HealthReport>;
  close(): Promise<void>;
}
