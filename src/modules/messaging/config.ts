import { f } from '../../config/fields.js';
import { telegramSection } from './telegram/config.js';

/**
 * `[messaging]` settings. `worker_id` must differ between every process that generates
 * message ids against the same stores: give each replica its own (for example the
 * StatefulSet ordinal, `SWITCHBOARD_MESSAGING_WORKER_ID=$ORDINAL`). A clash with a live
 * process is refused at start through a lease in hot state; at run time a lost lease is
 * re-acquired, or moved to a free id if a live process holds it (see worker-lease.ts).
 */
export const messagingSection = {
  /** Snowflake worker id, 0 to 1023, unique per live process. */
  worker_id: f.int(0, 0, 1023),
  /** How far the clock may step back before id generation fails instead of waiting. */
  clock_backwards_tolerance_ms: f.int(2000, 0, 60_000),
  /**
   * Lifetime of the worker-id lease in hot state; it is refreshed every third of this. Ids are
   * minted only while the lease is held: with hot state unreachable for longer, sends answer
   * 503 ID_LEASE_UNAVAILABLE until it is held again (worker-lease.ts).
   */
  worker_lease_seconds: f.int(30, 3, 3600),
  /** Longest message content, in characters (UTF-16 code units). */
  content_max_length: f.int(4000, 1, 1_000_000),
  /** Most pinned messages per channel. */
  pin_limit: f.int(50, 1, 1000),
  /** Most distinct reaction emoji per message (REACTION_LIMIT_REACHED beyond), as Discord's 20. */
  reaction_limit: f.int(20, 1, 1000),
  /**
   * How long a participant's role stays cached in hot state (0: no cache, every request reads
   * the relational store). Changes invalidate the entry at once in every process sharing the
   * hot state; the lifetime only bounds an entry whose invalidation hot state lost.
   */
  role_cache_seconds: f.int(300, 0, 86_400),
  /**
   * Group commit on the embedded store: sends arriving in the same turn of the event loop
   * share one transaction, up to this many (1: every send commits alone). Each caller still
   * waits for the commit holding its message.
   */
  group_commit_writers: f.int(256, 1, 10_000),
  /**
   * The search index follows sends through a durable outbox (effects.ts); /ready reports the
   * effects worker unhealthy when its lag exceeds this.
   */
  effects_lag_alert_seconds: f.int(30, 1, 86_400),
  /** Unread counts are exact up to this number, then shown as "<cap>+". */
  unread_cap: f.int(99, 1, 10_000),
  typing_ttl_seconds: f.int(10, 1, 300),
  /** A user is online/away for this long after their last presence update, then offline. */
  presence_ttl_seconds: f.int(60, 5, 86_400),
  /**
   * How long the per-channel event feed keeps events for resuming live streams (default 7
   * days). A stream resuming from an older cursor gets a `reset` event, never a silent gap.
   */
  feed_retention_seconds: f.int(7 * 24 * 60 * 60, 60, 365 * 24 * 60 * 60),
  /** The Telegram bridge (see telegram/config.ts). */
  telegram: telegramSection,
};
