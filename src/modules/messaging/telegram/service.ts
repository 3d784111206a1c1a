import type { Logger } from 'pino';
import { SwitchboardError } from '../../../errors/index.js';
import type { RelationalStore } from '../../../ports/relational/store.js';
import type { WideColumnEngine } from '../../../ports/wide-column/engine.js';
import type { Clock } from '../../../shared/clock.js';
import type { ChatService } from '../chats.js';
import type { MessageStore } from '../message-store.js';
import type { IdSource, MessageService } from '../messages.js';
import type { Message } from '../types.js';
import { checkChannelId } from '../validation.js';
import type { TelegramBotConfig, TelegramConfig } from './config.js';
import { TelegramIngest, type IngestResult } from './ingest.js';
import { ChatLinks } from './links.js';
import { TelegramMirror } from './mirror.js';
import { TelegramOutbox } from './outbox.js';
import { secretMatches } from './secret.js';
import { SimulatedTelegramSender, type TelegramSender } from './sender.js';
import { SyncStateStore, type SyncState } from './sync-state.js';
import type { TelegramUpdate } from './update.js';

export interface TelegramBridgeDeps {
  engine: WideColumnEngine;
  relational: RelationalStore;
  store: MessageStore;
  chats: ChatService;
  messages: MessageService;
  ids: IdSource;
  clock: Clock;
  logger: Logger;
  config: TelegramConfig;
  contentMaxLength: number;
  /** Defaults to the simulated sender (records what it would send). */
  sender?: TelegramSender;
  /** The relay's poll interval and first retry delay (tests shorten them). */
  mirrorTiming?: { pollMs?: number; backoffMs?: number };
}

/** The Telegram bridge: webhook ingest, the outbound mirror, chat links and sync state. */
export class TelegramBridge {
  readonly sender: TelegramSender;
  readonly links: ChatLinks;
  readonly sync: SyncStateStore;
  readonly mirror: TelegramMirror;
  private readonly ingest: TelegramIngest;
  private readonly bots: Map<string, TelegramBotConfig>;

  constructor(private readonly deps: TelegramBridgeDeps) {
    const { engine, relational, clock, config } = deps;
    const logger = deps.logger.child({ component: 'telegram' });
    this.bots = new Map(config.bots.map((b) => [b.id, b]));
    this.sender = deps.sender ?? new SimulatedTelegramSender();
    this.links = new ChatLinks(relational, deps.chats, clock, config);
    this.sync = new SyncStateStore(engine, relational, clock);
    this.mirror = new TelegramMirror({
      engine,
      store: deps.store,
      outbox: new TelegramOutbox(relational),
      links: this.links,
      sender: this.sender,
      sync: this.sync,
      clock,
      logger,
      attempts: config.send_attempts,
      claimMs: config.claim_timeout_ms,
      ...deps.mirrorTiming,
    });
    this.ingest = new TelegramIngest({
      engine,
      store: deps.store,
      messages: deps.messages,
      ids: deps.ids,
      links: this.links,
      sync: this.sync,
      clock,
      logger,
      config,
      contentMaxLength: deps.contentMaxLength,
    });
  }

  /**
   * The bot a webhook call is for, if the secret token is right. An unknown bot and a wrong
   * secret answer alike (401), so the endpoint does not reveal which bot ids exist.
   */
  authenticate(botId: string, secretHeader: unknown): TelegramBotConfig {
    const bot = this.bots.get(botId);
    // Compared even for an unknown bot, so both paths take the same time.
    const ok = secretMatches(secretHeader, bot?.secret ?? '\u0000no bot');
    if (!bot || !ok) {
      throw new SwitchboardError('TELEGRAM_SECRET_INVALID', undefined, {
        field: 'headers.x-telegram-bot-api-secret-token',
      });
    }
    return bot;
  }

  /** Ingests one update for a bot (library use; the webhook authenticates first). */
  async handleUpdate(botId: string, update: TelegramUpdate): Promise<IngestResult> {
    const bot = this.bots.get(botId);
    if (!bot)
      throw new SwitchboardError('NOT_FOUND', `No Telegram bot "${botId}" is configured`, { field: 'botId' });
    return this.ingest.handle(bot, update);
  }

  /** The message service's hook inside a send, before the store write: queues the mirror durably. */
  onMessageSending(message: Message): Promise<void> {
    return this.mirror.onMessageSending(message);
  }

  /** The message service's hook after a send: wakes the relay. */
  onMessageCreated(message: Message): void {
    this.mirror.onMessageCreated(message);
  }

  /** The sync state of a channel the actor is a member of. */
  async syncState(channelId: string, actor: string): Promise<SyncState | null> {
    const id = checkChannelId(channelId);
    await this.deps.chats.requireMember(id, actor);
    return this.sync.get(id);
  }

  ignoredUpdates(botId: string, limit?: number) {
    return this.sync.ignoredUpdates(botId, limit);
  }
}
