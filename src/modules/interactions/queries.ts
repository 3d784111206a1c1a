import { SwitchboardError } from '../../errors/index.js';
import type { PartitionLag } from '../../ports/event-log/log.js';
import type { Row } from '../../ports/wide-column/declare.js';
import type { WideColumnEngine } from '../../ports/wide-column/engine.js';
import { allRows } from '../../ports/wide-column/rows.js';
import type { Clock } from '../../shared/clock.js';
import { histogramFromRow, summaryFromRow, type SummaryState } from './aggregates.js';
import { STAGES, type Stage } from './events.js';
import { LatencyHistogram } from './histogram.js';
import { HOUR_MS, MINUTE_MS, dayOf, floorTo } from './rows.js';
import {
  errorLogs,
  performanceMetrics,
  sessionSummaries,
  systemHealth,
  voiceInteractions,
} from './tables.js';

const DAY_MS = 86_400_000;
/** Longest range per resolution, so one request reads a bounded number of partitions. */
const MAX_RANGE_MS = { minute: 7 * DAY_MS, hour: 93 * DAY_MS } as const;

export type Resolution = 'minute' | 'hour';

export interface LatencyStats {
  count: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
  min_ms: number | null;
  mean_ms: number | null;
}

export interface StageSummary {
  count: number;
  latency_total_ms: number;
  latency_mean_ms: number;
  latency_max_ms: number;
  prompt_tokens: number;
  completion_tokens: number;
  audio_seconds: number;
  text_chars: number;
}

export interface SessionSummary {
  session_id: string;
  event_count: number;
  first_event_at: string;
  last_event_at: string;
  stages: Partial<Record<Stage, StageSummary>>;
  prompt_tokens: number;
  completion_tokens: number;
  audio_seconds: number;
}

export interface HealthView {
  instance: string;
  status: string | null;
  last_seen: string | null;
  lag: number | null;
  detail: string | null;
}

const num = (v: number): number | null => (Number.isNaN(v) ? null : v);

export function statsOf(h: LatencyHistogram): LatencyStats {
  return {
    count: h.count,
    p50_ms: num(h.percentile(50)),
    p95_ms: num(h.percentile(95)),
    p99_ms: num(h.percentile(99)),
    max_ms: num(h.maxMs),
    min_ms: num(h.minMs),
    mean_ms: num(h.meanMs()),
  };
}

type InteractionRow = Row<typeof voiceInteractions>;

/** A stored interaction as the API returns it: unset stage-specific columns are left out. */
export function interactionView(row: InteractionRow): Record<string, unknown> {
  const out: Record<string, unknown> = {
    event_id: row.event_id,
    session_id: row.session_id,
    stage: row.stage,
    turn_id: row.turn_id,
    timestamp: row.event_time.toISOString(),
    latency_ms: row.latency_ms,
    model: row.model,
    model_params: row.model_params ?? {},
    instance: row.instance,
  };
  for (const column of [
    'transcript',
    'confidence',
    'language',
    'is_final',
    'audio_duration_ms',
    'response_text',
    'prompt_tokens',
    'completion_tokens',
    'time_to_first_token_ms',
    'temperature',
    'finish_reason',
    'text_length',
    'voice',
    'time_to_first_byte_ms',
  ] as const) {
    const value = row[column];
    if (value !== null && value !== undefined) out[column] = value;
  }
  return out;
}

/** Reads of the interactions tables; every one names a whole partition (or one per day of a range). */
export class InteractionQueries {
  constructor(
    private readonly store: WideColumnEngine,
    private readonly clock: Clock,
    private readonly lagOf: () => Promise<PartitionLag[] | null>,
  ) {}

  /** A session's events in time order (or newest first), a page at a time. */
  async sessionInteractions(
    sessionId: string,
    options: { limit?: number; pageToken?: string | null; order?: 'ASC' | 'DESC' } = {},
  ): Promise<{ interactions: Record<string, unknown>[]; nextPageToken: string | null }> {
    const page = await this.store.slice(voiceInteractions, {
      key: { session_id: sessionId },
      limit: options.limit ?? 100,
      pageToken: options.pageToken ?? null,
      order: options.order ?? 'ASC',
    });
    return { interactions: page.rows.map(interactionView), nextPageToken: page.nextPageToken };
  }

  /** The session's aggregates, combined from the latest snapshot of each (stage, source); null if none. */
  async sessionSummary(sessionId: string): Promise<SessionSummary | null> {
    const latest = new Map<string, SummaryState & { stage: string }>();
    const rows = allRows(this.store, sessionSummaries, { key: { session_id: sessionId } }, 1000);
    for await (const row of rows) {
      const key = `${row.stage}\u0000${row.source}`;
      // Clustering order puts each (stage, source)'s highest offset first.
      if (!latest.has(key)) latest.set(key, { ...summaryFromRow(row), stage: row.stage });
    }
    if (latest.size === 0) return null;

    const stages: Partial<Record<Stage, StageSummary>> = {};
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    const sums = new Map<
      string,
      { count: number; sumUs: number; max: number; pt: number; ct: number; audioUs: number; chars: number }
    >();
    for (const s of latest.values()) {
      const acc = sums.get(s.stage) ?? { count: 0, sumUs: 0, max: 0, pt: 0, ct: 0, audioUs: 0, chars: 0 };
      acc.count += s.eventCount;
      acc.sumUs += s.latencySumUs;
      acc.max = Math.max(acc.max, s.latencyMaxMs);
      acc.pt += s.promptTokens;
      acc.ct += s.completionTokens;
      acc.audioUs += s.audioUs;
      acc.chars += s.textChars;
      sums.set(s.stage, acc);
      first = Math.min(first, s.firstMs);
      last = Math.max(last, s.lastMs);
    }
    let eventCount = 0;
    let promptTokens = 0;
    let completionTokens = 0;
    let audioUs = 0;
    for (const stage of STAGES) {
      const acc = sums.get(stage);
      if (!acc) continue;
      stages[stage] = {
        count: acc.count,
        latency_total_ms: acc.sumUs / 1000,
        latency_mean_ms: acc.count > 0 ? acc.sumUs / acc.count / 1000 : 0,
        latency_max_ms: acc.max,
        prompt_tokens: acc.pt,
        completion_tokens: acc.ct,
        audio_seconds: acc.audioUs / 1e6,
        text_chars: acc.chars,
      };
      eventCount += acc.count;
      promptTokens += acc.pt;
      completionTokens += acc.ct;
      audioUs += acc.audioUs;
    }
    return {
      session_id: sessionId,
      event_count: eventCount,
      first_event_at: new Date(first).toISOString(),
      last_event_at: new Date(last).toISOString(),
      stages,
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      audio_seconds: audioUs / 1e6,
    };
  }

  /**
   * Latency of a stage over [from, to), per minute or hour bucket and overall, by merging
   * the latest histogram snapshot of every source in each bucket (exact counts; percentile
   * error bound in histogram.ts).
   */
  async stageLatency(options: { stage: Stage; from: Date; to: Date; resolution?: Resolution }): Promise<{
    stage: Stage;
    resolution: Resolution;
    from: string;
    to: string;
    overall: LatencyStats;
    buckets: (LatencyStats & { start: string })[];
  }> {
    const resolution = options.resolution ?? 'minute';
    const unit = resolution === 'minute' ? MINUTE_MS : HOUR_MS;
    const fromMs = floorTo(options.from.getTime(), unit);
    const toMs = options.to.getTime();
    if (!(toMs > fromMs)) {
      throw new SwitchboardError('VALIDATION_FAILED', '`to` must be after `from`', { field: 'to' });
    }
    if (toMs - fromMs > MAX_RANGE_MS[resolution]) {
      throw new SwitchboardError(
        'VALIDATION_FAILED',
        `A ${resolution} range may span at most ${MAX_RANGE_MS[resolution] / DAY_MS} days`,
        { field: 'from' },
      );
    }
    const perBucket = new Map<number, Map<string, LatencyHistogram>>();
    for (let day = floorTo(fromMs, DAY_MS); day < toMs; day += DAY_MS) {
      const rows = allRows(
        this.store,
        performanceMetrics,
        {
          key: { stage: options.stage, resolution, day: dayOf(day) },
          range: {
            column: 'bucket_start',
            gte: new Date(Math.max(day, fromMs)),
            lt: new Date(Math.min(day + DAY_MS, toMs)),
          },
        },
        5000,
      );
      for await (const row of rows) {
        const start = row.bucket_start.getTime();
        let sources = perBucket.get(start);
        if (!sources) perBucket.set(start, (sources = new Map()));
        if (!sources.has(row.source)) sources.set(row.source, histogramFromRow(row));
      }
    }
    const overall = new LatencyHistogram();
    const buckets = [...perBucket.entries()]
      .sort(([a], [b]) => a - b)
      .map(([start, sources]) => {
        const h = new LatencyHistogram();
        for (const s of sources.values()) h.merge(s);
        overall.merge(h);
        return { start: new Date(start).toISOString(), ...statsOf(h) };
      });
    return {
      stage: options.stage,
      resolution,
      from: new Date(fromMs).toISOString(),
      to: new Date(toMs).toISOString(),
      overall: statsOf(overall),
      buckets,
    };
  }

  /** The newest errors first, walking back one day partition at a time. */
  async recentErrors(options: { limit?: number; days?: number } = {}): Promise<Record<string, unknown>[]> {
    const limit = options.limit ?? 50;
    const days = options.days ?? 7;
    const out: Record<string, unknown>[] = [];
    const today = floorTo(this.clock.now().getTime(), DAY_MS);
    for (let d = 0; d < days && out.length < limit; d += 1) {
      const page = await this.store.slice(errorLogs, {
        key: { day: dayOf(today - d * DAY_MS) },
        limit: limit - out.length,
      });
      for (const row of page.rows) {
        out.push({
          time: row.error_time.toISOString(),
          ref: row.ref,
          kind: row.kind,
          code: row.code,
          field: row.field,
          reason: row.reason,
          topic: row.topic,
          partition: row.partition,
          offset: row.log_offset === null ? null : row.log_offset.toString(),
          session_id: row.session_id,
          event_id: row.event_id,
          raw_payload: row.raw_payload,
          payload_truncated: row.payload_truncated,
        });
      }
    }
    return out;
  }

  /** Heartbeats of consumers and producers, and the live consumer lag when this process runs the consumer. */
  async health(): Promise<{
    consumers: HealthView[];
    producers: HealthView[];
    lag: { topic: string; partition: number; lag: number }[] | null;
    total_lag: number | null;
  }> {
    const read = async (component: string): Promise<HealthView[]> => {
      const page = await this.store.slice(systemHealth, { key: { component }, limit: 1000 });
      return page.rows.map((r) => ({
        instance: r.instance,
        status: r.status,
        last_seen: r.last_seen?.toISOString() ?? null,
        lag: r.lag === null ? null : Number(r.lag),
        detail: r.detail,
      }));
    };
    const [consumers, producers, lag] = await Promise.all([read('consumer'), read('producer'), this.lagOf()]);
    const lagView = lag?.map((l) => ({ topic: l.topic, partition: l.partition, lag: Number(l.lag) })) ?? null;
    return {
      consumers,
      producers,
      lag: lagView,
      total_lag: lagView ? lagView.reduce((s, l) => s + l.lag, 0) : null,
    };
  }
}
