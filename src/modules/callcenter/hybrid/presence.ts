import type { EventLog } from '../../../ports/event-log/log.js';
import type { HotState } from '../../../ports/hot-state/store.js';
import type { RelationalStore } from '../../../ports/relational/store.js';
import type { Clock } from '../../../shared/clock.js';
import { agentNotFound } from '../core.js';
import type { Db } from '../rows.js';

/** What the hybrid shape publishes for a heartbeat; the sync consumer applies it. */
export interface HeartbeatEvent {
  type: 'agent.heartbeat';
  agentId: string;
  at: string;
}

export function heartbeatKey(agentId: string): string {
  return `callcenter:heartbeat:${agentId}`;
}

/**
 * Hybrid heartbeats: the most frequent write of a contact center, taken off the relational
 * store. The event is appended to the log first (the durable record: a crash after it loses
 * nothing, the consumer still applies it), then the hot-state key is set (what the sweeper
 * reads for freshness). The relational `last_heartbeat_at` catches up through the consumer.
 */
export class HotPresence {
  /**
   * Agents seen to exist. Agents are never deleted, so once known an id needs no more
   * relational reads: a heartbeat is then one log append and one hot-state write.
   */
  private readonly known = new Set<string>();

  constructor(
    private readonly deps: {
      store: RelationalStore;
      hotState: HotState;
      eventLog: EventLog;
      topic: string;
      clock: Clock;
      /** Keeps a heartbeat key this long after its last write (a few heartbeat timeouts). */
      ttlSeconds: number;
    },
  ) {}

  async heartbeat(agentId: string): Promise<{ agentId: string; lastHeartbeatAt: string }> {
    // Only agents that exist (a typo answers AGENT_NOT_FOUND as in relational mode), read once.
    if (!this.known.has(agentId)) {
      const row = await (this.deps.store.db as Db)
        .selectFrom('cc_agents')
        .select('agent_id')
        .where('agent_id', '=', agentId)
        .executeTakeFirst();
      if (!row) throw agentNotFound(agentId);
      this.known.add(agentId);
    }
    const at = this.deps.clock.now().toISOString();
    const event: HeartbeatEvent = { type: 'agent.heartbeat', agentId, at };
    await this.deps.eventLog.publish(this.deps.topic, [{ key: agentId, value: JSON.stringify(event) }]);
    await this.deps.hotState.set(heartbeatKey(agentId), at, { ttlSeconds: this.deps.ttlSeconds });
    return { agentId, lastHeartbeatAt: at };
  }

  /** The newest heartbeat hot state holds for the agent, or null. */
  async lastHeartbeat(agentId: string): Promise<string | null> {
    return this.deps.hotState.get(heartbeatKey(agentId));
  }
}
