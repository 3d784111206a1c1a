import type { Kysely } from 'kysely';
import type { Dialect } from '../../../ports/relational/store.js';
import { postgresSearch } from './postgres-adapter.js';
import type { ParsedQuery } from './query.js';
import { sqliteSearch } from './sqlite-adapter.js';

/** Where to look: one channel, or every channel a user is a participant of. */
export type SearchScope = { channelId: string } | { memberId: string };

export interface SearchMatchQuery {
  query: ParsedQuery;
  scope: SearchScope;
  /** Only messages with a smaller id (the previous page's last hit). */
  before?: bigint;
  limit: number;
}

/** One hit as the index holds it; ids as decimal text, so no engine rounds a 64-bit id. */
export interface SearchHitRow {
  message_id: string;
  channel_id: string;
  sender_id: string;
  created_at: string;
}

/**
 * The only dialect-specific part of search: the index's DDL and the match query. Everything
 * else (the message_search rows, upserts, deletes, paging, membership) is shared Kysely.
 */
export interface SearchAdapter {
  readonly dialect: Dialect;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  createSchema(db: Kysely<any>): Promise<void>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  match(db: Kysely<any>, query: SearchMatchQuery): Promise<SearchHitRow[]>;
}

export function searchAdapterFor(dialect: Dialect): SearchAdapter {
  return dialect === 'postgres' ? postgresSearch : sqliteSearch;
}
