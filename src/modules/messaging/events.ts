import type { HotState, Unsubscribe } from '../../ports/hot-state/store.js';
import type { MessageJson } from './serialize.js';

/**
 * Live channel events over hot-state publish/subscribe (in-process embedded, Redis
 * scaled out). Publishing is fire-and-forget: the store is the record, and a subscriber
 * that missed events catches up from history (see stream.ts).
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
  | { type: 'typing'; channelId: string; userId: string; expiresAt: string };

export function eventsChannel(channelId: string): string {
  return `messaging:events:${channelId}`;
}

export class LiveEvents {
  constructor(private readonly hotState: HotState) {}

  async publish(event: LiveEvent): Promise<void> {
    await this.hotState.publish(eventsChannel(event.channelId), JSON.stringify(event));
  }

  async subscribe(channelId: string, handler: (event: LiveEvent) => void): Promise<Unsubscribe> {
    return this.hotState.subscribe(eventsChannel(channelId), (raw) => {
      let event: LiveEvent;
      try {
        event = JSON.parse(raw) as LiveEvent;
      } catch {
        return;
      }
      handler(event);
    });
  }
}
