import type { Logger } from 'pino';
import { KeyedQueue } from '../../shared/keyed-queue.js';
import { SwitchboardError } from '../../errors/index.js';
import type { WideColumnEngine } from '../../ports/wide-column/engine.js';
import type { Clock } from '../../shared/clock.js';
import { bucketOfId } from './buckets.js';
import type { ChatService } from './chats.js';
import type { EventSink } from './events.js';
import { collect } from './history.js';
import { formatId } from './ids.js';
import { rowToMessage, type MessageRow, type MessageStore } from './message-store.js';
import type { ReactionService } from './reactions.js';
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
}

export interface MessageServiceDeps {
  engine: WideColumnEngine;
  store: MessageStore;
  chats: ChatService;
  reactions: ReactionService;
  /** The channel feed: appends the event durably, then publishes it live. */
  events: EventSink;
  ids: IdSource;
  clock: Clock;
  logger: Logger;
  contentMaxLength: number;
  /**
   * Called inside a send once its id is taken, before the message is stored (the Telegram
   * outbox row). A failure fails the send and nothing is stored.
   */
  beforeStore?: (message: Message) => Promise<void>;
  /** Called after a send is stored (read position of the sender, live counters); failures are logged only. */
  afterSend?: (message: Message) => Promise<void>;
  /**
   * Called after every stored send, edit and delete, before the call returns (the search
   * index, the Telegram mirror); failures are logged only: the message change stands.
   */
  afterChange?: (change: { kind: 'created' | 'edited' | 'deleted'; message: Message }) => Promise<void>;
}

/**
 * Sending, reading, editing and deleting messages. Every call checks membership first.
 * Sends within one channel are serialised in this process, so ids are stored and
 * published in id order and a live subscriber sees them in order.
 */
export class MessageService {
  private readonly queue = new KeyedQueue();

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
    if (content.length === 0 && attachments.length === 0)
      throw invalid('content', 'a message needs content or attachments');
    await this.deps.chats.requireMember(id, actor);
    const replyToId = input.replyToId ?? null;
    if (replyToId !== null && !(await this.deps.store.get(id, replyToId))) {
      throw new SwitchboardError('MESSAGE_NOT_FOUND', 'replyToId names no message in this channel', {
        field: 'replyToId',
      });
    }
    const message = await this.queue.run(id, async () => {
      const messageId = options.id ?? (await this.deps.ids.next());
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
      if (this.deps.beforeStore) await this.deps.beforeStore(rowToMessage(row));
      await this.deps.store.insert(row);
      const stored = rowToMessage(row);
      await this.publish({ type: 'message.created', channelId: id, message: messageToJson(stored) });
      return stored;
    });
    if (this.deps.afterSend) {
      await this.deps
        .afterSend(message)
        .catch((error: Error) =>
          this.deps.logger.warn({ channelId: id, err: error }, 'post-send bookkeeping failed'),
        );
    }
    await this.changed('created', message);
    return message;
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
    if (content.length === 0 && !row.attachments)
      throw invalid('content', 'a message needs content or attachments');
    const editedAt = this.deps.clock.now();
    await this.deps.store.update(id, messageId, { content, edited_at: editedAt });
    const message = rowToMessage({ ...row, content, edited_at: editedAt });
    await this.publish({ type: 'message.edited', channelId: id, message: messageToJson(message) });
    await this.changed('edited', message);
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
      await this.deps.store.update(id, messageId, { content: null, attachments: null, deleted: true });
      await this.publish({ type: 'message.deleted', channelId: id, messageId: formatId(messageId) });
      await this.changed('deleted', rowToMessage({ ...row, deleted: true }));
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
        collect(engine, id, 'older', { id: query.before }, limit),
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

  private async publish(event: Parameters<EventSink['publish']>[0]): Promise<void> {
    // The store is the record; a failed publish must not fail the write the caller already made.
    await this.deps.events
      .publish(event)
      .catch((error: Error) =>
        this.deps.logger.warn(
          { channelId: event.channelId, type: event.type, err: error },
          'live event publish failed',
        ),
      );
  }

  private async changed(kind: 'created' | 'edited' | 'deleted', message: Message): Promise<void> {
    if (!this.deps.afterChange) return;
    await this.deps
      .afterChange({ kind, message })
      .catch((error: Error) =>
        this.deps.logger.warn(
          { channelId: message.channelId, change: kind, err: error },
          'message change hook failed',
        ),
      );
  }
}

export function notFound(messageId: bigint): SwitchboardError {
  return new SwitchboardError('MESSAGE_NOT_FOUND', `No message ${formatId(messageId)} in this channel`, {
    field: 'messageId',
    details: { messageId: formatId(messageId) },
  });
}
