import { sql, type Expression, type SqlBool } from 'kysely';
import { SwitchboardError } from '../../errors/index.js';
import type { Dialect, RelationalStore } from '../../ports/relational/store.js';
import type { Clock } from '../../shared/clock.js';
import type { CallCenterEvent, CallCenterEvents } from './events.js';
import type { HotAgents } from './hybrid/agent-state.js';
import { activeFromRow, iso, ms, type ActiveRow, type AgentRow, type Db, type Trx } from './rows.js';
import type { AgentStatus, Skills } from './types.js';

/**
 * What the call-center services share: the store, the clock, live events, and the few
 * transactional steps several operations take (lock an agent, give back a call slot, put a
 * call back in its queue, fold a talking / holding stretch into the totals).
 *
 * Lock order, which is what keeps PostgreSQL free of deadlocks: agents before calls, agents
 * in id order; any lock taken against that order is `SKIP LOCKED` (never waits). SQLite
 * needs none of it: every transaction begins IMMEDIATE and so runs alone.
 */
export interface Core {
  store: RelationalStore;
  dialect: Dialect;
  clock: Clock;
  events: CallCenterEvents;
  /** After-call work after an agent's last call (0 = none: straight back to available). */
  wrapUpSeconds: number;
  /** Hybrid: the agents' hot records, kept by every transaction that changes an agent. */
  hot?: HotAgents;
}

/** PostgreSQL deadlock and serialisation failures: the transaction is safe to run again. */
const RETRYABLE = new Set(['40P01', '40001']);

/**
 * Runs `fn` in one transaction and publishes its events only once it has committed. A
 * PostgreSQL deadlock (which the lock order should prevent) is retried, not surfaced.
 */
export async function inTransaction<T>(
  core: Core,
  fn: (trx: Trx, emit: (event: CallCenterEvent) => void) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    const events: CallCenterEvent[] = [];
    let recorded: string[] = [];
    try {
      const result = await core.store.transaction(async (trx) => {
        const value = await fn(trx as Trx, (event) => events.push(event));
        if (core.hot) {
          // Hybrid: hot state takes the changed agents while this transaction still holds their
          // locks, so these writes land in the order the commits do.
          const agents = [...new Set(events.flatMap((e) => (e.type === 'agent.status' ? [e.agentId] : [])))];
          if (await core.hot.record(trx as Trx, agents)) recorded = agents;
        }
        return value;
      });
      core.events.publish(events);
      return result;
    } catch (error) {
      // Written to hot state but not committed: put hot state back to what the store holds.
      if (core.hot && recorded.length > 0) await core.hot.repair(recorded);
      const code = (error as { code?: unknown }).code;
      if (attempt < 4 && typeof code === 'string' && RETRYABLE.has(code)) continue;
      throw error;
    }
  }
}

/** `FOR UPDATE` on PostgreSQL; nothing on SQLite, whose transaction already holds the write lock. */
export function forUpdate<Q extends { forUpdate(): Q; skipLocked(): Q }>(
  core: Core,
  query: Q,
  options: { skipLocked?: boolean } = {},
): Q {
  if (core.dialect !== 'postgres') return query;
  const locked = query.forUpdate();
  return options.skipLocked ? locked.skipLocked() : locked;
}

export async function lockAgent(core: Core, trx: Trx, agentId: string): Promise<AgentRow> {
  const row = await forUpdate(
    core,
    trx.selectFrom('cc_agents').selectAll().where('agent_id', '=', agentId),
  ).executeTakeFirst();
  if (!row) throw agentNotFound(agentId);
  return row;
}

/**
 * The agent's status as routing must see it: in the hybrid shape a move hot state has taken
 * and the row has not had yet counts (an agent that just went away gets no new call, though
 * its row still says available until the write-behind or the consumer writes the move).
 */
export async function routingStatus(core: Core, agent: AgentRow): Promise<AgentStatus> {
  const hot = core.hot ? await core.hot.ahead(agent) : null;
  return hot ? hot.agent.status : (agent.status as AgentStatus);
}

/**
 * The one CALL_NOT_FOUND every call-center route answers for a call that is not live: an ended
 * call says so and where its record is (a client polling a call learns it is over, not that
 * it never existed), an unknown one says that.
 */
export async function callNotLive(db: Db | Trx, callId: string): Promise<SwitchboardError> {
  const recorded = await db
    .selectFrom('cc_call_records')
    .select('call_id')
    .where('call_id', '=', callId)
    .executeTakeFirst();
  if (recorded) {
    return new SwitchboardError(
      'CALL_NOT_FOUND',
      `Call "${callId}" has ended: its record is at /v1/callcenter/records/${callId}`,
      { field: 'callId', details: { state: 'ended' } },
    );
  }
  return new SwitchboardError('CALL_NOT_FOUND', `No call "${callId}"`, { field: 'callId' });
}

/** The one AGENT_NOT_FOUND every call-center path answers with (callers re-field it where needed). */
export function agentNotFound(agentId: string): SwitchboardError {
  return new SwitchboardError('AGENT_NOT_FOUND', `No agent "${agentId}"`, { field: 'agentId' });
}

/**
 * "The agent holds every skill the call needs, at its level", as SQL on the agent's id
 * expression: no call skill without a matching agent skill. Plain correlated subqueries, so
 * the same condition runs on both dialects and uses the skill tables' primary keys.
 */
export function agentHoldsCallSkills(
  agentId: Expression<string>,
  callId: Expression<string>,
): Expression<SqlBool> {
  return sql<SqlBool>`not exists (
    select 1 from cc_call_skills cs where cs.call_id = ${callId}
    and not exists (
      select 1 from cc_agent_skills s
      where s.agent_id = ${agentId} and s.skill = cs.skill and s.level >= cs.min_level))`;
}

/**
 * "The agent holds every one of these skills at its level", for a call whose needs are
 * already read (the locked queue row's `required_skills`): one primary-key probe of
 * `cc_agent_skills` per skill, with the skills as parameters. Routing walks the agents in
 * `cc_agents_routing` order and stops at the first that passes; the correlated form above
 * left the planner free to hash all of `cc_call_skills` per assignment instead, which it
 * did on tables not yet analysed (11 ms a statement under 32 callers against 0.3 ms).
 */
export function agentHoldsSkills(agentId: Expression<string>, skills: Skills): Expression<SqlBool> {
  const probes = Object.entries(skills).map(
    ([skill, level]) => sql<SqlBool>`exists (
      select 1 from cc_agent_skills s
      where s.agent_id = ${agentId} and s.skill = ${skill} and s.level >= ${level})`,
  );
  return probes.length === 0 ? sql<SqlBool>`1 = 1` : sql<SqlBool>`(${sql.join(probes, sql` and `)})`;
}

/**
 * An agent's status after its call count changes at `at`, and since when it has had that
 * status (`status_changed_at`).
 */
export function statusAfterCalls<T extends string | Date>(
  agent: AgentRow,
  currentCalls: number,
  at: T,
): { status: AgentStatus; statusChangedAt: T | AgentRow['status_changed_at'] } {
  const was = agent.status as AgentStatus;
  const status: AgentStatus =
    was === 'available' && currentCalls >= agent.max_calls
      ? 'busy'
      : was === 'busy' && currentCalls < agent.max_calls
        ? 'available'
        : was;
  return { status, statusChangedAt: statusChangedAt(agent, status, at) };
}

/** `status_changed_at` for an agent row written with `status` at `at`: moved only by a change. */
export function statusChangedAt<T extends string | Date>(
  agent: AgentRow,
  status: AgentStatus,
  at: T,
): T | AgentRow['status_changed_at'] {
  return status === agent.status ? agent.status_changed_at : at;
}

/** Talk or hold time of the stretch in progress, folded into the call's totals at `now`. */
export function foldTime(row: ActiveRow, now: Date): { talk_ms: number; hold_ms: number } {
  const stretch = Math.max(0, now.getTime() - ms(row.state_since));
  return {
    talk_ms: Number(row.talk_ms) + (row.state === 'talking' ? stretch : 0),
    hold_ms: Number(row.hold_ms) + (row.state === 'on_hold' ? stretch : 0),
  };
}

/**
 * Gives an agent back one call slot. When it was the agent's last call and the agent was
 * working (available or busy), it enters after-call work for `endedCallId` (if wrap-up is
 * configured and `wrapUp` asks for it), else it is available again. Away and offline agents
 * stay as they are.
 */
export async function releaseSlot(
  core: Core,
  trx: Trx,
  agent: AgentRow,
  now: Date,
  emit: (event: CallCenterEvent) => void,
  wrapUp: { callId: string } | null,
): Promise<void> {
  const currentCalls = Math.max(0, agent.current_calls - 1);
  const working = agent.status === 'available' || agent.status === 'busy';
  let status = agent.status as AgentStatus;
  let availableSince: string | Date | null = agent.available_since;
  let wrapUpCallId: string | null = agent.wrap_up_call_id;
  let wrapUpStartedAt: string | Date | null = agent.wrap_up_started_at;
  if (working && currentCalls === 0 && wrapUp && core.wrapUpSeconds > 0) {
    status = 'after_call_work';
    availableSince = null;
    wrapUpCallId = wrapUp.callId;
    wrapUpStartedAt = now;
  } else if (working) {
    status = 'available';
    if (agent.status === 'busy') availableSince = now;
  }
  await trx
    .updateTable('cc_agents')
    .set({
      current_calls: currentCalls,
      status,
      available_since: availableSince,
      wrap_up_call_id: wrapUpCallId,
      wrap_up_started_at: wrapUpStartedAt,
      status_changed_at: statusChangedAt(agent, status, now),
      updated_at: now,
    })
    .where('agent_id', '=', agent.agent_id)
    .execute();
  if (status !== agent.status || currentCalls !== agent.current_calls) {
    emit({ type: 'agent.status', agentId: agent.agent_id, status, currentCalls, at: now.toISOString() });
  }
}

/**
 * Puts a live call back in a queue at its original position (its first enqueue time is
 * kept), with the time it spent talking or on hold so far. `skipAgentId` is passed over by
 * that agent's next assignment (a rejected or timed-out offer). `requiredSkills` replaces the
 * skills the call needs (a transfer to a queue whose agents hold other skills).
 */
export async function requeue(
  trx: Trx,
  row: ActiveRow,
  now: Date,
  options: { queue?: string; skipAgentId?: string | null; transferred?: boolean; requiredSkills?: Skills },
): Promise<void> {
  const folded = foldTime(row, now);
  await trx.deleteFrom('cc_active_calls').where('call_id', '=', row.call_id).execute();
  if (options.requiredSkills !== undefined) {
    await writeCallSkills(trx, row.call_id, options.requiredSkills, { replace: true });
  }
  await trx
    .insertInto('cc_call_queue')
    .values({
      call_id: row.call_id,
      queue: options.queue ?? row.queue,
      caller: row.caller,
      voice_session_id: row.voice_session_id,
      priority: row.priority,
      required_skills:
        options.requiredSkills === undefined ? row.required_skills : JSON.stringify(options.requiredSkills),
      enqueued_at: row.enqueued_at,
      answered_at: row.answered_at,
      talk_ms: folded.talk_ms,
      hold_ms: folded.hold_ms,
      transfers: row.transfers + (options.transferred ? 1 : 0),
      skip_agent_id: options.skipAgentId ?? null,
    })
    .execute();
}

/** Writes the `cc_call_skills` rows assignment matches a live call on, replacing any it had. */
export async function writeCallSkills(
  trx: Trx,
  callId: string,
  skills: Skills,
  options: { replace: boolean },
): Promise<void> {
  if (options.replace) await trx.deleteFrom('cc_call_skills').where('call_id', '=', callId).execute();
  const rows = Object.entries(skills).map(([skill, level]) => ({ call_id: callId, skill, min_level: level }));
  if (rows.length > 0) await trx.insertInto('cc_call_skills').values(rows).execute();
}

/** The active call, or CALL_NOT_FOUND / CALL_STATE_INVALID naming where it is instead. */
export async function readActive(trx: Trx, callId: string): Promise<ActiveRow> {
  const row = await trx
    .selectFrom('cc_active_calls')
    .selectAll()
    .where('call_id', '=', callId)
    .executeTakeFirst();
  if (row) return row;
  const queued = await trx
    .selectFrom('cc_call_queue')
    .select('call_id')
    .where('call_id', '=', callId)
    .executeTakeFirst();
  if (queued) {
    throw new SwitchboardError(
      'CALL_STATE_INVALID',
      `Call "${callId}" is waiting in its queue, not with an agent`,
      {
        field: 'callId',
        details: { state: 'queued' },
      },
    );
  }
  throw await callNotLive(trx, callId);
}

/**
 * Locks a live call and its agent in the lock order (agent first, then the call). The call
 * is read unlocked to learn its agent; if a transfer moved it meanwhile, the read is redone.
 */
export async function lockActiveWithAgent(
  core: Core,
  trx: Trx,
  callId: string,
): Promise<{ call: ActiveRow; agent: AgentRow }> {
  for (;;) {
    const seen = await readActive(trx, callId);
    const agent = await lockAgent(core, trx, seen.agent_id);
    const call = await forUpdate(
      core,
      trx.selectFrom('cc_active_calls').selectAll().where('call_id', '=', callId),
    ).executeTakeFirst();
    // Gone meanwhile (ended, or back in a queue): the next read says which.
    if (!call) continue;
    if (call.agent_id === agent.agent_id) return { call, agent };
  }
}

export function requireState(call: ActiveRow, allowed: readonly string[], action: string): void {
  if (!allowed.includes(call.state)) {
    throw new SwitchboardError(
      'CALL_STATE_INVALID',
      `Cannot ${action} call "${call.call_id}": it is ${call.state}`,
      {
        field: 'callId',
        details: { state: call.state, allowed: [...allowed] },
      },
    );
  }
}

export { activeFromRow, iso };
