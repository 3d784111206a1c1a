import type { Kysely } from 'kysely';
import type { RelationalStore } from '../../../ports/relational/store.js';
import type { WideColumnEngine } from '../../../ports/wide-column/engine.js';
import type { Clock } from '../../../shared/clock.js';
import { telegramSyncStateTable } from '../tables.js';
import type { TelegramDatabase } from './migrations.js';

/** What the last update or send of a channel came to. */
export type SyncStatus = 'ok' | 'ignored' | 'error';

export interface SyncState {
  channelId: string;
  telegramChatId: number | null;
  lastUpdateId: number | null;
  lastSyncAt: Date | null;
  status: SyncStatus | null;
  lastError: string | null;
}

/**
 * telegram_sync_state (per channel, wide-column) and the ignored-updates log (relational).
 * The last update id only moves forward: it is read and written without a lock, so two
 * concurrent updates of one chat can leave the smaller one for a moment; the next update
 * corrects it, and nothing depends on it for correctness (the mapping table dedups).
 */
export class SyncStateStore {
  constructor(
    private readonly engine: WideColumnEngine,
    private readonly relational: RelationalStore,
    private readonly clock: Clock,
  ) {}

  async record(
    channelId: string,
    chatId: number,
    outcome: { updateId?: number; status: SyncStatus; note?: string | null },
  ): Promise<void> {
    const current = await this.engine.get(telegramSyncStateTable, { channel_id: channelId });
    const previous = current?.last_update_id ?? null;
    const updateId = outcome.updateId === undefined ? null : BigInt(outcome.updateId);
    await this.engine.update(
      telegramSyncStateTable,
      { channel_id: channelId },
      {
        telegram_chat_id: BigInt(chatId),
        ...(updateId !== null && (previous === null || updateId > previous)
          ? { last_update_id: updateId }
          : {}),
        last_sync_at: this.clock.now(),
        status: outcome.status,
        last_error: outcome.note ?? null,
      },
    );
  }

  async get(channelId: string): Promise<SyncState | null> {
    const row = await this.engine.get(telegramSyncStateTable, { channel_id: channelId });
    if (!row) return null;
    return {
      channelId,
      telegramChatId: row.telegram_chat_id === null ? null : Number(row.telegram_chat_id),
      lastUpdateId: row.last_update_id === null ? null : Number(row.last_update_id),
      lastSyncAt: row.last_sync_at,
      status: row.status as SyncStatus | null,
      lastError: row.last_error,
    };
  }

  /** Notes an acknowledged update that stored nothing; a redelivery of it adds no second row. */
  async ignored(
    botId: string,
    updateId: number,
    kind: string,
    chatId: number | null,
    reason: string,
  ): Promise<void> {
    await (this.relational.db as Kysely<TelegramDatabase>)
      .insertInto('telegram_ignored_updates')
      .values({
        bot_id: botId,
        update_id: updateId,
        kind,
        telegram_chat_id: chatId,
        reason,
        received_at: this.clock.now().toISOString(),
      })
      .onConflict((oc) => oc.columns(['bot_id', 'update_id']).doNothing())
      .execute();
  }

  async ignoredUpdates(botId: string, limit = 100) {
    const rows = await (this.relational.db as Kysely<TelegramDatabase>)
      .selectFrom('telegram_ignored_updates')
      .selectAll()
      .where('bot_id', '=', botId)
      .orderBy('update_id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      updateId: Number(r.update_id),
      kind: r.kind,
      telegramChatId: r.telegram_chat_id === null ? null : Number(r.telegram_chat_id),
      reason: r.reason,
      receivedAt: new Date(r.received_at).toISOString(),
    }));
  }
}
