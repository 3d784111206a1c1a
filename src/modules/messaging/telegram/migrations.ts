import { sql, type Generated } from 'kysely';
import {
  addAutoIncrementId,
  currentTimestamp,
  dialectTypes,
} from '../../../ports/relational/dialect-helpers.js';
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

/**
 * `telegram_outbox`: messages sent in a linked channel that Telegram has not confirmed yet.
 * A row is written in the same send call, before the message itself is stored, and deleted
 * once Telegram's id is in telegram_message_mapping; `seq` is the send order the relay keeps
 * per chat. `message_id` is the decimal Snowflake (SQLite would round a 64-bit integer read
 * back as a number). Rows that ran out of attempts stay with status 'failed' for inspection.
 */
export const telegramOutboxMigration: Omit<Migration, 'version'> = {
  name: 'telegram outbox',
  async up(db, dialect) {
    const t = dialectTypes(dialect);
    await addAutoIncrementId(db.schema.createTable('telegram_outbox'), dialect, 'seq')
      .addColumn('channel_id', 'text', (c) => c.notNull())
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('bot_id', 'text', (c) => c.notNull())
      .addColumn('telegram_chat_id', t.bigint, (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'failed')`))
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', t.timestamp, (c) => c.notNull())
      .addColumn('claimed_until', t.timestamp)
      .addColumn('telegram_message_id', t.bigint)
      .addColumn('last_error', 'text')
      .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(currentTimestamp(dialect)))
      .addUniqueConstraint('telegram_outbox_message', ['channel_id', 'message_id'])
      .execute();
    await db.schema
      .createIndex('telegram_outbox_by_status')
      .on('telegram_outbox')
      .columns(['status', 'seq'])
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
  telegram_outbox: {
    seq: Generated<number>;
    channel_id: string;
    message_id: string;
    bot_id: string;
    telegram_chat_id: number;
    status: 'pending' | 'failed';
    attempts: number;
    next_attempt_at: string | Date;
    claimed_until: string | Date | null;
    telegram_message_id: number | null;
    last_error: string | null;
    created_at: string | Date;
  };
}
