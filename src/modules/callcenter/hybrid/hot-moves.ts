import type { Logger } from 'pino';
import type { EventLog } from '../../../ports/event-log/log.js';
import type { Clock } from '../../../shared/clock.js';
import type { AgentService } from '../agents.js';
import { forUpdate, inTransaction, type Core } from '../core.js';
import type { CallCenterEvents } from '../events.js';
import { checkMove, landing } from '../status-machine.js';
import { ms } from '../rows.js';
import type { Agent, AgentStatus } from '../types.js';
import { withStatusOf, type AgentMoveEvent, type HotAgent, type HotAgents } from './agent-state.js';

/** Applies a checked move to a locked row (AgentService.move). */
export type ApplyMove = AgentService['move'];

/**
 * At most this many moves wait in a process for the write-behind; past it a move is left to
 * the topic's consumer alone (it is durable there), so a burst cannot grow memory without bound.
 */
const WRITE_BEHIND_MAX = 10_000;
/** A write-behind transaction that failed is tried again after this long. */
const WRITE_BEHIND_RETRY_MS = 1000;
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
      applied += 1;
      if (move.status === null) {
        // A move taken back: the row only catches up with its number. The event makes this
        // transaction write the row to the hot record (core.ts), which ends the take-back.
        await trx
          .updateTable('cc_agents')
          .set({ status_seq: move.seq })
          .where('agent_id', '=', row.agent_id)
          .execute();
        emit({
          type: 'agent.status',
          agentId: row.agent_id,
          status: row.status as AgentStatus,
          currentCalls: row.current_calls,
          at: move.at,
        });
        continue;
      }
      // At the move's own time, where the agent's place in the routing order comes from, but
      // never before a change the row already has (an assignment, a wrap-up's start).
      const at = Math.max(
        Date.parse(move.at),
        ms(row.status_changed_at),
        row.available_since === null ? 0 : ms(row.available_since),
        row.wrap_up_started_at === null ? 0 : ms(row.wrap_up_started_at),
      );
      await apply(trx, row, move.status, new Date(at), emit, { withdraw: null, statusSeq: move.seq });
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
    for (let attempt = 0; ; attempt += 1) {
      const current = await this.deps.agents.current(agentId);
      const was = current.value.agent;
      try {
        checkMove(was.status, to, { by: 'api', currentCalls: was.currentCalls });
      } catch (error) {
        // Refused only on a record known current: what this process swapped in last may be
        // old (read hot state again), and a record a failed transaction left behind may be
        // older than its row (rewrite it from the row).
        if (attempt === 0) this.deps.agents.forget(agentId);
        else if (attempt === 1 && (await this.deps.agents.refresh(agentId, current.value))) continue;
        else throw error;
        continue;
      }
      const at = this.deps.clock.now().toISOString();
      const { status, availableSince } = landing(to, was, at);
      const agent: Agent = {
        ...was,
        status,
        availableSince,
        statusChangedAt: at,
        lastHeartbeatAt: at,
        wrapUpCallId: null,
        updatedAt: at,
      };
      // Numbers follow the clock as well as the last one: a record lost from hot state and
      // rebuilt from a row that lags (moves still on their way) does not hand out again the
      // numbers of the moves on their way.
      const seq = Math.max(current.value.seq + 1, Date.parse(at) * 1000);
      const raw = JSON.stringify({ agent, seq, asked: to });
      // Lost to a concurrent writer (another move, a transaction's record): check again.
      if (!(await this.deps.agents.swap(agentId, current.raw, raw))) continue;
      const event: AgentMoveEvent = { type: 'agent.move', agentId, status: to, at, seq };
      try {
        await eventLog.publish(topic, [{ key: agentId, value: JSON.stringify(event) }]);
      } catch (error) {
        await this.takeBack(agentId, seq, to, current.value);
        throw error;
      }
      this.deps.events.publishLive([
        { type: 'agent.status', agentId, status, currentCalls: was.currentCalls, at },
      ]);
      this.writeBehind(event);
      return agent;
    }
  }

  /**
   * A move whose append failed is not done: the caller gets the error, and hot state takes
   * the status back at once (unless a newer move came on top). The number stays used, so that
   * no later move takes it. The row catches up with it through the write-behind: under that
   * number goes the move asked before (`before.asked`, which the row may not have yet when it
   * came from another process), or only the number when the record had none. The record is
   * then the row's again. If this process stops first, the start-up reconciliation sends it.
   */
  private async takeBack(agentId: string, seq: number, asking: AgentStatus, before: HotAgent): Promise<void> {
    const was = before.agent;
    const asked = before.asked ?? null;
    try {
      for (;;) {
        const found = await this.deps.agents.read(agentId);
        // Only the move's own record: a newer move on top, or a transaction that has already
        // written this number to the row (an offline that superseded the move), keeps its own.
        if (!found || found.value.seq !== seq || found.value.asked !== asking) break;
        const back: HotAgent = { agent: withStatusOf(found.value.agent, was), seq, asked };
        if (await this.deps.agents.swap(agentId, found.raw, JSON.stringify(back))) break;
      }
    } catch (error) {
      this.deps.logger.warn(
        { err: (error as Error).message, agentId },
        'callcenter status move not taken back in hot state (the start-up reconciliation will)',
      );
    }
    this.writeBehind({ type: 'agent.move', agentId, status: asked, at: was.statusChangedAt, seq }, true);
  }

  /** Resolves once every move taken so far by this process has been through the write-behind. */
  async settled(): Promise<void> {
    while (this.flushing || this.queued.length > 0 || this.scheduled) {
      if (!this.flushing && !this.scheduled) this.schedule();
      await (this.flushing ?? new Promise((resolve) => setImmediate(resolve)));
    }
  }

  /** `takeBack`: a take-back, which is on no topic, so never left out when the queue is full. */
  private writeBehind(event: AgentMoveEvent, takeBack = false): void {
    if (this.queued.length >= WRITE_BEHIND_MAX && !takeBack) return;
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
      // Tried again in a second. The moves are on the topic too (its consumer applies them),
      // but a take-back is only here, and a row without it leaves hot state ahead of it.
      this.deps.logger.warn(
        { err: (error as Error).message, moves: moves.length },
        'callcenter status moves not written to their rows; trying again in 1 s',
      );
      setTimeout(() => {
        this.queued.push(...moves);
        this.schedule();
      }, WRITE_BEHIND_RETRY_MS).unref();
    }
  }
}
