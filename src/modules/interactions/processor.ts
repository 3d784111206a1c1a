import { isSwitchboardError } from '../../errors/index.js';
import type { LogMessage } from '../../ports/event-log/log.js';
import type { Row } from '../../ports/wide-column/declare.js';
import { batchOp, type BatchOp, type WideColumnEngine } from '../../ports/wide-column/engine.js';
import {
  decodeRecentIds,
  emptySummary,
  foldSummary,
  rememberId,
  type RecentIds,
  histogramFromRow,
  metricToRow,
  summaryFromRow,
  summaryToRow,
  type SummaryState,
} from './aggregates.js';
import type { Stage, ValidEvent } from './events.js';
import { LatencyHistogram } from './histogram.js';
import type { InteractionMetrics } from './metrics.js';
import { batchOpBytes } from './batch-size.js';
import { HOUR_MS, MINUTE_MS, dayOf, errorOp, eventIdOf, floorTo, interactionOps, sourceOf } from './rows.js';
import { performanceMetrics, sessionSummaries, systemHealth } from './tables.js';
import { validatePayload } from './validate.js';

export interface ProcessorOptions {
  stages: ReadonlyMap<string, Stage>;
  ttlSeconds: number;
  errorTtlSeconds: number;
  payloadMaxChars: number;
  storeBatchOps: number;
  /** Most bytes per store batch, as `batchOpBytes` estimates them (Infinity: no limit). */
  storeBatchBytes?: number;
  /** Most snapshots kept in memory (sessions × stages plus minute and hour buckets). */
  cacheEntries: number;
  /** Event ids remembered per summary to drop republished events (0: off; see aggregates.ts RecentIds). */
  dedupWindow?: number;
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
  /** Valid events whose event_id was already folded at another offset (republished): dropped. */
  republished: number;
}

/** Store calls go through this (the consumer passes its circuit breaker). */
export type StoreGuard = <T>(fn: () => Promise<T>) => Promise<T>;

/** A snapshot row as written (the same shape a read returns). */
type CachedSnapshot = Record<string, unknown>;

/**
 * The snapshots cached for one source partition: summaries by session id, metric buckets by
 * `minute:<start ms>` / `hour:<start ms>`. Two maps, so no session id can collide with a
 * bucket key; each map's insertion order is its least-recently-written order.
 */
interface SourceCache {
  sessions: Map<string, CachedSnapshot>;
  buckets: Map<string, CachedSnapshot>;
}

interface Delivered {
  message: LogMessage;
  v: ValidEvent;
}

/**
 * A batch's stored events from one source partition, grouped by the snapshots they fold
 * into. A source's topic fixes its stage, so the stage is not part of any inner key, and
 * buckets are keyed by their start (a number): grouping costs a map lookup per key and
 * event, with no key string built per event.
 */
interface SourceGroup {
  source: string;
  stage: Stage;
  sessions: Map<string, Delivered[]>;
  minutes: Map<number, Delivered[]>;
  hours: Map<number, Delivered[]>;
}

/** Summary snapshots read for a batch: by source partition, then session id (null: none yet). */
type SummaryReads = Map<string, Map<string, Row<typeof sessionSummaries> | null>>;

interface SummaryKey {
  session_id: string;
  stage: string;
  source: string;
}

interface BucketKey {
  stage: string;
  resolution: string;
  day: string;
  bucket_start: Date;
  source: string;
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
  private readonly cache = new Map<string, SourceCache>();
  private readonly lastOffset = new Map<string, bigint>();
  private cachedEntries = 0;
  /** `topic/partition` strings, built once per source instead of once per message. */
  private readonly sourceNames = new Map<string, string[]>();
  /**
   * The histogram behind each metric snapshot row this processor wrote, so the next batch
   * folds into it instead of decoding the row's blob again. Keyed by the row object: a row
   * read back from the store is a new object and is decoded. The histogram is updated in
   * place for the next snapshot; if that batch fails, `process` drops the whole cache, so the
   * updated histogram is never reachable through a row it does not describe.
   */
  private readonly histograms = new WeakMap<object, LatencyHistogram>();
  /** The decoded `recent_event_ids` behind each summary row, kept like `histograms`. */
  private readonly recentIds = new WeakMap<object, RecentIds>();

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
      const source = this.sourceName(m);
      if (!first.has(source)) first.set(source, m.offset);
      last.set(source, m.offset);
    }
    for (const [source, offset] of first) {
      const previous = this.lastOffset.get(source);
      if (previous === undefined || offset !== previous + 1n) this.forget(source);
    }
    return last;
  }

  private sourceName(m: LogMessage): string {
    let names = this.sourceNames.get(m.topic);
    if (names === undefined) this.sourceNames.set(m.topic, (names = []));
    return (names[m.partition] ??= sourceOf(m));
  }

  private forget(source: string): void {
    const entries = this.cache.get(source);
    if (entries === undefined) return;
    this.cachedEntries -= entries.sessions.size + entries.buckets.size;
    this.cache.delete(source);
  }

  private async processOnce(messages: readonly LogMessage[]): Promise<BatchReport> {
    const t0 = now();
    const lastOffsets = this.checkContinuity(messages);
    const report: BatchReport = {
      valid: 0,
      invalid: 0,
      processingFailures: 0,
      redelivered: 0,
      republished: 0,
    };
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
      // Last seen is when the log received the event (its record time, set at publish), never
      // the event's own timestamp, which a producer's clock (or a forged value) decides.
      const seen = producers.get(v.event.instance);
      if (seen === undefined || message.timestamp > seen) producers.set(v.event.instance, message.timestamp);
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

    // The summaries are read before the rows are written (reading changes nothing), so a
    // republished event is dropped from the rows as well as from every aggregate.
    const summaries = await this.readSummaries(delivered);
    const kept = this.dropRepublished(delivered, eventOps, summaries, report);
    const t1b = now();
    this.timings.snapshotReadMs += t1b - t1;

    const stored = await this.writeRows(kept.delivered, kept.eventOps, errorOps, report);
    const t2 = now();
    this.timings.rowsWriteMs += t2 - t1b;
    this.metrics.storeWriteSeconds.observe({ phase: 'rows' }, (t2 - t1b) / 1000);

    await this.writeSnapshots(stored, report, summaries);
    for (const [source, offset] of lastOffsets) this.lastOffset.set(source, offset);
    report.valid = stored.length;
    this.timings.batches += 1;
    this.timings.messages += messages.length;
    this.metrics.processingSeconds.observe((now() - t0) / 1000);
    return report;
  }

  /**
   * The latest summary snapshot of every (source, session) in the batch: from the cache in a
   * steady stream, else one read per key (the same reads phase 2 always made, made earlier).
   */
  private async readSummaries(delivered: readonly Delivered[]): Promise<SummaryReads> {
    const reads: SummaryReads = new Map();
    const keys: SummaryKey[] = [];
    for (const d of delivered) {
      const source = this.sourceName(d.message);
      let bySession = reads.get(source);
      if (bySession === undefined) reads.set(source, (bySession = new Map()));
      const session_id = d.v.event.session_id;
      if (!bySession.has(session_id)) {
        bySession.set(session_id, null);
        keys.push({ session_id, stage: d.v.stage, source });
      }
    }
    const rows = await this.latestAll(sessionSummaries, keys, (k) =>
      this.cache.get(k.source)?.sessions.get(k.session_id),
    );
    keys.forEach((k, i) => reads.get(k.source)!.set(k.session_id, rows[i] ?? null));
    return reads;
  }

  /** The recent ids of a summary row (decoded once per row object; a new map when none). */
  private recentOf(row: Row<typeof sessionSummaries> | null): RecentIds {
    if (row === null) return new Map();
    let recent = this.recentIds.get(row);
    if (recent === undefined) this.recentIds.set(row, (recent = decodeRecentIds(row.recent_event_ids)));
    return recent;
  }

  /**
   * Drops republished events: an event_id the summary already folded at another offset, or
   * seen earlier in this batch at another offset. Decided from the snapshot and the batch
   * alone, so every retry and every consumer drops the same events.
   */
  private dropRepublished(
    delivered: Delivered[],
    eventOps: BatchOp[][],
    summaries: SummaryReads,
    report: BatchReport,
  ): { delivered: Delivered[]; eventOps: BatchOp[][] } {
    if ((this.options.dedupWindow ?? 0) === 0 || delivered.length === 0) return { delivered, eventOps };
    const firstInBatch = new Map<string, Map<string, bigint>>();
    const keptDelivered: Delivered[] = [];
    const keptOps: BatchOp[][] = [];
    delivered.forEach((d, i) => {
      const source = this.sourceName(d.message);
      const session = d.v.event.session_id;
      const recent = this.recentOf(summaries.get(source)?.get(session) ?? null);
      const batchKey = `${source}\u0000${session}`;
      let batch = firstInBatch.get(batchKey);
      if (batch === undefined) firstInBatch.set(batchKey, (batch = new Map()));
      const id = d.v.event.event_id;
      const first = recent.get(id) ?? batch.get(id);
      if (first !== undefined && first !== d.message.offset) {
        report.republished += 1;
        return;
      }
      if (first === undefined) batch.set(id, d.message.offset);
      keptDelivered.push(d);
      keptOps.push(eventOps[i]!);
    });
    if (report.republished > 0) this.metrics.redeliveries.inc(report.republished);
    return { delivered: keptDelivered, eventOps: keptOps };
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

  /**
   * Writes groups of operations in store batches of at most `storeBatchOps` operations and
   * `storeBatchBytes` bytes (a group larger than either goes alone), never splitting a group.
   */
  private async writeChunked(groups: readonly BatchOp[][]): Promise<void> {
    const maxBytes = this.options.storeBatchBytes ?? Number.POSITIVE_INFINITY;
    const chunks: BatchOp[][] = [];
    let current: BatchOp[] = [];
    let currentBytes = 0;
    for (const group of groups) {
      const bytes = Number.isFinite(maxBytes) ? group.reduce((n, op) => n + batchOpBytes(op), 0) : 0;
      if (
        current.length > 0 &&
        (current.length + group.length > this.options.storeBatchOps || currentBytes + bytes > maxBytes)
      ) {
        chunks.push(current);
        current = [];
        currentBytes = 0;
      }
      current.push(...group);
      currentBytes += bytes;
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

  /** Groups a batch's stored events by source partition, then by session and by bucket. */
  private groupBySource(stored: readonly Delivered[]): Map<string, SourceGroup> {
    const groups = new Map<string, SourceGroup>();
    for (const d of stored) {
      const source = this.sourceName(d.message);
      let g = groups.get(source);
      if (g === undefined) {
        g = { source, stage: d.v.stage, sessions: new Map(), minutes: new Map(), hours: new Map() };
        groups.set(source, g);
      }
      push(g.sessions, d.v.event.session_id, d);
      push(g.minutes, floorTo(d.v.timeMs, MINUTE_MS), d);
      push(g.hours, floorTo(d.v.timeMs, HOUR_MS), d);
    }
    return groups;
  }

  /** Phase 2: fold the stored events into the session and latency snapshots. */
  private async writeSnapshots(
    stored: Delivered[],
    report: BatchReport,
    summaries: SummaryReads,
  ): Promise<void> {
    const t0 = now();
    const summaryKeys: SummaryKey[] = [];
    const summaryEvents: Delivered[][] = [];
    const bucketKeys: BucketKey[] = [];
    const bucketCacheKeys: string[] = [];
    const bucketEvents: Delivered[][] = [];
    for (const g of this.groupBySource(stored).values()) {
      for (const [session_id, events] of g.sessions) {
        summaryKeys.push({ session_id, stage: g.stage, source: g.source });
        summaryEvents.push(events);
      }
      for (const [resolution, buckets] of [
        ['minute', g.minutes],
        ['hour', g.hours],
      ] as const) {
        for (const [startMs, events] of buckets) {
          bucketKeys.push({
            stage: g.stage,
            resolution,
            day: dayOf(startMs),
            bucket_start: new Date(startMs),
            source: g.source,
          });
          bucketCacheKeys.push(`${resolution}:${startMs}`);
          bucketEvents.push(events);
        }
      }
    }
    const summaryRows = summaryKeys.map((k) => summaries.get(k.source)?.get(k.session_id) ?? null);
    const metricRows = await this.latestAll(performanceMetrics, bucketKeys, (k, i) =>
      this.cache.get(k.source)?.buckets.get(bucketCacheKeys[i]!),
    );
    const t1 = now();
    this.timings.snapshotReadMs += t1 - t0;
    this.metrics.storeWriteSeconds.observe({ phase: 'snapshot_read' }, (t1 - t0) / 1000);

    const groups: BatchOp[][] = [];
    const updates: (() => void)[] = [];
    const ttlSeconds = this.options.ttlSeconds;
    summaryKeys.forEach((key, i) => {
      const previous = summaryRows[i] as Row<typeof sessionSummaries> | null;
      const state: SummaryState = previous ? summaryFromRow(previous) : emptySummary();
      const window = this.options.dedupWindow ?? 0;
      const recent = window > 0 ? this.recentOf(previous) : null;
      const base = state.throughOffset;
      for (const d of inOffsetOrder(summaryEvents[i]!)) {
        if (d.message.offset <= base) {
          report.redelivered += 1;
          continue;
        }
        foldSummary(state, d.v, d.message.offset);
        if (recent) rememberId(recent, d.v.event.event_id, d.message.offset, window);
      }
      if (state.throughOffset === base) return;
      const row = summaryToRow(key, state, recent);
      if (recent) this.recentIds.set(row, recent);
      updates.push(() => this.remember(key.source, 'sessions', key.session_id, row));
      const ops = [batchOp.insert(sessionSummaries, row, { ttlSeconds })];
      if (previous) {
        // Key columns listed, not spread (see summaryToRow).
        const { session_id, stage, source } = key;
        ops.push(batchOp.delete(sessionSummaries, { session_id, stage, source, through_offset: base }));
      }
      groups.push(ops);
    });
    bucketKeys.forEach((key, i) => {
      const previous = metricRows[i] as Row<typeof performanceMetrics> | null;
      const h = previous
        ? (this.histograms.get(previous) ?? histogramFromRow(previous))
        : new LatencyHistogram();
      const base = previous ? previous.through_offset : -1n;
      let through = base;
      for (const d of inOffsetOrder(bucketEvents[i]!)) {
        if (d.message.offset <= base) continue;
        h.record(d.v.event.latency_ms);
        through = d.message.offset;
      }
      if (through === base) return;
      const row = metricToRow(key, through, h);
      this.histograms.set(row, h);
      updates.push(() => this.remember(key.source, 'buckets', bucketCacheKeys[i]!, row));
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
    for (const update of updates) update();
    const t3 = now();
    this.timings.snapshotWriteMs += t3 - t2;
    this.metrics.storeWriteSeconds.observe({ phase: 'snapshot_write' }, (t3 - t2) / 1000);
  }

  /**
   * The latest snapshot for each key: from the cache when `cached` has it (nearly always in a
   * steady stream, taken synchronously: a promise per key was thousands of allocations and
   * microtasks per batch), else the store's highest-offset row (clustering puts it first).
   */
  private async latestAll<
    T extends typeof sessionSummaries | typeof performanceMetrics,
    K extends { source: string },
  >(
    table: T,
    keys: readonly K[],
    cached: (key: K, index: number) => CachedSnapshot | undefined,
  ): Promise<(Row<T> | null)[]> {
    const rows = new Array<Row<T> | null>(keys.length);
    const misses: Promise<void>[] = [];
    for (let i = 0; i < keys.length; i += 1) {
      const key = keys[i]!;
      const hit = cached(key, i);
      if (hit) rows[i] = hit as unknown as Row<T>;
      else
        misses.push(
          this.guard(() => this.store.slice(table, { key: key as never, limit: 1 })).then((page) => {
            rows[i] = page.rows[0] ?? null;
          }),
        );
    }
    if (misses.length > 0) await Promise.all(misses);
    return rows;
  }

  private remember(source: string, kind: keyof SourceCache, key: string, row: CachedSnapshot): void {
    let entries = this.cache.get(source);
    if (!entries) this.cache.set(source, (entries = { sessions: new Map(), buckets: new Map() }));
    const map = entries[kind];
    if (!map.has(key)) this.cachedEntries += 1;
    else map.delete(key); // re-insert: Map order doubles as least-recently-written order
    map.set(key, row);
    if (this.cachedEntries > this.options.cacheEntries) {
      // Evict the oldest session of the largest source (its oldest bucket when it has no
      // sessions left); an evicted key is simply read again.
      let largest: SourceCache | undefined;
      let largestSize = -1;
      for (const c of this.cache.values()) {
        const size = c.sessions.size + c.buckets.size;
        if (size > largestSize) [largest, largestSize] = [c, size];
      }
      const from = largest!.sessions.size > 0 ? largest!.sessions : largest!.buckets;
      const oldest = from.keys().next().value;
      if (oldest !== undefined) {
        from.delete(oldest);
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

/**
 * A group's events by offset. A group holds one source partition's events in the order the
 * log delivered them, which is offset order, so this only checks; a copy is sorted only if
 * a log ever delivered out of order.
 */
function inOffsetOrder(events: Delivered[]): Delivered[] {
  for (let i = 1; i < events.length; i += 1) {
    if (events[i]!.message.offset <= events[i - 1]!.message.offset) {
      return [...events].sort((a, b) => (a.message.offset < b.message.offset ? -1 : 1));
    }
  }
  return events;
}
