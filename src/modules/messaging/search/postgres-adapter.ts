import { sql } from 'kysely';
import type { SearchAdapter, SearchHitRow } from './adapter.js';
import { toWebsearch } from './query.js';

/**
 * PostgreSQL full-text search: a stored tsvector generated from the content (so no write
 * path can forget it), a GIN index on it, and websearch_to_tsquery for the query. The
 * `simple` configuration lower-cases without stemming or stop words, matching the embedded
 * FTS5 tokenizer and working for any language.
 */
export const postgresSearch: SearchAdapter = {
  dialect: 'postgres',

  async createSchema(db) {
    await sql`create table message_search (
      message_id bigint primary key,
      channel_id text not null,
      sender_id text not null,
      created_at timestamptz not null,
      content text not null,
      content_tsv tsvector generated always as (to_tsvector('simple', content)) stored
    )`.execute(db);
    await sql`create index message_search_tsv on message_search using gin (content_tsv)`.execute(db);
    await sql`create index message_search_by_channel on message_search (channel_id, message_id desc)`.execute(
      db,
    );
  },

  async match(db, { query, scope, before, limit }) {
    const inScope =
      'channelId' in scope
        ? sql`m.channel_id = ${scope.channelId}`
        : sql`m.channel_id in (select channel_id from messaging_participants where user_id = ${scope.memberId})`;
    const older = before === undefined ? sql`` : sql`and m.message_id < ${before}`;
    const { rows } = await sql<SearchHitRow>`
      select m.message_id::text as message_id, m.channel_id, m.sender_id, m.created_at
      from message_search m
      where m.content_tsv @@ websearch_to_tsquery('simple', ${toWebsearch(query)}) and ${inScope} ${older}
      order by m.message_id desc
      limit ${limit}`.execute(db);
    return rows;
  },
};
