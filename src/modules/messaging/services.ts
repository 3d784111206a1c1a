import { CachedFacts } from '../../ports/hot-state/cached-facts.js';
import type { SwitchboardContext } from '../module.js';
import { ChatService } from './chats.js';
import { LiveEvents } from './events.js';
import { allTargets, MessageEffects } from './effects.js';
import { ChannelFeed } from './feed.js';
import { IdService } from './id-service.js';
import { ChannelLastMessage } from './last-message.js';
import { LiveCounters } from './live-counters.js';
import { MessageStore } from './message-store.js';
import { MessageService } from './messages.js';
import { PinService } from './pins.js';
import { PresenceService } from './presence.js';
import { ReactionService } from './reactions.js';
import { ReadService } from './reads.js';
import type { TimeSource } from './snowflake.js';
import { openChannelStream, type ChannelStream, type StreamOptions } from './stream.js';
import { TypingService } from './typing.js';
import { SearchService } from './search/service.js';
import { TemplateService } from './templates/service.js';
import { TelegramBridge } from './telegram/service.js';
import type { TelegramSender } from './telegram/sender.js';

export interface MessagingServices {
  ids: IdService;
  chats: ChatService;
  messages: MessageService;
  reactions: ReactionService;
  pins: PinService;
  reads: ReadService;
  typing: TypingService;
  presence: PresenceService;
  counters: LiveCounters;
  /** Live publish/subscribe only (typing goes straight here). */
  events: LiveEvents;
  /** The durable, replayable channel feed every other live event goes through (feed.ts). */
  feed: ChannelFeed;
  store: MessageStore;
  /** The outbox of asynchronous effects of message changes (the search index; effects.ts). */
  effects: MessageEffects;
  /** Full-text search of messages (FTS5 embedded, tsvector on PostgreSQL). */
  search: SearchService;
  /** Message templates with {{variables}}. */
  templates: TemplateService;
  /** Telegram webhook ingest, outbound mirror, chat links and sync state. */
  telegram: TelegramBridge;
  /** A member's live channel events, resuming after a feed event id or a message id (see stream.ts). */
  stream(channelId: string, actor: string, options: StreamOptions): Promise<ChannelStream>;
}

export interface MessagingOptions {
  /** Snowflake time source (tests inject clocks that step back or stand still). */
  time?: TimeSource;
  /** Hands mirrored messages to Telegram; default: the simulated sender, which only records them. */
  telegramSender?: TelegramSender;
  /** The Telegram relay's poll interval and first retry delay (default 1 s and 200 ms). */
  telegramMirrorTiming?: { pollMs?: number; backoffMs?: number };
  /** Overrides `[messaging] feed_retention_seconds` (tests use seconds-long feeds). */
  feedRetentionSeconds?: number;
}

export function createMessagingServices(
  context: SwitchboardContext,
  options: MessagingOptions = {},
): MessagingServices {
  const config = context.config.messaging;
  const { wideColumn: engine, hotState, clock } = context;
  const logger = context.logger.child({ module: 'messaging' });
  const ids = new IdService(hotState, {
    workerId: config.worker_id,
    backwardsToleranceMs: config.clock_backwards_tolerance_ms,
    leaseSeconds: config.worker_lease_seconds,
    logger,
    ...(options.time ? { time: options.time } : {}),
  });
  const store = new MessageStore(engine, config.group_commit_writers);
  const events = new LiveEvents(hotState);
  const feed = new ChannelFeed({
    engine,
    live: events,
    ids,
    clock,
    logger,
    retentionSeconds: options.feedRetentionSeconds ?? config.feed_retention_seconds,
  });
  // A removed participant's open streams end at once, in this process or (Redis) any other.
  const chats = new ChatService(
    context.relational,
    engine,
    clock,
    (channelId, userId) => events.publish({ type: 'member.removed', channelId, userId }),
    config.role_cache_seconds > 0
      ? new CachedFacts(hotState, { prefix: 'messaging:role', ttlSeconds: config.role_cache_seconds })
      : undefined,
  );
  const reactions = new ReactionService(engine, store, chats, feed, clock, logger, config.reaction_limit);
  const reads = new ReadService(engine, chats, clock, config.unread_cap);
  const counters = new LiveCounters(hotState, chats);
  const search = new SearchService({ relational: context.relational, engine, store, chats, logger });
  // Assigned below: the bridge needs the message service, whose change hook needs the bridge.
  const late: { telegram?: TelegramBridge } = {};
  const effects = new MessageEffects({
    engine,
    store,
    target: allTargets(search, new ChannelLastMessage(engine)),
    logger,
    metrics: context.metrics,
    workerId: () => ids.workerId,
    lastMinted: () => ids.generator.lastId,
    backwardsToleranceMs: config.clock_backwards_tolerance_ms,
    lagAlertSeconds: config.effects_lag_alert_seconds,
  });
  search.beforeSearch = () => effects.applyPending();
  const messages = new MessageService({
    engine,
    store,
    chats,
    reactions,
    reads,
    feed,
    effects,
    ids,
    clock,
    logger,
    contentMaxLength: config.content_max_length,
    async beforeStore(message) {
      if (late.telegram) await late.telegram.onMessageSending(message);
    },
    async afterSend(message) {
      late.telegram?.onMessageCreated(message);
      await counters.messageSent(message.channelId);
    },
  });
  const telegram = new TelegramBridge({
    engine,
    relational: context.relational,
    store,
    chats,
    messages,
    ids,
    clock,
    logger,
    config: config.telegram,
    contentMaxLength: config.content_max_length,
    ...(options.telegramSender ? { sender: options.telegramSender } : {}),
    ...(options.telegramMirrorTiming ? { mirrorTiming: options.telegramMirrorTiming } : {}),
  });
  late.telegram = telegram;
  return {
    ids,
    chats,
    messages,
    reactions,
    pins: new PinService(engine, store, chats, feed, clock, logger, config.pin_limit),
    reads,
    typing: new TypingService(hotState, chats, events, logger, config.typing_ttl_seconds),
    presence: new PresenceService(hotState, clock, config.presence_ttl_seconds),
    counters,
    events,
    feed,
    store,
    effects,
    search,
    templates: new TemplateService(context.relational, clock),
    telegram,
    stream: (channelId, actor, streamOptions) =>
      openChannelStream({ chats, events, feed, clock }, channelId, actor, streamOptions),
  };
}
