import type { Logger } from 'pino';
import { SwitchboardError, isSwitchboardError } from '../../../errors/index.js';
import type { Row } from '../../../ports/wide-column/declare.js';
import type { WideColumnEngine } from '../../../ports/wide-column/engine.js';
import type { Clock } from '../../../shared/clock.js';
import { bucketOfId } from '../buckets.js';
import { formatId } from '../ids.js';
import type { MessageStore } from '../message-store.js';
import type { IdSource, MessageService } from '../messages.js';
import { telegramMessageMappingTable } from '../tables.js';
import type { TelegramBotConfig, TelegramConfig } from './config.js';
import { convertMessage, senderIdOf, type ConvertedMessage } from './convert.js';
import type { ChatLink, ChatLinks } from './links.js';
import type { SyncStateStore } from './sync-state.js';
import { classifyUpdate, type TelegramMessage, type TelegramUpdate } from './update.js';

export type IngestOutcome = 'stored' | 'duplicate' | 'edited' | 'unchanged' | 'ignored' | 'rejected';

export interface IngestResult {
  outcome: IngestOutcome;
  channelId: string | null;
  /** The Switchboard message the update maps to, when there is one. */
  messageId: bigint | null;
}

type MappingRow = Row<typeof telegramMessageMappingTable>;

export interface IngestDeps {
  engine: WideColumnEngine;
  store: MessageStore;
  messages: MessageService;
  ids: IdSource;
  links: ChatLinks;
  sync: SyncStateStore;
  clock: Clock;
  logger: Logger;
  config: TelegramConfig;
  contentMaxLength: number;
  /** How long a redelivery waits for a concurrent first delivery to finish before answering CONTENDED. */
  waitForPeerMs?: number;
}

const POLL_MS = 25;

/**
 * Exactly-once ingest of Telegram updates.
 *
 * telegram_message_mapping, keyed by (telegram message id, chat id), is the claim. Before
 * anything is stored the delivery allocates the Switchboard message id and writes the claim
 * with INSERT IF NOT EXISTS, the id inside it. Only the delivery whose insert applied stores
 * the message, under exactly that id; every other delivery of the same Telegram message finds
 * the claim and looks the message up by the id it names:
 *
 * - the message exists: a duplicate, acknowledged and not stored again;
 * - it does not exist yet and the claim is fresh: another delivery is storing it now; wait
 *   briefly for it, else answer CONTENDED (503) so Telegram redelivers later;
 * - it does not exist and the claim is older than `claim_timeout_ms`: the first delivery
 *   died between claim and store. Take the claim over by compare-and-set on its claim time
 *   (so only one redelivery wins) and store the message under the claimed id.
 *
 * Storing under the claimed id is what makes the crash window safe: a takeover can at worst
 * rewrite the same row with the same id, never create a second message. (If the first
 * delivery was merely slower than the timeout rather than dead, both may write that one row,
 * and the channel's message counter can count it twice; the timeout is set far above any
 * store latency to make that unlikely.)
 *
 * The outbound mirror writes the same mapping for messages it sends, so Telegram's echo of
 * them is found as an existing claim whose message exists: a duplicate.
 */
export class TelegramIngest {
  constructor(private readonly deps: IngestDeps) {}

  async handle(bot: TelegramBotConfig, update: TelegramUpdate): Promise<IngestResult> {
    const classified = classifyUpdate(update);
    if (classified.kind === 'unsupported') {
      await this.deps.sync.ignored(
        bot.id,
        update.update_id,
        classified.name,
        classified.chatId,
        'unsupported update kind',
      );
      return { outcome: 'ignored', channelId: null, messageId: null };
    }
    const { message, kind, edit } = classified;
    const link = await this.deps.links.resolve(bot, message);
    if (!link) {
      await this.deps.sync.ignored(
        bot.id,
        update.update_id,
        kind,
        message.chat.id,
        'chat has no linked channel',
      );
      return { outcome: 'ignored', channelId: null, messageId: null };
    }
    // A private chat's id is the user's id for every bot, and its message ids count per
    // (user, bot): a second bot's private chat with the same person would collide with the
    // first one's messages in the mapping. Such a chat stays with the bot that linked it.
    // (A group is one chat whichever bot reports it, and its message ids are shared.)
    if (link.botId !== bot.id && message.chat.type === 'private') {
      await this.deps.sync.ignored(
        bot.id,
        update.update_id,
        kind,
        message.chat.id,
        'private chat is linked to another bot',
      );
      return { outcome: 'ignored', channelId: null, messageId: null };
    }
    const converted = convertMessage(message);
    if (!converted) {
      await this.deps.sync.ignored(
        bot.id,
        update.update_id,
        kind,
        message.chat.id,
        'message has no text or supported media',
      );
      await this.deps.sync.record(link.channelId, link.chatId, {
        updateId: update.update_id,
        status: 'ignored',
        note: `${kind} without text or supported media`,
      });
      return { outcome: 'ignored', channelId: link.channelId, messageId: null };
    }
    try {
      const result = await this.ingest(link, message, converted, edit);
      await this.deps.sync.record(link.channelId, link.chatId, {
        updateId: update.update_id,
        status: 'ok',
        note: null,
      });
      return result;
    } catch (error) {
      // A rule the message breaks will break on every redelivery: record it and acknowledge,
      // or Telegram would retry it for a day. Store outages and contention (5xx) propagate so
      // Telegram does redeliver.
      if (isSwitchboardError(error) && error.status < 500) {
        await this.deps.sync.record(link.channelId, link.chatId, {
          updateId: update.update_id,
          status: 'error',
          note: `${error.code}: ${error.message}`,
        });
        this.deps.logger.warn(
          { channelId: link.channelId, updateId: update.update_id, code: error.code },
          'telegram update rejected',
        );
        return { outcome: 'rejected', channelId: link.channelId, messageId: null };
      }
      throw error;
    }
  }

  private async ingest(
    link: ChatLink,
    message: TelegramMessage,
    converted: ConvertedMessage,
    edit: boolean,
  ): Promise<IngestResult> {
    const key = {
      telegram_message_id: BigInt(message.message_id),
      telegram_chat_id: BigInt(message.chat.id),
    };
    let claim = await this.deps.engine.get(telegramMessageMappingTable, key);
    if (!claim) {
      const messageId = await this.deps.ids.next();
      const row: MappingRow = {
        ...key,
        channel_id: link.channelId,
        message_id: messageId,
        bucket: bucketOfId(messageId),
        created_at: this.deps.clock.now(),
      };
      const result = await this.deps.engine.insert(telegramMessageMappingTable, row, { ifNotExists: true });
      if (result.applied) {
        await this.store(link, message, converted, messageId);
        return { outcome: 'stored', channelId: link.channelId, messageId };
      }
      claim = await this.deps.engine.get(telegramMessageMappingTable, key);
      if (!claim) throw contended('the claim vanished');
    }
    const completed = await this.completeClaim(link, message, converted, claim);
    if (completed) return completed;
    return edit
      ? this.applyEdit(claim, converted)
      : { outcome: 'duplicate', channelId: claim.channel_id, messageId: claim.message_id };
  }

  /** Stores the message of a claim whose first delivery did not; null when it is already stored. */
  private async completeClaim(
    link: ChatLink,
    message: TelegramMessage,
    converted: ConvertedMessage,
    claim: MappingRow,
  ): Promise<IngestResult | null> {
    const channelId = claim.channel_id ?? link.channelId;
    const messageId = claim.message_id;
    if (messageId === null) throw contended('the claim names no message');
    if (await this.deps.store.get(channelId, messageId)) return null;
    const deadline = Date.now() + (this.deps.waitForPeerMs ?? 2000);
    const claimedAt = claim.created_at;
    const timeout = this.deps.config.claim_timeout_ms;
    while (claimedAt !== null && this.deps.clock.now().getTime() - claimedAt.getTime() < timeout) {
      if (Date.now() >= deadline) throw contended('another delivery of this message is being stored');
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      if (await this.deps.store.get(channelId, messageId)) return null;
    }
    const takeover = await this.deps.engine.update(
      telegramMessageMappingTable,
      { telegram_message_id: claim.telegram_message_id, telegram_chat_id: claim.telegram_chat_id },
      { created_at: this.deps.clock.now() },
      { if: { created_at: claimedAt } },
    );
    if (!takeover.applied) throw contended('another redelivery took the claim over');
    this.deps.logger.warn(
      { channelId, messageId: formatId(messageId) },
      'completing an abandoned telegram ingest claim',
    );
    await this.store({ ...link, channelId }, message, converted, messageId);
    return { outcome: 'stored', channelId, messageId };
  }

  private async store(
    link: ChatLink,
    message: TelegramMessage,
    converted: ConvertedMessage,
    id: bigint,
  ): Promise<void> {
    const senderId = senderIdOf(message);
    await this.deps.links.ensureParticipant(link.channelId, senderId);
    const replyToId = await this.replyTarget(link.channelId, message);
    await this.deps.messages.send(
      link.channelId,
      senderId,
      {
        // Stored whole: the bridge may store up to Telegram's own limit (TELEGRAM_TEXT_MAX)
        // even above content_max_length; a longer text is refused (CONTENT_TOO_LONG, recorded
        // in the sync state and logged), never cut.
        content: converted.content,
        messageType: converted.messageType,
        attachments: converted.attachments,
        replyToId,
      },
      { id, origin: 'telegram' },
    );
  }

  private async replyTarget(channelId: string, message: TelegramMessage): Promise<bigint | null> {
    const reply = message.reply_to_message;
    if (!reply) return null;
    const mapped = await this.deps.engine.get(telegramMessageMappingTable, {
      telegram_message_id: BigInt(reply.message_id),
      telegram_chat_id: BigInt(message.chat.id),
    });
    if (!mapped || mapped.message_id === null || mapped.channel_id !== channelId) return null;
    // Only a reply to a message that is stored; a pending one would fail the send.
    return (await this.deps.store.get(channelId, mapped.message_id)) ? mapped.message_id : null;
  }

  /** An edit of a stored message: the new text replaces the content (as the original sender). */
  private async applyEdit(claim: MappingRow, converted: ConvertedMessage): Promise<IngestResult> {
    const channelId = claim.channel_id!;
    const messageId = claim.message_id!;
    const row = await this.deps.store.get(channelId, messageId);
    const content = converted.content;
    if (!row || row.deleted || row.content === content) {
      return { outcome: 'unchanged', channelId, messageId };
    }
    await this.deps.messages.edit(
      channelId,
      row.sender_id ?? '',
      messageId,
      { content },
      { origin: 'telegram' },
    );
    return { outcome: 'edited', channelId, messageId };
  }
}

function contended(why: string): SwitchboardError {
  return new SwitchboardError(
    'CONTENDED',
    `Telegram update not ingested yet: ${why}; Telegram will redeliver it`,
  );
}
