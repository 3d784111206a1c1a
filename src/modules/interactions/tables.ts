import { defineTable } from '../../ports/wide-column/declare.js';

/**
 * The interactions tables (seed 004). Every sink is idempotent under redelivery:
 *
 * - voice_interactions, interactions_by_stage_hour and error_logs are keyed by the event (or
 *   by the log position of an invalid message), so writing a row again changes nothing;
 * - session_summaries and performance_metrics hold aggregates, which a redelivered event
 *   would double count. They are written as *snapshots keyed by the log position they
 *   cover*: a snapshot row for (…, source, through_offset) is the aggregate of every event
 *   from that source partition with offset <= through_offset. That aggregate is a pure
 *   function of the log, so two consumers (a redelivery, a zombie after a rebalance) that
 *   write the same position write the same row, and readers take the highest position per
 *   source. No counters (not idempotent), no lightweight transactions (Paxos per row would
 *   cost more than the whole batch). See aggregates.ts for the proof sketch.
 */
const MODULE = 'interactions';
const DAY = 86_400;
export const DEFAULT_RETENTION_SECONDS = 90 * DAY;

export const voiceInteractions = defineTable({
  name: 'voice_interactions',
  module: MODULE,
  comment: 'Every STT / LLM / TTS event of a session, in time order',
  columns: {
    session_id: 'text',
    event_time: 'timestamp',
    event_id: 'uuid',
    stage: 'text',
    turn_id: 'text',
    latency_ms: 'double',
    model: 'text',
    model_params: 'map<text,text>',
    instance: 'text',
    // STT
    transcript: 'text',
    confidence: 'double',
    language: 'text',
    is_final: 'boolean',
    // STT and TTS
    audio_duration_ms: 'double',
    // LLM
    response_text: 'text',
    prompt_tokens: 'int',
    completion_tokens: 'int',
    time_to_first_token_ms: 'double',
    temperature: 'double',
    finish_reason: 'text',
    // TTS
    text_length: 'int',
    voice: 'text',
    time_to_first_byte_ms: 'double',
  },
  partitionKey: ['session_id'],
  clusteringKey: [
    { column: 'event_time', order: 'ASC' },
    { column: 'event_id', order: 'ASC' },
  ],
  defaultTtlSeconds: DEFAULT_RETENTION_SECONDS,
  compaction: { kind: 'time-window', windowSize: 1, windowUnit: 'DAYS' },
  // Wide rows (transcripts, responses), each batch scattered over every live session.
  embeddedLayout: 'appended',
});

/** The seed's materialized view, as a second table written with the first (views are discouraged on ScyllaDB). */
export const interactionsByStageHour = defineTable({
  name: 'interactions_by_stage_hour',
  module: MODULE,
  comment: 'Events by stage and hour, for analytics across sessions',
  columns: {
    stage: 'text',
    hour_bucket: 'timestamp',
    event_time: 'timestamp',
    event_id: 'uuid',
    session_id: 'text',
    turn_id: 'text',
    latency_ms: 'double',
    model: 'text',
    instance: 'text',
  },
  partitionKey: ['stage', 'hour_bucket'],
  clusteringKey: [
    { column: 'event_time', order: 'ASC' },
    { column: 'event_id', order: 'ASC' },
  ],
  defaultTtlSeconds: DEFAULT_RETENTION_SECONDS,
  compaction: { kind: 'time-window', windowSize: 1, windowUnit: 'DAYS' },
});

/** Per session, one snapshot row per (stage, source partition, covered offset); readers take the highest. */
export const sessionSummaries = defineTable({
  name: 'session_summaries',
  module: MODULE,
  comment: 'Per-session aggregates per stage, as offset-keyed snapshots (see tables.ts)',
  columns: {
    session_id: 'text',
    stage: 'text',
    source: 'text',
    through_offset: 'bigint',
    event_count: 'bigint',
    first_event_time: 'timestamp',
    last_event_time: 'timestamp',
    latency_sum_us: 'bigint',
    latency_max_ms: 'double',
    prompt_tokens: 'bigint',
    completion_tokens: 'bigint',
    audio_us: 'bigint',
    text_chars: 'bigint',
    /**
     * The event ids most recently folded into this summary with the offset each was folded
     * at (24 bytes each: the UUID, then the offset as a big-endian int64), oldest first, at
     * most `[interactions] dedup_window` of them: a republished event (same id, another
     * offset) is recognised from the snapshot already read per batch (see aggregates.ts).
     */
    recent_event_ids: 'blob',
  },
  partitionKey: ['session_id'],
  clusteringKey: [
    { column: 'stage', order: 'ASC' },
    { column: 'source', order: 'ASC' },
    { column: 'through_offset', order: 'DESC' },
  ],
  defaultTtlSeconds: DEFAULT_RETENTION_SECONDS,
});

/**
 * Latency per stage per minute (and per hour), one snapshot per source partition; a day of
 * one stage at one resolution is one partition, so a time range is one slice per day.
 */
export const performanceMetrics = defineTable({
  name: 'performance_metrics',
  module: MODULE,
  comment: 'Stage latency histograms per minute and hour, as offset-keyed snapshots per source',
  columns: {
    stage: 'text',
    resolution: 'text',
    day: 'date',
    bucket_start: 'timestamp',
    source: 'text',
    through_offset: 'bigint',
    count: 'bigint',
    min_ms: 'double',
    max_ms: 'double',
    sum_us: 'bigint',
    p50_ms: 'double',
    p95_ms: 'double',
    p99_ms: 'double',
    histogram: 'blob',
  },
  partitionKey: ['stage', 'resolution', 'day'],
  clusteringKey: [
    { column: 'bucket_start', order: 'ASC' },
    { column: 'source', order: 'ASC' },
    { column: 'through_offset', order: 'DESC' },
  ],
  defaultTtlSeconds: DEFAULT_RETENTION_SECONDS,
  compaction: { kind: 'time-window', windowSize: 1, windowUnit: 'DAYS' },
});

/** Invalid events and processing failures, newest first per day. Keyed by log position: redelivery overwrites. */
export const errorLogs = defineTable({
  name: 'error_logs',
  module: MODULE,
  comment: 'Invalid interaction events (reason + raw payload) and processing failures',
  columns: {
    day: 'date',
    error_time: 'timestamp',
    ref: 'text',
    kind: 'text',
    code: 'text',
    field: 'text',
    reason: 'text',
    topic: 'text',
    partition: 'int',
    log_offset: 'bigint',
    session_id: 'text',
    event_id: 'text',
    raw_payload: 'text',
    payload_truncated: 'boolean',
  },
  partitionKey: ['day'],
  clusteringKey: [
    { column: 'error_time', order: 'DESC' },
    { column: 'ref', order: 'ASC' },
  ],
  defaultTtlSeconds: 30 * DAY,
  compaction: { kind: 'time-window', windowSize: 1, windowUnit: 'DAYS' },
});

/** Heartbeats: consumers write theirs; producers' are derived from the events they publish. */
export const systemHealth = defineTable({
  name: 'system_health',
  module: MODULE,
  comment: 'Last heartbeat of each pipeline producer and consumer instance',
  columns: {
    component: 'text',
    instance: 'text',
    status: 'text',
    last_seen: 'timestamp',
    lag: 'bigint',
    detail: 'text',
  },
  partitionKey: ['component'],
  clusteringKey: [{ column: 'instance', order: 'ASC' }],
  defaultTtlSeconds: 7 * DAY,
});

export const interactionTables = [
  voiceInteractions,
  interactionsByStageHour,
  sessionSummaries,
  performanceMetrics,
  errorLogs,
  systemHealth,
] as const;
