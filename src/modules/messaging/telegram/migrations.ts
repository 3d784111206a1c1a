import { currentTimestamp, dialectTypes } from '../../../ports/relational/dialect-helpers.js';
import type { Migration } from '../../../ports/relational/store.js';

/**
 * Relational state of the Telegram bridge; the messaging module gives this step its version.
 *
 * - `telegram_chat_links`: which channel a Telegram chat is linked to, one channel per chat
 *   and one chat per channel (both unique), so two first messages of a new chat arriving at
 *   once cannot open two channels: the second insert fails and its transaction rolls back.
 * - `telegram_ignored_updates`: updates acknowledged but not stored (unknown kinds, service
 *   messages, chats without a channel), keyed by (bot, update id) so a redelivery is one row.
 */
export const telegramMigration: Omit<Migration, 'version'> = {
  name: 'telegram chat links and ignored updates',
  async up(db, dialect) {
    const t = dialectTypes(dialect);
    await db.schema
      .createTable('telegram_chat_links')
      .addColumn('telegram_chat_id', t.bigint, (c) => c.primaryKey())
      .addColumn('channel_id', 'text', (c) =>
        c.notNull().unique().references('messaging_channels.id').onDelete('cascade'),
      )
      .addColumn('bot_id', 'text', (c) => c.notNull())
      .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(currentTimestamp(dialect)))
      .execute();
    await db.schema
      .createTable('telegram_ignored_updates')
      .addColumn('bot_id', 'text', (c) => c.notNull())
      .addColumn('update_id', t.bigint, (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('telegram_chat_id', t.bigint)
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('received_at', t.timestamp, (c) => c.notNull().defaultTo(currentTimestamp(dialect)))
      .addPrimaryKeyConstraint('telegram_ignored_updates_pk', ['bot_id', 'update_id'])
      .execute();
  },
};

export interface TelegramDatabase {
  telegram_chat_links: {
    telegram_chat_id: number;
    channel_id: string;
    bot_id: string;
    created_at: string | Date;
  };
  telegram_ignored_updates: {
    bot_id: string;
    update_id: number;
    kind: string;
    telegram_chat_id: number | null;
    reason: string;
    received_at: string | Date;
  };
}
