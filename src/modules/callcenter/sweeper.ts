import type { Logger } from 'pino';
import type { Worker } from '../module.js';
import type { AgentService } from './agents.js';
import {
  forUpdate,
  inTransaction,
  lockAgent,
  releaseSlot,
  requeue,
  statusAfterCalls,
  type Core,
} from './core.js';
import type { HotPresence } from './hybrid/presence.js';
import { iso, type Db } from './rows.js';

export interface SweepTimeouts {
  ringTimeoutSeconds: number;
  heartbeatTimeoutSeconds: number;
  wrapUpSeconds: number;
}

export interface SweepReport {
  offersWithdrawn: number;
  agentsAway: number;
  wrapUpsEnded: number;
}

export interface ReconcileReport {
  agentsCorrected: number;
  /** Hybrid: status moves hot state held that their rows did not, sent to the topic again. */
  hotMovesResent: number;
}

/**
 * The service's own moves, on a timer: ringing offers that timed out go back to their queue
 * (skipping that agent next), agents whose heartbeat stopped go away (their ringing offers
 * withdrawn), and after-call work that ran its time ends. Each item is its own transaction
 * that re-checks the condition under the agent's lock, so a sweep racing an API call (or a
 * sweep in another process) changes nothing twice.
 */
export class Sweeper {
  constructor(
    private readonly core: Core,
    private readonly agents: AgentService,
    private readonly timeouts: SweepTimeouts,
    /** Hybrid: the fresher heartbeat in hot state, ahead of the consumer's relational copy. */
    private readonly presence?: HotPresence,
  ) {}

  private get db(): Db {
    return this.core.store.db as Db;
  }

  async sweep(): Promise<SweepReport> {
    const report: SweepReport = { offersWithdrawn: 0, agentsAway: 0, wrapUpsEnded: 0 };
    // Hybrid: hot records a transaction could not write (hot state was unreachable) catch up.
    if (this.core.hot) await this.core.hot.repairStale();
    const now = this.core.clock.now();
    const { ringTimeoutSeconds, heartbeatTimeoutSeconds, wrapUpSeconds } = this.timeouts;
    if (ringTimeoutSeconds > 0) {
      const cutoff = new Date(now.getTime() - ringTimeoutSeconds * 1000).toISOString();
      const stale = await this.db
        .selectFrom('cc_active_calls')
        .select(['call_id', 'agent_id'])
        .where('state', '=', 'ringing')
        .where('assigned_at', '<=', cutoff)
        .execute();
      for (const { call_id, agent_id } of stale) {
        if (await this.withdrawOffer(call_id, agent_id, cutoff)) report.offersWithdrawn += 1;
      }
    }
    if (heartbeatTimeoutSeconds > 0) {
      const cutoff = new Date(now.getTime() - heartbeatTimeoutSeconds * 1000).toISOString();
      const silent = await this.db
        .selectFrom('cc_agents')
        .select('agent_id')
        .where('status', 'in', ['available', 'busy', 'after_call_work'])
        .where((eb) => eb(eb.fn.coalesce('last_heartbeat_at', 'status_changed_at'), '<=', cutoff))
        .execute();
      for (const { agent_id } of silent) {
        if (await this.markAway(agent_id, cutoff)) report.agentsAway += 1;
      }
    }
    if (wrapUpSeconds > 0) {
      const cutoff = new Date(now.getTime() - wrapUpSeconds * 1000).toISOString();
      const done = await this.db
        .selectFrom('cc_agents')
        .select('agent_id')
        .where('status', '=', 'after_call_work')
        .where('wrap_up_started_at', '<=', cutoff)
        .execute();
      for (const { agent_id } of done) {
        if (await this.endWrapUp(agent_id, cutoff)) report.wrapUpsEnded += 1;
      }
    }
    return report;
  }

  private withdrawOffer(callId: string, agentId: string, cutoff: string): Promise<boolean> {
    const now = this.core.clock.now();
    return inTransaction(this.core, async (trx, emit) => {
      const agent = await lockAgent(this.core, trx, agentId);
      const call = await forUpdate(
        this.core,
        trx.selectFrom('cc_active_calls').selectAll().where('call_id', '=', callId),
      ).executeTakeFirst();
      // Answered, moved or gone since the scan: not ours to withdraw any more.
      if (
        !call ||
        call.agent_id !== agentId ||
        call.state !== 'ringing' ||
        new Date(call.assigned_at) > new Date(cutoff)
      ) {
        return false;
      }
      await requeue(trx, call, now, { skipAgentId: agentId });
      await releaseSlot(this.core, trx, agent, now, emit, null);
      emit({
        type: 'call.requeued',
        callId,
        queue: call.queue,
        reason: 'offer-timeout',
        at: now.toISOString(),
      });
      return true;
    });
  }

  private markAway(agentId: string, cutoff: string): Promise<boolean> {
    const now = this.core.clock.now();
    return inTransaction(this.core, async (trx, emit) => {
      const agent = await lockAgent(this.core, trx, agentId);
      // Hybrid: hot state holds the newest heartbeat; the relational copy lags by the consumer.
      const hot = this.presence ? await this.presence.lastHeartbeat(agentId) : null;
      const relational = Date.parse(iso(agent.last_heartbeat_at ?? agent.status_changed_at));
      const last = Math.max(relational, hot === null ? 0 : Date.parse(hot));
      if (!['available', 'busy', 'after_call_work'].includes(agent.status) || last > Date.parse(cutoff)) {
        return false;
      }
      await this.agents.move(trx, agent, 'away', now, emit, { withdraw: 'agent-away' });
      return true;
    });
  }

  private endWrapUp(agentId: string, cutoff: string): Promise<boolean> {
    const now = this.core.clock.now();
    return inTransaction(this.core, async (trx, emit) => {
      const agent = await lockAgent(this.core, trx, agentId);
      if (
        agent.status !== 'after_call_work' ||
        agent.wrap_up_started_at === null ||
        new Date(agent.wrap_up_started_at) > new Date(cutoff)
      ) {
        return false;
      }
      // A system move: the agent's heartbeat is not refreshed by the service ending its wrap-up.
      await this.agents.move(trx, agent, 'available', now, emit, { withdraw: null });
      await trx
        .updateTable('cc_agents')
        .set({ last_heartbeat_at: agent.last_heartbeat_at })
        .where('agent_id', '=', agentId)
        .execute();
      return true;
    });
  }

  /**
   * Run at start: the active calls are the truth (they are durable), and each agent's
   * `current_calls` and status are made to agree with them. A process that stopped between
   * two statements never leaves such a gap (every change is one transaction); this repairs a
   * database edited by hand or restored from an older copy, and is cheap enough to run always.
   * Offers left ringing by the stopped process are withdrawn by the first sweep once they time out.
   */
  async reconcile(): Promise<ReconcileReport> {
    const agentsCorrected = await this.reconcileCalls();
    // Hybrid: after the rows are right, hot state is made to agree with them.
    const hotMovesResent = this.core.hot ? (await this.core.hot.reconcile()).movesResent : 0;
    return { agentsCorrected, hotMovesResent };
  }

  private async reconcileCalls(): Promise<number> {
    const counts = await this.db
      .selectFrom('cc_agents as a')
      .leftJoin('cc_active_calls as c', 'c.agent_id', 'a.agent_id')
      .select(['a.agent_id', 'a.current_calls', (eb) => eb.fn.count<number>('c.call_id').as('live')])
      .groupBy(['a.agent_id', 'a.current_calls'])
      .execute();
    let agentsCorrected = 0;
    for (const row of counts) {
      if (Number(row.live) === row.current_calls) continue;
      const now = this.core.clock.now();
      const changed = await inTransaction(this.core, async (trx, emit) => {
        const agent = await lockAgent(this.core, trx, row.agent_id);
        const live = await trx
          .selectFrom('cc_active_calls')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('agent_id', '=', agent.agent_id)
          .executeTakeFirstOrThrow();
        const currentCalls = Math.min(Number(live.n), agent.max_calls);
        if (currentCalls === agent.current_calls) return false;
        const { status, statusChangedAt } = statusAfterCalls(agent, currentCalls, now);
        await trx
          .updateTable('cc_agents')
          .set({
            current_calls: currentCalls,
            status,
            status_changed_at: statusChangedAt,
            updated_at: now,
          })
          .where('agent_id', '=', agent.agent_id)
          .execute();
        emit({ type: 'agent.status', agentId: agent.agent_id, status, currentCalls, at: now.toISOString() });
        return true;
      });
      if (changed) agentsCorrected += 1;
    }
    return agentsCorrected;
  }
}

/** The sweeper as a worker: reconciles at start, then sweeps every interval; reports its last sweep. */
export function createSweepWorker(sweeper: Sweeper, options: { intervalMs: number; logger: Logger }): Worker {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let lastOk = 0;
  let lastError: string | undefined;
  // Not started (a library user who runs no workers, or the test server) is not a failure.
  let started = false;
  const tick = async () => {
    try {
      const report = await sweeper.sweep();
      lastOk = Date.now();
      lastError = undefined;
      if (report.offersWithdrawn + report.agentsAway + report.wrapUpsEnded > 0) {
        options.logger.info(report, 'callcenter sweep');
      }
    } catch (error) {
      lastError = (error as Error).message;
      options.logger.warn({ err: lastError }, 'callcenter sweep failed');
    }
  };
  const schedule = () => {
    timer = setTimeout(() => {
      running = tick().finally(() => {
        running = undefined;
        if (timer !== undefined) schedule();
      });
    }, options.intervalMs);
  };
  return {
    name: 'callcenter-sweeper',
    async start() {
      const report = await sweeper.reconcile();
      if (report.agentsCorrected + report.hotMovesResent > 0)
        options.logger.warn(report, 'callcenter reconciled agents with their live calls and hot state');
      lastOk = Date.now();
      started = true;
      schedule();
    },
    async stop() {
      started = false;
      clearTimeout(timer);
      timer = undefined;
      await running;
    },
    async health() {
      if (!started) return { ok: true, detail: 'stopped' };
      // Three missed sweeps in a row (a store that does not answer) make the worker unhealthy.
      const stale = Date.now() - lastOk > Math.max(3 * options.intervalMs, 5000);
      return {
        ok: !stale,
        detail: stale
          ? `no successful sweep for ${Date.now() - lastOk} ms${lastError ? `: ${lastError}` : ''}`
          : 'sweeping',
      };
    },
  };
}
