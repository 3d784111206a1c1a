import { positiveHash } from '../../ports/event-log/partitioner.js';
import type { Row, TableDef } from '../../ports/wide-column/declare.js';
import type { SliceQuery, WideColumnEngine } from '../../ports/wide-column/engine.js';
import { allRows } from '../../ports/wide-column/rows.js';

/** Partitions of the small registries (`lg_threads`, `lg_store_roots`) read to enumerate them all. */
export const SHARDS = 16;

/** The registry partition of a key (Kafka's hash, as the event log uses). */
export const shardOf = (key: string): number => positiveHash(key) % SHARDS;

/** Every row of a registry partitioned by `shard`, shard after shard. */
export async function* allShardRows<T extends TableDef>(
  engine: WideColumnEngine,
  table: T,
): AsyncGenerator<Row<T>> {
  for (let shard = 0; shard < SHARDS; shard += 1) {
    // Generic over the registry tables, whose whole partition key is `shard`.
    const query = { key: { shard } } as unknown as Omit<SliceQuery<T>, 'pageToken' | 'limit'>;
    yield* allRows(engine, table, query);
  }
}

/** The write option for a saver's or store's TTL (none: rows do not expire). */
export const ttlOption = (ttlSeconds: number | undefined): { ttlSeconds?: number } =>
  ttlSeconds !== undefined ? { ttlSeconds } : {};
