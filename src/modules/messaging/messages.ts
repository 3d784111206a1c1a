import type { Logger } from 'pino';
import { SwitchboardError } from '../../errors/index.js';
import type { WideColumnEngine } from '../../ports/wide-column/engine.js';
import type { Clock } from '../../shared/clock.js';
import { bucketOfId } from './buckets.js';
import type { ChatService } from './chats.js';
import type { MessageEffects } from './effects.js';
import type { ChannelFeed } from './feed.js';
import { collect } from './history.js';
import { formatId } from './ids.js';
import { rowToMessage, type MessageRow, type MessageStore } from './message-store.js';
import type { ReactionService } from './reactions.js';
import type { ReadService } from './reads.js';
import { messageToJson } from './serialize.js';
import type { HistoryPage, HistoryQuery, Message, SendMessageInput } from './types.js';
import {
  checkAttachments,
  checkChannelId,
  checkContent,
  checkLimit,
  checkToken,
  checkUserId,
  invalid,
  RESERVED_MESSAGE_TYPES,
  RESERVED_SOURCES,
  reserved,
} from './validation.js';
import { notAllowed } from './chats.js';

/**
 * Longest text Telegram sends (Bot API: 4,096 characters). Messages from the bridge may be
 * this long even when `content_max_length` is lower: a text is stored whole, never cut; a
 * longer one (a forged update) is refused, and the bridge records and logs why.
 */
export const TELEGRAM_TEXT_MAX = 4096;

export interface IdSource {
  next(): Promise<bigint>;
  /** Epoch milliseconds by the clock ids are minted with. */
  now(): number;
}

export interface MessageServiceDeps {
  engine: WideColumnEngine;
  store: MessageStore;
  chats: ChatService;
  reactions: ReactionService;
  reads: ReadService;
  /** The channel feed: a send appends its event in its own write; edits and deletes publish. */
  feed: ChannelFeed;
  /** The outbox of asynchronous effects (search index), written with every change. */
  effects: MessageEffects;
  ids: IdSource;
  clock: Clock;
  logger: Logger;
  contentMaxLength: number;
  /**
   * Called inside a send once its id is taken, before the message is stored (the Telegram
   * outbox row). A failure fails the send and nothing is stored.
   */
  beforeStore?: (message: Message) => Promise<void>;
  /**
   * Called after a send is stored, not awaited (live counters, waking the Telegram relay):
   * nothing a caller relies on when the send returns; failures are logged.
   */
  afterSend?: (message: Message) => Promise<void>;
}

/**
 * Sending, reading, editing and deleting messages. Every call checks membership first.
 *
 * What a send does before it returns (issue 19): the membership check (cached role), the
 * Snowflake id, the Telegram outbox row when the channel is linked (cached link), then one
 * write holding the message, its feed event, the sender's read mark, the channel's and the
 * sender's counters, and its effects-outbox row; then the live publish. The search index and
 * the channel's last-message fields follow from the outbox (effects.ts). Sends within one channel run in the
 * feed's order in this process, so ids are stored and published in id order and a live
 * subscriber sees them in order.
 */
export class MessageService {
  constructor(private readonly deps: MessageServiceDeps) {}

  /**
   * `options.id` lets a caller that must record the id before the message exists (the
   * Telegram bridge's dedup mapping) pass one it took from `ids.next()`; it must come from
   * this process's generator so ids stay unique and ordered. `options.origin` is for the
   * service's own senders (the Telegram bridge): it sets `source` and allows the reserved
   * values a caller's input may not carry (RESERVED_VALUE).
   */
  async send(
    channelId: string,
    actor: string,
    input: SendMessageInput,
    options: { id?: bigint; origin?: 'telegram' | 'system' } = {},
  ): Promise<Message> {
    const id = checkChannelId(channelId);
    checkUserId(actor, 'actor');
    const content = checkContent(input.content, this.maxLength(options.origin));
    const messageType = checkToken(input.messageType, 'text', 'messageType');
    if (RESERVED_MESSAGE_TYPES.has(messageType) && options.origin !== 'system') {
      throw reserved('messageType', messageType);
    }
    let source: string;
    if (options.origin !== undefined) {
      source = options.origin;
    } else {
      source = checkToken(input.source, 'api', 'source');
      if (RESERVED_SOURCES.has(source)) throw reserved('source', source);
    }
    const attachments = checkAttachments(input.attachments);
    // Only spaces is nothing to show either (and nothing to find: search skips it).
    if (content.trim().length === 0 && attachments.length === 0)
      throw invalid('content', 'a message needs content or attachments');
    await this.deps.chats.requireMember(id, actor);
    const replyToId = input.replyToId ?? null;
    if (replyToId !== null && !(await this.deps.store.get(id, replyToId))) {
      throw new SwitchboardError('MESSAGE_NOT_FOUND', 'replyToId names no message in this channel', {
        field: 'replyToId',
      });
    }
    const { feed, effects } = this.deps;
    const message = await feed.sequence(id, async () => {
      const ticket = effects.begin();
      let effectId: bigint | null = null;
      try {
        const messageId = options.id ?? (await this.deps.ids.next());
        // A caller's id was taken earlier, maybe below rows the outbox has read past: the effect takes its own.
        const ownEffectId = options.id === undefined ? messageId : await this.deps.ids.next();
        const row: MessageRow = {
          channel_id: id,
          bucket: bucketOfId(messageId),
          message_id: messageId,
          sender_id: actor,
          content,
          message_type: messageType,
          source,
          reply_to_id: replyToId,
          attachments: attachments.length > 0 ? JSON.stringify(attachments) : null,
          edited_at: null,
          deleted: false,
          has_reactions: false,
        };
        const stored = rowToMessage(row);
        if (this.deps.beforeStore) await this.deps.beforeStore(stored);
        // The message id doubles as its feed event id: both are this process's Snowflakes.
        const event = feed.entry(
          { type: 'message.created', channelId: id, message: messageToJson(stored) },
          messageId,
        );
        await this.deps.store.insert(
          row,
          // What must agree with the message: its effect (search index, last message) and its
          // feed event (a stream resuming after a disconnect must meet every stored message).
          [effects.entry(ownEffectId, id, messageId), event.op],
          // Your own message is read; this is why unread counts need not filter much.
          [this.deps.reads.markOp(id, actor, messageId)],
        );
        effectId = ownEffectId;
        await feed.announce(event.published);
        return stored;
      } finally {
        effects.end(ticket, effectId);
      }
    });
    this.background('read-mark housekeeping', this.deps.reads.maybeClearBelow(id, actor, message.id), id);
    if (this.deps.afterSend) this.background('post-send bookkeeping', this.deps.afterSend(message), id);
    return message;
  }

  /** Work a caller does not wait for; a failure is logged, never lost silently. */
  private background(what: string, work: Promise<void>, channelId: string): void {
    work.catch((error: Error) => this.deps.logger.warn({ channelId, err: error }, `${what} failed`));
  }

  private maxLength(origin: 'telegram' | 'system' | undefined): number {
    return origin === 'telegram'
      ? Math.max(this.deps.contentMaxLength, TELEGRAM_TEXT_MAX)
      : this.deps.contentMaxLength;
  }

  async get(channelId: string, actor: string, messageId: bigint): Promise<Message> {
    const id = checkChannelId(channelId);
    await this.deps.chats.requireMember(id, actor);
    const row = await this.require(id, messageId);
    const [message] = await this.deps.reactions.decorate(id, actor, [row]);
    return message!;
  }

  async edit(
    channelId: string,
    actor: string,
    messageId: bigint,
    input: { content: string },
    options: { origin?: 'telegram' | 'system' } = {},
  ): Promise<Message> {
    const id = checkChannelId(channelId);
    const content = checkContent(input.content, this.maxLength(options.origin));
    await this.deps.chats.requireMember(id, actor);
    const row = await this.require(id, messageId);
    if (row.deleted) throw notFound(messageId);
    if (row.sender_id !== actor) throw notAllowed('only the sender can edit a message');
    // The same rule as a send: an edit must not leave a message with nothing in it.
    if (content.trim().length === 0 && !row.attachments)
      throw invalid('content', 'a message needs content or attachments');
    const editedAt = this.deps.clock.now();
    await this.changeRow(id, messageId, { content, edited_at: editedAt });
    const message = rowToMessage({ ...row, content, edited_at: editedAt });
    await this.deps.feed.publish({ type: 'message.edited', channelId: id, message: messageToJson(message) });
    return message;
  }

  /** Tombstones the message: it stays in history, reads as deleted, content and attachments cleared. Idempotent. */
  async delete(channelId: string, actor: string, messageId: bigint): Promise<Message> {
    const id = checkChannelId(channelId);
    const role = await this.deps.chats.requireMember(id, actor);
    const row = await this.require(id, messageId);
    if (row.sender_id !== actor && role === 'member')
      throw notAllowed('only the sender, an admin or an owner can delete');
    if (!row.deleted) {
      await this.changeRow(id, messageId, { content: null, attachments: null, deleted: true });
      await this.deps.store.countDeleted(id);
      await this.deps.feed.publish({
        type: 'message.deleted',
        channelId: id,
        messageId: formatId(messageId),
      });
    }
    return rowToMessage({ ...row, deleted: true });
  }

  /**
   * One page of history, newest first: the newest messages, or those before, after or
   * around an id (around: the anchor and older fill the first half, newer the rest).
   */
  async history(channelId: string, actor: string, query: HistoryQuery = {}): Promise<HistoryPage> {
    const id = checkChannelId(channelId);
    const limit = checkLimit(query.limit);
    const anchors = (['before', 'after', 'around'] as const).filter((k) => query[k] !== undefined);
    if (anchors.length > 1) throw invalid(anchors[1]!, `give at most one of before, after and around`);
    await this.deps.chats.requireMember(id, actor);
    const { engine } = this.deps;
    let rows: MessageRow[];
    let hasOlder: boolean;
    let hasNewer: boolean;
    // A flag is looked up, not assumed: collect(..., 0) reads at most one row past the page,
    // so a client never pages towards messages that are not there.
    const exists = (direction: 'older' | 'newer', anchor: bigint) =>
      collect(engine, id, direction, { id: anchor, inclusive: true }, 0).then((r) => r.more);
    if (query.after !== undefined) {
      const [newer, older] = await Promise.all([
        collect(engine, id, 'newer', { id: query.after }, limit),
        exists('older', query.after),
      ]);
      rows = newer.rows.reverse();
      hasNewer = newer.more;
      hasOlder = older;
    } else if (query.around !== undefined) {
      const newerCount = Math.floor(limit / 2);
      const [older, newer] = await Promise.all([
        collect(engine, id, 'older', { id: query.around, inclusive: true }, limit - newerCount),
        // With no room for newer rows (limit 1) this still answers whether any exist.
        collect(engine, id, 'newer', { id: query.around }, newerCount),
      ]);
      rows = [...newer.rows.reverse(), ...older.rows];
      hasOlder = older.more;
      hasNewer = newer.more;
    } else {
      const [older, newer] = await Promise.all([
        collect(engine, id, 'older', { id: query.before, now: this.deps.ids.now() }, limit),
        query.before === undefined ? false : exists('newer', query.before),
      ]);
      rows = older.rows;
      hasOlder = older.more;
      hasNewer = newer;
    }
    const messages = await this.deps.reactions.decorate(id, actor, rows);
    return { messages, hasOlder, hasNewer };
  }

  private async require(channelId: string, messageId: bigint): Promise<MessageRow> {
    const row = await this.deps.store.get(channelId, messageId);
    if (!row) throw notFound(messageId);
    return row;
  }

  /** Updates a stored message with its effects-outbox row, in one write. */
  private async changeRow(
    channelId: string,
    messageId: bigint,
    set: Parameters<MessageStore['update']>[2],
  ): Promise<void> {
    const { effects } = this.deps;
    const ticket = effects.begin();
    let effectId: bigint | null = null;
    try {
      const taken = await this.deps.ids.next();
      await this.deps.store.update(channelId, messageId, set, [effects.entry(taken, channelId, messageId)]);
      effectId = taken;
    } finally {
      effects.end(ticket, effectId);
    }
  }
}

export function notFound(messageId: bigint): SwitchboardError {
  return new SwitchboardError('MESSAGE_NOT_FOUND', `No message ${formatId(messageId)} in this channel`, {
    field: 'messageId',
    details: { messageId: formatId(messageId) },
  });
}
