import type { Logger } from 'pino';
import type { Batch, Consumer, EventLog } from '../../../ports/event-log/log.js';
import type { RelationalStore } from '../../../ports/relational/store.js';
import type { Worker } from '../../module.js';
import type { Db } from '../rows.js';
import type { HeartbeatEvent } from './presence.js';

/**
 * The hybrid shape's consumer: reads the `callcenter-events` topic and writes what only the
 * log holds (heartbeats) to the relational store. Idempotent by construction: a heartbeat
 * moves `last_heartbeat_at` only forward, so a redelivered batch, a replay of the whole
 * topic, or a consumer killed mid-batch and restarted leaves the same rows. The other events
 * on the topic (assignments, status changes, call ends) were committed relationally before
 * they were published and need nothing here.
 */
export class CallCenterSync implements Worker {
  readonly name = 'callcenter-sync';
  private consumer: Consumer | undefined;
  private lastError: string | undefined;
  applied = 0;

  constructor(
    private readonly deps: {
      store: RelationalStore;
      eventLog: EventLog;
      topic: string;
      group: string;
      logger: Logger;
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
    return { ok: true, detail: `applied ${this.applied} heartbeats` };
  }

  /** Applies one batch; throwing leaves it uncommitted, so it is delivered again. */
  async handle(batch: Batch): Promise<void> {
    // The newest heartbeat per agent in the batch: one UPDATE per agent, not per message.
    const newest = new Map<string, string>();
    for (const message of batch.messages) {
      let event: HeartbeatEvent;
      try {
        event = JSON.parse(message.value.toString('utf8')) as HeartbeatEvent;
      } catch {
        continue; // not ours to fail on: a malformed message is skipped, not retried for ever
      }
      if (
        event.type !== 'agent.heartbeat' ||
        typeof event.agentId !== 'string' ||
        typeof event.at !== 'string'
      ) {
        continue;
      }
      const seen = newest.get(event.agentId);
      if (seen === undefined || event.at > seen) newest.set(event.agentId, event.at);
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
      this.lastError = (error as Error).message;
      this.deps.logger.warn(
        { err: this.lastError },
        'callcenter sync batch failed; it will be delivered again',
      );
      throw error;
    }
  }
}
