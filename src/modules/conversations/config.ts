import { f } from '../../config/fields.js';

export const CONVERSATION_MODES = ['relational', 'dual_write', 'wide_column_reads', 'wide_column'] as const;
export type ConversationMode = (typeof CONVERSATION_MODES)[number];

/**
 * `[conversations]`: bounds of a conversation tree and the phase of the migration from the
 * relational model to the wide-column tables (docs/conversations.md). `mode` is where a
 * process starts; it can be moved at run time (`PUT /v1/conversations/admin/mode`).
 */
export const conversationsSection = {
  /** Which store serves writes and reads: the four phases of the seed's migration. */
  mode: f.oneOf(CONVERSATION_MODES, 'wide_column'),
  /** dual_write / wide_column_reads: share of reads also served by the other side and compared. */
  shadow_read_sample: f.number(0.05, 0, 1),
  /** wide_column_reads: percentage of sessions (stable per session) read from the wide-column side. */
  wide_column_read_percent: f.int(100, 0, 100),
  /** wide_column_reads: a wide-column read slower than this falls back to the relational side. */
  read_latency_budget_ms: f.int(250, 1, 60_000),
  /** Consecutive wide-column read failures that open the breaker, and how long it stays open. */
  breaker_failure_threshold: f.int(5, 1, 1000),
  breaker_reset_ms: f.int(10_000, 10, 3_600_000),
  /** Most turns in one conversation, and deepest path from the root (turns). */
  max_turns_per_session: f.int(2000, 1, 1_000_000),
  max_depth: f.int(1000, 1, 1_000_000),
  /** Most steps in one agent turn. */
  max_steps_per_turn: f.int(500, 1, 100_000),
  /** Longest prompt or step content, in characters. */
  max_content_length: f.int(100_000, 1, 10_000_000),
  /** Most turns and steps one load (active path or whole tree) returns before refusing. */
  load_max_turns: f.int(1000, 1, 1_000_000),
  load_max_steps: f.int(10_000, 1, 10_000_000),
  /** Step reads in flight at once when loading a conversation. */
  load_concurrency: f.int(16, 1, 256),
  /** A soft-deleted session stays readable by id for this long (default 30 days). */
  deleted_grace_seconds: f.int(30 * 86_400, 0, 10 * 365 * 86_400),
};
