import { defineTable } from '../../ports/wide-column/declare.js';

/**
 * Conversation trees (seed 002): the seed's four denormalised tables that replace the
 * relational human_turns / agent_turns / steps joins, plus one lookup by session id. Each
 * answers one query from one partition: a user's recent sessions, a session's turns in
 * order, a turn's steps, a turn's branches. A turn is written to turns_by_session and
 * turns_by_parent in one logged batch (wide-store.ts).
 *
 * Differences from the seed, and why:
 * - `steps_by_turn.tpe` is text ('text', 'tool_call', ...) instead of an int code, so the
 *   stored value documents itself and a new step type needs no code table;
 * - `turns_by_session` also holds `completed` (an agent turn finished streaming);
 * - `session_by_id` finds a session (its account, creation time, active root) from its id
 *   alone: sessions_by_user is keyed by account and time, which a caller holding only a
 *   session id does not know.
 * Optional cells are never written as null (a null is a tombstone in CQL); absent means unset.
 */
export const sessionsByUser = defineTable({
  name: 'sessions_by_user',
  module: 'conversations',
  columns: {
    account_uid: 'text',
    created_at: 'timestamp',
    session_uid: 'text',
    title: 'text',
    deleted_at: 'timestamp',
  },
  partitionKey: ['account_uid'],
  clusteringKey: [
    { column: 'created_at', order: 'DESC' },
    { column: 'session_uid', order: 'ASC' },
  ],
  comment: "A user's conversations, newest first",
});

export const sessionById = defineTable({
  name: 'session_by_id',
  module: 'conversations',
  columns: {
    session_uid: 'text',
    account_uid: 'text',
    created_at: 'timestamp',
    title: 'text',
    deleted_at: 'timestamp',
    /** The root-level turn on the active path (root turns have the session id as parent). */
    active_child: 'text',
  },
  partitionKey: ['session_uid'],
  comment: 'A conversation by its id: owner, creation time, title, active root turn',
});

export const turnsBySession = defineTable({
  name: 'turns_by_session',
  module: 'conversations',
  columns: {
    session_uid: 'text',
    created_at: 'timestamp',
    turn_uid: 'text',
    turn_type: 'text',
    parent_uid: 'text',
    active_child: 'text',
    prompt: 'text',
    liked: 'boolean',
    completed: 'boolean',
  },
  partitionKey: ['session_uid'],
  clusteringKey: [
    { column: 'created_at', order: 'ASC' },
    { column: 'turn_uid', order: 'ASC' },
  ],
  comment: "A conversation's turns in chronological order (human and agent)",
});

export const stepsByTurn = defineTable({
  name: 'steps_by_turn',
  module: 'conversations',
  columns: {
    turn_uid: 'text',
    idx: 'int',
    tpe: 'text',
    content: 'text',
    created_at: 'timestamp',
  },
  partitionKey: ['turn_uid'],
  clusteringKey: [{ column: 'idx', order: 'ASC' }],
  comment: "An agent turn's steps in order",
});

export const turnsByParent = defineTable({
  name: 'turns_by_parent',
  module: 'conversations',
  columns: {
    parent_uid: 'text',
    created_at: 'timestamp',
    turn_uid: 'text',
    session_uid: 'text',
    turn_type: 'text',
  },
  partitionKey: ['parent_uid'],
  clusteringKey: [
    { column: 'created_at', order: 'ASC' },
    { column: 'turn_uid', order: 'ASC' },
  ],
  comment: 'Children of a turn, for navigating branches of the conversation tree',
});

/**
 * Which session a turn id belongs to. `steps_by_turn` and `turns_by_parent` are keyed by the
 * turn id alone, as in the seed, which assumes ids unique across every conversation; a
 * caller may choose a turn's id, so a second session taking an id another already holds
 * would read and write the first one's steps and children. A caller-chosen id is claimed
 * here with `IF NOT EXISTS` before its turn is written (one Paxos round on ScyllaDB, paid only
 * by callers that choose ids); a generated id (a random UUID) is recorded with a plain write.
 */
export const turnOwners = defineTable({
  name: 'turn_owners',
  module: 'conversations',
  columns: { turn_uid: 'text', session_uid: 'text' },
  partitionKey: ['turn_uid'],
  usesLwt: true,
  comment: 'The session each turn id belongs to (claimed once, never moved)',
});

export const conversationTables = [
  sessionsByUser,
  sessionById,
  turnsBySession,
  stepsByTurn,
  turnsByParent,
  turnOwners,
] as const;
