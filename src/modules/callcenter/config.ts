import { f, type ConfigOf, type Section } from '../../config/fields.js';

/**
 * `[callcenter]`: agents, queue, assignment and call records (see docs/callcenter.md).
 * Timeouts of 0 turn the corresponding sweep off.
 */
export const callcenterSection = {
  /**
   * Deployment shape. "relational": every operation is one transaction on the relational
   * store (SQLite embedded, PostgreSQL by `store.relational`). "hybrid": heartbeats and
   * presence go to hot state and the `events_topic` log instead, and a consumer writes them
   * to the relational store; assignment and the call lifecycle stay relational transactions
   * (see docs/callcenter.md for why).
   */
  mode: f.oneOf(['relational', 'hybrid'] as const, 'relational'),
  /** Hybrid: the event-log topic every change is published to. */
  events_topic: f.string('callcenter-events', { nonEmpty: true }),
  /** Hybrid: the consumer group that writes the topic to the relational store. */
  consumer_group: f.string('callcenter-sync', { nonEmpty: true }),
  /** After-call work after an agent's last call ends; the agent is available again when it ends (0 = none). */
  wrap_up_seconds: f.int(30, 0, 3600),
  /** A ringing offer not answered in this time goes back to its queue, skipping that agent next (0 = never). */
  ring_timeout_seconds: f.int(30, 0, 3600),
  /** An agent without a heartbeat (or status change) for this long is moved to away (0 = never). */
  heartbeat_timeout_seconds: f.int(90, 0, 86_400),
  /** How often the sweeper looks for timed-out offers, heartbeats and wrap-ups. */
  sweep_interval_ms: f.int(1000, 50, 60_000),
  /** Analytics' service level: the share of calls answered within this many seconds. */
  service_level_seconds: f.int(20, 1, 3600),
  /** The handle time the wait estimate assumes for a queue with no answered calls yet. */
  default_handle_seconds: f.int(180, 1, 86_400),
} as const satisfies Section;

export type CallCenterConfig = ConfigOf<typeof callcenterSection>;
