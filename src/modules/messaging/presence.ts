import type { HotState } from '../../ports/hot-state/store.js';
import type { Clock } from '../../shared/clock.js';
import type { Presence, PresenceStatus } from './types.js';
import { checkUserId, invalid } from './validation.js';

const STATUSES: readonly PresenceStatus[] = ['online', 'away', 'offline'];
/** Last-seen outlives the status by far; a month is plenty for "last seen ..." displays. */
const LAST_SEEN_TTL_SECONDS = 30 * 24 * 3600;

/**
 * User presence in hot state: the status key lives for `ttlSeconds` after each update (a
 * client heartbeats), so a user who vanishes reads offline without anyone writing it; the
 * last-seen time is a separate, longer-lived key.
 */
export class PresenceService {
  constructor(
    private readonly hotState: HotState,
    private readonly clock: Clock,
    private readonly ttlSeconds: number,
  ) {}

  async set(actor: string, status: PresenceStatus): Promise<Presence> {
    checkUserId(actor, 'actor');
    if (!STATUSES.includes(status)) throw invalid('status', `expected one of ${STATUSES.join(', ')}`);
    const now = this.clock.now();
    await this.hotState.set(`messaging:last-seen:${actor}`, now.toISOString(), {
      ttlSeconds: LAST_SEEN_TTL_SECONDS,
    });
    if (status === 'offline') await this.hotState.delete(`messaging:presence:${actor}`);
    else await this.hotState.set(`messaging:presence:${actor}`, status, { ttlSeconds: this.ttlSeconds });
    return { userId: actor, status, lastSeenAt: now };
  }

  async get(userId: string): Promise<Presence> {
    checkUserId(userId);
    const [status, lastSeen] = await Promise.all([
      this.hotState.get(`messaging:presence:${userId}`),
      this.hotState.get(`messaging:last-seen:${userId}`),
    ]);
    return {
      userId,
      status: status === 'online' || status === 'away' ? status : 'offline',
      lastSeenAt: lastSeen ? new Date(lastSeen) : null,
    };
  }
}
