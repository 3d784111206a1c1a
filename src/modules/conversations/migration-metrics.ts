import { Counter, Gauge, type Registry } from 'prom-client';
import { getOrCreate } from '../../shared/metrics.js';
import { CONVERSATION_MODES, type ConversationMode } from './config.js';

/** The seed's consistency target: under 1 % of reads stale. */
export const STALE_READ_TARGET = 0.01;

/** The migration's instruments (docs/conversations.md, "Metrics"). */
export class MigrationMetrics {
  readonly reads: Counter<'source'>;
  readonly fallbacks: Counter<'reason'>;
  readonly shadow: Counter<'mode' | 'result'>;
  readonly secondaryWriteFailures: Counter<'side'>;
  readonly staleRatio: Gauge;
  readonly mode: Gauge<'mode'>;
  private compared = 0;
  private stale = 0;

  constructor(registry: Registry, backlog: () => Promise<number>) {
    this.reads = getOrCreate(
      registry,
      'switchboard_conversations_reads_total',
      () =>
        new Counter({
          name: 'switchboard_conversations_reads_total',
          help: 'Conversation reads served, by the store that answered',
          labelNames: ['source'],
          registers: [registry],
        }),
    );
    this.fallbacks = getOrCreate(
      registry,
      'switchboard_conversations_fallbacks_total',
      () =>
        new Counter({
          name: 'switchboard_conversations_fallbacks_total',
          help: 'Wide-column reads answered by the relational store instead (missing, error, latency, breaker)',
          labelNames: ['reason'],
          registers: [registry],
        }),
    );
    this.shadow = getOrCreate(
      registry,
      'switchboard_conversations_shadow_reads_total',
      () =>
        new Counter({
          name: 'switchboard_conversations_shadow_reads_total',
          help: 'Sampled reads served by both stores and compared (match, mismatch, error)',
          labelNames: ['mode', 'result'],
          registers: [registry],
        }),
    );
    this.secondaryWriteFailures = getOrCreate(
      registry,
      'switchboard_conversations_secondary_write_failures_total',
      () =>
        new Counter({
          name: 'switchboard_conversations_secondary_write_failures_total',
          help: 'Writes to the secondary side that failed and were recorded for repair',
          labelNames: ['side'],
          registers: [registry],
        }),
    );
    this.staleRatio = getOrCreate(
      registry,
      'switchboard_conversations_stale_read_ratio',
      () =>
        new Gauge({
          name: 'switchboard_conversations_stale_read_ratio',
          help: `Share of compared wide-column reads that differed from the relational store (target < ${STALE_READ_TARGET})`,
          registers: [registry],
        }),
    );
    this.mode = getOrCreate(
      registry,
      'switchboard_conversations_mode',
      () =>
        new Gauge({
          name: 'switchboard_conversations_mode',
          help: 'The migration phase this process is in (1 for the current mode)',
          labelNames: ['mode'],
          registers: [registry],
        }),
    );
    getOrCreate(
      registry,
      'switchboard_conversations_repair_backlog',
      () =>
        new Gauge({
          name: 'switchboard_conversations_repair_backlog',
          help: 'Sessions recorded for repair (their secondary copy may be behind)',
          registers: [registry],
          async collect() {
            this.set(await backlog().catch(() => -1));
          },
        }),
    );
  }

  setMode(mode: ConversationMode): void {
    for (const m of CONVERSATION_MODES) this.mode.set({ mode: m }, m === mode ? 1 : 0);
  }

  /** A compared read of the wide-column side against the relational one. */
  comparedRead(stale: boolean): void {
    this.compared += 1;
    if (stale) this.stale += 1;
    this.staleRatio.set(this.stale / this.compared);
  }

  resetStaleReads(): void {
    this.compared = 0;
    this.stale = 0;
    this.staleRatio.set(0);
  }

  staleReadRate(): { compared: number; stale: number; rate: number } {
    return {
      compared: this.compared,
      stale: this.stale,
      rate: this.compared ? this.stale / this.compared : 0,
    };
  }
}
