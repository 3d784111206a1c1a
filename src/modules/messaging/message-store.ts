import { newRow, type Row } from '../../ports/wide-column/declare.js';
import { batchOp, type BatchOp, type WideColumnEngine } from '../../ports/wide-column/engine.js';
import { bucketOfId } from './buckets.js';
import { idToTime } from './ids.js';
import {
  channelBucketsTable,
  channelMessageCountsTable,
  channelMetadataTable,
  messagesTable,
} from './tables.js';
import type { Message } from './types.js';
import type { Attachment } from './validation.js';

export type MessageRow = Row<typeof messagesTable>;

const KNOWN_BUCKETS_MAX = 50_000;

/**
 * Store access for messages and their channel bookkeeping (wide-column only, no rules).
 * A send is one logged batch: the message, the channel's bucket marker (only when this
 * process has not yet written it) and the channel metadata, so a reader never finds a
 * message in a bucket the channel does not list.
 */
export class MessageStore {
  /** Buckets this process already recorded in channel_buckets; re-writing is harmless, skipping saves a write. */
  private readonly knownBuckets = new Set<string>();

  constructor(private readonly engine: WideColumnEngine) {}

  async insert(row: MessageRow): Promise<void> {
    const bucket = row.bucket;
    const marker = `${row.channel_id}:${bucket}`;
    // A new message: absent values (no reply, no attachments, never edited) stay unset.
    const ops: BatchOp[] = [batchOp.insert(messagesTable, newRow(row))];
    const newBucket = !this.knownBuckets.has(marker);
    if (newBucket) ops.push(batchOp.insert(channelBucketsTable, { channel_id: row.channel_id, bucket }));
    ops.push(
      batchOp.update(
        channelMetadataTable,
        { channel_id: row.channel_id },
        // Last writer wins: ids are time-ordered and sends per channel are serialised in
        // this process, so the newest id is written last; across processes it can lag
        // briefly, and history never relies on it.
        { last_message_id: row.message_id, last_message_at: idToTime(row.message_id) },
      ),
    );
    await this.engine.batch(ops);
    if (newBucket) this.remember(marker);
    await this.engine.increment(
      channelMessageCountsTable,
      { channel_id: row.channel_id },
      { message_count: 1n },
    );
  }

  private remember(marker: string): void {
    if (this.knownBuckets.size >= KNOWN_BUCKETS_MAX) this.knownBuckets.clear();
    this.knownBuckets.add(marker);
  }

  async get(channelId: string, id: bigint): Promise<MessageRow | null> {
    return this.engine.get(messagesTable, { channel_id: channelId, bucket: bucketOfId(id), message_id: id });
  }

  async update(
    channelId: string,
    id: bigint,
    set: {
      content?: string | null;
      attachments?: string | null;
      edited_at?: Date;
      deleted?: boolean;
      has_reactions?: boolean;
    },
  ): Promise<void> {
    await this.engine.update(
      messagesTable,
      { channel_id: channelId, bucket: bucketOfId(id), message_id: id },
      set,
    );
  }

  async metadata(channelId: string) {
    const [meta, count] = await Promise.all([
      this.engine.get(channelMetadataTable, { channel_id: channelId }),
      this.engine.get(channelMessageCountsTable, { channel_id: channelId }),
    ]);
    return meta ? { ...meta, message_count: count?.message_count ?? 0n } : null;
  }
}

export function rowToMessage(row: MessageRow): Message {
  const deleted = row.deleted === true;
  return {
    channelId: row.channel_id,
    id: row.message_id,
    senderId: row.sender_id ?? '',
    // A tombstone reads as deleted with its content cleared, even if an edit raced the delete.
    content: deleted ? '' : (row.content ?? ''),
    messageType: row.message_type ?? 'text',
    source: row.source ?? 'api',
    replyToId: row.reply_to_id,
    attachments: deleted || !row.attachments ? [] : (JSON.parse(row.attachments) as Attachment[]),
    createdAt: idToTime(row.message_id),
    editedAt: row.edited_at,
    deleted,
  };
}
