import { defineTable } from '../../ports/wide-column/declare.js';

/**
 * Wide-column tables of the messaging module, named as in seed 003. Channel ids are UUIDs
 * (lower-case strings) here and in the relational chat tables; user ids are opaque text
 * chosen by the integration; message ids are Snowflake bigints.
 */
const MODULE = 'messaging';

export const messagesTable = defineTable({
  name: 'messages',
  module: MODULE,
  columns: {
    channel_id: 'uuid',
    bucket: 'int',
    message_id: 'bigint',
    sender_id: 'text',
    content: 'text',
    message_type: 'text',
    source: 'text',
    reply_to_id: 'bigint',
    /** JSON array of attachment metadata (name, url, mime type, size); never the bytes. */
    attachments: 'text',
    edited_at: 'timestamp',
    deleted: 'boolean',
    /** Set on the first reaction, so a history page reads reaction counts only where there are any. */
    has_reactions: 'boolean',
  },
  partitionKey: ['channel_id', 'bucket'],
  clusteringKey: [{ column: 'message_id', order: 'DESC' }],
  compaction: { kind: 'time-window', windowSize: 10, windowUnit: 'DAYS' },
  comment: 'Messages by (channel, 10-day bucket), newest first',
});

/**
 * The non-empty buckets of a channel, newest first: written with a channel's first message
 * in a bucket, so history skips empty windows with no reads at all and never walks back
 * towards the epoch.
 */
export const channelBucketsTable = defineTable({
  name: 'channel_buckets',
  module: MODULE,
  columns: { channel_id: 'uuid', bucket: 'int' },
  partitionKey: ['channel_id'],
  clusteringKey: [{ column: 'bucket', order: 'DESC' }],
  comment: 'Buckets of a channel that hold at least one message',
});

export const channelMetadataTable = defineTable({
  name: 'channel_metadata',
  module: MODULE,
  columns: {
    channel_id: 'uuid',
    name: 'text',
    first_bucket: 'int',
    last_message_id: 'bigint',
    last_message_at: 'timestamp',
    created_at: 'timestamp',
  },
  partitionKey: ['channel_id'],
  comment: 'Denormalised channel info; message_count lives in channel_message_counts (counters cannot mix)',
});

/**
 * Per-channel counters, moved in each send's and delete's write. With the per-member sent
 * counts below and a read mark's snapshot they answer most unread counts without reading
 * messages (reads.ts).
 */
export const channelMessageCountsTable = defineTable({
  name: 'channel_message_counts',
  module: MODULE,
  columns: { channel_id: 'uuid', message_count: 'counter', deleted_count: 'counter' },
  partitionKey: ['channel_id'],
});

/** Messages each member has sent in a channel (their own messages are never unread to them). */
export const channelMemberCountsTable = defineTable({
  name: 'channel_member_counts',
  module: MODULE,
  columns: { channel_id: 'uuid', user_id: 'text', sent_count: 'counter' },
  partitionKey: ['channel_id', 'user_id'],
});

export const messageReactionsTable = defineTable({
  name: 'message_reactions',
  module: MODULE,
  columns: {
    channel_id: 'uuid',
    message_id: 'bigint',
    emoji: 'text',
    user_id: 'text',
    reacted_at: 'timestamp',
  },
  partitionKey: ['channel_id', 'message_id'],
  clusteringKey: [
    { column: 'emoji', order: 'ASC' },
    { column: 'user_id', order: 'ASC' },
  ],
  usesLwt: true,
  comment: 'One row per (message, emoji, user); written IF NOT EXISTS so counts move only once',
});

export const messageReactionCountsTable = defineTable({
  name: 'message_reaction_counts',
  module: MODULE,
  columns: { channel_id: 'uuid', message_id: 'bigint', emoji: 'text', count: 'counter' },
  partitionKey: ['channel_id', 'message_id'],
  clusteringKey: [{ column: 'emoji', order: 'ASC' }],
});

export const pinnedMessagesTable = defineTable({
  name: 'pinned_messages',
  module: MODULE,
  columns: {
    channel_id: 'uuid',
    pinned_at: 'timestamp',
    message_id: 'bigint',
    pinned_by: 'text',
  },
  partitionKey: ['channel_id'],
  clusteringKey: [
    { column: 'pinned_at', order: 'DESC' },
    { column: 'message_id', order: 'ASC' },
  ],
  comment: 'Pins per channel, newest first',
});

/**
 * The channel's pin set as one row changed only by compare-and-set on `version`, which
 * serialises pins and unpins per channel: the limit cannot be overshot and a message cannot
 * be pinned twice, whatever the interleaving. `pins` maps message id to
 * "<pinned_at ISO>|<pinned_by>" so unpin can find the pinned_messages row.
 */
export const channelPinStateTable = defineTable({
  name: 'channel_pin_state',
  module: MODULE,
  columns: { channel_id: 'uuid', version: 'int', pins: 'map<text,text>' },
  partitionKey: ['channel_id'],
  usesLwt: true,
});

/**
 * Before read marks: one row per member, moved forward by a conditional update (a Paxos
 * round per send). Kept declared so positions stored by earlier versions are still read (as
 * the fallback of a member with no mark yet); nothing writes it any more.
 */
export const messageReadPositionsTable = defineTable({
  name: 'message_read_positions',
  module: MODULE,
  columns: {
    channel_id: 'uuid',
    user_id: 'text',
    last_read_message_id: 'bigint',
    updated_at: 'timestamp',
  },
  partitionKey: ['channel_id', 'user_id'],
  usesLwt: true,
  comment: 'Legacy read positions (read-only); see message_read_marks',
});

/**
 * Read positions without a read before the write and without Paxos: each "read up to" is a
 * row of its own, newest first, and the position is the first row. A late, older mark from
 * another device adds a row below the newest and changes nothing. Older marks are cleared now
 * and then by one range delete (see reads.ts).
 */
export const messageReadMarksTable = defineTable({
  name: 'message_read_marks',
  module: MODULE,
  columns: {
    channel_id: 'uuid',
    user_id: 'text',
    message_id: 'bigint',
    marked_at: 'timestamp',
    /**
     * Counter snapshot at this mark, written by an explicit "read up to" (reads.ts): the
     * channel's message count and deleted count, and the member's sent count, as of the
     * marked message. Unset on the marks a send writes.
     */
    snap_messages: 'bigint',
    snap_sent: 'bigint',
    snap_deleted: 'bigint',
  },
  partitionKey: ['channel_id', 'user_id'],
  clusteringKey: [{ column: 'message_id', order: 'DESC' }],
  comment: 'Read marks per member, newest first; the first row is the read position',
});

/**
 * The channel's durable live feed: every message created / edited / deleted, reaction
 * added / removed and pin / unpin, in event-id order (Snowflakes from the module's id
 * service), so a live stream resumes after its Last-Event-ID with nothing lost. Partitions
 * are one day of a channel (see feed.ts); rows are written with the retention as their TTL,
 * so whole partitions expire together and time-window compaction drops them cheaply.
 * `payload` is the event's JSON exactly as it was published.
 */
export const channelEventsTable = defineTable({
  name: 'channel_events',
  module: MODULE,
  columns: {
    channel_id: 'uuid',
    bucket: 'int',
    event_id: 'bigint',
    type: 'text',
    payload: 'text',
  },
  partitionKey: ['channel_id', 'bucket'],
  // Replays only ever read forward from a cursor.
  clusteringKey: [{ column: 'event_id', order: 'ASC' }],
  // A backstop for writes without an explicit TTL; the feed always writes its configured retention.
  defaultTtlSeconds: 7 * 24 * 60 * 60,
  compaction: { kind: 'time-window', windowSize: 1, windowUnit: 'DAYS' },
  comment: 'Live channel events by (channel, day), oldest first, expiring after the retention',
});

/** Declared now for the Telegram bridge (issue 7): O(1) dedup lookup without a secondary index. */
export const telegramMessageMappingTable = defineTable({
  name: 'telegram_message_mapping',
  module: MODULE,
  columns: {
    telegram_message_id: 'bigint',
    telegram_chat_id: 'bigint',
    channel_id: 'uuid',
    message_id: 'bigint',
    bucket: 'int',
    created_at: 'timestamp',
  },
  partitionKey: ['telegram_message_id', 'telegram_chat_id'],
  usesLwt: true,
});

export const telegramSyncStateTable = defineTable({
  name: 'telegram_sync_state',
  module: MODULE,
  columns: {
    channel_id: 'uuid',
    telegram_chat_id: 'bigint',
    last_update_id: 'bigint',
    last_sync_at: 'timestamp',
    status: 'text',
    last_error: 'text',
  },
  partitionKey: ['channel_id'],
});

/**
 * The outbox of a message's asynchronous effects (today: the search index; issue 19). A send,
 * edit or delete writes one row here in the same write as the message change (one
 * transaction embedded; one logged batch with the message on ScyllaDB), and the effects
 * worker of the process holding the Snowflake worker id applies it afterwards, idempotently.
 * Partitions are (worker id, hour of the effect id): only the process leasing a worker id
 * writes its partitions, so the worker reads them in id order without contention. Rows expire
 * after a day; progress is kept per worker id in message_effects_progress.
 */
export const messageEffectsTable = defineTable({
  name: 'message_effects',
  module: MODULE,
  columns: {
    worker_id: 'int',
    hour: 'int',
    effect_id: 'bigint',
    channel_id: 'uuid',
    message_id: 'bigint',
  },
  partitionKey: ['worker_id', 'hour'],
  clusteringKey: [{ column: 'effect_id', order: 'ASC' }],
  defaultTtlSeconds: 24 * 60 * 60,
  compaction: { kind: 'time-window', windowSize: 1, windowUnit: 'HOURS' },
  comment: 'Pending asynchronous effects of message changes, by (worker id, hour)',
});

/** How far each worker id's effects are applied: every effect id up to `done_through`. */
export const messageEffectsProgressTable = defineTable({
  name: 'message_effects_progress',
  module: MODULE,
  columns: { worker_id: 'int', done_through: 'bigint', updated_at: 'timestamp' },
  partitionKey: ['worker_id'],
  comment: 'Effects outbox progress per Snowflake worker id',
});

export const messagingTables = [
  messagesTable,
  channelBucketsTable,
  channelMetadataTable,
  channelMessageCountsTable,
  channelMemberCountsTable,
  messageReactionsTable,
  messageReactionCountsTable,
  pinnedMessagesTable,
  channelPinStateTable,
  messageReadPositionsTable,
  messageReadMarksTable,
  channelEventsTable,
  telegramMessageMappingTable,
  telegramSyncStateTable,
  messageEffectsTable,
  messageEffectsProgressTable,
] as const;
