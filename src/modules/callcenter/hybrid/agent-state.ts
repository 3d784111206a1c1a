import type { Logger } from 'pino';
import type { EventLog } from '../../../ports/event-log/log.js';
import type { HotState } from '../../../ports/hot-state/store.js';
import type { RelationalStore } from '../../../ports/relational/store.js';
import { agentNotFound } from '../core.js';
import { agentFromRow, type AgentRow, type Db, type Trx } from '../rows.js';
import type { Agent, AgentStatus } from '../types.js';
import { BoundedMemo } from '../../../shared/bounded-memo.js';

/**
 * What hot state holds for an agent in the hybrid shape: the agent as the API shows it, and
 * the number of the last status move taken in hot state (`seq`). The relational row keeps
 * the number of the last such move written to it (`cc_agents.status_seq`), so "hot state is
 * ahead" is `hot.seq > row.status_seq`: a move acknowledged from hot state that the
 * relational store has not applied yet.
 */
export interface HotAgent {
  agent: Agent;
  seq: number;
  /**
   * The status the move numbered `seq` asked for (the record's status may be derived from
   * it: `available` while full is `busy`). A move taken back (its append failed) keeps the
   * number and carries the ask before it. Null or absent: none (a record built from the row).
   */
  asked?: AgentStatus | null;
}

/**
 * A status move taken in hot state, as the events topic carries it (the durable record). A
 * null status only moves the row's number up to `seq` (a move taken back with no ask before it).
 */
export interface AgentMoveEvent {
  type: 'agent.move';
  agentId: string;
  status: AgentStatus | null;
  at: string;
  seq: number;
}

interface Read {
  raw: string;
  value: HotAgent;
}

/** Agents whose last swapped record this process remembers (beyond, a read per move). */
const LAST_SEEN_MAX = 50_000;

export function agentKey(agentId: string): string {
  return `callcenter:agent:${agentId}`;
}

/**
 * The hybrid shape's hot agent records. Two kinds of writer keep them, each by
 * compare-and-set on the one key:
 *
 * - a status move asked for through the API (hot-moves.ts) takes `seq + 1`;
 * - a relational transaction that changed the agent (an assignment, a call's end, a move the
 *   store applied) writes the row as it is about to commit (`record`), from inside the
 *   transaction: the row lock orders these writes as the commits are ordered. A move in hot
 *   state that the row has not caught up with keeps its status; the rest (calls, capacity)
 *   is the row's.
 */
export class HotAgents {
  /**
   * The record this process last read or swapped in, per agent: the expected value of its next
   * compare-and-set, which saves a read when no other writer came between (a stale one only
   * fails the swap, and the record is read again). Never used to decide anything unswapped.
   */
  private readonly lastSeen = new BoundedMemo<string, string>(LAST_SEEN_MAX);
  /** Agents whose record a transaction could not write: rewritten from their rows by `repairStale`. */
  private readonly stale = new Set<string>();

  constructor(
    private readonly deps: {
      hotState: HotState;
      store: RelationalStore;
      eventLog: EventLog;
      topic: string;
      logger: Logger;
    },
  ) {}

  async read(agentId: string): Promise<Read | null> {
    const raw = await this.deps.hotState.get(agentKey(agentId));
    if (raw === null) return null;
    this.lastSeen.set(agentId, raw);
    return { raw, value: JSON.parse(raw) as HotAgent };
  }

  /**
   * Swaps the agent's record from `expected` (null: absent) to `next`; false when another
   * writer changed it first (then the next `current` reads it from hot state).
   */
  async swap(agentId: string, expected: string | null, next: string): Promise<boolean> {
    if (await this.deps.hotState.compareAndSet(agentKey(agentId), expected, next)) {
      this.lastSeen.set(agentId, next);
      return true;
    }
    this.lastSeen.delete(agentId);
    return false;
  }

  /** The agent's record, as last swapped by this process if it was, else from hot state (put there from the row the first time). */
  async current(agentId: string): Promise<Read> {
    const seen = this.remembered(agentId);
    if (seen) return seen;
    for (;;) {
      const found = await this.read(agentId);
      if (found) return found;
      const row = await this.readRow(agentId);
      if (!row) throw agentNotFound(agentId);
      const raw = JSON.stringify(fromRow(row));
      // Absent only: a writer that got there first wins, and the loop reads what it wrote.
      if (await this.swap(agentId, null, raw)) return { raw, value: JSON.parse(raw) as HotAgent };
    }
  }

  /**
   * The hot record when it holds a move the row has not applied yet, else null. With hot state
   * unreachable the row is all there is: routing and the call lifecycle go on from it (the
   * outage shows in /ready), rather than stopping with hot state.
   */
  async ahead(row: AgentRow): Promise<HotAgent | null> {
    try {
      const found = await this.read(row.agent_id);
      return found && found.value.seq > Number(row.status_seq) ? found.value : null;
    } catch (error) {
      this.unreachable(error, 'routing from the row alone');
      return null;
    }
  }

  /**
   * Hot state takes these rows, as a transaction that holds their locks is about to commit
   * them. Returns false when hot state could not be written: the transaction still commits
   * (the relational store is the record of calls), and the agents' records catch up at their
   * next change or the next start-up reconciliation.
   */
  async record(trx: Trx, agentIds: readonly string[]): Promise<boolean> {
    if (agentIds.length === 0) return false;
    const rows = await trx.selectFrom('cc_agents').selectAll().where('agent_id', 'in', agentIds).execute();
    try {
      await Promise.all(rows.map((row) => this.write(row)));
      return true;
    } catch (error) {
      for (const id of agentIds) {
        this.lastSeen.delete(id);
        this.stale.add(id);
      }
      this.unreachable(error, 'agent records not updated (repaired by the next sweep)');
      return false;
    }
  }

  /**
   * Rewrites from their rows the records a failed `record` left behind (the sweeper calls
   * this on every sweep); returns how many were repaired.
   */
  async repairStale(): Promise<number> {
    if (this.stale.size === 0) return 0;
    // Taken out first: a record that fails again meanwhile goes back in for the next sweep
    // (repair puts back what it could not write).
    const ids = [...this.stale];
    this.stale.clear();
    return (await this.repair(ids)) ? ids.length : 0;
  }

  private unreachable(error: unknown, consequence: string): void {
    this.deps.logger.warn(
      { err: (error as Error).message },
      `callcenter hot state unreachable: ${consequence}`,
    );
  }

  /**
   * After a move was refused on the record: if the row holds every move the record does and
   * yet another status (a transaction whose write to hot state failed), the record is
   * rewritten from the row and true is returned (check the move again).
   */
  async refresh(agentId: string, seen: HotAgent): Promise<boolean> {
    const row = await this.readRow(agentId);
    if (!row || Number(row.status_seq) < seen.seq || row.status === seen.agent.status) return false;
    this.lastSeen.delete(agentId);
    return this.repair([agentId]);
  }

  /** Forgets what this process last swapped in for the agent: its next move reads hot state. */
  forget(agentId: string): void {
    this.lastSeen.delete(agentId);
  }

  /**
   * After a transaction failed past `record` (its commit, most likely): hot state is put back
   * to the rows as committed, read under their locks so no newer commit is overwritten.
   */
  async repair(agentIds: readonly string[]): Promise<boolean> {
    try {
      await this.deps.store.transaction(async (trx) => {
        const rows = await this.lockRows(trx as Trx, agentIds);
        await Promise.all(rows.map((row) => this.write(row)));
      });
      return true;
    } catch (error) {
      for (const id of agentIds) this.stale.add(id);
      this.deps.logger.warn(
        { err: (error as Error).message, agentIds },
        'callcenter hot agent records not repaired (tried again at the next sweep)',
      );
      return false;
    }
  }

  /** What this process last read or swapped in for the agent, if it remembers it. */
  private remembered(agentId: string): Read | undefined {
    const raw = this.lastSeen.get(agentId);
    return raw === undefined ? undefined : { raw, value: JSON.parse(raw) as HotAgent };
  }

  /** The agent's row, unlocked. */
  private readRow(agentId: string): Promise<AgentRow | undefined> {
    return (this.deps.store.db as Db)
      .selectFrom('cc_agents')
      .selectAll()
      .where('agent_id', '=', agentId)
      .executeTakeFirst();
  }

  /** The agents' rows, locked in id order (the lock order core.ts keeps) on PostgreSQL. */
  private lockRows(trx: Trx, agentIds: readonly string[]): Promise<AgentRow[]> {
    return trx
      .selectFrom('cc_agents')
      .selectAll()
      .where('agent_id', 'in', agentIds)
      .orderBy('agent_id')
      .$call((q) => (this.deps.store.dialect === 'postgres' ? q.forUpdate() : q))
      .execute();
  }

  private async write(row: AgentRow): Promise<void> {
    const id = row.agent_id;
    for (;;) {
      const found = this.remembered(id) ?? (await this.read(id));
      const next = JSON.stringify(merge(fromRow(row), found?.value));
      if (next === found?.raw || (await this.swap(id, found?.raw ?? null, next))) return;
    }
  }

  /**
   * Run at start: every agent's hot record is made to agree with its row, and a move hot state
   * holds that the row does not is appended to the topic again (its append may have been lost
   * with a process that stopped between the two; the consumer applies a move once, by number).
   */
  async reconcile(): Promise<{ movesResent: number }> {
    const db = this.deps.store.db as Db;
    let movesResent = 0;
    let after = '';
    for (;;) {
      const ids = (
        await db
          .selectFrom('cc_agents')
          .select('agent_id')
          .where('agent_id', '>', after)
          .orderBy('agent_id')
          .limit(200)
          .execute()
      ).map((r) => r.agent_id);
      if (ids.length === 0) return { movesResent };
      after = ids[ids.length - 1]!;
      await this.deps.store.transaction(async (trx) => {
        for (const row of await this.lockRows(trx as Trx, ids)) {
          const hot = await this.ahead(row);
          if (hot) {
            const event: AgentMoveEvent = {
              type: 'agent.move',
              agentId: row.agent_id,
              // What was asked, not what it came to: the row derives that from its own state.
              status: hot.asked ?? null,
              at: hot.agent.statusChangedAt,
              seq: hot.seq,
            };
            await this.deps.eventLog.publish(this.deps.topic, [
              { key: row.agent_id, value: JSON.stringify(event) },
            ]);
            movesResent += 1;
          }
          await this.write(row);
        }
      });
    }
  }
}

function fromRow(row: AgentRow): HotAgent {
  return { agent: agentFromRow(row), seq: Number(row.status_seq) };
}

/** The row's record, except that a move hot state holds and the row does not keeps its status. */
function merge(fromRelational: HotAgent, hot: HotAgent | undefined): HotAgent {
  if (!hot || hot.seq <= fromRelational.seq) return fromRelational;
  return {
    agent: withStatusOf(fromRelational.agent, hot.agent),
    seq: hot.seq,
    asked: hot.asked ?? null,
  };
}

/** `agent` with the status (and what comes with it: since when, the wrap-up call) of `from`. */
export function withStatusOf(agent: Agent, from: Agent): Agent {
  return {
    ...agent,
    status: from.status,
    availableSince: from.availableSince,
    statusChangedAt: from.statusChangedAt,
    wrapUpCallId: from.wrapUpCallId,
  };
}

/** An agent as the API shows it: the row, with a move hot state holds and the row does not yet. */
export function overlay(agent: Agent, hot: HotAgent | null): Agent {
  if (!hot) return agent;
  return merge({ agent, seq: -1 }, hot).agent;
}
