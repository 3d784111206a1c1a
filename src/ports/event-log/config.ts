import { f } from '../../config/fields.js';

/**
 * `[event_log]`: settings both adapters share. Retention has Kafka's meaning on both:
 * `retention_bytes` bounds each partition, and either limit may delete messages a slow or
 * dead consumer group has not committed yet (a group that falls behind the log start resumes
 * at the earliest message still kept).
 */
export const eventLogSection = {
  /** Partitions of a topic created by Switchboard (explicitly or on first publish). */
  partitions: f.int(6, 1, 1024),
  /** Messages older than this are deleted (7 days). */
  retention_ms: f.int(7 * 24 * 3_600_000, 60_000, 10 * 365 * 24 * 3_600_000),
  /** Per partition: the oldest messages are deleted while a partition holds more (1 GiB). */
  retention_bytes: f.int(2 ** 30, 1024, Number.MAX_SAFE_INTEGER),
  /** Embedded: how often an idle consumer looks for messages appended by another process. */
  poll_interval_ms: f.int(20, 1, 60_000),
  /** Embedded: how often the retention job runs. */
  retention_interval_ms: f.int(60_000, 100, 86_400_000),
} as const;

/** `[kafka]`: the scale-out adapter (Kafka or Redpanda). */
export const kafkaSection = {
  /** `host:port` list; from the environment `SWITCHBOARD_KAFKA_BROKERS=a:9092,b:9092`. */
  brokers: f.stringList(['127.0.0.1:9092'], { nonEmpty: true }),
  client_id: f.string('switchboard', { nonEmpty: true }),
  /** Replication factor of topics Switchboard creates. */
  replication_factor: f.int(1, 1, 32),
  sasl_mechanism: f.oneOf(['none', 'plain', 'scram-sha-256', 'scram-sha-512'] as const, 'none'),
  sasl_username: f.optionalString(),
  sasl_password: f.optionalString({ secret: true }),
  ssl: f.boolean(false),
  /** How long publishes are gathered into one produce request (0 sends each publish alone). */
  linger_ms: f.int(5, 0, 10_000),
  request_timeout_ms: f.int(5000, 100, 600_000),
  /** Consumer group session timeout: how long a silent member keeps its partitions. */
  session_timeout_ms: f.int(30_000, 1000, 3_600_000),
} as const;
