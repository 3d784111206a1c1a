import type { HotState } from '../../ports/hot-state/store.js';
import type { ChatService } from './chats.js';
import { checkChannelId } from './validation.js';

/**
 * Per-channel live counters in hot state: messages sent in the current minute (a key per
 * minute that expires by itself) and open live streams. Approximate by design: they feed
 * dashboards, never decisions.
 */
export class LiveCounters {
  constructor(
    private readonly hotState: HotState,
    private readonly chats: ChatService,
  ) {}

  private minuteKey(channelId: string, at = Date.now()): string {
    return `messaging:rate:${channelId}:${Math.floor(at / 60_000)}`;
  }

  async messageSent(channelId: string): Promise<void> {
    await this.hotState.increment(this.minuteKey(channelId), 1, { ttlSeconds: 120 });
  }

  async streamOpened(channelId: string): Promise<void> {
    await this.hotState.increment(`messaging:listeners:${channelId}`, 1);
  }

  async streamClosed(channelId: string): Promise<void> {
    await this.hotState.increment(`messaging:listeners:${channelId}`, -1);
  }

  async read(channelId: string, actor: string): Promise<{ messagesThisMinute: number; listeners: number }> {
    const id = checkChannelId(channelId);
    await this.chats.requireMember(id, actor);
    const [rate, listeners] = await Promise.all([
      this.hotState.get(this.minuteKey(id)),
      this.hotState.get(`messaging:listeners:${id}`),
    ]);
    return { messagesThisMinute: Number(rate ?? 0), listeners: Math.max(0, Number(listeners ?? 0)) };
  }
}
