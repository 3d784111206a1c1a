import {
  compareWritesSortKeys,
  maxChannelVersion,
  TASKS,
  writesSortKey,
  type Checkpoint,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type SerializerProtocol,
} from '@langchain/langgraph-checkpoint';
import type { Row } from '../../ports/wide-column/declare.js';
import type { WideColumnEngine } from '../../ports/wide-column/engine.js';
import { allRows, rowsOf } from '../../ports/wide-column/rows.js';
import { stored, type HeadBlobs, type HeadCache, type StoredBlob } from './blob-cache.js';
import { lgBlobs, lgWrites, type lgCheckpoints } from './tables.js';

type CheckpointRow = Row<typeof lgCheckpoints>;
type WriteRow = Row<typeof lgWrites>;
/** A value read in advance, or undefined when it was not (read it from the store). */
export type BlobSource = (channel: string, version: string) => StoredBlob | undefined;
/** At most this many bytes of a thread namespace's values read at once by a full list(). */
const LIST_BLOB_BYTES = 32 * 2 ** 20;

/**
 * Rebuilds LangGraph's checkpoint tuples from the saver's rows (saver.ts): the checkpoint, the
 * channel values it names (lg_blobs, or the head cache), its pending writes, its parent.
 */
export class TupleReader {
  constructor(
    private readonly engine: WideColumnEngine,
    private readonly serde: SerializerProtocol,
    private readonly heads: HeadCache,
    /** The saver's first channel version (getNextVersion(undefined)). */
    private readonly firstVersion: () => string | number,
  ) {}

  /**
   * `metadata` when already loaded; `blobs` values read in advance (list); `remember`: make
   * this checkpoint the head of its namespace in the cache (getTuple).
   */
  async toTuple(
    row: CheckpointRow,
    options: { metadata?: CheckpointMetadata; blobs?: BlobSource; remember?: boolean } = {},
  ): Promise<CheckpointTuple> {
    const threadId = row.thread_id;
    const ns = row.checkpoint_ns;
    const checkpoint = await this.load<Checkpoint>(row.checkpoint_type, row.checkpoint);
    // The values, the pending writes and the metadata do not depend on each other: on ScyllaDB
    // their reads overlap instead of costing a round trip each.
    const [values, metadata, pendingWrites] = await Promise.all([
      this.channelValues(row, checkpoint.channel_versions, options),
      options.metadata ?? this.load<CheckpointMetadata>(row.metadata_type, row.metadata),
      this.pendingWrites(threadId, ns, row.checkpoint_id),
    ]);
    checkpoint.channel_values = values;
    const parent = row.parent_checkpoint_id ?? undefined;
    // Checkpoints before format 4 kept pending sends as writes of the parent: fold them in.
    if (checkpoint.v < 4 && parent !== undefined)
      await this.migratePendingSends(checkpoint, threadId, ns, parent);
    const tuple: CheckpointTuple = {
      config: { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: row.checkpoint_id } },
      checkpoint,
      metadata,
      pendingWrites,
    };
    if (parent !== undefined) {
      tuple.parentConfig = {
        configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: parent },
      };
    }
    return tuple;
  }

  /**
   * The values of the channel versions a checkpoint names: from the cache when the checkpoint
   * is its namespace's head, else from `blobs` read in advance, else a point read each (in
   * parallel).
   */
  private async channelValues(
    row: CheckpointRow,
    versions: Record<string, string | number>,
    options: { blobs?: BlobSource; remember?: boolean },
  ): Promise<Record<string, unknown>> {
    const { thread_id: threadId, checkpoint_ns: ns } = row;
    const head = this.heads.lookup(threadId, ns, row.checkpoint_id);
    const found: HeadBlobs = new Map();
    const entries = await Promise.all(
      Object.entries(versions).map(async ([channel, v]) => {
        const version = String(v);
        const cached = head?.get(channel);
        const blob =
          cached?.version === version
            ? cached.blob
            : (options.blobs?.(channel, version) ?? (await this.readBlob(threadId, ns, channel, version)));
        if (blob === undefined) return undefined;
        found.set(channel, { version, blob });
        // The serde gets a copy: a blob may be cached or shared by several checkpoints, and a
        // serde may hand its input back as the value (JsonPlusSerializer does for "bytes").
        return [channel, await this.load(blob.type, blob.bytes.slice())] as const;
      }),
    );
    if (options.remember) this.heads.remember(threadId, ns, row.checkpoint_id, found);
    return Object.fromEntries(entries.filter((e) => e !== undefined));
  }

  private async readBlob(
    threadId: string,
    ns: string,
    channel: string,
    version: string,
  ): Promise<StoredBlob | undefined> {
    const row = await this.engine.get(lgBlobs, { thread_id: threadId, checkpoint_ns: ns, channel, version });
    return row ? stored([row.value_type, row.value]) : undefined;
  }

  /**
   * The values of a thread namespace, read in pages, up to LIST_BLOB_BYTES (a version beyond
   * them, or stored after this read, is left to a point read).
   */
  async namespaceBlobs(threadId: string, ns: string): Promise<BlobSource> {
    const blobs = new Map<string, StoredBlob>();
    let bytes = 0;
    for await (const row of allRows(
      this.engine,
      lgBlobs,
      { key: { thread_id: threadId, checkpoint_ns: ns } },
      200,
    )) {
      const blob = stored([row.value_type, row.value]);
      blobs.set(`${row.channel}\u0000${row.version}`, blob);
      bytes += blob.bytes.byteLength;
      if (bytes >= LIST_BLOB_BYTES) break;
    }
    return (channel, version) => blobs.get(`${channel}\u0000${version}`);
  }

  /** The writes of a checkpoint in LangGraph's order (task path, task id, index). */
  private async writeRows(threadId: string, ns: string, checkpointId: string): Promise<WriteRow[]> {
    // Nearly always one page (often an empty one), read without rowsOf's paging loop: a list()
    // reads this for every checkpoint, and the loop's promise hops cost about as much as the read.
    const key = { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpointId };
    const first = await this.engine.slice(lgWrites, { key, limit: 500 });
    const rows = first.nextPageToken === null ? first.rows : await rowsOf(this.engine, lgWrites, { key });
    if (rows.length < 2) return rows;
    return rows
      .map((row) => ({ row, key: writesSortKey(row.task_path ?? '', row.task_id, row.idx) }))
      .sort((a, b) => compareWritesSortKeys(a.key, b.key))
      .map(({ row }) => row);
  }

  private async pendingWrites(
    threadId: string,
    ns: string,
    checkpointId: string,
  ): Promise<CheckpointPendingWrite[]> {
    const rows = await this.writeRows(threadId, ns, checkpointId);
    if (rows.length === 0) return [];
    return Promise.all(
      rows.map(
        async (row) =>
          [
            row.task_id,
            row.channel ?? '',
            await this.load(row.value_type, row.value),
          ] as CheckpointPendingWrite,
      ),
    );
  }

  private async migratePendingSends(checkpoint: Checkpoint, threadId: string, ns: string, parent: string) {
    const sends = await Promise.all(
      (await this.writeRows(threadId, ns, parent))
        .filter((row) => row.channel === TASKS)
        .map((row) => this.load(row.value_type, row.value)),
    );
    const values = checkpoint.channel_values as Record<string, unknown>;
    values[TASKS] = sends;
    const versions = checkpoint.channel_versions as Record<string, string | number>;
    versions[TASKS] =
      Object.keys(versions).length > 0 ? maxChannelVersion(...Object.values(versions)) : this.firstVersion();
  }

  load<T>(type: string | null, bytes: Uint8Array | null): Promise<T> {
    return this.serde.loadsTyped(type ?? 'json', bytes ?? new Uint8Array()) as Promise<T>;
  }
}
