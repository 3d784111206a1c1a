import { SwitchboardError } from '../../errors/index.js';
import type { AgentService } from './agents.js';
import { agentNotFound, forUpdate, inTransaction, type Core } from './core.js';
import { checkMove } from './status-machine.js';
import type { Agent, AgentStatus } from './types.js';

/** Applies a move the state machine allowed, inside the caller's transaction. */
export type ApplyMove = AgentService['move'];

interface Request {
  agentId: string;
  status: AgentStatus;
  force: boolean;
  resolve: (agent: Agent) => void;
  reject: (error: unknown) => void;
}

/**
 * At most this many status changes share one transaction. A group holds each agent once, so
 * a second change for an agent already in the group waits for the next one. Small groups win
 * on PostgreSQL: several run at once on the pool, where one large group writes its UPDATEs one
 * round trip after another. Measured with 32 callers (scratch, 2 cores): PostgreSQL 1,545/s
 * ungrouped, 2,854/s at 8, 2,634/s at 16, 1,996/s at 64; SQLite 3,555/s ungrouped, 10,108/s
 * at 16, 9,365/s at 64.
 */
const MAX_GROUP = 16;

/**
 * Group commit for agent status changes: the changes asked for during one turn of the event
 * loop share one transaction: one locking read of all their agents (in id order, the lock
 * order core.ts keeps), each move checked by the state machine and written, then one commit.
 * A shift starting or a break ending sends hundreds of these at once, and each paid a whole
 * transaction (on PostgreSQL a WAL flush and four round trips) for one UPDATE.
 *
 * What a caller sees does not change: its promise settles only after the transaction holding
 * its change has committed, and a refused move (illegal, unknown agent) refuses only that
 * caller while the others commit. A group that fails as a whole (a database error) is run
 * again change by change, so only the change at fault fails.
 */
export class StatusChanges {
  private pending: Request[] = [];
  private scheduled = false;
  /**
   * Agents whose change is in a group not yet committed. Their next change waits for that
   * group to end: groups run concurrently, and row locks alone would order two groups by
   * which reached the database first, not by which was asked first.
   */
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly core: Core,
    private readonly apply: ApplyMove,
  ) {}

  request(agentId: string, status: AgentStatus, force: boolean): Promise<Agent> {
    return new Promise<Agent>((resolve, reject) => {
      this.pending.push({ agentId, status, force, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const group: Request[] = [];
    const later: Request[] = [];
    const agents = new Set<string>();
    for (const request of this.pending) {
      // Once an agent is passed over, its later changes are too: they stay in order.
      const free = !agents.has(request.agentId) && !this.inFlight.has(request.agentId);
      if (group.length < MAX_GROUP && free) group.push(request);
      else later.push(request);
      agents.add(request.agentId);
    }
    this.pending = later;
    if (group.length === 0) return;
    for (const request of group) this.inFlight.add(request.agentId);
    if (later.length > 0) this.schedule();
    try {
      await this.commit(group);
    } finally {
      for (const request of group) this.inFlight.delete(request.agentId);
      if (this.pending.length > 0) this.schedule();
    }
  }

  private async commit(group: readonly Request[]): Promise<void> {
    let outcomes: (Agent | SwitchboardError)[];
    try {
      outcomes = await this.run(group);
    } catch (error) {
      if (group.length === 1) {
        group[0]!.reject(error);
        return;
      }
      // The group rolled back whole: each change alone, so only the one at fault fails.
      for (const request of group) {
        await this.run([request]).then(
          ([outcome]) => settle(request, outcome!),
          (e: unknown) => request.reject(e),
        );
      }
      return;
    }
    group.forEach((request, i) => settle(request, outcomes[i]!));
  }

  /** One transaction for the group; a refused move is its caller's outcome, not the group's failure. */
  private run(group: readonly Request[]): Promise<(Agent | SwitchboardError)[]> {
    const now = this.core.clock.now();
    return inTransaction(this.core, async (trx, emit) => {
      // In agent id order: the locking read takes the agents in that order, and a forced
      // offline locks the agent's calls only after every agent lock.
      const ordered = [...group].sort((a, b) => (a.agentId < b.agentId ? -1 : 1));
      const ids = ordered.map((r) => r.agentId);
      const rows = await forUpdate(
        this.core,
        trx.selectFrom('cc_agents').selectAll().where('agent_id', 'in', ids).orderBy('agent_id'),
      ).execute();
      const byId = new Map(rows.map((row) => [row.agent_id, row]));
      const outcomes = new Map<Request, Agent | SwitchboardError>();
      for (const request of ordered) {
        const row = byId.get(request.agentId);
        if (!row) {
          outcomes.set(request, agentNotFound(request.agentId));
          continue;
        }
        // Hybrid: a move hot state took and the row has not had yet is where the agent is; this
        // change supersedes it on the row (its number is written with this one).
        const hot = this.core.hot ? await this.core.hot.ahead(row) : null;
        try {
          checkMove(hot ? hot.agent.status : (row.status as AgentStatus), request.status, {
            by: 'api',
            currentCalls: row.current_calls,
            force: request.force,
          });
        } catch (error) {
          outcomes.set(request, error as SwitchboardError);
          continue;
        }
        const withdraw = request.status === 'offline' ? 'agent-offline' : null;
        outcomes.set(
          request,
          await this.apply(trx, row, request.status, now, emit, {
            withdraw,
            ...(hot ? { statusSeq: hot.seq } : {}),
          }),
        );
      }
      return group.map((request) => outcomes.get(request)!);
    });
  }
}

function settle(request: Request, outcome: Agent | SwitchboardError): void {
  if (outcome instanceof SwitchboardError) request.reject(outcome);
  else request.resolve(outcome);
}
