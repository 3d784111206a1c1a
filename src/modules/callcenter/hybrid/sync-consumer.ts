import type { Logger } from 'pino';
import type { Batch, Consumer, EventLog } from '../../../ports/event-log/log.js';
import type { RelationalStore } from '../../../ports/relational/store.js';
import type { Worker } from '../../module.js';
import type { Core } from '../core.js';
import type { Db } from '../rows.js';
import { AGENT_STATUSES } from '../types.js';
import type { AgentMoveEvent } from './agent-state.js';
import { applyMoves, type ApplyMove } from './hot-moves.js';
import type { HeartbeatEvent } from './presence.js';

/**
 * The hybrid shape's consumer: reads the `callcenter-events` topic and writes what only the
 * log holds to the relational store: heartbeats and the status moves taken in hot state.
 * Idempotent by construction: a heartbeat moves `last_heartbeat_at` only forward, and a move
 * is applied only to a row that has not had it (or a newer one) by number, so a redelivered
 * batch, a replay of the whole topic, or a consumer killed mid-batch and restarted leaves the
 * same rows. The other events on the topic (assignments, call ends, the moves' own results)
 * were committed relationally before they were published and need nothing here.
 */
export class CallCenterSync implements Worker {
  readonly name = 'callcenter-sync';
  private consumer: Consumer | undefined;
  private lastError: string | undefined;
  applied = 0;
  movesApplied = 0;

  constructor(
    private readonly deps: {
      store: RelationalStore;
      eventLog: EventLog;
      topic: string;
      group: string;
      logger: Logger;
      /** Applies moves taken in hot state (hot-moves.ts). */
      moves: { core: Core; apply: ApplyMove };
    },
  ) {}

  async start(): Promise<void> {
    if (this.consumer) return;
    this.consumer = this.deps.eventLog.consumer({ group: this.deps.group, topics: [this.deps.topic] });
    await this.consumer.run((batch) => this.handle(batch));
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.stop();
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    if (this.lastError) return { ok: false, detail: this.lastError };
    return { ok: true, detail: `applied ${this.applied} heartbeats and ${this.movesApplied} status moves` };
  }

  /** Applies one batch; throwing leaves it uncommitted, so it is delivered again. */
  async handle(batch: Batch): Promise<void> {
    // The newest heartbeat per agent in the batch: one UPDATE per agent, not per message.
    const newest = new Map<string, string>();
    const moves: AgentMoveEvent[] = [];
    for (const message of batch.messages) {
      const event = parse(message.value.toString('utf8'));
      if (event?.type === 'agent.move') moves.push(event);
      if (event?.type !== 'agent.heartbeat') continue;
      const seen = newest.get(event.agentId);
      if (seen === undefined || event.at > seen) newest.set(event.agentId, event.at);
    }
    if (moves.length > 0) {
      try {
        this.movesApplied += await applyMoves(this.deps.moves.core, this.deps.moves.apply, moves);
        this.lastError = undefined;
      } catch (error) {
        this.failed(error);
      }
    }
    if (newest.size === 0) return;
    try {
      await this.deps.store.transaction(async (trx) => {
        const db = trx as Db;
        for (const [agentId, at] of [...newest].sort(([a], [b]) => (a < b ? -1 : 1))) {
          await db
            .updateTable('cc_agents')
            .set({ last_heartbeat_at: at })
            .where('agent_id', '=', agentId)
            .where((eb) => eb.or([eb('last_heartbeat_at', 'is', null), eb('last_heartbeat_at', '<', at)]))
            .execute();
        }
      });
      this.applied += newest.size;
      this.lastError = undefined;
    } catch (error) {
      this.failed(error);
    }
  }

  private failed(error: unknown): never {
    this.lastError = (error as Error).message;
    this.deps.logger.warn(
      { err: this.lastError },
      'callcenter sync batch failed; it will be delivered again',
    );
    throw error;
  }
}

/**
 * A heartbeat or a hot-state move, or undefined for anything else on the topic. A malformed
 * message is skipped, not retried for ever: it is not ours to fail on.
 */
function parse(text: string): HeartbeatEvent | AgentMoveEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const event = value as Record<string, unknown>;
  if (typeof event.agentId !== 'string' || typeof event.at !== 'string') return undefined;
  if (event.type === 'agent.heartbeat') return event as unknown as HeartbeatEvent;
  if (
    event.type === 'agent.move' &&
    Number.isSafeInteger(event.seq) &&
    (event.status === null || AGENT_STATUSES.includes(event.status as never)) &&
    !Number.isNaN(Date.parse(event.at))
  ) {
    return event as unknown as AgentMoveEvent;
  }
  return undefined;
}
