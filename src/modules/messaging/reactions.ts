import type { Logger } from 'pino';
import type { WideColumnEngine } from '../../ports/wide-column/engine.js';
import type { Clock } from '../../shared/clock.js';
import type { ChatService } from './chats.js';
import type { EventSink } from './events.js';
import { formatId } from './ids.js';
import { rowToMessage, type MessageRow, type MessageStore } from './message-store.js';
import { notFound } from './messages.js';
import { messageReactionCountsTable, messageReactionsTable } from './tables.js';
import type { Message, ReactionSummary } from './types.js';
import { KeyedQueue } from '../../shared/keyed-queue.js';
import { SwitchboardError } from '../../errors/index.js';
import { checkChannelId, checkEmoji, checkStoredEmoji } from './validation.js';

export interface ReactionChange {
  /** False when the reaction was already there (add) or already absent (remove). */
  changed: boolean;
  emoji: string;
  count: number;
}

/**
 * Reactions: one row per (message, emoji, user), written IF NOT EXISTS and deleted IF
 * EXISTS, and the counter moves only when that conditional write applied. Two adds of the
 * same reaction race on the row, exactly one applies, so the count equals the number of
 * rows under any interleaving. (A crash between the row and the counter write can leave
 * the count off by one; the rows stay the truth.)
 *
 * A message holds at most `reactionLimit` distinct emoji (REACTION_LIMIT_REACHED); more
 * users may always join an emoji already there. Adds of a new emoji to one message are
 * serialised in this process, so the limit holds exactly here; two processes adding two
 * new emoji to one message at the same instant can pass it by one each.
 */
export class ReactionService {
  private readonly queue = new KeyedQueue();

  constructor(
    private readonly engine: WideColumnEngine,
    private readonly store: MessageStore,
    private readonly chats: ChatService,
    private readonly events: EventSink,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly reactionLimit = 20,
  ) {}

  async add(channelId: string, actor: string, messageId: bigint, emojiRaw: string): Promise<ReactionChange> {
    const id = checkChannelId(channelId);
    const emoji = checkEmoji(emojiRaw);
    await this.chats.requireMember(id, actor);
    const message = await this.store.get(id, messageId);
    if (!message || message.deleted) throw notFound(messageId);
    const key = { channel_id: id, message_id: messageId, emoji };
    const result = await this.queue.run(`${id}/${messageId}`, async () => {
      if ((await this.count(id, messageId, emoji)) === 0) await this.requireRoom(id, messageId);
      const inserted = await this.engine.insert(
        messageReactionsTable,
        { ...key, user_id: actor, reacted_at: this.clock.now() },
        { ifNotExists: true },
      );
      if (inserted.applied) await this.engine.increment(messageReactionCountsTable, key, { count: 1n });
      return inserted;
    });
    if (result.applied && !message.has_reactions) {
      await this.store.update(id, messageId, { has_reactions: true });
    }
    const count = await this.count(id, messageId, emoji);
    if (result.applied) await this.publish('reaction.added', id, messageId, emoji, actor, count);
    return { changed: result.applied, emoji, count };
  }

  async remove(
    channelId: string,
    actor: string,
    messageId: bigint,
    emojiRaw: string,
  ): Promise<ReactionChange> {
    const id = checkChannelId(channelId);
    const emoji = checkStoredEmoji(emojiRaw);
    await this.chats.requireMember(id, actor);
    const key = { channel_id: id, message_id: messageId, emoji };
    const result = await this.engine.delete(
      messageReactionsTable,
      { ...key, user_id: actor },
      { ifExists: true },
    );
    if (result.applied) await this.engine.increment(messageReactionCountsTable, key, { count: -1n });
    const count = await this.count(id, messageId, emoji);
    if (result.applied) await this.publish('reaction.removed', id, messageId, emoji, actor, count);
    return { changed: result.applied, emoji, count };
  }

  /** Counts per emoji with the reader's `me` flag. */
  async list(channelId: string, actor: string, messageId: bigint): Promise<ReactionSummary[]> {
    const id = checkChannelId(channelId);
    await this.chats.requireMember(id, actor);
    if (!(await this.store.get(id, messageId))) throw notFound(messageId);
    return this.summaries(id, actor, messageId);
  }

  /** Who reacted with `emoji`, in user-id order, a page at a time. */
  async users(
    channelId: string,
    actor: string,
    messageId: bigint,
    emojiRaw: string,
    options: { limit?: number; pageToken?: string | null } = {},
  ): Promise<{ userIds: string[]; nextPageToken: string | null }> {
    const id = checkChannelId(channelId);
    const emoji = checkStoredEmoji(emojiRaw);
    await this.chats.requireMember(id, actor);
    const page = await this.engine.slice(messageReactionsTable, {
      key: { channel_id: id, message_id: messageId, emoji },
      limit: options.limit ?? 100,
      pageToken: options.pageToken ?? null,
    });
    return { userIds: page.rows.map((r) => r.user_id), nextPageToken: page.nextPageToken };
  }

  /** Turns rows into messages carrying reactions; only rows flagged `has_reactions` cost a read. */
  async decorate(channelId: string, reader: string, rows: readonly MessageRow[]): Promise<Message[]> {
    return Promise.all(
      rows.map(async (row) => {
        const message = rowToMessage(row);
        message.reactions =
          row.has_reactions && !message.deleted
            ? await this.summaries(channelId, reader, row.message_id)
            : [];
        return message;
      }),
    );
  }

  private async summaries(channelId: string, reader: string, messageId: bigint): Promise<ReactionSummary[]> {
    const counts = await this.engine.slice(messageReactionCountsTable, {
      key: { channel_id: channelId, message_id: messageId },
      limit: 1000,
    });
    const present = counts.rows.filter((r) => (r.count ?? 0n) > 0n);
    return Promise.all(
      present.map(async (r) => {
        const mine = await this.engine.get(messageReactionsTable, {
          channel_id: channelId,
          message_id: messageId,
          emoji: r.emoji,
          user_id: reader,
        });
        return { emoji: r.emoji, count: Number(r.count), me: mine !== null };
      }),
    );
  }

  /** Refuses a new emoji on a message that already carries `reactionLimit` distinct ones. */
  private async requireRoom(channelId: string, messageId: bigint): Promise<void> {
    const counts = await this.engine.slice(messageReactionCountsTable, {
      key: { channel_id: channelId, message_id: messageId },
      limit: 1000,
    });
    const distinct = counts.rows.filter((r) => (r.count ?? 0n) > 0n).length;
    if (distinct >= this.reactionLimit) {
      throw new SwitchboardError(
        'REACTION_LIMIT_REACHED',
        `The message already has ${distinct} distinct reactions; at most ${this.reactionLimit} allowed`,
        { field: 'emoji', details: { limit: this.reactionLimit } },
      );
    }
  }

  private async count(channelId: string, messageId: bigint, emoji: string): Promise<number> {
    const row = await this.engine.get(messageReactionCountsTable, {
      channel_id: channelId,
      message_id: messageId,
      emoji,
    });
    return Number(row?.count ?? 0n);
  }

  private async publish(
    type: 'reaction.added' | 'reaction.removed',
    channelId: string,
    messageId: bigint,
    emoji: string,
    userId: string,
    count: number,
  ): Promise<void> {
    await this.events
      .publish({ type, channelId, messageId: formatId(messageId), emoji, userId, count })
      .catch((error: Error) => this.logger.warn({ channelId, err: error }, 'live event publish failed'));
  }
}
