/** The call center's domain types, as the services return them (times as ISO-8601 strings). */

export const AGENT_STATUSES = ['offline', 'available', 'busy', 'after_call_work', 'away'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

export const CALL_STATES = ['ringing', 'talking', 'on_hold'] as const;
export type CallState = (typeof CALL_STATES)[number];

/** Skill name → level (agents: the level held, 1-10; calls: the least level required). */
export type Skills = Record<string, number>;

export interface Agent {
  agentId: string;
  username: string;
  displayName: string;
  skills: Skills;
  maxCalls: number;
  status: AgentStatus;
  availableSince: string | null;
  currentCalls: number;
  statusChangedAt: string;
  lastHeartbeatAt: string | null;
  wrapUpCallId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface CreateAgentInput {
  agentId: string;
  username: string;
  displayName?: string;
  skills?: Skills;
  maxCalls?: number;
}

export interface UpdateAgentInput {
  username?: string;
  displayName?: string;
  skills?: Skills;
  maxCalls?: number;
}

export interface QueuedCall {
  callId: string;
  queue: string;
  caller: string;
  voiceSessionId: string | null;
  priority: number;
  requiredSkills: Skills;
  enqueuedAt: string;
  transfers: number;
}

export interface EnqueueInput {
  callId: string;
  queue: string;
  caller: string;
  voiceSessionId?: string | null;
  priority?: number;
  requiredSkills?: Skills;
}

export interface ActiveCall {
  callId: string;
  agentId: string;
  queue: string;
  caller: string;
  voiceSessionId: string | null;
  priority: number;
  requiredSkills: Skills;
  enqueuedAt: string;
  assignedAt: string;
  state: CallState;
  answeredAt: string | null;
  transfers: number;
}

/** A live call as `GET /calls/{id}` shows it: waiting in its queue, or with an agent. */
export type LiveCall = ActiveCall | (QueuedCall & { state: 'queued' });

export interface CallRecord {
  callId: string;
  queue: string;
  agentId: string | null;
  caller: string;
  voiceSessionId: string | null;
  enqueuedAt: string;
  answeredAt: string | null;
  endedAt: string;
  waitSeconds: number;
  talkSeconds: number;
  holdSeconds: number;
  /** Null while the agent is still in after-call work. */
  wrapUpSeconds: number | null;
  transfers: number;
  disposition: string;
  abandoned: boolean;
}

/** Who did a status move: the agent (or a supervisor) through the API, or the service itself. */
export type Actor = 'api' | 'system';
