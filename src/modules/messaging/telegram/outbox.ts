import type { Kysely } from 'kysely';
import type { RelationalStore } from '../../../ports/relational/store.js';
import { formatId } from '../ids.js';
import type { TelegramDatabase } from './migrations.js';

export interface OutboxEntry {
  seq: number;
  channelId: string;
  messageId: bigint;
  botId: string;
  chatId: number;
  status: 'pending' | 'failed';
  attempts: number;
  nextAttemptAt: Date;
  claimedUntil: Date | null;
  /** Set as soon as Telegram answered: a retry after that only repeats the mapping write. */
  telegramMessageId: number | null;
  lastError: string | null;
  createdAt: Date;
}

type Db = Kysely<TelegramDatabase>;
type OutboxRow = TelegramDatabase['telegram_outbox'] & { seq: number };

function toEntry(row: OutboxRow): OutboxEntry {
  return {
    seq: Number(row.seq),
    channelId: row.channel_id,
    messageId: BigInt(row.message_id),
    botId: row.bot_id,
    chatId: Number(row.telegram_chat_id),
    status: row.status,
    attempts: Number(row.attempts),
    nextAttemptAt: new Date(row.next_attempt_at),
    claimedUntil: row.claimed_until === null ? null : new Date(row.claimed_until),
    telegramMessageId: row.telegram_message_id === null ? null : Number(row.telegram_message_id),
    lastError: row.last_error,
    createdAt: new Date(row.created_at),
  };
}

/**
 * The telegram_outbox table (relational: the relay needs "pending rows in send order",
 * a query the wide-column rules do not allow without a partition to name). Every change
 * of a claimed row is conditioned on nothing else: the claim itself is the compare-and-set.
 */
export class TelegramOutbox {
  constructor(private readonly relational: RelationalStore) {}

  private get db(): Db {
    return this.relational.db as Db;
  }

  /** Records the intent to mirror a message; a second add of the same message is a no-op. */
  async add(entry: { channelId: string; messageId: bigint; botId: string; chatId: number; now: Date }) {
    await this.db
      .insertInto('telegram_outbox')
      .values({
        channel_id: entry.channelId,
        message_id: formatId(entry.messageId),
        bot_id: entry.botId,
        telegram_chat_id: entry.chatId,
        status: 'pending',
        attempts: 0,
        next_attempt_at: entry.now.toISOString(),
        claimed_until: null,
        telegram_message_id: null,
        last_error: null,
        created_at: entry.now.toISOString(),
      })
      .onConflict((oc) => oc.columns(['channel_id', 'message_id']).doNothing())
      .execute();
  }

  /** Rows by status in send order (pending ones include those waiting for a retry or claimed). */
  async list(status: 'pending' | 'failed', limit: number): Promise<OutboxEntry[]> {
    const rows = await this.db
      .selectFrom('telegram_outbox')
      .selectAll()
      .where('status', '=', status)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map((r) => toEntry(r as OutboxRow));
  }

  /**
   * Takes a pending row until `until`, unless another relay holds an unexpired claim: the
   * one conditional update that keeps two processes from sending the same message.
   */
  async claim(seq: number, now: Date, until: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('telegram_outbox')
      .set({ claimed_until: until.toISOString() })
      .where('seq', '=', seq)
      .where('status', '=', 'pending')
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', now.toISOString())]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async recordTelegramId(seq: number, telegramMessageId: number): Promise<void> {
    await this.db
      .updateTable('telegram_outbox')
      .set({ telegram_message_id: telegramMessageId })
      .where('seq', '=', seq)
      .execute();
  }

  /** Releases the claim and schedules the next try. */
  async retryAt(seq: number, attempts: number, at: Date, error: string): Promise<void> {
    await this.db
      .updateTable('telegram_outbox')
      .set({
        attempts,
        next_attempt_at: at.toISOString(),
        claimed_until: null,
        last_error: error.slice(0, 500),
      })
      .where('seq', '=', seq)
      .execute();
  }

  async fail(seq: number, attempts: number, error: string): Promise<void> {
    await this.db
      .updateTable('telegram_outbox')
      .set({ status: 'failed', attempts, claimed_until: null, last_error: error.slice(0, 500) })
      .where('seq', '=', seq)
      .execute();
  }

  async remove(seq: number): Promise<void> {
    await this.db.deleteFrom('telegram_outbox').where('seq', '=', seq).execute();
  }
}
