import { sql } from 'kysely';
import type { SearchAdapter, SearchHitRow } from './adapter.js';
import { toFts5 } from './query.js';

/**
 * Embedded search: an FTS5 index over message_search kept in step by triggers (FTS5's
 * "external content" pattern), so the shared code writes only the plain table. The message
 * id is the rowid: Snowflake ids are unique across channels and fit SQLite's 64-bit integer.
 * `unicode61 remove_diacritics 2` folds case and accents and does not stem, like the
 * PostgreSQL side's `simple` configuration.
 */
export const sqliteSearch: SearchAdapter = {
  dialect: 'sqlite',

  async createSchema(db) {
    await sql`create table message_search (
      message_id integer primary key,
      channel_id text not null,
      sender_id text not null,
      created_at text not null,
      content text not null
    )`.execute(db);
    await sql`create index message_search_by_channel on message_search (channel_id, message_id)`.execute(db);
    await sql`create virtual table message_search_fts using fts5(
      content, content = 'message_search', content_rowid = 'message_id',
      tokenize = 'unicode61 remove_diacritics 2'
    )`.execute(db);
    await sql`create trigger message_search_ai after insert on message_search begin
      insert into message_search_fts (rowid, content) values (new.message_id, new.content);
    end`.execute(db);
    await sql`create trigger message_search_ad after delete on message_search begin
      insert into message_search_fts (message_search_fts, rowid, content) values ('delete', old.message_id, old.content);
    end`.execute(db);
    await sql`create trigger message_search_au after update on message_search begin
      insert into message_search_fts (message_search_fts, rowid, content) values ('delete', old.message_id, old.content);
      insert into message_search_fts (rowid, content) values (new.message_id, new.content);
    end`.execute(db);
  },

  async match(db, { query, scope, before, limit }) {
    const inScope =
      'channelId' in scope
        ? sql`m.channel_id = ${scope.channelId}`
        : sql`m.channel_id in (select channel_id from messaging_participants where user_id = ${scope.memberId})`;
    const older = before === undefined ? sql`` : sql`and m.message_id < ${before}`;
    const { rows } = await sql<SearchHitRow>`
      select cast(m.message_id as text) as message_id, m.channel_id, m.sender_id, m.created_at
      from message_search_fts f join message_search m on m.message_id = f.rowid
      where message_search_fts match ${toFts5(query)} and ${inScope} ${older}
      order by m.message_id desc
      limit ${limit}`.execute(db);
    return rows;
  },
};
