import type { Selectable, Transaction } from 'kysely';
import type { Executor } from '../../ports/relational/store.js';
import type { CallCenterDatabase } from './migrations.js';
import type { ActiveCall, Agent, AgentStatus, CallRecord, CallState, QueuedCall, Skills } from './types.js';

/** Row ↔ domain mapping and the typed executor every call-center service queries through. */

export type Db = Executor<CallCenterDatabase>;
export type Trx = Transaction<CallCenterDatabase>;
export type AgentRow = Selectable<CallCenterDatabase['cc_agents']>;
export type QueueRow = Selectable<CallCenterDatabase['cc_call_queue']>;
export type ActiveRow = Selectable<CallCenterDatabase['cc_active_calls']>;
export type RecordRow = Selectable<CallCenterDatabase['cc_call_records']>;

/** Both dialects read timestamps back as ISO strings (see dialect-helpers.ts); Dates only when written. */
export function iso(value: string | Date): string {
  return typeof value === 'string' ? value : value.toISOString();
}

export function isoOrNull(value: string | Date | null): string | null {
  return value === null ? null : iso(value);
}

export function ms(value: string | Date): number {
  return new Date(value).getTime();
}

export function parseSkills(json: string): Skills {
  return JSON.parse(json) as Skills;
}

export function agentFromRow(row: AgentRow): Agent {
  return {
    agentId: row.agent_id,
    username: row.username,
    displayName: row.display_name,
    skills: parseSkills(row.skills),
    maxCalls: row.max_calls,
    status: row.status as AgentStatus,
    availableSince: isoOrNull(row.available_since),
    currentCalls: row.current_calls,
    statusChangedAt: iso(row.status_changed_at),
    lastHeartbeatAt: isoOrNull(row.last_heartbeat_at),
    wrapUpCallId: row.wrap_up_call_id,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export function queuedFromRow(row: QueueRow): QueuedCall {
  return {
    callId: row.call_id,
    queue: row.queue,
    caller: row.caller,
    voiceSessionId: row.voice_session_id,
    priority: row.priority,
    requiredSkills: parseSkills(row.required_skills),
    enqueuedAt: iso(row.enqueued_at),
    transfers: row.transfers,
  };
}

export function activeFromRow(row: ActiveRow): ActiveCall {
  return {
    callId: row.call_id,
    agentId: row.agent_id,
    queue: row.queue,
    caller: row.caller,
    voiceSessionId: row.voice_session_id,
    priority: row.priority,
    requiredSkills: parseSkills(row.required_skills),
    enqueuedAt: iso(row.enqueued_at),
    assignedAt: iso(row.assigned_at),
    state: row.state as CallState,
    answeredAt: isoOrNull(row.answered_at),
    transfers: row.transfers,
  };
}

export function recordFromRow(row: RecordRow): CallRecord {
  return {
    callId: row.call_id,
    queue: row.queue,
    agentId: row.agent_id,
    caller: row.caller,
    voiceSessionId: row.voice_session_id,
    enqueuedAt: iso(row.enqueued_at),
    answeredAt: isoOrNull(row.answered_at),
    endedAt: iso(row.ended_at),
    waitSeconds: row.wait_ms / 1000,
    talkSeconds: row.talk_ms / 1000,
    holdSeconds: row.hold_ms / 1000,
    wrapUpSeconds: row.wrap_up_ms === null ? null : row.wrap_up_ms / 1000,
    transfers: row.transfers,
    disposition: row.disposition,
    abandoned: Number(row.abandoned) === 1,
  };
}
