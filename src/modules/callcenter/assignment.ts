import { sql } from 'kysely';
import { SwitchboardError } from '../../errors/index.js';
import {
  agentHoldsCallSkills,
  agentHoldsSkills,
  forUpdate,
  inTransaction,
  lockAgent,
  routingStatus,
  statusAfterCalls,
  type Core,
} from './core.js';
import type { CallCenterEvent } from './events.js';
import {
  activeFromRow,
  parseSkills,
  type ActiveRow,
  type AgentRow,
  type QueueRow,
  type Trx,
} from './rows.js';
import type { ActiveCall, AgentStatus } from './types.js';
import { checkId, checkName } from './validate.js';

/**
 * Agents a routing looks at before it gives up for now. Only hybrid passes agents over (a move
 * to away in hot state the row has not had yet), and only for the few milliseconds until the
 * write-behind writes it.
 */
const ROUTE_TRIES = 8;

/**
 * Atomic assignment, the heart of the seed: in one transaction the call leaves the queue,
 * its `cc_active_calls` row appears (ringing) and the agent's `current_calls` rises (busy
 * when full).
 *
 * PostgreSQL: the side that is named (the agent in `next`, the call in `route`) is locked
 * and waited for; the side that is searched for is taken `FOR UPDATE SKIP LOCKED`, so
 * concurrent assignments each take a different row instead of queueing behind one another
 * or taking the same one, and the search never waits (hence no deadlock with the lock
 * order of core.ts). SQLite: the transaction begins IMMEDIATE and runs alone.
 *
 * The `cc_agents` CHECK (current_calls <= max_calls) and the call's primary keys are the
 * last line of defence: a bug here fails a transaction rather than double-assigning.
 */
export class AssignmentService {
  constructor(private readonly core: Core) {}

  /**
   * The best waiting call for this agent (from `queues` only, when given), or null when no
   * waiting call fits. An agent that cannot take a call now is refused as `assign` refuses it
   * (AGENT_NOT_AVAILABLE, AGENT_AT_CAPACITY), so a softphone can tell "nothing waiting, ask
   * again" from "you cannot take calls".
   */
  async next(agentId: string, options: { queues?: readonly string[] } = {}): Promise<ActiveCall | null> {
    checkId(agentId, 'agentId');
    const queues = options.queues?.map((q, i) => checkName(q, `body.queues.${i}`));
    const now = this.core.clock.now();
    return inTransaction(this.core, async (trx, emit) => {
      const agent = await lockAgent(this.core, trx, agentId);
      const status = await routingStatus(this.core, agent);
      if (status !== 'available' && status !== 'busy') throw notAvailable(agent, status, 'agentId');
      if (agent.current_calls >= agent.max_calls) throw atCapacity(agent, 'agentId');
      // Hybrid: hot state has made the agent available and its row does not have the move yet.
      // Routing waits for the row (a few milliseconds), so for now there is nothing to take.
      if (agent.status !== 'available') return null;
      if (queues !== undefined && queues.length === 0) return null;
      const call = await forUpdate(
        this.core,
        trx
          .selectFrom('cc_call_queue as q')
          .selectAll('q')
          .where((eb) => eb.or([eb('q.skip_agent_id', 'is', null), eb('q.skip_agent_id', '<>', agentId)]))
          .$if(queues !== undefined, (q) => q.where('q.queue', 'in', queues!))
          .where(agentHoldsCallSkills(sql.val(agentId), sql.ref('q.call_id')))
          .orderBy('q.priority', 'desc')
          .orderBy('q.enqueued_at')
          .orderBy('q.call_id')
          .limit(1),
        { skipLocked: true },
      ).executeTakeFirst();
      if (!call) return null;
      return this.take(trx, call, agent, now, emit);
    });
  }

  /** The best agent for this waiting call (longest available first), or null when none fits now. */
  async route(callId: string): Promise<ActiveCall | null> {
    // The call is named in the body of `POST /assign`, with or without an agent.
    checkId(callId, 'body.callId');
    const now = this.core.clock.now();
    return inTransaction(this.core, async (trx, emit) => {
      const call = await this.lockQueued(trx, callId, 'body.callId');
      // Passed over: agents hot state has moved away from available (hybrid) since their row said so.
      const passed: string[] = [];
      if (call.skip_agent_id !== null) passed.push(call.skip_agent_id);
      for (let tries = 0; tries < ROUTE_TRIES; tries += 1) {
        const agent = await forUpdate(
          this.core,
          trx
            .selectFrom('cc_agents as a')
            .selectAll('a')
            .where('a.status', '=', 'available')
            .where(sql<boolean>`a.current_calls < a.max_calls`)
            .$if(passed.length > 0, (q) => q.where('a.agent_id', 'not in', passed))
            .where(agentHoldsSkills(sql.ref('a.agent_id'), parseSkills(call.required_skills)))
            .orderBy('a.available_since')
            .orderBy('a.agent_id')
            .limit(1),
          { skipLocked: true },
        ).executeTakeFirst();
        if (!agent) return null;
        if ((await routingStatus(this.core, agent)) === 'available') {
          return this.take(trx, call, agent, now, emit);
        }
        passed.push(agent.agent_id);
      }
      return null;
    });
  }

  /** This call to this agent (a supervisor's choice), or the reason it cannot be. */
  async assign(callId: string, agentId: string): Promise<ActiveCall> {
    checkId(callId, 'body.callId');
    checkId(agentId, 'body.agentId');
    const now = this.core.clock.now();
    return inTransaction(this.core, async (trx, emit) => {
      const agent = await lockAgent(this.core, trx, agentId).catch((error: unknown) => {
        throw fieldOf(error, 'body.agentId');
      });
      const call = await this.lockQueued(trx, callId, 'body.callId');
      const status = await routingStatus(this.core, agent);
      if (status !== 'available' && status !== 'busy') throw notAvailable(agent, status, 'body.agentId');
      if (agent.current_calls >= agent.max_calls) throw atCapacity(agent, 'body.agentId');
      const matched = await trx
        .selectFrom('cc_agents as a')
        .select('a.agent_id')
        .where('a.agent_id', '=', agentId)
        .where(agentHoldsSkills(sql.ref('a.agent_id'), parseSkills(call.required_skills)))
        .executeTakeFirst();
      if (!matched) {
        throw new SwitchboardError(
          'SKILLS_NOT_MATCHED',
          `Agent "${agentId}" lacks a skill call "${callId}" needs`,
          {
            field: 'body.agentId',
            details: { requiredSkills: JSON.parse(call.required_skills) as unknown },
          },
        );
      }
      return this.take(trx, call, agent, now, emit);
    });
  }

  /** Locks a waiting call (waiting for a concurrent assignment to finish), or says where it went. */
  private async lockQueued(trx: Trx, callId: string, field: string): Promise<QueueRow> {
    const call = await forUpdate(
      this.core,
      trx.selectFrom('cc_call_queue').selectAll().where('call_id', '=', callId),
    ).executeTakeFirst();
    if (call) return call;
    const active = await trx
      .selectFrom('cc_active_calls')
      .select('agent_id')
      .where('call_id', '=', callId)
      .executeTakeFirst();
    if (active) {
      throw new SwitchboardError('CALL_ALREADY_ASSIGNED', `Call "${callId}" is already with an agent`, {
        field,
        details: { agentId: active.agent_id },
      });
    }
    throw new SwitchboardError('CALL_NOT_IN_QUEUE', `Call "${callId}" is not waiting in a queue`, { field });
  }

  /** The three writes of an assignment, on rows this transaction has locked. */
  private async take(
    trx: Trx,
    call: QueueRow,
    agent: AgentRow,
    now: Date,
    emit: (event: CallCenterEvent) => void,
  ): Promise<ActiveCall> {
    const at = now.toISOString();
    const removed = await trx
      .deleteFrom('cc_call_queue')
      .where('call_id', '=', call.call_id)
      .executeTakeFirst();
    if (Number(removed.numDeletedRows) !== 1) {
      // Unreachable with the locks above; refusing is safer than assigning a call twice.
      throw new SwitchboardError('CALL_ALREADY_ASSIGNED', `Call "${call.call_id}" left the queue meanwhile`, {
        field: 'callId',
      });
    }
    const active: ActiveRow = {
      call_id: call.call_id,
      agent_id: agent.agent_id,
      queue: call.queue,
      caller: call.caller,
      voice_session_id: call.voice_session_id,
      priority: call.priority,
      required_skills: call.required_skills,
      enqueued_at: call.enqueued_at,
      assigned_at: at,
      state: 'ringing',
      answered_at: call.answered_at,
      state_since: at,
      talk_ms: Number(call.talk_ms),
      hold_ms: Number(call.hold_ms),
      transfers: call.transfers,
    };
    await trx.insertInto('cc_active_calls').values(active).execute();
    const currentCalls = agent.current_calls + 1;
    const { status, statusChangedAt } = statusAfterCalls(agent, currentCalls, at);
    await trx
      .updateTable('cc_agents')
      .set({
        current_calls: currentCalls,
        status,
        // Taking a call makes the agent the least idle: the next call goes to someone else first.
        available_since: at,
        status_changed_at: statusChangedAt,
        updated_at: at,
      })
      .where('agent_id', '=', agent.agent_id)
      .execute();
    emit({ type: 'call.assigned', callId: call.call_id, queue: call.queue, agentId: agent.agent_id, at });
    emit({ type: 'agent.status', agentId: agent.agent_id, status, currentCalls, at });
    return activeFromRow(active);
  }
}

/** The agent cannot take calls in this status (`field`: where the request named the agent). */
function notAvailable(agent: AgentRow, status: AgentStatus, field: string): SwitchboardError {
  return new SwitchboardError('AGENT_NOT_AVAILABLE', `Agent "${agent.agent_id}" is ${status}`, {
    field,
    details: { status },
  });
}

function atCapacity(agent: AgentRow, field: string): SwitchboardError {
  return new SwitchboardError(
    'AGENT_AT_CAPACITY',
    `Agent "${agent.agent_id}" has ${agent.current_calls} of ${agent.max_calls} calls`,
    { field, details: { currentCalls: agent.current_calls, maxCalls: agent.max_calls } },
  );
}

function fieldOf(error: unknown, field: string): unknown {
  return error instanceof SwitchboardError && error.field !== undefined ? error.withField(field) : error;
}
