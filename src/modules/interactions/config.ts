import { f } from '../../config/fields.js';

/**
 * `[interactions]`: the STT / LLM / TTS logging pipeline. Topic names are configurable so a
 * deployment can keep the seed's names on a shared Redpanda; every other default suits the
 * embedded setup.
 */
export const interactionsSection = {
  topic_stt: f.string('stt-results', { nonEmpty: true }),
  topic_llm: f.string('llm-requests', { nonEmpty: true }),
  topic_tts: f.string('tts-results', { nonEmpty: true }),
  /** Partitions of the three topics when Switchboard creates them (0: the `[event_log]` default). */
  topic_partitions: f.int(0, 0, 1024),
  /** The logging consumer's group: every replica of `serve` / `consume` shares it. */
  consumer_group: f.string('switchboard-interactions', { nonEmpty: true }),
  /** Whether `serve` runs the consumer (set false when a separate `switchboard consume` does). */
  consumer_enabled: f.boolean(true),
  /**
   * Whether the consumer runs on its own thread (with its own store and log connections) or
   * on the event loop that serves the API and the agents' publishes. The thread puts the
   * batch work (validation, two rows per event, aggregate snapshots) on another core; on the
   * same loop every batch stalls the API and publishers while it is processed.
   */
  consumer_thread: f.boolean(true),
  /**
   * Most messages per consumer batch, and how long a batch may wait to fill. Large batches
   * are cheaper per event: each session's summary and each minute's histogram touched is
   * written once per batch, not once per event. On a busy stream batches fill to this size;
   * on a quiet one they hold what arrived within `batch_wait_ms`. With `consumer_thread =
   * false` a batch blocks the API while it is processed (about 30 µs per event on the
   * embedded engine), so lower it there.
   */
  batch_size: f.int(10_000, 1, 100_000),
  batch_wait_ms: f.int(20, 0, 60_000),
  /**
   * Most operations per store batch; 0 picks by engine: 20,000 on the embedded engine (one
   * SQLite transaction per phase of a full consumer batch: commits cost per transaction, not
   * per row), 50 on ScyllaDB (a batch of interaction rows stays well under its 128 KB
   * `batch_size_warn_threshold_in_kb`; large multi-partition batches overload coordinators).
   */
  store_batch_ops: f.int(0, 0, 100_000),
  /**
   * Most kilobytes (estimated from the values written) per store batch; 0 picks by engine:
   * no limit on the embedded engine, 32 on ScyllaDB/Cassandra, under Cassandra's default
   * `batch_size_fail_threshold` (50 KiB; ScyllaDB's is 1 MiB), which refuses a larger batch
   * outright. Summary rows carry histograms and recent event ids (kilobytes each), so a
   * count of operations alone does not bound a batch.
   */
  store_batch_kb: f.int(0, 0, 1_000_000),
  /**
   * Event ids remembered per session and stage (in its summary snapshot) to count a
   * republished event (same event_id published again, e.g. a producer retry) once in the
   * summaries and histograms and store it once; 0 turns the check off. 24 bytes each per
   * summary row.
   */
  dedup_window: f.int(64, 0, 4096),
  /** Aggregate snapshots the consumer keeps in memory to avoid reading back what it wrote. */
  snapshot_cache_entries: f.int(200_000, 0, 10_000_000),
  /** TTL of interaction rows, summaries and metrics (the seed's 90 days). */
  retention_days: f.int(90, 1, 3650),
  /** TTL of error_logs rows. */
  error_retention_days: f.int(30, 1, 3650),
  /** How much of an invalid message's raw payload error_logs keeps (characters). */
  error_payload_max_chars: f.int(16_384, 0, 1_000_000),
  /** Store outage handling: failures that open the breaker, and the backoff between retries. */
  breaker_failure_threshold: f.int(3, 1, 1000),
  breaker_reset_ms: f.int(1000, 10, 600_000),
  retry_initial_ms: f.int(100, 1, 60_000),
  retry_max_ms: f.int(5000, 1, 600_000),
  /** How often the consumer writes its system_health heartbeat and refreshes its lag gauge. */
  heartbeat_ms: f.int(5000, 100, 600_000),
  /** The name this process reports in system_health (default: host name and pid). */
  instance: f.optionalString(),
  /**
   * How far ahead of the server's clock an event's timestamp may be when it is published
   * (seconds); later ones are refused. A producer's `last_seen` in health is the time its
   * events were received, never their own timestamps.
   */
  max_future_skew_seconds: f.int(300, 0, 86_400),
  /** Most events in one `POST /v1/interactions` batch. */
  max_events_per_request: f.int(1000, 1, 100_000),
};
