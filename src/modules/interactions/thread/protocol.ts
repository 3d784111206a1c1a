import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { SwitchboardConfig } from '../../../config/index.js';
import type { PartitionLag } from '../../../ports/event-log/log.js';
import type { ProcessorTimings } from '../processor.js';

/** What the consumer thread is started with (structured-cloned into it). */
export interface ThreadInit {
  config: SwitchboardConfig;
  /** The name the consumer reports in system_health: the same as its process's. */
  instance: string;
  /** The parent logger's level, so a thread is as quiet as the process that started it. */
  logLevel: SwitchboardConfig['server']['log_level'];
}

export type RequestKind = 'health' | 'lag' | 'metrics';

export type ToThread = { type: 'request'; id: number; kind: RequestKind } | { type: 'stop' };

export interface ThreadReplies {
  health: { ok: boolean; detail: string };
  lag: PartitionLag[] | null;
  metrics: MetricObjectWithValues<MetricValue<string>>[];
}

export type FromThread =
  | { type: 'started' }
  | { type: 'start-failed'; code: string | undefined; message: string }
  | { type: 'progress'; handled: number; stored: number; timings: ProcessorTimings }
  | { type: 'reply'; id: number; value: ThreadReplies[RequestKind] }
  | { type: 'reply-error'; id: number; message: string }
  | { type: 'stopped' };
