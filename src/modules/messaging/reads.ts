import { batchOp, type BatchOp, type WideColumnEngine } from '../../ports/wide-column/engine.js';
import type { Clock } from '../../shared/clock.js';
import { bucketOfId } from './buckets.js';
import type { ChatService } from './chats.js';
import { scanMessages } from './history.js';
import { notFound } from './messages.js';
import {
  channelMemberCountsTable,
  channelMessageCountsTable,
  messageReadMarksTable,
  messageReadPositionsTable,
  messagesTable,
} from './tables.js';
import type { UnreadCount } from './types.js';
import { checkChannelId } from './validation.js';

/**
 * One advance in this many also clears the marks below the new one (a single range delete,
 * so one range tombstone, below the row every read stops at). Random rather than by id: the
 * low bits of a Snowflake id are a per-millisecond sequence, mostly 0 on a quiet channel.
 */
const CLEAR_ONE_IN = 16;

/** A snapshot is taken only when at most this many messages follow the marked one. */
const SNAPSHOT_SCAN = 1000;

/** Most channels one sidebar query counts. */
export const SIDEBAR_MAX = 500;

type Snapshot = { snap_messages: bigint; snap_sent: bigint; snap_deleted: bigint };

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
    const snapshot = await this.snapshotAt(id, actor, messageId);
    await this.engine.batch([this.markOp(id, actor, messageId, snapshot)]);
    await this.maybeClearBelow(id, actor, messageId);
    return { moved: true, lastReadMessageId: messageId };
  }

  /**
   * The counters as of message `at`: the counters now, less what a bounded scan finds after
   * `at`. Counters are read first, so a message stored in between is in the scan but not the
   * counters: the snapshot can only come out low (a count one high), never high (a message
   * missed). Embedded, nothing commits in between (the engine does no I/O between them). Null when more than SNAPSHOT_SCAN messages follow `at` (no snapshot: counts
   * scan as before).
   */
  private async snapshotAt(channelId: string, userId: string, at: bigint): Promise<Snapshot | null> {
    const counters = await this.countersOf(channelId, userId);
    let others = 0n;
    let own = 0n;
    let seen = 0;
    for await (const row of scanMessages(this.engine, channelId, 'newer', { id: at }, SNAPSHOT_SCAN + 1)) {
      seen += 1;
      if (seen > SNAPSHOT_SCAN) return null;
      if (row.sender_id === userId) own += 1n;
      else if (!row.deleted) others += 1n;
    }
    // Deleted messages of others after `at` count as "already accounted for", like read ones.
    return {
      snap_messages: counters.messages - own - others,
      snap_sent: counters.sent - own,
      snap_deleted: counters.deleted,
    };
  }

  private async countersOf(channelId: string, userId: string) {
    const [channel, member] = await Promise.all([
      this.engine.get(channelMessageCountsTable, { channel_id: channelId }),
      this.engine.get(channelMemberCountsTable, { channel_id: channelId, user_id: userId }),
    ]);
    return {
      messages: channel?.message_count ?? 0n,
      deleted: channel?.deleted_count ?? 0n,
      sent: member?.sent_count ?? 0n,
    };
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
  markOp(channelId: string, userId: string, messageId: bigint, snapshot: Snapshot | null = null): BatchOp {
    return batchOp.insert(messageReadMarksTable, {
      channel_id: channelId,
      user_id: userId,
      message_id: messageId,
      marked_at: this.clock.now(),
      // Absent, not null, when there is none: no tombstones (issue 22).
      ...(snapshot ?? {}),
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
    return (await this.newestMark(channelId, userId)).position;
  }

  private async newestMark(
    channelId: string,
    userId: string,
  ): Promise<{ position: bigint | null; snapshot: Snapshot | null }> {
    const key = { channel_id: channelId, user_id: userId };
    const marks = await this.engine.slice(messageReadMarksTable, { key, limit: 1 });
    const newest = marks.rows[0];
    if (newest !== undefined) {
      const { snap_messages, snap_sent, snap_deleted } = newest;
      const snapshot =
        snap_messages !== null && snap_sent !== null && snap_deleted !== null
          ? { snap_messages, snap_sent, snap_deleted }
          : null;
      return { position: newest.message_id, snapshot };
    }
    const legacy = await this.engine.get(messageReadPositionsTable, key);
    return { position: legacy?.last_read_message_id ?? null, snapshot: null };
  }

  async unread(channelId: string, actor: string): Promise<UnreadCount> {
    const id = checkChannelId(channelId);
    await this.chats.requireMember(id, actor);
    return this.countFor(id, actor);
  }

  /**
   * Unread counts in the user's channels, and their total (capped per channel): the sidebar.
   * Bounded: at most SIDEBAR_MAX channels, the most recently joined first; `truncated` says
   * the user has more.
   */
  async unreadAll(
    actor: string,
  ): Promise<{ channels: UnreadCount[]; total: number; display: string; truncated: boolean }> {
    const ids = await this.chats.channelIdsOf(actor, SIDEBAR_MAX + 1);
    const truncated = ids.length > SIDEBAR_MAX;
    const channels = await Promise.all(ids.slice(0, SIDEBAR_MAX).map((id) => this.countFor(id, actor)));
    const total = channels.reduce((sum, c) => sum + c.count, 0);
    const capped = channels.some((c) => c.capped) || truncated;
    return { channels, total, display: capped ? `${total}+` : String(total), truncated };
  }

  /**
   * Counts messages newer than the position, not deleted and not the user's own, stopping
   * at cap + 1. Own messages are skipped because a send already moves the sender's position.
   */
  private async countFor(channelId: string, userId: string): Promise<UnreadCount> {
    const [{ position: last, snapshot }, counters] = await Promise.all([
      this.newestMark(channelId, userId),
      this.countersOf(channelId, userId),
    ]);
    if (snapshot) {
      // Messages of others since the mark, counting the deleted ones; at most `deletions` of
      // them are gone. A snapshot is never high (snapshotAt), so `estimate` is never low.
      const estimate = counters.messages - snapshot.snap_messages - (counters.sent - snapshot.snap_sent);
      const deletions = counters.deleted - snapshot.snap_deleted;
      // With no deletion since the snapshot the estimate is the count. (On a cluster a send
      // committing while the snapshot was taken can make it one high until the next mark.)
      if (deletions === 0n) {
        const count = estimate < 0n ? 0 : estimate > BigInt(this.cap) ? this.cap + 1 : Number(estimate);
        return this.unreadCount(channelId, count, last);
      }
      // Even if every deletion hit one of them, more than the cap remain.
      if (estimate - deletions > BigInt(this.cap)) return this.unreadCount(channelId, this.cap + 1, last);
    }
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
    return this.unreadCount(channelId, count, last);
  }

  private unreadCount(channelId: string, count: number, last: bigint | null): UnreadCount {
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
