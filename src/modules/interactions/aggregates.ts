import type { Row } from '../../ports/wide-column/declare.js';
import type { ValidEvent } from './events.js';
import { LatencyHistogram } from './histogram.js';
import type { performanceMetrics, sessionSummaries } from './tables.js';

/**
 * Aggregates as pure folds over events, and their snapshot rows.
 *
 * Why snapshots keyed by offset are exact under at-least-once delivery and concurrent
 * consumers: a snapshot for a source partition at `through_offset` W is the fold of every
 * event of that source (for its session/stage or stage/bucket) with offset <= W. A consumer
 * reads the highest snapshot W0, folds in the events of its batch with offset > W0 and
 * writes the result at W1 = the highest offset it folded. Offsets <= its committed position
 * were folded by whoever committed them (a snapshot covering them was written before the
 * commit), and its batch holds every offset after that position, so nothing is missed and
 * nothing is folded twice. A redelivered event has offset <= W0 and is skipped; two writers
 * that reach the same W write identical rows; a slower writer's lower W is ignored by
 * readers, who take the highest W per source. Sums are kept in integer microseconds so every
 * path to the same W gives bit-identical values.
 */
export interface SummaryState {
  throughOffset: bigint;
  eventCount: number;
  firstMs: number;
  lastMs: number;
  latencySumUs: number;
  latencyMaxMs: number;
  promptTokens: number;
  completionTokens: number;
  audioUs: number;
  textChars: number;
}

export function emptySummary(): SummaryState {
  return {
    throughOffset: -1n,
    eventCount: 0,
    firstMs: Number.POSITIVE_INFINITY,
    lastMs: Number.NEGATIVE_INFINITY,
    latencySumUs: 0,
    latencyMaxMs: 0,
    promptTokens: 0,
    completionTokens: 0,
    audioUs: 0,
    textChars: 0,
  };
}

export function foldSummary(state: SummaryState, v: ValidEvent, offset: bigint): void {
  const e = v.event;
  state.throughOffset = offset;
  state.eventCount += 1;
  if (v.timeMs < state.firstMs) state.firstMs = v.timeMs;
  if (v.timeMs > state.lastMs) state.lastMs = v.timeMs;
  state.latencySumUs += Math.round(e.latency_ms * 1000);
  if (e.latency_ms > state.latencyMaxMs) state.latencyMaxMs = e.latency_ms;
  if ('prompt_tokens' in e) {
    state.promptTokens += e.prompt_tokens;
    state.completionTokens += e.completion_tokens;
  }
  if ('audio_duration_ms' in e) state.audioUs += Math.round(e.audio_duration_ms * 1000);
  if ('text_length' in e) state.textChars += e.text_length;
}

type SummaryRow = Row<typeof sessionSummaries>;

/**
 * Event ids recently folded into one summary (session, stage, source), each with the offset
 * it was folded at, oldest first, bounded. Republish detection: an event whose id is here
 * with ANOTHER offset is a republish (a producer retry, a second publish of one event) and
 * is dropped whole, from the rows and every aggregate; the same id at the SAME offset is a
 * redelivery of the event itself, which the offset rule already handles. The map after a
 * batch is a pure function of the snapshot and the batch, so a retried batch, a redelivery
 * or a second consumer decide exactly alike. A session's events of one stage share a
 * partition (keyed by session id), so its summary sees every republish of its events; one
 * older than the last `window` events of the session and stage is counted again.
 */
export type RecentIds = Map<string, bigint>;

const ENTRY_BYTES = 24;

export function decodeRecentIds(blob: Uint8Array | null | undefined): RecentIds {
  const out: RecentIds = new Map();
  if (!blob || blob.length % ENTRY_BYTES !== 0) return out;
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.length);
  for (let at = 0; at < buf.length; at += ENTRY_BYTES) {
    const hex = buf.toString('hex', at, at + 16);
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    out.set(id, buf.readBigInt64BE(at + 16));
  }
  return out;
}

export function encodeRecentIds(recent: RecentIds): Uint8Array {
  const buf = Buffer.alloc(recent.size * ENTRY_BYTES);
  let at = 0;
  for (const [id, offset] of recent) {
    buf.write(id.replace(/-/g, ''), at, 16, 'hex');
    buf.writeBigInt64BE(offset, at + 16);
    at += ENTRY_BYTES;
  }
  return buf;
}

/** Records `id` as folded at `offset`, dropping the oldest beyond `window`. */
export function rememberId(recent: RecentIds, id: string, offset: bigint, window: number): void {
  recent.set(id, offset);
  while (recent.size > window) {
    const oldest = recent.keys().next().value;
    if (oldest === undefined) break;
    recent.delete(oldest);
  }
}

export function summaryFromRow(row: SummaryRow): SummaryState {
  return {
    throughOffset: row.through_offset,
    eventCount: Number(row.event_count ?? 0n),
    firstMs: row.first_event_time?.getTime() ?? Number.POSITIVE_INFINITY,
    lastMs: row.last_event_time?.getTime() ?? Number.NEGATIVE_INFINITY,
    latencySumUs: Number(row.latency_sum_us ?? 0n),
    latencyMaxMs: row.latency_max_ms ?? 0,
    promptTokens: Number(row.prompt_tokens ?? 0n),
    completionTokens: Number(row.completion_tokens ?? 0n),
    audioUs: Number(row.audio_us ?? 0n),
    textChars: Number(row.text_chars ?? 0n),
  };
}

/**
 * Snapshot rows list their key columns one by one instead of spreading `key`: on V8 an object
 * built as `{ ...key, a, b, ... }` pays about a microsecond per property after the spread (the
 * clone's map is not extended in place), which made this function ~10 µs per call, a tenth of
 * the consumer's CPU per event in the pipeline bench.
 */
export function summaryToRow(
  key: { session_id: string; stage: string; source: string },
  s: SummaryState,
  recent: RecentIds | null = null,
) {
  return {
    session_id: key.session_id,
    stage: key.stage,
    source: key.source,
    through_offset: s.throughOffset,
    event_count: BigInt(s.eventCount),
    first_event_time: new Date(s.firstMs),
    last_event_time: new Date(s.lastMs),
    latency_sum_us: BigInt(s.latencySumUs),
    latency_max_ms: s.latencyMaxMs,
    prompt_tokens: BigInt(s.promptTokens),
    completion_tokens: BigInt(s.completionTokens),
    audio_us: BigInt(s.audioUs),
    text_chars: BigInt(s.textChars),
    recent_event_ids: recent && recent.size > 0 ? encodeRecentIds(recent) : null,
  };
}

type MetricRow = Row<typeof performanceMetrics>;

export function histogramFromRow(row: MetricRow): LatencyHistogram {
  return LatencyHistogram.decode(row.histogram ?? new Uint8Array(), {
    count: Number(row.count ?? 0n),
    minMs: row.min_ms ?? Number.NaN,
    maxMs: row.max_ms ?? Number.NaN,
    sumUs: Number(row.sum_us ?? 0n),
  });
}

export function metricToRow(
  key: { stage: string; resolution: string; day: string; bucket_start: Date; source: string },
  throughOffset: bigint,
  h: LatencyHistogram,
) {
  return {
    stage: key.stage,
    resolution: key.resolution,
    day: key.day,
    bucket_start: key.bucket_start,
    source: key.source,
    through_offset: throughOffset,
    count: BigInt(h.count),
    min_ms: h.minMs,
    max_ms: h.maxMs,
    sum_us: BigInt(h.sumUs),
    p50_ms: h.percentile(50),
    p95_ms: h.percentile(95),
    p99_ms: h.percentile(99),
    histogram: h.encode(),
  };
}
