import type { Clock } from '../../shared/clock.js';
import type { ChatService } from './chats.js';
import type { LiveEvents, PublishedEvent } from './events.js';
import type { ChannelFeed } from './feed.js';
import { formatId, idToTime, minIdAt } from './ids.js';
import { checkChannelId } from './validation.js';

/**
 * Sent first when the cursor a client resumes from is older than the feed's retention:
 * events after it may be gone, so the client must refetch what it shows (history, pins,
 * reactions). The stream then continues from `resumeFrom`, which is also the frame's SSE id.
 */
export interface ResetEvent {
  type: 'reset';
  channelId: string;
  reason: 'cursor-expired';
  retentionSeconds: number;
  resumeFrom: string;
}

export type StreamEvent = PublishedEvent | ResetEvent;

export interface StreamDelivery {
  /** The feed event id (the SSE `id:`); undefined for typing, which is never replayed. */
  id?: string;
  event: StreamEvent;
}

export interface ChannelStream {
  close(): Promise<void>;
}

export interface StreamOptions {
  /** Resume after this feed event id (the SSE Last-Event-ID). Wins over `after`. */
  lastEventId?: bigint;
  /**
   * Resume after this message id (the older `?after=`): every event since the message,
   * except the creation of it and of older messages, which the client already has.
   */
  after?: bigint;
  deliver: (delivery: StreamDelivery) => void;
  /**
   * Called once when the stream ends by itself: the user was removed from the channel (the
   * `member.removed` event naming them has been delivered last). Not called on `close()`.
   */
  onEnd?: (reason: 'membership-revoked') => void;
}

/** How far back a `reset` stream replays, so the events of the moment it opened are not lost. */
const RESET_OVERLAP_MS = 5_000;
/**
 * A replayed event can also arrive live only if it was published around the moment the
 * stream subscribed; only such ids are remembered, so a long replay costs no memory.
 */
const IN_FLIGHT_MS = 60_000;

/**
 * A channel's live events for one member, resuming after a cursor when given.
 *
 * No gap: it subscribes first and buffers, then replays the feed (channel_events) after the
 * cursor, then drains the buffer and goes live. An event is appended to the feed before it
 * is published, so one published before the subscription is in the feed when the replay
 * reads it, and one published after is in the buffer. No duplicate: buffered and live
 * events at or below the cursor, or already replayed, are dropped.
 */
export async function openChannelStream(
  deps: { chats: ChatService; events: LiveEvents; feed: ChannelFeed; clock: Clock },
  channelId: string,
  actor: string,
  options: StreamOptions,
): Promise<ChannelStream> {
  const id = checkChannelId(channelId);
  await deps.chats.requireMember(id, actor);
  const { deliver } = options;
  let cursor: bigint | undefined;
  // `?after=<message id>`: the client has that message and every older one.
  const hasMessagesUpTo = options.lastEventId === undefined ? options.after : undefined;
  const replayed = new Set<string>();
  let buffer: PublishedEvent[] | null = [];
  let closed = false;

  const alreadyHeld = (event: PublishedEvent): boolean =>
    hasMessagesUpTo !== undefined &&
    event.type === 'message.created' &&
    BigInt(event.message.id) <= hasMessagesUpTo;
  const forward = (event: PublishedEvent) => {
    if (closed) return;
    if (event.eventId === undefined) {
      deliver({ event });
      // Access ends with membership: nothing after the removal may reach the removed user.
      if (event.type === 'member.removed' && event.userId === actor) revoke();
      return;
    }
    if (cursor !== undefined && BigInt(event.eventId) <= cursor) return;
    if (replayed.has(event.eventId) || alreadyHeld(event)) return;
    deliver({ id: event.eventId, event });
  };

  let unsubscribe: () => Promise<void> = async () => undefined;
  const revoke = () => {
    closed = true;
    void unsubscribe();
    options.onEnd?.('membership-revoked');
  };
  unsubscribe = await deps.events.subscribe(id, (event) => {
    if (buffer) buffer.push(event);
    else forward(event);
  });
  try {
    const openedAt = deps.clock.now();
    const resumeFrom = options.lastEventId ?? options.after;
    if (resumeFrom !== undefined) {
      if (deps.feed.isExpired(resumeFrom)) {
        cursor = minIdAt(openedAt.getTime() - RESET_OVERLAP_MS);
        deliver({
          id: formatId(cursor),
          event: {
            type: 'reset',
            channelId: id,
            reason: 'cursor-expired',
            retentionSeconds: deps.feed.retentionSeconds,
            resumeFrom: formatId(cursor),
          },
        });
      } else {
        cursor = resumeFrom;
      }
      const inFlightSince = openedAt.getTime() - IN_FLIGHT_MS;
      for await (const { eventId, event } of deps.feed.replay(id, cursor)) {
        if (closed) break;
        if (alreadyHeld(event)) continue;
        const key = formatId(eventId);
        if (idToTime(eventId).getTime() >= inFlightSince) replayed.add(key);
        deliver({ id: key, event });
      }
    }
    const pending = buffer;
    buffer = null;
    // Synchronous: no live event can slip in between the buffered ones.
    for (const event of pending) forward(event);
  } catch (error) {
    closed = true;
    await unsubscribe();
    throw error;
  }
  return {
    async close() {
      if (closed) return;
      closed = true;
      await unsubscribe();
    },
  };
}
