import type { Logger } from 'pino';
import type { Consumer, EventLog } from '../../ports/event-log/log.js';
import type { RepairLog } from './repair-log.js';
import type { ConversationStore } from './store.js';
import { copySession } from './sync.js';

export const CHANGES_TOPIC = 'conversations.changes';
const GROUP = 'conversations-relational-copy';

/**
 * wide_column mode's path to the relational store: each write hands the session id to the
 * event log (keyed by session, so one session's changes stay in order), and this worker
 * copies the session as the wide-column store now holds it. Copying the whole session makes
 * redelivery and reordering harmless: the last copy always reflects the latest state.
 */
export class RelationalCopy {
  private consumer: Consumer | undefined;
  /** Sessions copied since start (tests wait on it). */
  copied = 0;

  constructor(
    private readonly deps: {
      log: EventLog;
      wide: ConversationStore;
      relational: ConversationStore;
      repairs: RepairLog;
      logger: Logger;
    },
  ) {}

  publish(sessionUid: string): Promise<void> {
    return this.deps.log.publish(CHANGES_TOPIC, [{ key: sessionUid, value: sessionUid }]);
  }

  async start(): Promise<void> {
    if (this.consumer) return;
    await this.deps.log.ensureTopics([{ name: CHANGES_TOPIC }]);
    this.consumer = this.deps.log.consumer({ group: GROUP, topics: [CHANGES_TOPIC], maxWaitMs: 50 });
    await this.consumer.run(async (batch) => {
      const sessions = new Set(batch.messages.map((m) => m.value.toString('utf8')));
      for (const sessionUid of sessions) {
        try {
          await copySession(this.deps.wide, this.deps.relational, sessionUid);
          this.copied += 1;
        } catch (error) {
          // Left to repair rather than retried forever here: one bad session must not stall the topic.
          this.deps.logger.warn({ sessionUid, err: error }, 'conversations: relational copy failed');
          await this.deps.repairs.record(sessionUid, 'relational copy failed');
        }
      }
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = undefined;
  }

  async lag(): Promise<bigint> {
    const lags = (await this.consumer?.lag()) ?? [];
    return lags.reduce((n, l) => n + l.lag, 0n);
  }
}
