import { SwitchboardError } from '../../errors/index.js';
import type { Logger } from 'pino';
import type { Batch, ConsumerOptions, OutgoingMessage } from './log.js';
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

export function validateMessages(messages: readonly OutgoingMessage[]): void {
  for (const [i, m] of messages.entries()) {
    if (typeof m.key !== 'string') throw invalid(`messages.${i}.key`, 'a string key');
    if (typeof m.value !== 'string' && !Buffer.isBuffer(m.value)) {
      throw invalid(`messages.${i}.value`, 'a string or a Buffer');
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
