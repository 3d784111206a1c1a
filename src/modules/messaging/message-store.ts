import { newRow, type Row } from '../../ports/wide-column/declare.js';
import { batchOp, type BatchOp, type WideColumnEngine } from '../../ports/wide-column/engine.js';
import { GroupCommit } from '../../ports/wide-column/group-commit.js';
import { bucketOfId } from './buckets.js';
import { idToTime } from './ids.js';
import {
  channelBucketsTable,
  channelMemberCountsTable,
  channelMessageCountsTable,
  channelMetadataTable,
  messagesTable,
} from './tables.js';
import type { Message } from './types.js';
import type { Attachment } from './validation.js';
import { BoundedMemo } from '../../shared/bounded-memo.js';

export type MessageRow = Row<typeof messagesTable>;

const KNOWN_BUCKETS_MAX = 50_000;
/** From this many ids in one bucket, getMany reads their range in one slice. */
const RANGE_READ_MIN = 4;

/**
 * Store access for messages and their channel bookkeeping (wide-column only, no rules).
 */
export class MessageStore {
  /** Buckets this process already recorded in channel_buckets; re-writing is harmless, skipping saves a write. */
  private readonly knownBuckets = new BoundedMemo<string>(KNOWN_BUCKETS_MAX);
  private readonly group: GroupCommit | undefined;

  /** `groupCommitWriters`: most sends per shared transaction on the embedded engine (1: none). */
  constructor(
    private readonly engine: WideColumnEngine,
    groupCommitWriters = 1,
  ) {
    if (engine.kind === 'embedded' && groupCommitWriters > 1)
      this.group = new GroupCommit(engine, groupCommitWriters);
  }

  /**
   * A new message with the rows a send writes beside it: `bound` must agree with the message
   * (its effects-outbox row and its feed event), `beside` need not (the sender's read mark).
   *
   * A new bucket's marker is written first and on its own: a marker without messages is an
   * empty bucket to history, whereas a message without its marker would be invisible to it.
   * Then everything else in one write, with no read before it:
   * - embedded: one transaction, shared with concurrent sends (group commit, group-commit.ts);
   * - ScyllaDB: the message and `bound` as one logged batch (they must agree), and at the same
   *   time the channel's and the sender's counters and `beside` as separate statements (they
   *   need not agree, and history never reads them).
   */
  async insert(row: MessageRow, bound: readonly BatchOp[], beside: readonly BatchOp[]): Promise<void> {
    const bucket = row.bucket;
    const marker = `${row.channel_id}:${bucket}`;
    if (!this.knownBuckets.has(marker)) {
      await this.engine.insert(channelBucketsTable, { channel_id: row.channel_id, bucket });
      this.knownBuckets.set(marker, true);
    }
    // A new message: absent values (no reply, no attachments, never edited) stay unset.
    const together = [batchOp.insert(messagesTable, newRow(row)), ...bound];
    // The channel's last-message fields follow from the effects outbox (last-message.ts).
    const loose = [
      batchOp.increment(channelMessageCountsTable, { channel_id: row.channel_id }, { message_count: 1n }),
      batchOp.increment(
        channelMemberCountsTable,
        { channel_id: row.channel_id, user_id: row.sender_id ?? '' },
        { sent_count: 1n },
      ),
      ...beside,
    ];
    if (this.group) {
      await this.group.write([...together, ...loose]);
    } else if (this.engine.kind === 'embedded') {
      await this.engine.batch([...together, ...loose], { atomic: false });
    } else {
      await Promise.all([this.engine.batch(together), this.engine.batch(loose, { atomic: false })]);
    }
  }

  /**
   * Several messages of one channel by id (the effects worker's page). Ids of one bucket are
   * read with one slice over their range when there are a few of them (a send burst is a run
   * of nearby ids), the rest point by point; ids not stored are absent from the map.
   */
  async getMany(channelId: string, ids: readonly bigint[]): Promise<Map<bigint, MessageRow>> {
    const found = new Map<bigint, MessageRow>();
    const byBucket = new Map<number, bigint[]>();
    for (const id of ids) {
      const bucket = bucketOfId(id);
      byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), id]);
    }
    await Promise.all(
      [...byBucket].map(async ([bucket, wanted]) => {
        if (wanted.length >= RANGE_READ_MIN) {
          const sorted = [...wanted].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
          const page = await this.engine.slice(messagesTable, {
            key: { channel_id: channelId, bucket },
            range: { column: 'message_id', gte: sorted[0]!, lte: sorted[sorted.length - 1]! },
            order: 'ASC',
            // Other writers' messages may sit between them: read a few more, then fall back.
            limit: Math.min(wanted.length * 4, 1000),
          });
          const want = new Set(wanted);
          for (const row of page.rows) if (want.has(row.message_id)) found.set(row.message_id, row);
        }
        await Promise.all(
          wanted
            .filter((id) => !found.has(id))
            .map(async (id) => {
              const row = await this.get(channelId, id);
              if (row) found.set(id, row);
            }),
        );
      }),
    );
    return found;
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
    /** Rows that must agree with the change (an effects-outbox row): one batch with it. */
    bound: readonly BatchOp[] = [],
  ): Promise<void> {
    const key = { channel_id: channelId, bucket: bucketOfId(id), message_id: id };
    if (bound.length === 0) await this.engine.update(messagesTable, key, set);
    else await this.engine.batch([batchOp.update(messagesTable, key, set), ...bound]);
  }

  /** Counts a deletion (unread counts use it as a bound, reads.ts). */
  async countDeleted(channelId: string): Promise<void> {
    await this.engine.increment(channelMessageCountsTable, { channel_id: channelId }, { deleted_count: 1n });
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
