import { sql, type Generated } from 'kysely';
import { dialectTypes } from '../../ports/relational/dialect-helpers.js';
import type { Migration } from '../../ports/relational/store.js';

/**
 * The call center's relational tables, after the seed's `agents`, `call_queue`,
 * `active_calls` and `call_records`, prefixed `cc_`. Skills live twice on purpose: as JSON on
 * the agent / queued call (what the API shows) and as rows in `cc_agent_skills` /
 * `cc_call_skills` (what assignment matches on with plain indexed SQL on both dialects).
 * Durations are whole milliseconds (exact sums and averages); the API shows seconds.
 */
export const callcenterMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'agents, queue, active calls, call records',
    async up(db, dialect) {
      const t = dialectTypes(dialect);
      await db.schema
        .createTable('cc_agents')
        .addColumn('agent_id', 'text', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('skills', t.json, (c) => c.notNull())
        .addColumn('max_calls', 'integer', (c) => c.notNull().check(sql`max_calls >= 1`))
        .addColumn('status', 'text', (c) =>
          c.notNull().check(sql`status in ('offline', 'available', 'busy', 'after_call_work', 'away')`),
        )
        .addColumn('available_since', t.timestamp)
        .addColumn('current_calls', 'integer', (c) =>
          // The capacity invariant, enforced by the database as a last line of defence.
          c.notNull().check(sql`current_calls >= 0 and current_calls <= max_calls`),
        )
        .addColumn('status_changed_at', t.timestamp, (c) => c.notNull())
        .addColumn('last_heartbeat_at', t.timestamp)
        // The call whose wrap-up the agent is doing (after_call_work), and since when.
        .addColumn('wrap_up_call_id', 'text')
        .addColumn('wrap_up_started_at', t.timestamp)
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('updated_at', t.timestamp, (c) => c.notNull())
        .execute();
      // The seed's "available agents, longest idle first", in exactly the ORDER BY of routing
      // (agent_id breaks ties), so the search walks the index and stops at the first agent
      // that fits instead of sorting every available agent.
      await db.schema
        .createIndex('cc_agents_routing')
        .on('cc_agents')
        .columns(['status', 'available_since', 'agent_id'])
        .execute();
      await db.schema
        .createTable('cc_agent_skills')
        .addColumn('agent_id', 'text', (c) =>
          c.notNull().references('cc_agents.agent_id').onDelete('cascade'),
        )
        .addColumn('skill', 'text', (c) => c.notNull())
        .addColumn('level', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('cc_agent_skills_pk', ['agent_id', 'skill'])
        .execute();

      await db.schema
        .createTable('cc_call_queue')
        .addColumn('call_id', 'text', (c) => c.primaryKey())
        .addColumn('queue', 'text', (c) => c.notNull())
        .addColumn('caller', 'text', (c) => c.notNull())
        .addColumn('voice_session_id', 'text')
        .addColumn('priority', 'integer', (c) => c.notNull())
        .addColumn('required_skills', t.json, (c) => c.notNull())
        // The first enqueue time: kept across a transfer back to the queue or a withdrawn offer.
        .addColumn('enqueued_at', t.timestamp, (c) => c.notNull())
        .addColumn('answered_at', t.timestamp)
        .addColumn('talk_ms', t.bigint, (c) => c.notNull())
        .addColumn('hold_ms', t.bigint, (c) => c.notNull())
        .addColumn('transfers', 'integer', (c) => c.notNull())
        // The agent that last rejected (or let time out) an offer of this call: skipped by its next assignment.
        .addColumn('skip_agent_id', 'text')
        .execute();
      // Routing order: priority first (higher first), then age.
      await db.schema
        .createIndex('cc_call_queue_routing')
        .on('cc_call_queue')
        .columns(['queue', 'priority desc', 'enqueued_at', 'call_id'])
        .execute();
      await db.schema
        .createIndex('cc_call_queue_order')
        .on('cc_call_queue')
        .columns(['priority desc', 'enqueued_at', 'call_id'])
        .execute();
      await db.schema
        .createTable('cc_call_skills')
        .addColumn('call_id', 'text', (c) => c.notNull())
        .addColumn('skill', 'text', (c) => c.notNull())
        .addColumn('min_level', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('cc_call_skills_pk', ['call_id', 'skill'])
        .execute();

      await db.schema
        .createTable('cc_active_calls')
        .addColumn('call_id', 'text', (c) => c.primaryKey())
        .addColumn('agent_id', 'text', (c) => c.notNull().references('cc_agents.agent_id'))
        .addColumn('queue', 'text', (c) => c.notNull())
        .addColumn('caller', 'text', (c) => c.notNull())
        .addColumn('voice_session_id', 'text')
        .addColumn('priority', 'integer', (c) => c.notNull())
        .addColumn('required_skills', t.json, (c) => c.notNull())
        .addColumn('enqueued_at', t.timestamp, (c) => c.notNull())
        .addColumn('assigned_at', t.timestamp, (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('ringing', 'talking', 'on_hold')`))
        .addColumn('answered_at', t.timestamp)
        // When the current talking / holding stretch began; its length is folded into
        // talk_ms / hold_ms at the next state change.
        .addColumn('state_since', t.timestamp, (c) => c.notNull())
        .addColumn('talk_ms', t.bigint, (c) => c.notNull())
        .addColumn('hold_ms', t.bigint, (c) => c.notNull())
        .addColumn('transfers', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('cc_active_calls_agent').on('cc_active_calls').column('agent_id').execute();

      await db.schema
        .createTable('cc_call_records')
        .addColumn('call_id', 'text', (c) => c.primaryKey())
        .addColumn('queue', 'text', (c) => c.notNull())
        .addColumn('agent_id', 'text')
        .addColumn('caller', 'text', (c) => c.notNull())
        .addColumn('voice_session_id', 'text')
        .addColumn('enqueued_at', t.timestamp, (c) => c.notNull())
        // "YYYY-MM-DDTHH" of enqueued_at (UTC): hourly and daily grouping with the same SQL on both dialects.
        .addColumn('enqueued_hour', 'text', (c) => c.notNull())
        .addColumn('answered_at', t.timestamp)
        .addColumn('ended_at', t.timestamp, (c) => c.notNull())
        .addColumn('wait_ms', t.bigint, (c) => c.notNull())
        .addColumn('talk_ms', t.bigint, (c) => c.notNull())
        .addColumn('hold_ms', t.bigint, (c) => c.notNull())
        // Null while the agent is still wrapping up.
        .addColumn('wrap_up_ms', t.bigint)
        .addColumn('transfers', 'integer', (c) => c.notNull())
        .addColumn('disposition', 'text', (c) => c.notNull())
        .addColumn('abandoned', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('cc_call_records_by_time')
        .on('cc_call_records')
        .columns(['enqueued_at'])
        .execute();
      await db.schema
        .createIndex('cc_call_records_by_queue')
        .on('cc_call_records')
        .columns(['queue', 'enqueued_at'])
        .execute();
      await db.schema
        .createIndex('cc_call_records_by_agent')
        .on('cc_call_records')
        .columns(['agent_id', 'enqueued_at'])
        .execute();
    },
  },
  {
    version: 2,
    name: 'agent status sequence (hybrid hot-state status)',
    async up(db, dialect) {
      const t = dialectTypes(dialect);
      // The sequence number of the last hot-state status move written to this row (hybrid
      // shape, hybrid/agent-state.ts); 0 until the first. Applying a move only when its number
      // is higher makes the log consumer idempotent and keeps an old move from undoing a newer one.
      await db.schema
        .alterTable('cc_agents')
        .addColumn('status_seq', t.bigint, (c) => c.notNull().defaultTo(0))
        .execute();
    },
  },
];

type Ts = string | Date;

export interface CallCenterDatabase {
  cc_agents: {
    agent_id: string;
    username: string;
    display_name: string;
    skills: string;
    max_calls: number;
    status: string;
    available_since: Ts | null;
    current_calls: number;
    status_changed_at: Ts;
    last_heartbeat_at: Ts | null;
    wrap_up_call_id: string | null;
    wrap_up_started_at: Ts | null;
    created_at: Ts;
    updated_at: Ts;
    /** Written by the hybrid shape only; defaults to 0. */
    status_seq: Generated<number>;
  };
  cc_agent_skills: { agent_id: string; skill: string; level: number };
  cc_call_queue: {
    call_id: string;
    queue: string;
    caller: string;
    voice_session_id: string | null;
    priority: number;
    required_skills: string;
    enqueued_at: Ts;
    answered_at: Ts | null;
    talk_ms: number;
    hold_ms: number;
    transfers: number;
    skip_agent_id: string | null;
  };
  cc_call_skills: { call_id: string; skill: string; min_level: number };
  cc_active_calls: {
    call_id: string;
    agent_id: string;
    queue: string;
    caller: string;
    voice_session_id: string | null;
    priority: number;
    required_skills: string;
    enqueued_at: Ts;
    assigned_at: Ts;
    state: string;
    answered_at: Ts | null;
    state_since: Ts;
    talk_ms: number;
    hold_ms: number;
    transfers: number;
  };
  cc_call_records: {
    call_id: string;
    queue: string;
    agent_id: string | null;
    caller: string;
    voice_session_id: string | null;
    enqueued_at: Ts;
    enqueued_hour: string;
    answered_at: Ts | null;
    ended_at: Ts;
    wait_ms: number;
    talk_ms: number;
    hold_ms: number;
    wrap_up_ms: number | null;
    transfers: number;
    disposition: string;
    abandoned: number;
  };
}
