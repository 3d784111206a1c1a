import { isSwitchboardError } from '../../errors/index.js';
import type { LogMessage } from '../../ports/event-log/log.js';
import type { Row } from '../../ports/wide-column/declare.js';
import { batchOp, type BatchOp, type WideColumnEngine } from '../../ports/wide-column/engine.js';
import {
  emptySummary,
  foldSummary,
  histogramFromRow,
  metricToRow,
  summaryFromRow,
  summaryToRow,
  type SummaryState,
} from './aggregates.js';
import type { Stage, ValidEvent } from './events.js';
import { LatencyHistogram } from './histogram.js';
import type { InteractionMetrics } from './metrics.js';
import { HOUR_MS, MINUTE_MS, dayOf, errorOp, eventIdOf, floorTo, interactionOps, sourceOf } from './rows.js';
import { performanceMetrics, sessionSummaries, systemHealth } from './tables.js';
import { validatePayload } from './validate.js';

export interface ProcessorOptions {
  stages: ReadonlyMap<string, Stage>;
  ttlSeconds: number;
  errorTtlSeconds: number;
  payloadMaxChars: number;
  storeBatchOps: number;
  /** Most snapshots kept in memory (sessions × stages plus minute and hour buckets). */
  cacheEntries: number;
}

/** Where a batch's time went, cumulative over the processor's life (the bench prints it). */
export interface ProcessorTimings {
  batches: number;
  messages: number;
  validateMs: number;
  rowsWriteMs: number;
  snapshotReadMs: number;
  foldMs: number;
  snapshotWriteMs: number;
}

export function emptyTimings(): ProcessorTimings {
  return {
    batches: 0,
    messages: 0,
    validateMs: 0,
    rowsWriteMs: 0,
    snapshotReadMs: 0,
    foldMs: 0,
    snapshotWriteMs: 0,
  };
}

export interface BatchReport {
  valid: number;
  invalid: number;
  processingFailures: number;
  /** Valid events already folded into the aggregates by an earlier delivery. */
  redelivered: number;
}

/** Store calls go through this (the consumer passes its circuit breaker). */
export type StoreGuard = <T>(fn: () => Promise<T>) => Promise<T>;

/** A snapshot row as written (the same shape a read returns). */
type CachedSnapshot = Record<string, unknown>;

interface Delivered {
  message: LogMessage;
  v: ValidEvent;
}

/** Errors that say "this write can never succeed" rather than "the store is unavailable". */
export function isCallerError(error: unknown): boolean {
  return (
    isSwitchboardError(error, 'VALUE_INVALID') ||
    isSwitchboardError(error, 'QUERY_REJECTED') ||
    isSwitchboardError(error, 'VALIDATION_FAILED')
  );
}

const now = () => performance.now();

/** Store batches one consumer batch keeps in flight (see writeChunked). */
const MAX_BATCHES_IN_FLIGHT = 32;

/**
 * Turns one consumer batch into store writes, in two phases:
 *
 * 1. rows keyed by the event (voice_interactions, interactions_by_stage_hour) or by the log
 *    position (error_logs): idempotent, written first;
 * 2. aggregate snapshots (session_summaries, performance_metrics per minute and hour): read
 *    the latest snapshot of each touched key, fold in the events past its offset, write the
 *    new snapshot and delete the one it replaces, in one single-partition batch.
 *
 * Phase 2 runs only after phase 1 succeeded, so a snapshot never covers an event whose row
 * is missing. A failure anywhere throws; the caller retries the whole batch, which the
 * idempotent rows and the offset-keyed snapshots make harmless.
 */
export class BatchProcessor {
  readonly timings: ProcessorTimings = emptyTimings();

  /**
   * The latest snapshot this processor wrote, per source partition and key, so a steady
   * stream does not read back what it just wrote. An entry is only trusted while this
   * processor has seen its source's offsets contiguously (`lastOffset`): a gap or a rewind
   * (a rebalance gave the partition to someone else meanwhile, a seek, a redelivery) drops
   * the source's entries and the next batch reads the store. Any failed batch drops all.
   */
  private readonly cache = new Map<string, Map<string, CachedSnapshot>>();
  private readonly lastOffset = new Map<string, bigint>();
  private cachedEntries = 0;
  /**
   * The histogram behind each metric snapshot row this processor wrote, so the next batch
   * folds into it instead of decoding the row's blob again. Keyed by the row object: a row
   * read back from the store is a new object and is decoded. The histogram is updated in
   * place for the next snapshot; if that batch fails, `process` drops the whole cache, so the
   * updated histogram is never reachable through a row it does not describe.
   */
  private readonly histograms = new WeakMap<object, LatencyHistogram>();

  constructor(
    private readonly store: WideColumnEngine,
    private readonly options: ProcessorOptions,
    private readonly metrics: InteractionMetrics,
    private readonly guard: StoreGuard = (fn) => fn(),
  ) {}

  async process(messages: readonly LogMessage[]): Promise<BatchReport> {
    try {
      return await this.processOnce(messages);
    } catch (error) {
      this.cache.clear();
      this.lastOffset.clear();
      this.cachedEntries = 0;
      throw error;
    }
  }

  /** Drops cached snapshots of sources whose offsets in this batch do not follow the last ones seen. */
  private checkContinuity(messages: readonly LogMessage[]): Map<string, bigint> {
    const first = new Map<string, bigint>();
    const last = new Map<string, bigint>();
    for (const m of messages) {
      const source = sourceOf(m);
      if (!first.has(source)) first.set(source, m.offset);
      last.set(source, m.offset);
    }
    for (const [source, offset] of first) {
      const previous = this.lastOffset.get(source);
      if (previous === undefined || offset !== previous + 1n) {
        this.cachedEntries -= this.cache.get(source)?.size ?? 0;
        this.cache.delete(source);
      }
    }
    return last;
  }

  private async processOnce(messages: readonly LogMessage[]): Promise<BatchReport> {
    const t0 = now();
    const lastOffsets = this.checkContinuity(messages);
    const report: BatchReport = { valid: 0, invalid: 0, processingFailures: 0, redelivered: 0 };
    const delivered: Delivered[] = [];
    const errorOps: BatchOp[] = [];
    const eventOps: BatchOp[][] = [];
    const producers = new Map<string, number>();
    for (const message of messages) {
      const stage = this.options.stages.get(message.topic);
      const checked = stage
        ? validatePayload(stage, message.value)
        : ({
            ok: false,
            problem: {
              field: '',
              code: 'stage',
              message: `topic ${message.topic} is not an interaction topic`,
            },
          } as const);
      if (!checked.ok) {
        report.invalid += 1;
        this.metrics.invalid.inc({ topic: message.topic, code: checked.problem.code });
        errorOps.push(this.errorRow('invalid', message, checked.problem));
        continue;
      }
      const v = checked.value;
      delivered.push({ message, v });
      eventOps.push(interactionOps(v, this.options.ttlSeconds));
      const seen = producers.get(v.event.instance);
      if (seen === undefined || v.timeMs > seen) producers.set(v.event.instance, v.timeMs);
    }
    for (const [instance, lastMs] of producers) {
      errorOps.push(
        batchOp.insert(systemHealth, {
          component: 'producer',
          instance,
          status: 'publishing',
          last_seen: new Date(lastMs),
        }),
      );
    }
    const t1 = now();
    this.timings.validateMs += t1 - t0;

    const stored = await this.writeRows(delivered, eventOps, errorOps, report);
    const t2 = now();
    this.timings.rowsWriteMs += t2 - t1;
    this.metrics.storeWriteSeconds.observe({ phase: 'rows' }, (t2 - t1) / 1000);

    await this.writeSnapshots(stored, report);
    for (const [source, offset] of lastOffsets) this.lastOffset.set(source, offset);
    report.valid = stored.length;
    this.timings.batches += 1;
    this.timings.messages += messages.length;
    this.metrics.processingSeconds.observe((now() - t0) / 1000);
    return report;
  }

  private errorRow(
    kind: 'invalid' | 'processing',
    message: LogMessage,
    problem: { code: string; field: string; message: string },
  ): BatchOp {
    return errorOp({
      kind,
      message,
      problem: problem as never,
      eventId: eventIdOf(message.value),
      payloadMaxChars: this.options.payloadMaxChars,
      ttlSeconds: this.options.errorTtlSeconds,
    });
  }

  /**
   * Phase 1. When the store refuses a write as invalid (not unavailable), the events are
   * written one by one and those it refuses become processing failures in error_logs, so one
   * bad event never blocks its partition.
   */
  private async writeRows(
    delivered: Delivered[],
    eventOps: BatchOp[][],
    errorOps: BatchOp[],
    report: BatchReport,
  ): Promise<Delivered[]> {
    try {
      await this.writeChunked([...eventOps, ...errorOps.map((op) => [op])]);
      return delivered;
    } catch (error) {
      if (!isCallerError(error)) throw error;
    }
    const stored: Delivered[] = [];
    const failures: BatchOp[] = [...errorOps];
    for (const [i, d] of delivered.entries()) {
      try {
        await this.guard(() => this.store.batch(eventOps[i]!));
        stored.push(d);
      } catch (error) {
        if (!isCallerError(error)) throw error;
        report.processingFailures += 1;
        this.metrics.processingFailures.inc({ topic: d.message.topic });
        failures.push(
          this.errorRow('processing', d.message, {
            code: (error as { code?: string }).code ?? 'processing',
            field: (error as { field?: string }).field ?? '',
            message: (error as Error).message,
          }),
        );
      }
    }
    await this.writeChunked(failures.map((op) => [op]));
    return stored;
  }

  /** Writes groups of operations in store batches of about `storeBatchOps`, never splitting a group. */
  private async writeChunked(groups: readonly BatchOp[][]): Promise<void> {
    const chunks: BatchOp[][] = [];
    let current: BatchOp[] = [];
    for (const group of groups) {
      if (current.length > 0 && current.length + group.length > this.options.storeBatchOps) {
        chunks.push(current);
        current = [];
      }
      current.push(...group);
    }
    if (current.length > 0) chunks.push(current);
    // At most MAX_BATCHES_IN_FLIGHT store batches at once: a full consumer batch on ScyllaDB
    // is hundreds of 50-operation batches, and firing them all together would queue them on
    // the coordinators instead of the driver (the embedded engine gets one chunk anyway).
    // After a failure the other lanes take no new chunk: the whole batch is retried anyway.
    let next = 0;
    let failed = false;
    const lane = async () => {
      while (next < chunks.length && !failed) {
        const ops = chunks[next]!;
        next += 1;
        try {
          await this.guard(() => this.store.batch(ops));
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(MAX_BATCHES_IN_FLIGHT, chunks.length) }, lane));
  }

  /** Phase 2: fold the stored events into the session and latency snapshots. */
  private async writeSnapshots(stored: Delivered[], report: BatchReport): Promise<void> {
    const t0 = now();
    const sessions = new Map<string, Delivered[]>();
    const buckets = new Map<string, Delivered[]>();
    for (const d of stored) {
      const source = sourceOf(d.message);
      push(sessions, `${d.v.event.session_id}\u0000${d.v.stage}\u0000${source}`, d);
      push(buckets, `${d.v.stage}\u0000minute\u0000${floorTo(d.v.timeMs, MINUTE_MS)}\u0000${source}`, d);
      push(buckets, `${d.v.stage}\u0000hour\u0000${floorTo(d.v.timeMs, HOUR_MS)}\u0000${source}`, d);
    }

    const sessionKeys = [...sessions.keys()].map((k) => {
      const [session_id, stage, source] = k.split('\u0000') as [string, string, string];
      return { session_id, stage, source };
    });
    const bucketKeys = [...buckets.keys()].map((k) => {
      const [stage, resolution, start, source] = k.split('\u0000') as [string, string, string, string];
      const startMs = Number(start);
      return { stage, resolution, day: dayOf(startMs), bucket_start: new Date(startMs), source };
    });
    const sessionCacheKeys = [...sessions.keys()];
    const bucketCacheKeys = [...buckets.keys()];
    const [summaryRows, metricRows] = await Promise.all([
      this.latestAll(sessionSummaries, sessionKeys, sessionCacheKeys),
      this.latestAll(performanceMetrics, bucketKeys, bucketCacheKeys),
    ]);
    const t1 = now();
    this.timings.snapshotReadMs += t1 - t0;
    this.metrics.storeWriteSeconds.observe({ phase: 'snapshot_read' }, (t1 - t0) / 1000);

    const groups: BatchOp[][] = [];
    const updates: [string, string, CachedSnapshot][] = [];
    const ttlSeconds = this.options.ttlSeconds;
    [...sessions.values()].forEach((events, i) => {
      const key = sessionKeys[i]!;
      const previous = summaryRows[i] as Row<typeof sessionSummaries> | null;
      const state: SummaryState = previous ? summaryFromRow(previous) : emptySummary();
      const base = state.throughOffset;
      for (const d of sortByOffset(events)) {
        if (d.message.offset <= base) {
          report.redelivered += 1;
          continue;
        }
        foldSummary(state, d.v, d.message.offset);
      }
      if (state.throughOffset === base) return;
      const row = summaryToRow(key, state);
      updates.push([key.source, sessionCacheKeys[i]!, row]);
      const ops = [batchOp.insert(sessionSummaries, row, { ttlSeconds })];
      if (previous) {
        // Key columns listed, not spread (see summaryToRow).
        const { session_id, stage, source } = key;
        ops.push(batchOp.delete(sessionSummaries, { session_id, stage, source, through_offset: base }));
      }
      groups.push(ops);
    });
    [...buckets.values()].forEach((events, i) => {
      const key = bucketKeys[i]!;
      const previous = metricRows[i] as Row<typeof performanceMetrics> | null;
      const h = previous
        ? (this.histograms.get(previous) ?? histogramFromRow(previous))
        : new LatencyHistogram();
      const base = previous ? previous.through_offset : -1n;
      let through = base;
      for (const d of sortByOffset(events)) {
        if (d.message.offset <= base) continue;
        h.record(d.v.event.latency_ms);
        through = d.message.offset;
      }
      if (through === base) return;
      const row = metricToRow(key, through, h);
      this.histograms.set(row, h);
      updates.push([key.source, bucketCacheKeys[i]!, row]);
      const ops = [batchOp.insert(performanceMetrics, row, { ttlSeconds })];
      if (previous) {
        const { stage, resolution, day, bucket_start, source } = key;
        ops.push(
          batchOp.delete(performanceMetrics, {
            stage,
            resolution,
            day,
            bucket_start,
            source,
            through_offset: base,
          }),
        );
      }
      groups.push(ops);
    });
    if (report.redelivered > 0) this.metrics.redeliveries.inc(report.redelivered);
    const t2 = now();
    this.timings.foldMs += t2 - t1;

    await this.writeChunked(groups);
    for (const [source, key, row] of updates) this.remember(source, key, row);
    const t3 = now();
    this.timings.snapshotWriteMs += t3 - t2;
    this.metrics.storeWriteSeconds.observe({ phase: 'snapshot_write' }, (t3 - t2) / 1000);
  }

  /**
   * `latest` for many keys. Cache hits (nearly all of them in a steady stream) are taken
   * synchronously: a promise per key was thousands of allocations and microtasks per batch.
   */
  private async latestAll<T extends typeof sessionSummaries | typeof performanceMetrics>(
    table: T,
    keys: readonly (Record<string, unknown> & { source: string })[],
    cacheKeys: readonly string[],
  ): Promise<(Row<T> | null)[]> {
    const rows = new Array<Row<T> | null>(keys.length);
    const misses: Promise<void>[] = [];
    for (let i = 0; i < keys.length; i += 1) {
      const key = keys[i]!;
      const cached = this.cache.get(key.source)?.get(cacheKeys[i]!);
      if (cached) rows[i] = cached as unknown as Row<T>;
      else
        misses.push(
          this.latest(table, key, cacheKeys[i]!).then((row) => {
            rows[i] = row;
          }),
        );
    }
    if (misses.length > 0) await Promise.all(misses);
    return rows;
  }

  /** The highest-offset snapshot for a key (clustering puts it first), from the cache when trusted. */
  private async latest<T extends typeof sessionSummaries | typeof performanceMetrics>(
    table: T,
    key: Record<string, unknown> & { source: string },
    cacheKey: string,
  ): Promise<Row<T> | null> {
    const cached = this.cache.get(key.source)?.get(cacheKey);
    if (cached) return cached as unknown as Row<T>;
    const page = await this.guard(() => this.store.slice(table, { key: key as never, limit: 1 }));
    return page.rows[0] ?? null;
  }

  private remember(source: string, key: string, row: CachedSnapshot): void {
    let entries = this.cache.get(source);
    if (!entries) this.cache.set(source, (entries = new Map()));
    if (!entries.has(key)) this.cachedEntries += 1;
    else entries.delete(key); // re-insert: Map order doubles as least-recently-written order
    entries.set(key, row);
    if (this.cachedEntries > this.options.cacheEntries) {
      // Evict the oldest entry of the largest source; an evicted key is simply read again.
      const largest = [...this.cache.values()].reduce((a, b) => (b.size > a.size ? b : a));
      const oldest = largest.keys().next().value;
      if (oldest !== undefined) {
        largest.delete(oldest);
        this.cachedEntries -= 1;
      }
    }
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function sortByOffset(events: Delivered[]): Delivered[] {
  return events.length < 2
    ? events
    : [...events].sort((a, b) => (a.message.offset < b.message.offset ? -1 : 1));
}
