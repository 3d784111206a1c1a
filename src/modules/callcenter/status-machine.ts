import { SwitchboardError } from '../../errors/index.js';
import type { AgentStatus } from './types.js';

/**
 * The agent status state machine. Every status change goes through `checkMove`, so the legal
 * moves are written once, here (and in docs/callcenter.md).
 *
 * Moves an agent (or supervisor) asks for through the API:
 *
 *   offline          → available, away
 *   available        → away, offline
 *   away             → available, offline
 *   after_call_work  → available, away, offline   (ends the wrap-up)
 *   busy             → away, offline               (stops new offers; live calls go on)
 *
 * Going offline with live calls needs `force`: the calls go back to their queue at their
 * original position. `busy` is never asked for: the service sets it when the agent is full,
 * and the moves below are the service's own (assignment, call end, timeouts).
 */
const REQUESTED: Readonly<Record<AgentStatus, readonly AgentStatus[]>> = {
  offline: ['available', 'away'],
  available: ['away', 'offline'],
  away: ['available', 'offline'],
  after_call_work: ['available', 'away', 'offline'],
  busy: ['away', 'offline'],
};

/**
 * The service's own moves: assignment fills an agent (available → busy), a call ends
 * (busy → available, or → after_call_work when it was the last one), wrap-up times out
 * (after_call_work → available), a heartbeat stops (any but offline → away).
 */
const SYSTEM: Readonly<Record<AgentStatus, readonly AgentStatus[]>> = {
  offline: [],
  available: ['busy', 'after_call_work', 'away'],
  away: [],
  after_call_work: ['available', 'away'],
  busy: ['available', 'after_call_work', 'away'],
};

/**
 * Where a checked move to `to` lands, in both shapes: asking to be available while full means
 * busy (the capacity rule wins over the request); the agent counts as available from `at`, a
 * busy one keeps its time, and any other status has none.
 */
export function landing<T>(
  to: AgentStatus,
  agent: { currentCalls: number; maxCalls: number; availableSince: T | null },
  at: T,
): { status: AgentStatus; availableSince: T | null } {
  const status: AgentStatus = to === 'available' && agent.currentCalls >= agent.maxCalls ? 'busy' : to;
  return {
    status,
    availableSince: status === 'available' ? at : status === 'busy' ? agent.availableSince : null,
  };
}

export function legalMoves(from: AgentStatus, by: 'api' | 'system'): readonly AgentStatus[] {
  return (by === 'api' ? REQUESTED : SYSTEM)[from];
}

/** Throws ILLEGAL_STATUS_CHANGE unless `from → to` is legal for the agent's live calls. */
export function checkMove(
  from: AgentStatus,
  to: AgentStatus,
  options: { by: 'api' | 'system'; currentCalls: number; force?: boolean },
): void {
  const moves = legalMoves(from, options.by);
  if (!moves.includes(to)) {
    throw new SwitchboardError('ILLEGAL_STATUS_CHANGE', `An agent cannot move from ${from} to ${to}`, {
      field: 'body.status',
      details: { from, to, legal: [...moves] },
    });
  }
  if (to === 'offline' && options.currentCalls > 0 && !options.force) {
    throw new SwitchboardError(
      'AGENT_HAS_LIVE_CALLS',
      `The agent has ${options.currentCalls} live call(s); pass force to take it offline (its calls go back to their queue)`,
      { field: 'body.force', details: { currentCalls: options.currentCalls } },
    );
  }
}
