import { f, type ConfigOf, type Section } from './fields.js';
import { moduleSections } from './module-sections.js';

/**
 * Every configuration key Switchboard reads, with its default. Defaults are the embedded,
 * zero-infrastructure setup. The override for `[section] key` is `SWITCHBOARD_SECTION_KEY`
 * (nested sections join with `_`), plus the aliases named on a field.
 */
export const coreSections = {
  store: {
    /** Which engine holds the wide-column tables. */
    wide_column: f.oneOf(['embedded', 'scylladb'] as const, 'embedded'),
    relational: f.oneOf(['embedded', 'postgres'] as const, 'embedded'),
    hot_state: f.oneOf(['embedded', 'redis'] as const, 'embedded'),
    event_log: f.oneOf(['embedded', 'kafka'] as const, 'embedded'),
    /** Where every embedded engine keeps its files. */
    data_dir: f.string('./data', { nonEmpty: true }),
    /** How often the embedded engine physically removes expired rows (they are invisible at once). */
    purge_interval_ms: f.int(60_000, 100, 86_400_000),
  },
  scylla: {
    contact_points: f.stringList(['127.0.0.1'], { nonEmpty: true, aliases: ['SCYLLA_CONTACT_POINTS'] }),
    port: f.int(9042, 1, 65535, { aliases: ['SCYLLA_PORT'] }),
    keyspace: f.string('switchboard', { aliases: ['SCYLLA_KEYSPACE'] }),
    username: f.optionalString({ aliases: ['SCYLLA_USERNAME'] }),
    password: f.optionalString({ aliases: ['SCYLLA_PASSWORD'], secret: true }),
    local_data_center: f.string('datacenter1', { nonEmpty: true }),
    flavor: f.oneOf(['scylla', 'cassandra'] as const, 'scylla'),
    /** SimpleStrategy uses `replication_factor`; NetworkTopologyStrategy uses `replication_dc_factors`. */
    replication_strategy: f.oneOf(['SimpleStrategy', 'NetworkTopologyStrategy'] as const, 'SimpleStrategy'),
    replication_factor: f.int(1, 1, 32),
    replication_dc_factors: f.intMap({}),
    consistency_write: f.oneOf(CONSISTENCIES(), 'LOCAL_QUORUM'),
    consistency_read: f.oneOf(CONSISTENCIES(), 'LOCAL_ONE'),
    consistency_serial: f.oneOf(['SERIAL', 'LOCAL_SERIAL'] as const, 'LOCAL_SERIAL'),
    request_timeout_ms: f.int(5000, 10, 600_000),
    connect_timeout_ms: f.int(5000, 10, 600_000),
    /**
     * Longest wait between reconnection attempts to a node that went down (exponential back-off
     * from 250 ms): bounds how long the service stays unavailable after the cluster is back.
     */
    reconnect_max_ms: f.int(5000, 100, 600_000),
    /** Connections per host in the local data center. */
    pool_size: f.int(2, 1, 64),
    /**
     * Speculative execution: an idempotent statement (reads, and plain writes to tables without
     * lightweight transactions; never a counter, an LWT, or a write the coordinator timestamps)
     * still unanswered after this long is also sent to the next
     * replica, and the first answer wins. Cuts the tail when one replica stalls (GC, compaction)
     * at the price of extra load; 0 (default): off.
     */
    speculative_delay_ms: f.int(0, 0, 60_000),
    /** Most extra executions of one statement when speculative execution is on. */
    speculative_max_executions: f.int(1, 1, 10),
    breaker_failure_threshold: f.int(5, 1, 10_000),
    breaker_reset_ms: f.int(5000, 10, 3_600_000),
  },
} as const satisfies Record<string, Section>;

function CONSISTENCIES() {
  return ['ANY', 'ONE', 'TWO', 'THREE', 'QUORUM', 'ALL', 'LOCAL_QUORUM', 'EACH_QUORUM', 'LOCAL_ONE'] as const;
}

export const configSchema = { ...coreSections, ...moduleSections } as const;

export type SwitchboardConfig = ConfigOf<typeof configSchema>;
export type ScyllaConfig = SwitchboardConfig['scylla'];
