import type { Logger } from 'pino';
import { KeyedQueue } from '../../shared/keyed-queue.js';
import { batchOp, type BatchOp, type WideColumnEngine } from '../../ports/wide-column/engine.js';
import { allRows } from '../../ports/wide-column/rows.js';
import type { Clock } from '../../shared/clock.js';
import type { EventSink, FeedEvent, LiveEvents, PublishedEvent } from './events.js';
import { formatId, minIdAt, SNOWFLAKE_EPOCH_MS } from './ids.js';
import type { IdSource } from './messages.js';
import { channelEventsTable } from './tables.js';

/** One day per feed partition: a busy channel's day of events stays a modest partition. */
export const FEED_BUCKET_MS = 24 * 60 * 60 * 1000;
/**
 * A cursor this close to the retention edge is treated as expired: its oldest successors
 * may be expiring while the replay reads them, and a silent hole is what `reset` prevents.
 */
const RETENTION_MARGIN_MS = 60_000;
const REPLAY_PAGE = 200;

export function feedBucketOfId(id: bigint): number {
  return Math.floor(Number(id >> 22n) / FEED_BUCKET_MS);
}

function feedBucketOfTime(ms: number): number {
  return Math.floor(Math.max(ms - SNOWFLAKE_EPOCH_MS, 0) / FEED_BUCKET_MS);
}

export interface StoredFeedEvent {
  eventId: bigint;
  event: PublishedEvent;
}

/**
 * The channel's durable live feed. `publish` (the EventSink the services call after they
 * changed state) takes an event id, appends the event to channel_events and only then
 * publishes it on hot state: anything a subscriber receives live is already replayable.
 *
 * Per channel, taking the id, appending and publishing run one at a time in this process,
 * so events are appended and published in id order; a stream that has seen id N never gets
 * a smaller id appended behind it by this process. Ids from several processes writing one
 * channel are ordered by their clocks (see docs/messaging.md for that limit).
 */
export class ChannelFeed implements EventSink {
  private readonly queue = new KeyedQueue();

  constructor(
    private readonly deps: {
      engine: WideColumnEngine;
      live: LiveEvents;
      ids: IdSource;
      clock: Clock;
      logger: Logger;
      retentionSeconds: number;
    },
  ) {}

  get retentionSeconds(): number {
    return this.deps.retentionSeconds;
  }

  publish(event: FeedEvent): Promise<void> {
    return this.queue.run(event.channelId, async () => {
      const { op, published } = this.entry(event, await this.deps.ids.next());
      try {
        await this.deps.engine.batch([op]);
      } catch (error) {
        // The state change already stands; live subscribers still hear of it, only a replay will miss it.
        this.deps.logger.warn(
          { channelId: event.channelId, type: event.type, err: error },
          'channel feed append failed',
        );
      }
      await this.announce(published);
    });
  }

  /**
   * Runs `fn` in the channel's feed order, for a writer that appends its event inside its own
   * write (a send: the message and its event in one transaction) with `entry`, then `announce`s
   * it after the write, all within `fn`.
   */
  sequence<T>(channelId: string, fn: () => Promise<T>): Promise<T> {
    return this.queue.run(channelId, fn);
  }

  /** The feed row of an event (for the caller's write) and what goes out live once it is stored. */
  entry(event: FeedEvent, eventId: bigint): { op: BatchOp; published: PublishedEvent } {
    const published: PublishedEvent = { ...event, eventId: formatId(eventId) };
    const op = batchOp.insert(
      channelEventsTable,
      {
        channel_id: event.channelId,
        bucket: feedBucketOfId(eventId),
        event_id: eventId,
        type: event.type,
        payload: JSON.stringify(published),
      },
      { ttlSeconds: this.deps.retentionSeconds },
    );
    return { op, published };
  }

  /** Publishes a stored event live; a failure is logged (subscribers catch up by replay). */
  async announce(published: PublishedEvent): Promise<void> {
    await this.deps.live
      .publish(published)
      .catch((error: Error) =>
        this.deps.logger.warn(
          { channelId: published.channelId, type: published.type, err: error },
          'live event publish failed',
        ),
      );
  }

  /**
   * The smallest cursor a replay can still serve completely: events after an older one may
   * already have expired. Events are written with the retention as TTL at about their id time.
   */
  oldestResumable(): bigint {
    return minIdAt(this.deps.clock.now().getTime() - this.deps.retentionSeconds * 1000 + RETENTION_MARGIN_MS);
  }

  isExpired(cursor: bigint): boolean {
    return cursor < this.oldestResumable();
  }

  /**
   * Stored events with ids above `after`, oldest first. Walks one partition per day, from
   * the cursor's day (or the oldest retained one) to today; a stream calls this after it
   * subscribed, so anything appended later is in its live half anyway. Today is the later of
   * the clock's day and the day of a fresh id, so a generator ahead of the clock is covered.
   */
  async *replay(channelId: string, after: bigint): AsyncGenerator<StoredFeedEvent> {
    const first = Math.max(feedBucketOfId(after), feedBucketOfId(this.oldestResumable()));
    const last = Math.max(
      feedBucketOfTime(this.deps.clock.now().getTime()),
      feedBucketOfId(await this.deps.ids.next()),
    );
    for (let bucket = first; bucket <= last; bucket += 1) {
      const rows = allRows(
        this.deps.engine,
        channelEventsTable,
        { key: { channel_id: channelId, bucket }, range: { column: 'event_id', gt: after }, order: 'ASC' },
        REPLAY_PAGE,
      );
      for await (const row of rows) {
        yield { eventId: row.event_id, event: JSON.parse(row.payload ?? '{}') as PublishedEvent };
      }
    }
  }
}
