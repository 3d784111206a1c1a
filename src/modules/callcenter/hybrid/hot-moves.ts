import type { Logger } from 'pino';
import type { EventLog } from '../../../ports/event-log/log.js';
import type { Clock } from '../../../shared/clock.js';
import type { AgentService } from '../agents.js';
import { forUpdate, inTransaction, type Core } from '../core.js';
import type { CallCenterEvents } from '../events.js';
import { checkMove } from '../status-machine.js';
import type { Agent, AgentStatus } from '../types.js';
import type { AgentMoveEvent, HotAgents } from './agent-state.js';

/** Applies a checked move to a locked row (AgentService.move). */
export type ApplyMove = AgentService['move'];

/**
 * At most this many moves wait in a process for the write-behind; past it a move is left to
 * the topic's consumer alone (it is durable there), so a burst cannot grow memory without bound.
 */
const WRITE_BEHIND_MAX = 10_000;
/** Moves written in one transaction by the write-behind. */
const WRITE_BEHIND_GROUP = 500;

/**
 * Writes moves taken in hot state to the relational rows: per agent only its newest move, and
 * only when the row has not had it (or a newer one) yet, all in one transaction. Idempotent by
 * move number, so the write-behind below and the topic's consumer may both apply the same move,
 * and a replay of the topic changes nothing.
 */
export async function applyMoves(
  core: Core,
  apply: ApplyMove,
  moves: readonly AgentMoveEvent[],
): Promise<number> {
  const newest = new Map<string, AgentMoveEvent>();
  for (const move of moves) {
    const seen = newest.get(move.agentId);
    if (!seen || move.seq > seen.seq) newest.set(move.agentId, move);
  }
  if (newest.size === 0) return 0;
  return inTransaction(core, async (trx, emit) => {
    const rows = await forUpdate(
      core,
      trx
        .selectFrom('cc_agents')
        .selectAll()
        .where('agent_id', 'in', [...newest.keys()])
        .orderBy('agent_id'),
    ).execute();
    let applied = 0;
    for (const row of rows) {
      const move = newest.get(row.agent_id)!;
      if (Number(row.status_seq) >= move.seq) continue;
      // At the move's own time: the agent's place in the routing order is when it asked.
      await apply(trx, row, move.status, new Date(move.at), emit, { withdraw: null, statusSeq: move.seq });
      applied += 1;
    }
    return applied;
  });
}

/**
 * Agent status moves in the hybrid shape (the seed's Option 3): checked by the state machine
 * against the agent's hot record, swapped in by compare-and-set, appended to the events topic
 * (the durable record), published live, and answered. The relational row follows: first from
 * this process's write-behind (a few milliseconds), and in any case from the topic's consumer.
 *
 * Not taken here, because they change calls or need the row's own check: going offline (live
 * calls need `force` and go back to their queues), which runs as a relational transaction as
 * in the relational shape.
 */
export class HotMoves {
  private queued: AgentMoveEvent[] = [];
  private flushing: Promise<void> | undefined;
  private scheduled = false;

  constructor(
    private readonly deps: {
      core: Core;
      agents: HotAgents;
      eventLog: EventLog;
      topic: string;
      clock: Clock;
      events: CallCenterEvents;
      apply: ApplyMove;
      logger: Logger;
    },
  ) {}

  async move(agentId: string, to: AgentStatus): Promise<Agent> {
    const { eventLog, topic } = this.deps;
    for (let fresh = false; ; ) {
      const current = await this.deps.agents.current(agentId);
      const was = current.value.agent;
      try {
        checkMove(was.status, to, { by: 'api', currentCalls: was.currentCalls });
      } catch (error) {
        // What this process swapped in last may be old: refuse only on what hot state holds.
        if (fresh) throw error;
        this.deps.agents.forget(agentId);
        fresh = true;
        continue;
      }
      const at = this.deps.clock.now().toISOString();
      // Asking to be available while full means busy, as in the relational shape.
      const status: AgentStatus = to === 'available' && was.currentCalls >= was.maxCalls ? 'busy' : to;
      const agent: Agent = {
        ...was,
        status,
        availableSince: status === 'available' ? at : status === 'busy' ? was.availableSince : null,
        statusChangedAt: at,
        lastHeartbeatAt: at,
        wrapUpCallId: null,
        updatedAt: at,
      };
      const seq = current.value.seq + 1;
      const raw = JSON.stringify({ agent, seq });
      // Lost to a concurrent writer (another move, a transaction's record): check again.
      if (!(await this.deps.agents.swap(agentId, current.raw, raw))) continue;
      const event: AgentMoveEvent = { type: 'agent.move', agentId, status: to, at, seq };
      try {
        await eventLog.publish(topic, [{ key: agentId, value: JSON.stringify(event) }]);
      } catch (error) {
        // Not durable, so not done: hot state takes the old status back, under a newer number
        // so that no writer mistakes it for the move, and the caller gets the error.
        await this.deps.agents
          .swap(agentId, raw, JSON.stringify({ agent: was, seq: seq + 1 }))
          .catch(() => undefined);
        throw error;
      }
      this.deps.events.publishLive([
        { type: 'agent.status', agentId, status, currentCalls: was.currentCalls, at },
      ]);
      this.writeBehind(event);
      return agent;
    }
  }

  /** Resolves once every move taken so far by this process has been through the write-behind. */
  async settled(): Promise<void> {
    while (this.flushing || this.queued.length > 0 || this.scheduled) {
      if (!this.flushing && !this.scheduled) this.schedule();
      await (this.flushing ?? new Promise((resolve) => setImmediate(resolve)));
    }
  }

  private writeBehind(event: AgentMoveEvent): void {
    if (this.queued.length >= WRITE_BEHIND_MAX) return;
    this.queued.push(event);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flushing = this.flush().finally(() => {
        this.flushing = undefined;
        if (this.queued.length > 0) this.schedule();
      });
    });
  }

  private async flush(): Promise<void> {
    const moves = this.queued.splice(0, WRITE_BEHIND_GROUP);
    try {
      await applyMoves(this.deps.core, this.deps.apply, moves);
    } catch (error) {
      // The topic's consumer applies them: the write-behind only makes the row follow sooner.
      this.deps.logger.warn(
        { err: (error as Error).message, moves: moves.length },
        'callcenter status moves left to the events consumer',
      );
    }
  }
}
