import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { SwitchboardError } from '../../errors/index.js';
import type { Worker } from '../../modules/module.js';
import type { Batch, Consumer, EventLog, PartitionLag } from '../../ports/event-log/log.js';
import type { WideColumnEngine } from '../../ports/wide-column/engine.js';
import { CircuitBreaker } from '../../shared/breaker.js';
import type { Clock } from '../../shared/clock.js';
import type { InteractionMetrics } from './metrics.js';
import { BatchProcessor, isCallerError, type ProcessorOptions, type ProcessorTimings } from './processor.js';
import { systemHealth } from './tables.js';

export interface ConsumerSettings {
  group: string;
  topics: readonly string[];
  batchSize: number;
  batchWaitMs: number;
  breakerFailureThreshold: number;
  breakerResetMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
  heartbeatMs: number;
  instance: string;
}

export function defaultInstance(): string {
  return `${hostname()}-${process.pid}`;
}

type State = 'idle' | 'running' | 'paused' | 'stopping' | 'stopped';

/**
 * What the rest of Switchboard sees of the logging consumer, wherever it runs: on the caller's
 * event loop (`InteractionsConsumer`) or on its own thread (`ThreadedConsumer`, the default
 * in `serve`).
 */
export interface LoggingConsumer extends Worker {
  health(): Promise<{ ok: boolean; detail: string }>;
  lag(): Promise<PartitionLag[] | null>;
  /** Messages handled (and committed or about to be) since start. */
  readonly handled: number;
  /** Of those, valid events stored in every table. */
  readonly stored: number;
  /** Where the processing time went (the pipeline bench prints it). */
  timings(): ProcessorTimings;
}

/**
 * The logging consumer: one member of the interactions group. Each batch is processed
 * (processor.ts) and committed only when every write succeeded. When the store fails the
 * batch is retried here, in place, with exponential backoff behind a circuit breaker: no new
 * batch is fetched, nothing is committed, and `health()` reports the pause so /ready does.
 * Invalid events never get here as failures: they are rows in error_logs.
 */
export class InteractionsConsumer implements LoggingConsumer {
  readonly name = 'interactions-consumer';
  readonly processor: BatchProcessor;
  private readonly breaker: CircuitBreaker;
  private consumer: Consumer | undefined;
  private state: State = 'idle';
  private lastError: string | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private lastLag: bigint | null = null;
  /** Messages handled and committed-to-be since start (tests and the bench wait on it). */
  handled = 0;
  /** Of those, valid events stored in every table (invalid ones and processing failures are not counted). */
  stored = 0;

  constructor(
    private readonly deps: {
      log: EventLog;
      store: WideColumnEngine;
      metrics: InteractionMetrics;
      logger: Logger;
      clock: Clock;
      processor: ProcessorOptions;
      settings: ConsumerSettings;
      /** Called after each batch is handled (the consumer thread reports progress with it). */
      onBatch?: () => void;
    },
  ) {
    const s = deps.settings;
    this.breaker = new CircuitBreaker({
      name: 'interactions store',
      port: 'wide_column',
      failureThreshold: s.breakerFailureThreshold,
      resetMs: s.breakerResetMs,
      // A refused write is the data's fault, not the store's: it must not open the breaker.
      isFailure: (error) => !isCallerError(error),
      onStateChange: (state) =>
        deps.logger.warn({ breaker: state }, 'interactions store breaker changed state'),
    });
    this.processor = new BatchProcessor(deps.store, deps.processor, deps.metrics, (fn) =>
      this.breaker.run(fn),
    );
  }

  async start(): Promise<void> {
    if (this.consumer) return;
    const s = this.deps.settings;
    this.consumer = this.deps.log.consumer({
      group: s.group,
      topics: s.topics,
      maxBatchSize: s.batchSize,
      maxWaitMs: s.batchWaitMs,
    });
    this.state = 'running';
    await this.consumer.run((batch) => this.handle(batch));
    this.heartbeat = setInterval(() => void this.beat(), s.heartbeatMs);
    this.heartbeat.unref();
    void this.beat();
  }

  /** Finishes (or abandons, when the store is down) the batch in flight, commits, and stops. */
  async stop(): Promise<void> {
    if (!this.consumer || this.state === 'stopped') return;
    this.state = 'stopping';
    this.wake?.();
    clearInterval(this.heartbeat);
    await this.consumer.stop();
    this.state = 'stopped';
    await this.beat().catch(() => undefined);
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    const breaker = this.breaker.state;
    if (this.state === 'paused' || breaker !== 'closed') {
      return {
        ok: false,
        detail: `paused: the store is failing (breaker ${breaker}); offsets are kept, retrying${this.lastError ? `: ${this.lastError}` : ''}`,
      };
    }
    if (this.state !== 'running') return { ok: this.state === 'idle', detail: this.state };
    // Reads failing (a broker refusing the consumer, a lost connection) is as fatal as the store.
    const reads = this.consumer?.health();
    if (reads && !reads.ok) return { ok: false, detail: `cannot read the event log: ${reads.detail}` };
    return { ok: true, detail: `running; lag ${this.lastLag ?? 'unknown'}` };
  }

  async lag(): Promise<PartitionLag[] | null> {
    return this.consumer ? this.consumer.lag() : null;
  }

  timings(): ProcessorTimings {
    return { ...this.processor.timings };
  }

  private async handle(batch: Batch): Promise<void> {
    const { metrics, logger, settings } = this.deps;
    metrics.batchSize.observe(batch.messages.length);
    let stored = 0;
    for (let attempt = 0; ; attempt += 1) {
      if (this.state === 'stopping') {
        // Leave the batch uncommitted: it is delivered again after the restart.
        throw new SwitchboardError('SHUTTING_DOWN', 'The interactions consumer is stopping');
      }
      try {
        stored = (await this.processor.process(batch.messages)).valid;
        break;
      } catch (error) {
        this.state = 'paused';
        metrics.paused.set(1);
        this.lastError = error instanceof Error ? error.message : String(error);
        const delay = Math.min(settings.retryMaxMs, settings.retryInitialMs * 2 ** Math.min(attempt, 20));
        // The message names the store error only: never an event's payload.
        logger.warn(
          { attempt, delayMs: delay, err: { message: this.lastError } },
          'interactions batch failed; retrying',
        );
        await this.sleep(delay);
      }
    }
    if (this.state === 'paused') {
      this.state = 'running';
      metrics.paused.set(0);
      this.lastError = undefined;
      logger.info('interactions store is back; consuming');
    }
    this.handled += batch.messages.length;
    this.stored += stored;
    const perTopic = new Map<string, number>();
    for (const m of batch.messages) perTopic.set(m.topic, (perTopic.get(m.topic) ?? 0) + 1);
    for (const [topic, n] of perTopic) metrics.consumed.inc({ topic }, n);
    this.deps.onBatch?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  /** Refreshes the lag gauge and writes this consumer's system_health row; failures only skip a beat. */
  private async beat(): Promise<void> {
    let total: bigint | null = null;
    try {
      const lag = await this.consumer?.lag();
      if (lag) {
        total = 0n;
        for (const l of lag) {
          total += l.lag;
          this.deps.metrics.lag.set({ topic: l.topic, partition: String(l.partition) }, Number(l.lag));
        }
        this.lastLag = total;
      }
      await this.deps.store.insert(systemHealth, {
        component: 'consumer',
        instance: this.deps.settings.instance,
        status: this.state,
        last_seen: this.deps.clock.now(),
        lag: total,
        detail: this.lastError ?? null,
      });
    } catch {
      // The store being down is already reported by health(); a missed heartbeat says it too.
    }
  }
}
