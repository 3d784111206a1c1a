import { SwitchboardError } from '../../errors/index.js';
import {
  activeFromRow,
  agentNotFound,
  callNotLive,
  foldTime,
  forUpdate,
  inTransaction,
  lockActiveWithAgent,
  lockAgent,
  readActive,
  releaseSlot,
  requeue,
  requireState,
  routingStatus,
  statusAfterCalls,
  type Core,
} from './core.js';
import { writeRecord } from './records.js';
import { queuedFromRow, recordFromRow, type ActiveRow, type AgentRow, type Db } from './rows.js';
import type { ActiveCall, CallRecord, LiveCall, Skills } from './types.js';
import { checkId, checkName, checkSkills, checkText } from './validate.js';

/**
 * To an agent, or to a queue; `requiredSkills` replaces the skills the call needs there (the
 * skills it was enqueued with may be no one's in the new queue), else it keeps them.
 */
export type TransferTarget = { agentId: string } | { queue: string; requiredSkills?: Skills };

/**
 * A live call from ringing to ended: answer, hold, resume, reject (the offer goes back to
 * the queue and this agent is skipped next time), transfer (to an agent, who gets it
 * ringing, or to a queue, keeping the original enqueue time), end with a disposition.
 * Talk and hold time are folded in at every state change, so a record is exact whatever
 * path the call took.
 */
export class CallLifecycle {
  constructor(private readonly core: Core) {}

  private get db(): Db {
    return this.core.store.db as Db;
  }

  answer(callId: string): Promise<ActiveCall> {
    return this.changeState(callId, ['ringing'], 'answer', 'talking');
  }

  hold(callId: string): Promise<ActiveCall> {
    return this.changeState(callId, ['talking'], 'hold', 'on_hold');
  }

  resume(callId: string): Promise<ActiveCall> {
    return this.changeState(callId, ['on_hold'], 'resume', 'talking');
  }

  /**
   * A live call in whatever state it is: waiting in its queue (`queued`), or with an agent
   * (`ringing`, `talking`, `on_hold`). An ended call is CALL_NOT_FOUND naming its record.
   */
  async get(callId: string): Promise<LiveCall> {
    checkId(callId, 'callId');
    const withAgent = () =>
      this.db.selectFrom('cc_active_calls').selectAll().where('call_id', '=', callId).executeTakeFirst();
    const active = await withAgent();
    if (active) return activeFromRow(active);
    const queued = await this.db
      .selectFrom('cc_call_queue')
      .selectAll()
      .where('call_id', '=', callId)
      .executeTakeFirst();
    if (queued) return { ...queuedFromRow(queued), state: 'queued' };
    // A call assigned between the two reads is in neither: look again before calling it gone.
    const assigned = await withAgent();
    if (assigned) return activeFromRow(assigned);
    throw await callNotLive(this.db, callId);
  }

  /** The agent's live calls (AGENT_NOT_FOUND for an unknown agent, as every agent route). */
  async ofAgent(agentId: string): Promise<ActiveCall[]> {
    checkId(agentId, 'agentId');
    const agent = await this.db
      .selectFrom('cc_agents')
      .select('agent_id')
      .where('agent_id', '=', agentId)
      .executeTakeFirst();
    if (!agent) throw agentNotFound(agentId);
    const rows = await this.db
      .selectFrom('cc_active_calls')
      .selectAll()
      .where('agent_id', '=', agentId)
      .orderBy('assigned_at')
      .execute();
    return rows.map(activeFromRow);
  }

  private async changeState(
    callId: string,
    from: readonly string[],
    action: string,
    to: 'talking' | 'on_hold',
  ): Promise<ActiveCall> {
    checkId(callId, 'callId');
    const now = this.core.clock.now();
    return inTransaction(this.core, async (trx, emit) => {
      const { call } = await lockActiveWithAgent(this.core, trx, callId);
      requireState(call, from, action);
      const next: ActiveRow = {
        ...call,
        ...foldTime(call, now),
        state: to,
        state_since: now.toISOString(),
        // The first answer ends the wait; a transferred call keeps its first answer time.
        answered_at: call.answered_at ?? (to === 'talking' ? now.toISOString() : null),
      };
      await trx
        .updateTable('cc_active_calls')
        .set({
          state: next.state,
          state_since: next.state_since,
          answered_at: next.answered_at,
          talk_ms: next.talk_ms,
          hold_ms: next.hold_ms,
        })
        .where('call_id', '=', callId)
        .execute();
      emit({ type: 'call.state', callId, agentId: call.agent_id, state: to, at: now.toISOString() });
      return activeFromRow(next);
    });
  }

  /** The agent turns a ringing offer down: back to the queue at its place; this agent is skipped next. */
  async reject(callId: string): Promise<{ callId: string; queue: string }> {
    checkId(callId, 'callId');
    const now = this.core.clock.now();
    return inTransaction(this.core, async (trx, emit) => {
      const { call, agent } = await lockActiveWithAgent(this.core, trx, callId);
      requireState(call, ['ringing'], 'reject');
      await requeue(trx, call, now, { skipAgentId: agent.agent_id });
      await releaseSlot(this.core, trx, agent, now, emit, null);
      emit({ type: 'call.requeued', callId, queue: call.queue, reason: 'rejected', at: now.toISOString() });
      return { callId, queue: call.queue };
    });
  }

  /**
   * To an agent: the call rings there (it must be available with room; skills are the
   * transferring agent's judgement and are not checked). To a queue: it waits again at its
   * original enqueue time. Either way the first agent is free of it, with no wrap-up.
   */
  async transfer(
    callId: string,
    target: TransferTarget,
  ): Promise<ActiveCall | { callId: string; queue: string }> {
    checkId(callId, 'callId');
    let requiredSkills: Skills | undefined;
    if ('queue' in target) {
      checkName(target.queue, 'body.queue');
      if (target.requiredSkills !== undefined) {
        requiredSkills = checkSkills(target.requiredSkills, 'body.requiredSkills');
      }
    } else checkId(target.agentId, 'body.agentId');
    const now = this.core.clock.now();
    return inTransaction(this.core, async (trx, emit) => {
      if ('queue' in target) {
        const { call, agent } = await lockActiveWithAgent(this.core, trx, callId);
        requireState(call, ['talking', 'on_hold'], 'transfer');
        await requeue(trx, call, now, {
          queue: target.queue,
          transferred: true,
          ...(requiredSkills !== undefined ? { requiredSkills } : {}),
        });
        await releaseSlot(this.core, trx, agent, now, emit, null);
        emit({
          type: 'call.requeued',
          callId,
          queue: target.queue,
          reason: 'transfer',
          at: now.toISOString(),
        });
        return { callId, queue: target.queue };
      }
      // Two agents: both locked in id order (core.ts), then the call.
      const sourceId = (await readActive(trx, callId)).agent_id;
      const ids = [sourceId, target.agentId].sort();
      const locked = new Map<string, AgentRow>();
      for (const id of ids) {
        if (!locked.has(id)) {
          const row = await lockAgent(this.core, trx, id).catch((error: unknown) => {
            if (
              id === target.agentId &&
              error instanceof SwitchboardError &&
              error.code === 'AGENT_NOT_FOUND'
            ) {
              throw new SwitchboardError('AGENT_NOT_FOUND', error.message, { field: 'body.agentId' });
            }
            throw error;
          });
          locked.set(id, row);
        }
      }
      const call = await forUpdate(
        this.core,
        trx.selectFrom('cc_active_calls').selectAll().where('call_id', '=', callId),
      ).executeTakeFirst();
      if (!call || call.agent_id !== sourceId) {
        // Ended or moved since it was read: report what it is now.
        const { call: current } = await lockActiveWithAgent(this.core, trx, callId);
        throw new SwitchboardError(
          'CALL_STATE_INVALID',
          `Call "${callId}" changed while transferring; retry`,
          {
            field: 'callId',
            details: { state: current.state },
          },
        );
      }
      requireState(call, ['talking', 'on_hold'], 'transfer');
      const source = locked.get(sourceId)!;
      const dest = locked.get(target.agentId)!;
      if (dest.agent_id === source.agent_id) {
        throw new SwitchboardError(
          'VALIDATION_FAILED',
          'body.agentId is the agent the call is already with',
          {
            field: 'body.agentId',
          },
        );
      }
      const destStatus = await routingStatus(this.core, dest);
      if (destStatus !== 'available') {
        throw new SwitchboardError('AGENT_NOT_AVAILABLE', `Agent "${dest.agent_id}" is ${destStatus}`, {
          field: 'body.agentId',
          details: { status: destStatus },
        });
      }
      if (dest.current_calls >= dest.max_calls) {
        throw new SwitchboardError(
          'AGENT_AT_CAPACITY',
          `Agent "${dest.agent_id}" has no room for another call`,
          {
            field: 'body.agentId',
          },
        );
      }
      const at = now.toISOString();
      const folded = foldTime(call, now);
      const moved: ActiveRow = {
        ...call,
        ...folded,
        agent_id: dest.agent_id,
        state: 'ringing',
        state_since: at,
        assigned_at: at,
        transfers: call.transfers + 1,
      };
      await trx
        .updateTable('cc_active_calls')
        .set({
          agent_id: moved.agent_id,
          state: moved.state,
          state_since: at,
          assigned_at: at,
          talk_ms: moved.talk_ms,
          hold_ms: moved.hold_ms,
          transfers: moved.transfers,
        })
        .where('call_id', '=', callId)
        .execute();
      await releaseSlot(this.core, trx, source, now, emit, null);
      const destCalls = dest.current_calls + 1;
      const { status, statusChangedAt } = statusAfterCalls(dest, destCalls, at);
      await trx
        .updateTable('cc_agents')
        .set({
          current_calls: destCalls,
          status,
          available_since: at,
          status_changed_at: statusChangedAt,
          updated_at: at,
        })
        .where('agent_id', '=', dest.agent_id)
        .execute();
      emit({ type: 'call.transferred', callId, fromAgentId: source.agent_id, toAgentId: dest.agent_id, at });
      emit({ type: 'agent.status', agentId: dest.agent_id, status, currentCalls: destCalls, at });
      return activeFromRow(moved);
    });
  }

  /**
   * Hangs up an answered call with a disposition ("resolved", "callback", ...): its record is
   * written in the same transaction, and the agent enters after-call work if it was its
   * last call (the record's wrap-up time is filled when that ends).
   */
  async end(callId: string, disposition: string): Promise<CallRecord> {
    checkId(callId, 'callId');
    const dispositionText = checkText(disposition, 'body.disposition', 64);
    const now = this.core.clock.now();
    return inTransaction(this.core, async (trx, emit) => {
      const { call, agent } = await lockActiveWithAgent(this.core, trx, callId);
      requireState(call, ['talking', 'on_hold'], 'end');
      const folded = foldTime(call, now);
      await trx.deleteFrom('cc_active_calls').where('call_id', '=', callId).execute();
      const wrapsUp =
        this.core.wrapUpSeconds > 0 &&
        agent.current_calls === 1 &&
        (agent.status === 'available' || agent.status === 'busy');
      const input = {
        callId,
        queue: call.queue,
        agentId: agent.agent_id,
        caller: call.caller,
        voiceSessionId: call.voice_session_id,
        enqueuedAt: call.enqueued_at,
        answeredAt: call.answered_at,
        endedAt: now,
        talkMs: folded.talk_ms,
        holdMs: folded.hold_ms,
        wrapUpMs: wrapsUp ? null : 0,
        transfers: call.transfers,
        disposition: dispositionText,
        abandoned: false,
      };
      await writeRecord(trx, input);
      await releaseSlot(this.core, trx, agent, now, emit, { callId });
      emit({
        type: 'call.ended',
        callId,
        queue: call.queue,
        agentId: agent.agent_id,
        abandoned: false,
        at: now.toISOString(),
      });
      const written = await trx
        .selectFrom('cc_call_records')
        .selectAll()
        .where('call_id', '=', callId)
        .executeTakeFirstOrThrow();
      return recordFromRow(written);
    });
  }
}
