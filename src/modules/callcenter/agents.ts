import { SwitchboardError, isSwitchboardError } from '../../errors/index.js';
import {
  agentNotFound,
  forUpdate,
  inTransaction,
  lockAgent,
  requeue,
  statusChangedAt,
  type Core,
} from './core.js';
import { finishWrapUp } from './records.js';
import { agentFromRow, parseSkills, type AgentRow, type Db, type Trx } from './rows.js';
import {
  AGENT_STATUSES,
  type Agent,
  type AgentStatus,
  type CreateAgentInput,
  type Skills,
  type UpdateAgentInput,
} from './types.js';
import { MAX_CALLS_PER_AGENT, checkId, checkInt, checkSkills, checkText } from './validate.js';
import type { CallCenterEvent } from './events.js';
import { overlay, type HotAgents } from './hybrid/agent-state.js';
import type { HotMoves } from './hybrid/hot-moves.js';
import type { HotPresence } from './hybrid/presence.js';
import { StatusChanges } from './status-changes.js';
import { landing } from './status-machine.js';

/**
 * The hybrid shape's hot state for agents: heartbeats (presence), the agents' records, and the
 * status moves taken there.
 */
export interface HybridAgents {
  presence: HotPresence;
  records: HotAgents;
  moves: HotMoves;
}

/** Agents: create, update, list, status changes through the state machine, heartbeats. */
export class AgentService {
  private readonly statusChanges: StatusChanges;

  /** `hybrid`: hot-state heartbeats and status moves; absent, both are relational writes. */
  constructor(
    private readonly core: Core,
    private readonly hybrid?: HybridAgents,
  ) {
    this.statusChanges = new StatusChanges(core, (...move) => this.move(...move));
  }

  private get db(): Db {
    return this.core.store.db as Db;
  }

  async create(input: CreateAgentInput): Promise<Agent> {
    const agentId = checkId(input.agentId, 'body.agentId');
    const username = checkText(input.username, 'body.username', 128);
    const displayName =
      input.displayName === undefined ? username : checkText(input.displayName, 'body.displayName', 200);
    const skills = checkSkills(input.skills ?? {}, 'body.skills');
    const maxCalls = checkInt(input.maxCalls ?? 1, 'body.maxCalls', 1, MAX_CALLS_PER_AGENT);
    const now = this.core.clock.now();
    try {
      return await inTransaction(this.core, async (trx) => {
        const row: AgentRow = {
          agent_id: agentId,
          username,
          display_name: displayName,
          skills: JSON.stringify(skills),
          max_calls: maxCalls,
          status: 'offline',
          available_since: null,
          current_calls: 0,
          status_changed_at: now.toISOString(),
          last_heartbeat_at: null,
          wrap_up_call_id: null,
          wrap_up_started_at: null,
          created_at: now.toISOString(),
          updated_at: now.toISOString(),
          status_seq: 0,
        };
        await trx.insertInto('cc_agents').values(row).execute();
        await writeSkills(trx, agentId, skills);
        return agentFromRow(row);
      });
    } catch (error) {
      if (isSwitchboardError(error, 'CONFLICT')) throw await this.exists(agentId, error);
      throw error;
    }
  }

  /** AGENT_EXISTS naming what collided: the id, else the username (both unique). */
  private async exists(agentId: string, cause: unknown): Promise<SwitchboardError> {
    const sameId = await this.db
      .selectFrom('cc_agents')
      .select('agent_id')
      .where('agent_id', '=', agentId)
      .executeTakeFirst();
    return sameId
      ? new SwitchboardError('AGENT_EXISTS', `An agent with id "${agentId}" already exists`, {
          field: 'body.agentId',
          cause,
        })
      : new SwitchboardError('AGENT_EXISTS', 'Another agent already has that username', {
          field: 'body.username',
          cause,
        });
  }

  async get(agentId: string): Promise<Agent> {
    checkId(agentId, 'agentId');
    const row = await this.db
      .selectFrom('cc_agents')
      .selectAll()
      .where('agent_id', '=', agentId)
      .executeTakeFirst();
    if (!row) throw agentNotFound(agentId);
    return this.withHotMove(row);
  }

  /** Hybrid: a status move hot state has taken and the row has not yet shows as taken. */
  private async withHotMove(row: AgentRow): Promise<Agent> {
    const agent = agentFromRow(row);
    return this.core.hot ? overlay(agent, await this.core.hot.ahead(row)) : agent;
  }

  /** Agents by id, optionally only those in one status or among the given ids. */
  async list(
    options: { status?: AgentStatus; ids?: readonly string[]; limit?: number } = {},
  ): Promise<Agent[]> {
    if (options.status !== undefined && !AGENT_STATUSES.includes(options.status)) {
      throw new SwitchboardError('VALIDATION_FAILED', 'status must be one of ' + AGENT_STATUSES.join(', '), {
        field: 'querystring.status',
      });
    }
    let q = this.db.selectFrom('cc_agents').selectAll();
    if (options.status !== undefined) q = q.where('status', '=', options.status);
    if (options.ids !== undefined) {
      if (options.ids.length === 0) return [];
      q = q.where('agent_id', 'in', options.ids);
    }
    const rows = await q
      .orderBy('agent_id')
      .limit(options.limit ?? 1000)
      .execute();
    const agents = await Promise.all(rows.map((row) => this.withHotMove(row)));
    // Hybrid: an agent whose row is in the status but hot state has moved on is not listed.
    return options.status === undefined ? agents : agents.filter((a) => a.status === options.status);
  }

  async update(agentId: string, input: UpdateAgentInput): Promise<Agent> {
    checkId(agentId, 'agentId');
    const username =
      input.username === undefined ? undefined : checkText(input.username, 'body.username', 128);
    const displayName =
      input.displayName === undefined ? undefined : checkText(input.displayName, 'body.displayName', 200);
    const skills = input.skills === undefined ? undefined : checkSkills(input.skills, 'body.skills');
    const maxCalls =
      input.maxCalls === undefined
        ? undefined
        : checkInt(input.maxCalls, 'body.maxCalls', 1, MAX_CALLS_PER_AGENT);
    const now = this.core.clock.now();
    try {
      return await inTransaction(this.core, async (trx, emit) => {
        const row = await lockAgent(this.core, trx, agentId);
        if (maxCalls !== undefined && maxCalls < row.current_calls) {
          throw new SwitchboardError(
            'VALIDATION_FAILED',
            `body.maxCalls cannot be below the agent's ${row.current_calls} live call(s)`,
            { field: 'body.maxCalls' },
          );
        }
        const next: AgentRow = {
          ...row,
          ...(username !== undefined ? { username } : {}),
          ...(displayName !== undefined ? { display_name: displayName } : {}),
          ...(skills !== undefined && !sameSkills(skills, parseSkills(row.skills))
            ? { skills: JSON.stringify(skills) }
            : {}),
          ...(maxCalls !== undefined ? { max_calls: maxCalls } : {}),
        };
        // A new capacity can fill an available agent or free a busy one.
        if (row.status === 'available' && next.current_calls >= next.max_calls) next.status = 'busy';
        if (row.status === 'busy' && next.current_calls < next.max_calls) {
          next.status = 'available';
          next.available_since = now.toISOString();
        }
        // Nothing changed (an empty PATCH, or the values the agent already has): nothing to
        // write, and no event telling wallboards the agent changed.
        if (!changed(row, next)) return this.withHotMove(row);
        next.updated_at = now.toISOString();
        next.status_changed_at = statusChangedAt(row, next.status as AgentStatus, next.updated_at);
        await trx
          .updateTable('cc_agents')
          .set({
            username: next.username,
            display_name: next.display_name,
            skills: next.skills,
            max_calls: next.max_calls,
            status: next.status,
            available_since: next.available_since,
            status_changed_at: next.status_changed_at,
            updated_at: next.updated_at,
          })
          .where('agent_id', '=', agentId)
          .execute();
        if (skills !== undefined && next.skills !== row.skills) {
          await trx.deleteFrom('cc_agent_skills').where('agent_id', '=', agentId).execute();
          await writeSkills(trx, agentId, skills);
        }
        // Also when only the name, skills or capacity changed: hybrid hot records follow it.
        emit(statusEvent(next, now));
        return agentFromRow(next);
      });
    } catch (error) {
      if (isSwitchboardError(error, 'CONFLICT')) {
        throw new SwitchboardError('AGENT_EXISTS', 'Another agent already has that username', {
          field: 'body.username',
          cause: error,
        });
      }
      throw error;
    }
  }

  /**
   * A status change asked for by the agent or a supervisor, through the state machine. A
   * status change is also a heartbeat. Going offline with `force` puts the agent's live
   * calls back in their queues at their original positions.
   */
  async setStatus(agentId: string, status: AgentStatus, options: { force?: boolean } = {}): Promise<Agent> {
    checkId(agentId, 'agentId');
    if (!AGENT_STATUSES.includes(status)) {
      throw new SwitchboardError(
        'VALIDATION_FAILED',
        `body.status must be one of ${AGENT_STATUSES.join(', ')}`,
        {
          field: 'body.status',
        },
      );
    }
    // Hybrid: taken in hot state (hybrid/hot-moves.ts), except going offline, which may hand
    // live calls back to their queues.
    if (this.hybrid && status !== 'offline') return this.hybrid.moves.move(agentId, status);
    // Concurrent changes share a transaction (status-changes.ts); each is checked on its own.
    return this.statusChanges.request(agentId, status, options.force === true);
  }

  /**
   * Applies a checked move. `withdraw` puts the agent's live calls (offline) or only its
   * ringing offers (away after a lost heartbeat) back in their queues first.
   */
  async move(
    trx: Trx,
    row: AgentRow,
    to: AgentStatus,
    now: Date,
    emit: (event: CallCenterEvent) => void,
    options: {
      withdraw: 'agent-offline' | 'agent-away' | null;
      /** Hybrid: the number of the hot-state move this writes (or supersedes) on the row. */
      statusSeq?: number;
    },
  ): Promise<Agent> {
    let currentCalls = row.current_calls;
    if (options.withdraw !== null) {
      let calls = forUpdate(
        this.core,
        trx.selectFrom('cc_active_calls').selectAll().where('agent_id', '=', row.agent_id),
      );
      if (options.withdraw === 'agent-away') calls = calls.where('state', '=', 'ringing');
      for (const call of await calls.orderBy('call_id').execute()) {
        await requeue(trx, call, now, {});
        currentCalls -= 1;
        emit({
          type: 'call.requeued',
          callId: call.call_id,
          queue: call.queue,
          reason: options.withdraw,
          at: now.toISOString(),
        });
      }
    }
    if (row.status === 'after_call_work' && row.wrap_up_call_id !== null && row.wrap_up_started_at !== null) {
      await finishWrapUp(trx, row.wrap_up_call_id, row.wrap_up_started_at, now);
    }
    const { status, availableSince } = landing(
      to,
      { currentCalls, maxCalls: row.max_calls, availableSince: row.available_since },
      now.toISOString() as string | Date,
    );
    const next: AgentRow = {
      ...row,
      status,
      current_calls: Math.max(0, currentCalls),
      available_since: availableSince,
      status_changed_at: now.toISOString(),
      last_heartbeat_at: options.withdraw === 'agent-away' ? row.last_heartbeat_at : now.toISOString(),
      wrap_up_call_id: null,
      wrap_up_started_at: null,
      updated_at: now.toISOString(),
      status_seq: options.statusSeq ?? row.status_seq,
    };
    await trx
      .updateTable('cc_agents')
      .set({
        status: next.status,
        current_calls: next.current_calls,
        available_since: next.available_since,
        status_changed_at: next.status_changed_at,
        last_heartbeat_at: next.last_heartbeat_at,
        wrap_up_call_id: null,
        wrap_up_started_at: null,
        updated_at: next.updated_at,
        status_seq: next.status_seq,
      })
      .where('agent_id', '=', row.agent_id)
      .execute();
    emit(statusEvent(next, now));
    return agentFromRow(next);
  }

  /** The agent (or its softphone) is alive; a stopped heartbeat moves it to away (see sweeper.ts). */
  async heartbeat(agentId: string): Promise<{ agentId: string; lastHeartbeatAt: string }> {
    checkId(agentId, 'agentId');
    if (this.hybrid) return this.hybrid.presence.heartbeat(agentId);
    const now = this.core.clock.now().toISOString();
    const result = await this.db
      .updateTable('cc_agents')
      .set({ last_heartbeat_at: now })
      .where('agent_id', '=', agentId)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) {
      throw agentNotFound(agentId);
    }
    return { agentId, lastHeartbeatAt: now };
  }

  /**
   * Resolves once the status moves this process took in hot state (hybrid) have been written
   * to their rows by the write-behind; at once in the relational shape.
   */
  async settled(): Promise<void> {
    await this.hybrid?.moves.settled();
  }

  /** Ends the agent's after-call work: the same as asking to be available. */
  async finishWrapUp(agentId: string): Promise<Agent> {
    return this.setStatus(agentId, 'available');
  }
}

/** Whether an update changes anything a client or routing sees. */
function changed(row: AgentRow, next: AgentRow): boolean {
  return (
    next.username !== row.username ||
    next.display_name !== row.display_name ||
    next.skills !== row.skills ||
    next.max_calls !== row.max_calls ||
    next.status !== row.status
  );
}

/** The same skills at the same levels, whatever order they were written in. */
function sameSkills(a: Skills, b: Skills): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && b[k] === a[k]);
}

async function writeSkills(trx: Trx, agentId: string, skills: Skills): Promise<void> {
  const rows = Object.entries(skills).map(([skill, level]) => ({ agent_id: agentId, skill, level }));
  if (rows.length > 0) await trx.insertInto('cc_agent_skills').values(rows).execute();
}

function statusEvent(row: AgentRow, now: Date): CallCenterEvent {
  return {
    type: 'agent.status',
    agentId: row.agent_id,
    status: row.status as AgentStatus,
    currentCalls: row.current_calls,
    at: now.toISOString(),
  };
}
