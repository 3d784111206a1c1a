import { sql } from 'kysely';
import { dialectTypes } from '../../ports/relational/dialect-helpers.js';
import type { Migration } from '../../ports/relational/store.js';

/**
 * The relational model of the seed's current system ("PostgreSQL is the source of truth"):
 * sessions, human_turns, agent_turns and steps with the keys a careful team would have.
 *
 * - A human turn's parent is an agent turn, or NULL for a root turn (the session's first
 *   prompt and its edits); an agent turn's parent is always a human turn. The two foreign
 *   keys point at each other, so on PostgreSQL the second is added once both tables exist;
 *   SQLite accepts the forward reference inline (it checks foreign keys when rows are written).
 * - `active_child` is not a foreign key: it names a turn in either table.
 * - Flags are integer 0/1 (SQLite has no boolean; see dialect-helpers.ts).
 * - The indexes serve the service's queries: a session's turns in order, a turn's children,
 *   an account's sessions newest first, and the steps join by agent turn (the primary key).
 *
 * Also the migration's own bookkeeping: the repair log of sessions whose wide-column copy
 * may be behind, and the resumable checkpoints of the backfill / verify / repair tools.
 */
export const conversationMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'sessions, human_turns, agent_turns, steps',
    async up(db, dialect) {
      const t = dialectTypes(dialect);
      await db.schema
        .createTable('sessions')
        .addColumn('uid', 'text', (c) => c.primaryKey())
        .addColumn('account_uid', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('deleted_at', t.timestamp)
        .addColumn('active_child', 'text')
        .execute();
      await db.schema
        .createIndex('sessions_by_account')
        .on('sessions')
        .columns(['account_uid', 'created_at desc', 'uid'])
        .execute();
      const human = db.schema
        .createTable('human_turns')
        .addColumn('uid', 'text', (c) => c.primaryKey())
        .addColumn('session_uid', 'text', (c) => c.notNull().references('sessions.uid').onDelete('cascade'))
        .addColumn('parent_uid', 'text', (c) =>
          dialect === 'sqlite' ? c.references('agent_turns.uid').onDelete('cascade') : c,
        )
        .addColumn('prompt', 'text', (c) => c.notNull())
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('active_child', 'text');
      await human.execute();
      await db.schema
        .createTable('agent_turns')
        .addColumn('uid', 'text', (c) => c.primaryKey())
        .addColumn('session_uid', 'text', (c) => c.notNull().references('sessions.uid').onDelete('cascade'))
        .addColumn('human_turn_uid', 'text', (c) =>
          c.notNull().references('human_turns.uid').onDelete('cascade'),
        )
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('active_child', 'text')
        .addColumn('liked', 'integer', (c) => c.check(sql`liked in (0, 1)`))
        .addColumn('completed', 'integer', (c) =>
          c
            .notNull()
            .defaultTo(0)
            .check(sql`completed in (0, 1)`),
        )
        .execute();
      if (dialect === 'postgres') {
        await db.schema
          .alterTable('human_turns')
          .addForeignKeyConstraint('human_turns_parent_fk', ['parent_uid'], 'agent_turns', ['uid'], (c) =>
            c.onDelete('cascade'),
          )
          .execute();
      }
      await db.schema
        .createTable('steps')
        .addColumn('agent_turn_uid', 'text', (c) =>
          c.notNull().references('agent_turns.uid').onDelete('cascade'),
        )
        .addColumn('idx', 'integer', (c) => c.notNull().check(sql`idx >= 0`))
        .addColumn('tpe', 'text', (c) => c.notNull())
        .addColumn('content', 'text', (c) => c.notNull())
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addPrimaryKeyConstraint('steps_pk', ['agent_turn_uid', 'idx'])
        .execute();
      // The seed's query orders a session's turns by creation; children are found by parent.
      for (const [name, table, columns] of [
        ['human_turns_by_session', 'human_turns', ['session_uid', 'created_at']],
        ['human_turns_by_parent', 'human_turns', ['parent_uid', 'created_at']],
        ['agent_turns_by_session', 'agent_turns', ['session_uid', 'created_at']],
        ['agent_turns_by_human_turn', 'agent_turns', ['human_turn_uid', 'created_at']],
      ] as const) {
        await db.schema
          .createIndex(name)
          .on(table)
          .columns([...columns])
          .execute();
      }
    },
  },
  {
    version: 2,
    name: 'conversation repair log and tool checkpoints',
    async up(db, dialect) {
      const t = dialectTypes(dialect);
      await db.schema
        .createTable('conversation_repairs')
        .addColumn('session_uid', 'text', (c) => c.primaryKey())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('recorded_at', t.timestamp, (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(1))
        .execute();
      await db.schema
        .createTable('conversation_checkpoints')
        .addColumn('tool', 'text', (c) => c.primaryKey())
        .addColumn('cursor', 'text')
        .addColumn('done', 'integer', (c) => c.notNull())
        .addColumn('updated_at', t.timestamp, (c) => c.notNull())
        .execute();
    },
  },
];

export interface ConversationDatabase {
  sessions: {
    uid: string;
    account_uid: string;
    title: string;
    created_at: string | Date;
    deleted_at: string | Date | null;
    active_child: string | null;
  };
  human_turns: {
    uid: string;
    session_uid: string;
    parent_uid: string | null;
    prompt: string;
    created_at: string | Date;
    active_child: string | null;
  };
  agent_turns: {
    uid: string;
    session_uid: string;
    human_turn_uid: string;
    created_at: string | Date;
    active_child: string | null;
    liked: number | null;
    completed: number;
  };
  steps: {
    agent_turn_uid: string;
    idx: number;
    tpe: string;
    content: string;
    created_at: string | Date;
  };
  conversation_repairs: {
    session_uid: string;
    reason: string;
    recorded_at: string | Date;
    attempts: number;
  };
  conversation_checkpoints: {
    tool: string;
    cursor: string | null;
    done: number;
    updated_at: string | Date;
  };
}
