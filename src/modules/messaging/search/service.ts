import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { RelationalStore } from '../../../ports/relational/store.js';
import type { WideColumnEngine } from '../../../ports/wide-column/engine.js';
import type { ChatService } from '../chats.js';
import { scanMessages } from '../history.js';
import type { EffectChange, EffectTarget } from '../effects.js';
import { rowToMessage, type MessageStore } from '../message-store.js';
import type { Message } from '../types.js';
import { checkChannelId, checkLimit, checkUserId } from '../validation.js';
import { searchAdapterFor, type SearchAdapter, type SearchScope } from './adapter.js';
import type { SearchDatabase } from './migrations.js';
import { parseSearchQuery } from './query.js';

export interface SearchQuery {
  /** The search text (see query.ts for the syntax). */
  q: string;
  /** 1 to 100, default 50. */
  limit?: number;
  /** Continue after a previous page: its `nextBefore`. */
  before?: bigint;
}

export interface SearchPage {
  /** Matching messages, newest first, as they are now in the message store. */
  messages: Message[];
  /** Pass as `before` for the next page; null when there are no more hits. */
  nextBefore: bigint | null;
}

/** Rows per upsert statement: 5 parameters each, well under either engine's parameter limit. */
const UPSERT_CHUNK = 200;

function indexRow(message: Message) {
  return {
    message_id: message.id,
    channel_id: message.channelId,
    sender_id: message.senderId,
    created_at: message.createdAt.toISOString(),
    content: message.content,
  };
}

/**
 * Full-text search over messages, in the relational store (FTS5 embedded, tsvector and GIN
 * on PostgreSQL; see adapter.ts).
 *
 * Consistency: the message store (wide-column) is the record. The index follows it
 * asynchronously, through the effects outbox written with every send, edit and delete
 * (effects.ts): usually within milliseconds, its lag in /metrics and /ready. A search first
 * waits for the changes this process has written (`beforeSearch`), so a client that sends
 * and then searches through the same service finds its message. Hits are read back from the
 * message store before they are returned, so a message deleted while its index row lingers
 * is never returned, and the content shown is the current one; `reindexChannel` rebuilds a
 * channel's index from the store.
 */
export class SearchService implements EffectTarget {
  private readonly adapter: SearchAdapter;
  /** Set by the module once the effects outbox exists: waits for this process's pending changes. */
  beforeSearch: () => Promise<void> = () => Promise.resolve();

  constructor(
    private readonly deps: {
      relational: RelationalStore;
      engine: WideColumnEngine;
      store: MessageStore;
      chats: ChatService;
      logger: Logger;
    },
  ) {
    this.adapter = searchAdapterFor(deps.relational.dialect);
  }

  private get db(): Kysely<SearchDatabase> {
    return this.deps.relational.db as Kysely<SearchDatabase>;
  }

  /**
   * Brings the index in line with these messages as they are now, in one transaction (the
   * effects outbox calls it with a page of changes): one multi-row upsert and one delete, so
   * a page costs two statements, not one per message. Idempotent: re-applying a page writes
   * nothing (an upsert whose content is unchanged is skipped, which also spares the FTS
   * triggers).
   */
  async sync(changes: EffectChange[]): Promise<void> {
    const upserts = new Map<bigint, Message>();
    const removals = new Set<bigint>();
    for (const { messageId, message } of changes) {
      if (!message || message.deleted || message.content.trim().length === 0) {
        removals.add(messageId);
        upserts.delete(messageId);
      } else {
        upserts.set(messageId, message);
        removals.delete(messageId);
      }
    }
    await this.deps.relational.transaction(async (trx) => {
      const db = trx as Kysely<SearchDatabase>;
      const rows = [...upserts.values()].map(indexRow);
      for (let i = 0; i < rows.length; i += UPSERT_CHUNK) {
        await db
          .insertInto('message_search')
          .values(rows.slice(i, i + UPSERT_CHUNK))
          .onConflict((oc) =>
            oc
              .column('message_id')
              .doUpdateSet((eb) => ({ content: eb.ref('excluded.content') }))
              .where((eb) => eb('message_search.content', '<>', eb.ref('excluded.content'))),
          )
          .execute();
      }
      if (removals.size > 0)
        await db
          .deleteFrom('message_search')
          .where('message_id', 'in', [...removals])
          .execute();
    });
  }

  private async apply(db: Kysely<SearchDatabase>, messageId: bigint, message: Message | null): Promise<void> {
    if (!message || message.deleted || message.content.trim().length === 0) {
      await db.deleteFrom('message_search').where('message_id', '=', messageId).execute();
      return;
    }
    await db
      .insertInto('message_search')
      .values(indexRow(message))
      .onConflict((oc) =>
        oc.column('message_id').doUpdateSet((eb) => ({ content: eb.ref('excluded.content') })),
      )
      .execute();
  }

  /** Search one channel the actor is a member of (NOT_A_MEMBER otherwise). */
  async inChannel(channelId: string, actor: string, query: SearchQuery): Promise<SearchPage> {
    const id = checkChannelId(channelId);
    const parsed = this.parse(query);
    await this.deps.chats.requireMember(id, actor);
    await this.beforeSearch();
    return this.run({ channelId: id }, parsed);
  }

  /** Search every channel the actor is a participant of, newest first. */
  async acrossChannels(actor: string, query: SearchQuery): Promise<SearchPage> {
    const user = checkUserId(actor, 'actor');
    const parsed = this.parse(query);
    await this.beforeSearch();
    return this.run({ memberId: user }, parsed);
  }

  private parse(query: SearchQuery) {
    return { query: parseSearchQuery(query.q), limit: checkLimit(query.limit), before: query.before };
  }

  private async run(
    scope: SearchScope,
    { query, limit, before }: ReturnType<SearchService['parse']>,
  ): Promise<SearchPage> {
    const rows = await this.adapter.match(this.db, {
      query,
      scope,
      limit: limit + 1,
      ...(before !== undefined ? { before } : {}),
    });
    const page = rows.slice(0, limit);
    const stored = await Promise.all(
      page.map((r) => this.deps.store.get(r.channel_id, BigInt(r.message_id))),
    );
    const messages = stored
      .filter((row) => row !== null && row.deleted !== true)
      .map((row) => rowToMessage(row!));
    return {
      messages,
      nextBefore: rows.length > limit ? BigInt(page[page.length - 1]!.message_id) : null,
    };
  }

  /**
   * Rebuilds one channel's index from the message store (after failed index writes, or to
   * index messages stored before search existed). Returns how many messages it indexed.
   */
  async reindexChannel(channelId: string): Promise<number> {
    const id = checkChannelId(channelId);
    await this.db.deleteFrom('message_search').where('channel_id', '=', id).execute();
    let indexed = 0;
    for await (const row of scanMessages(this.deps.engine, id, 'older')) {
      const message = rowToMessage(row);
      await this.apply(this.db, message.id, message);
      if (!message.deleted && message.content.trim().length > 0) indexed += 1;
    }
    return indexed;
  }
}
