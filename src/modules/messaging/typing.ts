import type { Logger } from 'pino';
import type { HotState } from '../../ports/hot-state/store.js';
import type { ChatService } from './chats.js';
import type { LiveEvents } from './events.js';
import { checkChannelId } from './validation.js';

export interface TypingUser {
  userId: string;
  expiresAt: Date;
}

/**
 * Typing indicators: one hot-state set per channel whose members expire on their own
 * (default 10 s), so a client that stops sending "typing" simply drops out; nothing has
 * to clean up after a closed tab.
 */
export class TypingService {
  constructor(
    private readonly hotState: HotState,
    private readonly chats: ChatService,
    private readonly events: LiveEvents,
    private readonly logger: Logger,
    private readonly ttlSeconds: number,
  ) {}

  private key(channelId: string): string {
    return `messaging:typing:${channelId}`;
  }

  async start(channelId: string, actor: string): Promise<TypingUser> {
    const id = checkChannelId(channelId);
    await this.chats.requireMember(id, actor);
    await this.hotState.setAdd(this.key(id), actor, { ttlSeconds: this.ttlSeconds });
    const expiresAt = new Date(Date.now() + this.ttlSeconds * 1000);
    await this.events
      .publish({ type: 'typing', channelId: id, userId: actor, expiresAt: expiresAt.toISOString() })
      .catch((error: Error) => this.logger.warn({ channelId: id, err: error }, 'live event publish failed'));
    return { userId: actor, expiresAt };
  }

  async stop(channelId: string, actor: string): Promise<void> {
    const id = checkChannelId(channelId);
    await this.chats.requireMember(id, actor);
    await this.hotState.setRemove(this.key(id), actor);
  }

  async list(channelId: string, actor: string): Promise<TypingUser[]> {
    const id = checkChannelId(channelId);
    await this.chats.requireMember(id, actor);
    const members = await this.hotState.setMembers(this.key(id));
    return members.map((m) => ({ userId: m.member, expiresAt: new Date(m.expiresAt ?? Date.now()) }));
  }
}
