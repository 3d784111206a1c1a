import { newRow, type Row } from '../../ports/wide-column/declare.js';
import { batchOp, type WideColumnEngine } from '../../ports/wide-column/engine.js';
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

  /**
   * The message, then its counter. A new bucket's marker is written first and on its own: a
   * marker without messages is an empty bucket to history, whereas a message without its
   * marker would be invisible to it. The message row and the channel's last-message fields need
   * not agree (last writer wins, history never reads them), so they go as one non-atomic batch:
   * one transaction embedded, two concurrent statements and no batchlog on ScyllaDB.
   */
  async insert(row: MessageRow): Promise<void> {
    const bucket = row.bucket;
    const marker = `${row.channel_id}:${bucket}`;
    if (!this.knownBuckets.has(marker)) {
      await this.engine.insert(channelBucketsTable, { channel_id: row.channel_id, bucket });
      this.remember(marker);
    }
    await this.engine.batch(
      [
        // A new message: absent values (no reply, no attachments, never edited) stay unset.
        batchOp.insert(messagesTable, newRow(row)),
        batchOp.update(
          channelMetadataTable,
          { channel_id: row.channel_id },
          // Last writer wins: ids are time-ordered and sends per channel are serialised in
          // this process, so the newest id is written last; across processes it can lag
          // briefly, and history never relies on it.
          { last_message_id: row.message_id, last_message_at: idToTime(row.message_id) },
        ),
      ],
      { atomic: false },
    );
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
