import type { Kysely } from 'kysely';
import { isSwitchboardError } from '../../../errors/index.js';
import type { RelationalStore } from '../../../ports/relational/store.js';
import type { Clock } from '../../../shared/clock.js';
import type { ChatService } from '../chats.js';
import type { MessagingDatabase } from '../migrations.js';
import type { TelegramBotConfig, TelegramConfig } from './config.js';
import { botUserId, chatTitle } from './convert.js';
import type { TelegramDatabase } from './migrations.js';
import type { TelegramMessage } from './update.js';
import { BoundedMemo } from '../../../shared/bounded-memo.js';

export interface ChatLink {
  botId: string;
  chatId: number;
  channelId: string;
  /** Whether this call created the channel. */
  created: boolean;
}

type Db = Kysely<TelegramDatabase & MessagingDatabase>;
const KNOWN_MEMBERS_MAX = 50_000;

/**
 * Telegram chat <-> Switchboard channel. A chat named in the configuration links to its
 * configured channel; any other chat links to the channel recorded in telegram_chat_links,
 * or, when `create_channels` allows, to a new channel created on first sight (owned by the
 * bot's user `tg-bot:<bot id>`; "support" for private chats, "group" otherwise).
 */
export class ChatLinks {
  private readonly configured = new Map<number, { botId: string; channelId: string }>();
  private readonly byChannel = new Map<string, { botId: string; chatId: number }>();
  private readonly knownMembers = new BoundedMemo<string>(KNOWN_MEMBERS_MAX);
  private readonly storedLinks = new BoundedMemo<string, { botId: string; chatId: number } | null>(
    KNOWN_MEMBERS_MAX,
  );

  constructor(
    private readonly relational: RelationalStore,
    private readonly chats: ChatService,
    private readonly clock: Clock,
    private readonly config: TelegramConfig,
  ) {
    for (const bot of config.bots) {
      for (const chat of bot.chats ?? []) {
        this.configured.set(chat.chat_id, { botId: bot.id, channelId: chat.channel_id });
        this.byChannel.set(chat.channel_id, { botId: bot.id, chatId: chat.chat_id });
      }
    }
  }

  private get db(): Db {
    return this.relational.db as Db;
  }

  /** The chat's channel; null when it has none and this bot may not create one. */
  async resolve(bot: TelegramBotConfig, message: TelegramMessage): Promise<ChatLink | null> {
    const chatId = message.chat.id;
    const configured = this.configured.get(chatId);
    if (configured)
      return { botId: configured.botId, chatId, channelId: configured.channelId, created: false };
    const stored = await this.stored(chatId);
    if (stored) return stored;
    if (!(bot.create_channels ?? this.config.create_channels)) return null;
    try {
      const channelId = await this.relational.transaction(async (trx) => {
        const channel = await this.chats.create(
          botUserId(bot.id),
          { title: chatTitle(message), kind: message.chat.type === 'private' ? 'support' : 'group' },
          trx,
        );
        await (trx as Db)
          .insertInto('telegram_chat_links')
          .values({
            telegram_chat_id: chatId,
            channel_id: channel.id,
            bot_id: bot.id,
            created_at: this.clock.now().toISOString(),
          })
          .execute();
        return channel.id;
      });
      return { botId: bot.id, chatId, channelId, created: true };
    } catch (error) {
      // Another delivery linked the chat first; its channel is the one.
      if (!isSwitchboardError(error, 'CONFLICT')) throw error;
      const winner = await this.stored(chatId);
      if (!winner) throw error;
      return winner;
    }
  }

  private async stored(chatId: number): Promise<ChatLink | null> {
    const row = await this.db
      .selectFrom('telegram_chat_links')
      .select(['bot_id', 'channel_id'])
      .where('telegram_chat_id', '=', chatId)
      .executeTakeFirst();
    return row ? { botId: row.bot_id, chatId, channelId: row.channel_id, created: false } : null;
  }

  /**
   * The Telegram chat a channel mirrors to, if any; asked on every send. A channel's link is
   * fixed when the channel is made: configured links come from the configuration, stored ones
   * are written in the transaction that creates the channel (`resolve`), and none is ever
   * removed. So the answer, "none" included, is kept per process without invalidation: a send
   * to an unlinked channel costs no query.
   */
  async ofChannel(channelId: string): Promise<{ botId: string; chatId: number } | null> {
    const configured = this.byChannel.get(channelId);
    if (configured) return configured;
    const known = this.storedLinks.get(channelId);
    if (known !== undefined) return known;
    const row = await this.db
      .selectFrom('telegram_chat_links')
      .select(['bot_id', 'telegram_chat_id'])
      .where('channel_id', '=', channelId)
      .executeTakeFirst();
    const link = row ? { botId: row.bot_id, chatId: Number(row.telegram_chat_id) } : null;
    this.storedLinks.set(channelId, link);
    return link;
  }

  /**
   * Makes a Telegram sender a participant (role member) of the linked channel. This is the
   * bridge acting for the chat, so it bypasses the owner/admin rule of ChatService; joining
   * twice is a no-op. Remembered per process so a busy chat costs one write per sender.
   */
  async ensureParticipant(channelId: string, userId: string): Promise<void> {
    const key = `${channelId}\u0000${userId}`;
    if (this.knownMembers.has(key)) return;
    await this.db
      .insertInto('messaging_participants')
      .values({
        channel_id: channelId,
        user_id: userId,
        role: 'member',
        joined_at: this.clock.now().toISOString(),
      })
      .onConflict((oc) => oc.columns(['channel_id', 'user_id']).doNothing())
      .execute();
    await this.chats.participantChanged(channelId, userId);
    this.knownMembers.set(key, true);
  }
}
