import { f } from '../../config/fields.js';

/** `[redis]`: read when `[store] hot_state = "redis"`. */
export const redisSection = {
  url: f.string('redis://127.0.0.1:6379', { nonEmpty: true, secret: true }),
  /** Prepended to every key and channel, so several deployments can share one Redis. */
  key_prefix: f.string('switchboard:'),
  /** Bound on connecting, on each reconnection attempt and on health pings. */
  connect_timeout_ms: f.int(5000, 10, 600_000),
} as const;
