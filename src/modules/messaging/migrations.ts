import { sql } from 'kysely';
import { currentTimestamp, dialectTypes } from '../../ports/relational/dialect-helpers.js';
import type { Migration } from '../../ports/relational/store.js';
import { searchMigration } from './search/migrations.js';
import { telegramMigration, telegramOutboxMigration } from './telegram/migrations.js';
import { templatesMigration } from './templates/migrations.js';

/**
 * Chat metadata in the relational store. Channel ids are UUID strings kept as `text` on
 * both dialects, the same value the wide-column tables hold in their `uuid` columns, so a
 * channel is one id everywhere without per-dialect casts.
 */
export const messagingMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'chat channels and participants',
    async up(db, dialect) {
      const t = dialectTypes(dialect);
      await db.schema
        .createTable('messaging_channels')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('direct', 'group', 'support')`))
        .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(currentTimestamp(dialect)))
        .addColumn('created_by', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('messaging_participants')
        .addColumn('channel_id', 'text', (c) =>
          c.notNull().references('messaging_channels.id').onDelete('cascade'),
        )
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('owner', 'admin', 'member')`))
        .addColumn('joined_at', t.timestamp, (c) => c.notNull().defaultTo(currentTimestamp(dialect)))
        .addPrimaryKeyConstraint('messaging_participants_pk', ['channel_id', 'user_id'])
        .execute();
      // "Which channels is this user in" (unread across channels, channel list) reads by user.
      await db.schema
        .createIndex('messaging_participants_by_user')
        .on('messaging_participants')
        .columns(['user_id', 'channel_id'])
        .execute();
    },
  },
  { version: 2, ...searchMigration },
  { version: 3, ...templatesMigration },
  { version: 4, ...telegramMigration },
  { version: 5, ...telegramOutboxMigration },
];

export interface MessagingDatabase {
  messaging_channels: {
    id: string;
    title: string;
    kind: ChannelKind;
    created_at: string | Date;
    created_by: string;
  };
  messaging_participants: {
    channel_id: string;
    user_id: string;
    role: ParticipantRole;
    joined_at: string | Date;
  };
}

export type ChannelKind = 'direct' | 'group' | 'support';
export type ParticipantRole = 'owner' | 'admin' | 'member';
