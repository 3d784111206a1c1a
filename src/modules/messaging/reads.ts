import { SwitchboardError } from '../../errors/index.js';
import type { WideColumnEngine } from '../../ports/wide-column/engine.js';
import type { Clock } from '../../shared/clock.js';
import { bucketOfId } from './buckets.js';
import type { ChatService } from './chats.js';
import { scanMessages } from './history.js';
import { notFound } from './messages.js';
import { messageReadPositionsTable, messagesTable } from './tables.js';
import type { UnreadCount } from './types.js';
import { checkChannelId } from './validation.js';

const MAX_ATTEMPTS = 32;

/**
 * Read positions and unread counts. A position only moves forward: each change is a
 * conditional write on the value read (IF NOT EXISTS for the first), so a late "read up to
 * an older message" from another device cannot move it back. Unread counts read at most
 * cap + 1 messages after the position, across buckets, so they cost the same in a channel
 * with a billion messages as in one with a hundred.
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
    const target = await this.engine.get(messagesTable, {
      channel_id: id,
      bucket: bucketOfId(messageId),
      message_id: messageId,
    });
    if (!target) throw notFound(messageId);
    return this.advance(id, actor, messageId);
  }

  /** Moves the position without a membership check (the caller has done it, e.g. a send). */
  async advance(
    channelId: string,
    userId: string,
    messageId: bigint,
  ): Promise<{ moved: boolean; lastReadMessageId: bigint }> {
    const key = { channel_id: channelId, user_id: userId };
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const current = await this.engine.get(messageReadPositionsTable, key);
      const last = current?.last_read_message_id ?? null;
      if (last !== null && last >= messageId) return { moved: false, lastReadMessageId: last };
      const set = { last_read_message_id: messageId, updated_at: this.clock.now() };
      const { applied } = current
        ? await this.engine.update(messageReadPositionsTable, key, set, {
            if: { last_read_message_id: last },
          })
        : await this.engine.insert(messageReadPositionsTable, { ...key, ...set }, { ifNotExists: true });
      if (applied) return { moved: true, lastReadMessageId: messageId };
    }
    throw new SwitchboardError('CONTENDED', 'Too many concurrent read-position updates; retry');
  }

  async position(channelId: string, actor: string): Promise<bigint | null> {
    const id = checkChannelId(channelId);
    await this.chats.requireMember(id, actor);
    return this.positionOf(id, actor);
  }

  private async positionOf(channelId: string, userId: string): Promise<bigint | null> {
    const row = await this.engine.get(messageReadPositionsTable, { channel_id: channelId, user_id: userId });
    return row?.last_read_message_id ?? null;
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
