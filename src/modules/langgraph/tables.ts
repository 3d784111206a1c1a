import { defineTable } from '../../ports/wide-column/declare.js';

/**
 * LangGraph.js checkpoints (issue 20), for the saver in saver.ts. Each read is one partition:
 * a thread namespace's checkpoints newest first (checkpoint ids are uuid6, time-ordered as
 * text), a checkpoint's pending writes, a thread's namespaces. `lg_threads` lets `list()`
 * without a thread enumerate threads from 16 fixed partitions instead of a table scan.
 *
 * Channel values are stored once per version in `lg_blobs`, as LangGraph's PostgreSQL saver
 * does: a super-step writes only the channels it changed (a long message history is not
 * rewritten with every checkpoint), and a checkpoint is rebuilt from the versions it names.
 *
 * Partition size: one `lg_checkpoints` partition per thread namespace grows with the thread
 * (about 1-5 KB per super-step: a 1,000-step thread is a few MB, far below ScyllaDB's ~100 MB
 * guidance). Threads that never end should be given a TTL (the saver's `ttlSeconds`) or
 * removed with `deleteThread`, which drops whole partitions (one tombstone each).
 */
export const lgThreads = defineTable({
  name: 'lg_threads',
  module: 'langgraph',
  columns: { shard: 'int', thread_id: 'text' },
  partitionKey: ['shard'],
  clusteringKey: [{ column: 'thread_id', order: 'ASC' }],
  comment: 'Every thread with checkpoints, spread over 16 partitions by hash',
});

export const lgNamespaces = defineTable({
  name: 'lg_namespaces',
  module: 'langgraph',
  columns: { thread_id: 'text', checkpoint_ns: 'text' },
  partitionKey: ['thread_id'],
  clusteringKey: [{ column: 'checkpoint_ns', order: 'ASC' }],
  comment: "A thread's checkpoint namespaces (subgraphs), for list() and deleteThread()",
});

export const lgCheckpoints = defineTable({
  name: 'lg_checkpoints',
  module: 'langgraph',
  columns: {
    thread_id: 'text',
    checkpoint_ns: 'text',
    checkpoint_id: 'text',
    parent_checkpoint_id: 'text',
    checkpoint_type: 'text',
    checkpoint: 'blob',
    metadata_type: 'text',
    metadata: 'blob',
  },
  partitionKey: ['thread_id', 'checkpoint_ns'],
  clusteringKey: [{ column: 'checkpoint_id', order: 'DESC' }],
  comment: 'LangGraph checkpoints of a thread namespace, newest first, serialized by the saver serde',
});

export const lgBlobs = defineTable({
  name: 'lg_blobs',
  module: 'langgraph',
  columns: {
    thread_id: 'text',
    checkpoint_ns: 'text',
    channel: 'text',
    version: 'text',
    value_type: 'text',
    value: 'blob',
  },
  partitionKey: ['thread_id', 'checkpoint_ns'],
  clusteringKey: [
    { column: 'channel', order: 'ASC' },
    { column: 'version', order: 'ASC' },
  ],
  comment: 'Channel values by version: a checkpoint stores only the channels that changed',
  // Values are often kilobytes (a message history): in a clustered (WITHOUT ROWID) table a row
  // above ~1 KB spills into overflow pages of the key index, which made a put's blob inserts
  // and a getTuple's point reads about twice as slow as in a rowid table (embedded engine).
  embeddedLayout: 'appended',
});

export const lgWrites = defineTable({
  name: 'lg_writes',
  module: 'langgraph',
  columns: {
    thread_id: 'text',
    checkpoint_ns: 'text',
    checkpoint_id: 'text',
    task_id: 'text',
    idx: 'int',
    channel: 'text',
    task_path: 'text',
    value_type: 'text',
    value: 'blob',
  },
  partitionKey: ['thread_id', 'checkpoint_ns', 'checkpoint_id'],
  clusteringKey: [
    { column: 'task_id', order: 'ASC' },
    { column: 'idx', order: 'ASC' },
  ],
  comment: 'Pending writes of a checkpoint (task outputs not yet folded into the next checkpoint)',
});

/**
 * LangGraph long-term memory (`BaseStore`, store.ts). Items live in one partition per
 * namespace; namespaces are indexed under their first label (the usual layout is
 * `[userId, 'memories']` or `['memories', userId]`), so a search under a prefix reads one
 * index partition, and the first labels in 16 fixed partitions for searches without a prefix.
 */
export const lgStoreItems = defineTable({
  name: 'lg_store_items',
  module: 'langgraph',
  columns: {
    namespace: 'text',
    key: 'text',
    value: 'text',
    created_at: 'timestamp',
    updated_at: 'timestamp',
  },
  partitionKey: ['namespace'],
  clusteringKey: [{ column: 'key', order: 'ASC' }],
  comment: 'LangGraph store items of one namespace (the namespace path as JSON), by key',
});

export const lgStoreNamespaces = defineTable({
  name: 'lg_store_namespaces',
  module: 'langgraph',
  columns: { root: 'text', namespace: 'text' },
  partitionKey: ['root'],
  clusteringKey: [{ column: 'namespace', order: 'ASC' }],
  comment: 'LangGraph store namespaces under their first label',
});

export const lgStoreRoots = defineTable({
  name: 'lg_store_roots',
  module: 'langgraph',
  columns: { shard: 'int', root: 'text' },
  partitionKey: ['shard'],
  clusteringKey: [{ column: 'root', order: 'ASC' }],
  comment: 'First labels of LangGraph store namespaces, over 16 partitions by hash',
});

export const langgraphTables = [
  lgThreads,
  lgNamespaces,
  lgCheckpoints,
  lgBlobs,
  lgWrites,
  lgStoreItems,
  lgStoreNamespaces,
  lgStoreRoots,
] as const;
