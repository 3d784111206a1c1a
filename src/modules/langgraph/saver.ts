import type { RunnableConfig } from '@langchain/core/runnables';
import {
  BaseCheckpointSaver,
  copyCheckpoint,
  getCheckpointId,
  WRITES_IDX_MAP,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointTuple,
  type PendingWrite,
  type SerializerProtocol,
} from '@langchain/langgraph-checkpoint';
import type { Row } from '../../ports/wide-column/declare.js';
import { batchOp, type BatchOp, type WideColumnEngine } from '../../ports/wide-column/engine.js';
import { allRows, rowsOf } from '../../ports/wide-column/rows.js';
import { HeadCache, stored } from './blob-cache.js';
import { TupleReader, type BlobSource } from './tuples.js';
import { lgBlobs, lgCheckpoints, lgNamespaces, lgThreads, lgWrites } from './tables.js';
import { allShardRows, shardOf, ttlOption } from './shards.js';

export interface SwitchboardSaverOptions {
  serde?: SerializerProtocol;
  /** Expire checkpoints and writes this long after they are written (default: never). */
  ttlSeconds?: number;
  /**
   * Bytes of channel values kept in memory for the latest checkpoint of recently used thread
   * namespaces (blob-cache.ts; default 32 MiB, 0: none). Not used with `ttlSeconds`: a value
   * expiring in the store before the checkpoint naming it must not outlive it here.
   */
  cacheBytes?: number;
}

type CheckpointRow = Row<typeof lgCheckpoints>;
/** Checkpoints of a list() assembled concurrently. */
const ASSEMBLE_AT_ONCE = 16;
const DEFAULT_CACHE_BYTES = 32 * 2 ** 20;

/**
 * A LangGraph.js checkpoint saver on Switchboard's wide-column port: the embedded engine on
 * one machine, ScyllaDB or Cassandra when configured, with the same tables (tables.ts). What
 * LangGraph hands over is serialized with the saver's `serde` and stored as blobs with its
 * type tag, so any serde works.
 *
 * A checkpoint and the rows that index it (its thread, its namespace) go in one batch; pending
 * writes of one task in another. Regular writes keep the first value stored for a (task, idx)
 * (a task retried after a crash writes the same values again); the special channels (error,
 * interrupt, resume, scheduled) replace theirs, as in LangGraph's own savers.
 */
export class SwitchboardSaver extends BaseCheckpointSaver {
  private readonly ttl: { ttlSeconds?: number };
  private readonly heads: HeadCache;
  private readonly tuples: TupleReader;

  constructor(
    private readonly engine: WideColumnEngine,
    options: SwitchboardSaverOptions = {},
  ) {
    super(options.serde);
    this.ttl = ttlOption(options.ttlSeconds);
    this.heads = new HeadCache(
      options.ttlSeconds !== undefined ? 0 : (options.cacheBytes ?? DEFAULT_CACHE_BYTES),
    );
    this.tuples = new TupleReader(engine, this.serde, this.heads, () => this.getNextVersion(undefined));
  }

  /** A saver on an open Switchboard's wide-column port (its tables come with `schema apply`). */
  static from(switchboard: { context: { wideColumn: WideColumnEngine } }, options?: SwitchboardSaverOptions) {
    return new SwitchboardSaver(switchboard.context.wideColumn, options);
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const threadId = config.configurable?.thread_id as string | undefined;
    if (threadId === undefined || threadId === '') return undefined;
    const ns = (config.configurable?.checkpoint_ns as string | undefined) ?? '';
    const checkpointId = getCheckpointId(config);
    const row = checkpointId
      ? await this.engine.get(lgCheckpoints, {
          thread_id: threadId,
          checkpoint_ns: ns,
          checkpoint_id: checkpointId,
        })
      : (
          await this.engine.slice(lgCheckpoints, {
            key: { thread_id: threadId, checkpoint_ns: ns },
            limit: 1,
          })
        ).rows[0];
    return row ? this.tuples.toTuple(row, { remember: true }) : undefined;
  }

  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    const { before, filter } = options;
    let remaining = options.limit ?? Infinity;
    const onlyNs = config.configurable?.checkpoint_ns as string | undefined;
    const onlyId = getCheckpointId(config);
    const beforeId = before?.configurable?.checkpoint_id as string | undefined;
    const threadId = config.configurable?.thread_id as string | undefined;
    // Listing everything needs (nearly) every value of the namespace: past the first few
    // checkpoints, its blobs are read in one pass instead of a point read per channel each.
    const readsAll = options.limit === undefined && filter === undefined && !onlyId;
    const threads = threadId !== undefined ? [threadId] : await this.listThreads();
    for (const thread of threads) {
      const namespaces = onlyNs !== undefined ? [onlyNs] : await this.namespaces(thread);
      for (const ns of namespaces) {
        // A limit without a filter reads no more rows than it can return.
        const pageSize = filter === undefined && Number.isFinite(remaining) ? Math.min(remaining, 500) : 500;
        const rows = allRows(
          this.engine,
          lgCheckpoints,
          {
            key: { thread_id: thread, checkpoint_ns: ns },
            ...(beforeId !== undefined ? { range: { column: 'checkpoint_id', lt: beforeId } } : {}),
          },
          pageSize,
        );
        // Tuples are assembled (channel values, pending writes) a few at a time, concurrently.
        let pending: { row: CheckpointRow; metadata: CheckpointMetadata }[] = [];
        let blobs: BlobSource | undefined;
        let flushed = false;
        const flush = async function* (this: SwitchboardSaver) {
          if (readsAll && flushed && blobs === undefined)
            blobs = await this.tuples.namespaceBlobs(thread, ns);
          const tuples = await Promise.all(
            pending.map(({ row, metadata }) => this.tuples.toTuple(row, { metadata, blobs })),
          );
          pending = [];
          flushed = true;
          yield* tuples;
        }.bind(this);
        for await (const row of rows) {
          if (remaining <= 0) break;
          if (onlyId && row.checkpoint_id !== onlyId) continue;
          const metadata = await this.tuples.load<CheckpointMetadata>(row.metadata_type, row.metadata);
          if (
            filter &&
            !Object.entries(filter).every(([k, v]) => (metadata as Record<string, unknown>)[k] === v)
          ) {
            continue;
          }
          remaining -= 1;
          pending.push({ row, metadata });
          if (pending.length >= ASSEMBLE_AT_ONCE) yield* flush();
        }
        yield* flush();
        if (remaining <= 0) return;
      }
    }
  }

  async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    const threadId = requireString(config.configurable?.thread_id, 'thread_id', 'put a checkpoint');
    const ns = (config.configurable?.checkpoint_ns as string | undefined) ?? '';
    const parent = config.configurable?.checkpoint_id as string | undefined;
    // The checkpoint row keeps the versions; values go to lg_blobs, and only those that changed.
    const { channel_values: values, ...rest } = copyCheckpoint(checkpoint);
    const changed = Object.entries(newVersions).filter(([channel]) => channel in values);
    const [[checkpointType, checkpointBytes], [metadataType, metadataBytes], ...blobs] = await Promise.all([
      this.serde.dumpsTyped({ ...rest, channel_values: {} }),
      this.serde.dumpsTyped(metadata),
      ...changed.map(([channel]) => this.serde.dumpsTyped((values as Record<string, unknown>)[channel])),
    ]);
    await this.engine.batch([
      ...changed.map(([channel, version], i) =>
        batchOp.insert(
          lgBlobs,
          {
            thread_id: threadId,
            checkpoint_ns: ns,
            channel,
            version: String(version),
            value_type: blobs[i]![0],
            value: blobs[i]![1],
          },
          this.ttl,
        ),
      ),
      batchOp.insert(
        lgCheckpoints,
        {
          thread_id: threadId,
          checkpoint_ns: ns,
          checkpoint_id: checkpoint.id,
          ...(parent ? { parent_checkpoint_id: parent } : {}),
          checkpoint_type: checkpointType,
          checkpoint: checkpointBytes,
          metadata_type: metadataType,
          metadata: metadataBytes,
        },
        this.ttl,
      ),
      // Written with every checkpoint, so a thread deleted by another process is indexed again
      // by its next checkpoint; rewriting an unchanged index row costs the embedded engine a
      // key lookup and no page write (sql.ts).
      batchOp.insert(lgNamespaces, { thread_id: threadId, checkpoint_ns: ns }, this.ttl),
      batchOp.insert(lgThreads, { shard: shardOf(threadId), thread_id: threadId }, this.ttl),
    ]);
    this.heads.advance(
      threadId,
      ns,
      parent,
      checkpoint.id,
      changed.map(([channel, version], i) => [channel, String(version), stored(blobs[i]!)]),
    );
    return { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpoint.id } };
  }

  async putWrites(
    config: RunnableConfig,
    writes: PendingWrite[],
    taskId: string,
    taskPath = '',
  ): Promise<void> {
    const threadId = requireString(config.configurable?.thread_id, 'thread_id', 'put writes');
    const checkpointId = requireString(config.configurable?.checkpoint_id, 'checkpoint_id', 'put writes');
    const ns = (config.configurable?.checkpoint_ns as string | undefined) ?? '';
    const key = { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpointId };
    // Regular writes keep what is stored: read the task's rows once instead of an LWT per write.
    const stored = new Set(
      (await rowsOf(this.engine, lgWrites, { key: { ...key, task_id: taskId } })).map((r) => r.idx),
    );
    const ops: BatchOp[] = [];
    for (const [index, [channel, value]] of writes.entries()) {
      const idx = WRITES_IDX_MAP[channel] ?? index;
      if (idx >= 0 && stored.has(idx)) continue;
      const [valueType, bytes] = await this.serde.dumpsTyped(value);
      ops.push(
        batchOp.insert(
          lgWrites,
          { ...key, task_id: taskId, idx, channel, task_path: taskPath, value_type: valueType, value: bytes },
          this.ttl,
        ),
      );
    }
    if (ops.length > 0) await this.engine.batch(ops);
  }

  async deleteThread(threadId: string): Promise<void> {
    try {
      await this.deletePartitions(threadId);
    } finally {
      this.heads.forget(threadId);
    }
  }

  private async deletePartitions(threadId: string): Promise<void> {
    const namespaces = await this.namespaces(threadId);
    for (const ns of namespaces) {
      // Writes first: a crash midway leaves checkpoints whose writes are gone, never writes
      // without a checkpoint to find them from.
      for await (const row of allRows(this.engine, lgCheckpoints, {
        key: { thread_id: threadId, checkpoint_ns: ns },
      })) {
        await this.engine.deletePartition(lgWrites, {
          thread_id: threadId,
          checkpoint_ns: ns,
          checkpoint_id: row.checkpoint_id,
        });
      }
      await this.engine.deletePartition(lgCheckpoints, { thread_id: threadId, checkpoint_ns: ns });
      await this.engine.deletePartition(lgBlobs, { thread_id: threadId, checkpoint_ns: ns });
    }
    await this.engine.deletePartition(lgNamespaces, { thread_id: threadId });
    await this.engine.delete(lgThreads, { shard: shardOf(threadId), thread_id: threadId });
  }

  private async namespaces(threadId: string): Promise<string[]> {
    return (await rowsOf(this.engine, lgNamespaces, { key: { thread_id: threadId } })).map(
      (r) => r.checkpoint_ns,
    );
  }

  /** Every thread with a checkpoint (16 partition reads). */
  async listThreads(): Promise<string[]> {
    const threads: string[] = [];
    for await (const row of allShardRows(this.engine, lgThreads)) threads.push(row.thread_id);
    return threads;
  }
}

function requireString(value: unknown, field: string, action: string): string {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  throw new Error(
    `Failed to ${action}: the RunnableConfig has no "${field}" in its "configurable" (e.g. ` +
      `graph.invoke(input, { configurable: { thread_id: "thread-1" } }))`,
  );
}
