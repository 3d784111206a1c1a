import { batchOp, type BatchOp, type WideColumnEngine } from '../../ports/wide-column/engine.js';
import type { Clock } from '../../shared/clock.js';
import { bucketOfId } from './buckets.js';
import type { ChatService } from './chats.js';
import { scanMessages } from './history.js';
import { notFound } from './messages.js';
import { messageReadMarksTable, messageReadPositionsTable, messagesTable } from './tables.js';
import type { UnreadCount } from './types.js';
import { checkChannelId } from './validation.js';

/**
 * One advance in this many also clears the marks below the new one (a single range delete,
 * so one range tombstone, below the row every read stops at). Random rather than by id: the
 * low bits of a Snowflake id are a per-millisecond sequence, mostly 0 on a quiet channel.
 */
const CLEAR_ONE_IN = 16;

/**
 * Read positions and unread counts. A position only moves forward, and costs no read and no
 * lightweight transaction: each "read up to" is its own row in message_read_marks (newest
 * first) and the position is the first row, so a late "read up to an older message" from
 * another device cannot move it back and two devices never conflict. Unread counts read at
 * most cap + 1 messages after the position, across buckets, so they cost the same in a
 * channel with a billion messages as in one with a hundred.
 */
export class ReadService {
  constructor(
    private readonly engine: WideColumnEngine,
    private readonly chats: ChatService,
    private readonly clock: Clock,
    private readonly cap: number,
  ) {}

  async markRead(
    channelId: string,
    actor: string,
    messageId: bigint,
  ): Promise<{ moved: boolean; lastReadMessageId: bigint }> {
    const id = checkChannelId(channelId);
    await this.chats.requireMember(id, actor);
    // The position only ever moves forward, so a made-up id (a future one, or one from another
    // channel) would freeze it there and hide every later message from the unread count for good.
    // The current position is read alongside, only to skip a mark that would change nothing:
    // the marks stay monotonic whatever another device writes in between.
    const [target, current] = await Promise.all([
      this.engine.get(messagesTable, {
        channel_id: id,
        bucket: bucketOfId(messageId),
        message_id: messageId,
      }),
      this.positionOf(id, actor),
    ]);
    if (!target) throw notFound(messageId);
    if (current !== null && current >= messageId) return { moved: false, lastReadMessageId: current };
    await this.advance(id, actor, messageId);
    return { moved: true, lastReadMessageId: messageId };
  }

  /**
   * Moves the position without a membership check (the caller has done it): one insert, no
   * read, no condition. A mark older than the position is a row below it: harmless.
   */
  async advance(channelId: string, userId: string, messageId: bigint): Promise<void> {
    await this.engine.batch([this.markOp(channelId, userId, messageId)]);
    await this.maybeClearBelow(channelId, userId, messageId);
  }

  /** The mark row of an advance, for a caller that writes it with its own rows (a send). */
  markOp(channelId: string, userId: string, messageId: bigint): BatchOp {
    return batchOp.insert(messageReadMarksTable, {
      channel_id: channelId,
      user_id: userId,
      message_id: messageId,
      marked_at: this.clock.now(),
    });
  }

  /** Housekeeping after an advance: now and then, clears the marks below it. */
  async maybeClearBelow(channelId: string, userId: string, messageId: bigint): Promise<void> {
    if (Math.random() * CLEAR_ONE_IN >= 1) return;
    await this.engine.deleteSlice(messageReadMarksTable, {
      key: { channel_id: channelId, user_id: userId },
      range: { column: 'message_id', lt: messageId },
    });
  }

  async position(channelId: string, actor: string): Promise<bigint | null> {
    const id = checkChannelId(channelId);
    await this.chats.requireMember(id, actor);
    return this.positionOf(id, actor);
  }

  /** The newest mark; a member with none yet falls back to a position stored before marks. */
  private async positionOf(channelId: string, userId: string): Promise<bigint | null> {
    const key = { channel_id: channelId, user_id: userId };
    const marks = await this.engine.slice(messageReadMarksTable, { key, limit: 1 });
    const newest = marks.rows[0]?.message_id;
    if (newest !== undefined) return newest;
    const legacy = await this.engine.get(messageReadPositionsTable, key);
    return legacy?.last_read_message_id ?? null;
  }

  async unread(channelId: string, actor: string): Promise<UnreadCount> {
    const id = checkChannelId(channelId);
    await this.chats.requireMember(id, actor);
    return this.countFor(id, actor);
  }

  /** Unread counts in every channel of the user, and their total (capped per channel). */
  async unreadAll(actor: string): Promise<{ channels: UnreadCount[]; total: number; display: string }> {
    const channelIds = await this.chats.channelIdsOf(actor);
    const channels = await Promise.all(channelIds.map((id) => this.countFor(id, actor)));
    const total = channels.reduce((sum, c) => sum + c.count, 0);
    const capped = channels.some((c) => c.capped);
    return { channels, total, display: capped ? `${total}+` : String(total) };
  }

  /**
   * Counts messages newer than the position, not deleted and not the user's own, stopping
   * at cap + 1. Own messages are skipped because a send already moves the sender's position.
   */
  private async countFor(channelId: string, userId: string): Promise<UnreadCount> {
    const last = await this.positionOf(channelId, userId);
    let count = 0;
    for await (const row of scanMessages(
      this.engine,
      channelId,
      'newer',
      last === null ? {} : { id: last },
      this.cap + 1,
    )) {
      if (row.deleted || row.sender_id === userId) continue;
      count += 1;
      if (count > this.cap) break;
    }
    const capped = count > this.cap;
    return {
      channelId,
      count: capped ? this.cap : count,
      capped,
      display: capped ? `${this.cap}+` : String(count),
      lastReadMessageId: last,
    };
  }
}
