import type { HotState, Unsubscribe } from '../../ports/hot-state/store.js';
import type { MessageJson } from './serialize.js';

/**
 * Live channel events over hot-state publish/subscribe (in-process embedded, Redis
 * scaled out). Publishing is fire-and-forget: every event but typing is first appended to
 * the channel's durable feed (feed.ts), and a subscriber that missed some replays them from
 * there (stream.ts). Typing indicators are ephemeral and only ever published.
 */
export type LiveEvent =
  | { type: 'message.created'; channelId: string; message: MessageJson }
  | { type: 'message.edited'; channelId: string; message: MessageJson }
  | { type: 'message.deleted'; channelId: string; messageId: string }
  | {
      type: 'reaction.added' | 'reaction.removed';
      channelId: string;
      messageId: string;
      emoji: string;
      userId: string;
      count: number;
    }
  | { type: 'pin.added' | 'pin.removed'; channelId: string; messageId: string; userId: string }
  | { type: 'typing'; channelId: string; userId: string; expiresAt: string }
  /**
   * A participant left or was removed. Published only (never replayed): its job is to end
   * that user's open streams at once, which a replay after the fact could not do.
   */
  | { type: 'member.removed'; channelId: string; userId: string };

/** The kinds the feed keeps and replays: everything but typing and membership notices. */
export type FeedEvent = Exclude<LiveEvent, { type: 'typing' | 'member.removed' }>;

/**
 * What travels over publish/subscribe: the event plus, for feed events, its feed id (a
 * Snowflake, the SSE `id:`), which is what lets a resuming stream drop what it replayed.
 */
export type PublishedEvent = LiveEvent & { eventId?: string };

/** Where domain services hand their feed events (the ChannelFeed; a stub in tests). */
export interface EventSink {
  publish(event: FeedEvent): Promise<void>;
}

export function eventsChannel(channelId: string): string {
  return `messaging:events:${channelId}`;
}

export class LiveEvents {
  constructor(private readonly hotState: HotState) {}

  async publish(event: PublishedEvent): Promise<void> {
    await this.hotState.publish(eventsChannel(event.channelId), JSON.stringify(event));
  }

  async subscribe(channelId: string, handler: (event: PublishedEvent) => void): Promise<Unsubscribe> {
    return this.hotState.subscribe(eventsChannel(channelId), (raw) => {
      let event: PublishedEvent;
      try {
        event = JSON.parse(raw) as PublishedEvent;
      } catch {
        return;
      }
      handler(event);
    });
  }
}
