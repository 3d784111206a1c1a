import { SwitchboardError } from '../../errors/index.js';
import type { Logger } from 'pino';
import type { Batch, Consumer, ConsumerHealth, ConsumerOptions, OutgoingMessage } from './log.js';
import type { EventLogMetrics } from './metrics.js';

/** Consumer options with their defaults applied, validated once for both adapters. */
export interface ResolvedConsumerOptions {
  group: string;
  topics: readonly string[];
  maxBatchSize: number;
  maxWaitMs: number;
  startFrom: 'earliest' | 'latest';
}

export function resolveConsumerOptions(options: ConsumerOptions): ResolvedConsumerOptions {
  if (!options.group) throw invalid('group', 'a non-empty consumer group name');
  if (options.topics.length === 0) throw invalid('topics', 'at least one topic');
  for (const topic of options.topics) validateTopicName(topic);
  const maxBatchSize = options.maxBatchSize ?? 500;
  const maxWaitMs = options.maxWaitMs ?? 100;
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1 || maxBatchSize > 100_000) {
    throw invalid('maxBatchSize', 'an integer from 1 to 100000');
  }
  if (!Number.isFinite(maxWaitMs) || maxWaitMs < 0) throw invalid('maxWaitMs', 'a number of ms >= 0');
  return {
    group: options.group,
    topics: [...new Set(options.topics)],
    maxBatchSize,
    maxWaitMs,
    startFrom: options.startFrom ?? 'earliest',
  };
}

/** Kafka's topic name rule, applied on the embedded log too so a name valid there is valid on Kafka. */
export function validateTopicName(topic: string): void {
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(topic) || topic === '.' || topic === '..') {
    throw invalid('topic', 'a topic name of 1-249 characters from [a-zA-Z0-9._-]', topic);
  }
}

/**
 * How far ahead of now a record's timestamp may be. Kafka 4 brokers refuse later ones
 * (`log.message.timestamp.after.max.ms`, one hour by default) with INVALID_TIMESTAMP; the
 * embedded log refuses the same, so a publish that works on one works on the other.
 */
export const MAX_FUTURE_TIMESTAMP_MS = 3_600_000;

export function validateMessages(messages: readonly OutgoingMessage[]): void {
  for (const [i, m] of messages.entries()) {
    if (typeof m.key !== 'string') throw invalid(`messages.${i}.key`, 'a string key');
    if (typeof m.value !== 'string' && !Buffer.isBuffer(m.value)) {
      throw invalid(`messages.${i}.value`, 'a string or a Buffer');
    }
    if (m.timestamp !== undefined) {
      if (!Number.isSafeInteger(m.timestamp) || m.timestamp < 0) {
        throw invalid(`messages.${i}.timestamp`, 'epoch milliseconds, an integer >= 0');
      }
      if (m.timestamp > Date.now() + MAX_FUTURE_TIMESTAMP_MS) {
        throw invalid(`messages.${i}.timestamp`, 'a time at most one hour ahead of now');
      }
    }
  }
}

function invalid(field: string, expected: string, value?: string): SwitchboardError {
  return new SwitchboardError(
    'VALIDATION_FAILED',
    `Invalid event log ${field}${value !== undefined ? ` ${JSON.stringify(value)}` : ''}: expected ${expected}`,
    { field },
  );
}

export function toBuffer(value: Buffer | string): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Backoff after a failed batch: 100 ms doubling to 5 s, so a broken handler does not spin. */
export function retryBackoffMs(attempt: number): number {
  return Math.min(5000, 100 * 2 ** Math.min(attempt, 6));
}

/**
 * Hands one batch to a consumer's handler, with the batch metrics, for both adapters. Returns
 * false when `prepare` or the handler threw: the caller then leaves the batch uncommitted,
 * rewinds and backs off, so the batch is delivered again (at least once).
 */
export async function deliverBatch(
  deps: { metrics: EventLogMetrics; logger?: Logger | undefined },
  labels: { adapter: string; group: string },
  handler: (batch: Batch) => Promise<void>,
  batch: Batch,
  prepare?: () => void,
): Promise<boolean> {
  try {
    prepare?.();
    deps.metrics.batchSize.observe(labels, batch.messages.length);
    if (batch.mayContainRedeliveries) deps.metrics.redeliveredBatches.inc(labels);
    await handler(batch);
    return true;
  } catch (error) {
    deps.metrics.handlerFailures.inc(labels);
    deps.logger?.warn(
      { err: error, group: labels.group },
      'event log handler failed; batch will be redelivered',
    );
    return false;
  }
}

/**
 * Tracks a consumer loop's consecutive fetch/commit failures so that a consumer that cannot
 * read (a broker refusing a protocol version, a lost connection) shows in health() and /ready
 * within seconds instead of only in the log. One failure is a blip the loop retries at once;
 * from the second in a row the consumer reports itself failing, until a fetch succeeds.
 */
export class LoopHealth {
  private failures = 0;
  private since = 0;
  private lastError = '';

  constructor(private readonly group: string) {}

  failed(error: unknown): void {
    if (this.failures === 0) this.since = Date.now();
    this.failures += 1;
    this.lastError = error instanceof Error ? error.message : String(error);
  }

  succeeded(): void {
    this.failures = 0;
  }

  report(): ConsumerHealth {
    if (this.failures < 2) return { ok: true, detail: `group ${this.group}: consuming` };
    const seconds = Math.round((Date.now() - this.since) / 1000);
    return {
      ok: false,
      detail: `group ${this.group}: ${this.failures} reads failed in a row over ${seconds} s: ${this.lastError}`,
    };
  }
}

/**
 * The log's health as its consumers see it: a reachable log whose consumer cannot read (a
 * protocol it refuses, a commit it rejects) is not healthy, and /ready names the group.
 */
export function withConsumerHealth<R extends { ok: boolean; detail: string }>(
  report: R,
  consumers: Iterable<Pick<Consumer, 'health'>>,
): R {
  const failing = [...consumers].map((c) => c.health()).filter((h) => !h.ok);
  if (failing.length === 0) return report;
  return { ...report, ok: false, detail: `${report.detail}; ${failing.map((h) => h.detail).join('; ')}` };
}
