import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessagingServices, type MessagingServices } from '../../../src/modules/messaging/index.js';
import { messagingMigrations } from '../../../src/modules/messaging/migrations.js';
import { messagingTables } from '../../../src/modules/messaging/tables.js';
import { createPostgresRelationalStore } from '../../../src/ports/relational/postgres.js';
import type { RelationalStore } from '../../../src/ports/relational/store.js';
import { createMetricsRegistry } from '../../../src/shared/metrics.js';
import { createTestContext } from '../../helpers/context.js';
import { postgresTestUrl } from '../../helpers/services.js';
import { codeOf, messagingHarness } from './helpers.js';

interface SearchHarness {
  svc: MessagingServices;
  relational: RelationalStore;
  close(): Promise<void>;
}

/** Messaging services whose relational store is PostgreSQL, in a schema of their own. */
async function postgresHarness(url: string): Promise<SearchHarness> {
  const schema = `sb_search_${randomBytes(6).toString('hex')}`;
  const base = await createTestContext();
  const relational = await createPostgresRelationalStore({
    url,
    schema,
    poolSize: 4,
    registry: createMetricsRegistry(),
  });
  const ctx = { ...base, relational };
  await ctx.wideColumn.applySchema(messagingTables);
  await relational.migrate([{ module: 'messaging', migrations: messagingMigrations }]);
  const svc = createMessagingServices(ctx);
  return {
    svc,
    relational,
    async close() {
      await svc.ids.stop();
      await relational.close();
      await base.cleanup();
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query(`drop schema if exists ${schema} cascade`);
      } finally {
        await admin.end();
      }
    },
  };
}

function searchSuite(label: string, open: () => Promise<SearchHarness>): void {
  describe(`message search on ${label}`, () => {
    let h: SearchHarness;
    let a: string;
    let b: string;
    let c: string;
    const contents = async (page: Promise<{ messages: { content: string }[] }>) =>
      (await page).messages.map((m) => m.content);

    beforeAll(async () => {
      h = await open();
      const { chats } = h.svc;
      a = (await chats.create('alice', { title: 'A', kind: 'group', participants: [{ userId: 'bob' }] })).id;
      b = (await chats.create('carol', { title: 'B', kind: 'group', participants: [{ userId: 'alice' }] }))
        .id;
      c = (await chats.create('carol', { title: 'C', kind: 'group' })).id;
    });
    afterAll(() => h.close());

    it('finds sent and edited text, newest first, and not deleted text', async () => {
      const { messages, search } = h.svc;
      await messages.send(a, 'alice', { content: 'The refund for order 8812 is approved' });
      const moved = await messages.send(a, 'bob', { content: 'Your appointment is moved to Friday' });
      const pending = await messages.send(a, 'bob', { content: 'Refund pending review' });

      expect(await contents(search.inChannel(a, 'alice', { q: 'refund' }))).toEqual([
        'Refund pending review',
        'The refund for order 8812 is approved',
      ]);
      expect(await contents(search.inChannel(a, 'alice', { q: 'REFUND order' }))).toEqual([
        'The refund for order 8812 is approved',
      ]);

      await messages.edit(a, 'bob', moved.id, { content: 'Your appointment is moved to Monday' });
      expect(await contents(search.inChannel(a, 'bob', { q: 'monday' }))).toEqual([
        'Your appointment is moved to Monday',
      ]);
      expect(await contents(search.inChannel(a, 'bob', { q: 'friday' }))).toEqual([]);

      await messages.delete(a, 'bob', pending.id);
      expect(await contents(search.inChannel(a, 'bob', { q: 'pending' }))).toEqual([]);
      expect(await contents(search.inChannel(a, 'bob', { q: 'refund' }))).toEqual([
        'The refund for order 8812 is approved',
      ]);
    });

    it("searches across the user's channels only, and refuses a channel the user is not in", async () => {
      const { messages, search } = h.svc;
      await messages.send(b, 'carol', { content: 'refund declined for order 9000' });
      await messages.send(c, 'carol', { content: 'refund secret for carol only' });
      expect(await contents(search.acrossChannels('alice', { q: 'refund' }))).toEqual([
        'refund declined for order 9000',
        'The refund for order 8812 is approved',
      ]);
      expect(await contents(search.acrossChannels('carol', { q: 'secret' }))).toEqual([
        'refund secret for carol only',
      ]);
      expect(await contents(search.acrossChannels('mallory', { q: 'refund' }))).toEqual([]);
      expect(await codeOf(search.inChannel(c, 'alice', { q: 'refund' }))).toBe('NOT_A_MEMBER');
    });

    it('understands phrases, exclusions and alternatives, and treats punctuation as text', async () => {
      const { search } = h.svc;
      expect(await contents(search.acrossChannels('alice', { q: '"order 8812"' }))).toEqual([
        'The refund for order 8812 is approved',
      ]);
      expect(await contents(search.acrossChannels('alice', { q: '"8812 order"' }))).toEqual([]);
      expect(await contents(search.acrossChannels('alice', { q: 'refund -declined' }))).toEqual([
        'The refund for order 8812 is approved',
      ]);
      expect(await contents(search.acrossChannels('alice', { q: 'monday or declined' }))).toEqual([
        'refund declined for order 9000',
        'Your appointment is moved to Monday',
      ]);
      expect(await contents(search.acrossChannels('alice', { q: 'refund* AND ( "approved' }))).toEqual([]);
      expect(await codeOf(search.acrossChannels('alice', { q: '-refund' }))).toBe('VALIDATION_FAILED');
      expect(await codeOf(search.acrossChannels('alice', { q: '   ' }))).toBe('VALIDATION_FAILED');
    });

    it('pages newest first without losing or repeating a hit', async () => {
      const { chats, messages, search } = h.svc;
      const d = (await chats.create('dave', { title: 'D', kind: 'group' })).id;
      const sent: string[] = [];
      for (let i = 1; i <= 5; i++)
        sent.push((await messages.send(d, 'dave', { content: `ticket number ${i}` })).content);
      const seen: string[] = [];
      let before: bigint | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await search.inChannel(d, 'dave', {
          q: 'ticket',
          limit: 2,
          ...(before !== undefined ? { before } : {}),
        });
        seen.push(...page.messages.map((m) => m.content));
        if (page.nextBefore === null) break;
        before = page.nextBefore;
      }
      expect(seen).toEqual([...sent].reverse());
    });

    it('rebuilds a channel index from the message store', async () => {
      const { search } = h.svc;
      await h.relational.db.deleteFrom('message_search').where('channel_id', '=', a).execute();
      expect(await contents(search.inChannel(a, 'alice', { q: 'monday' }))).toEqual([]);
      expect(await search.reindexChannel(a)).toBe(2);
      expect(await contents(search.inChannel(a, 'alice', { q: 'monday' }))).toEqual([
        'Your appointment is moved to Monday',
      ]);
      expect(await contents(search.inChannel(a, 'alice', { q: 'pending' }))).toEqual([]);
    });
  });
}

searchSuite('SQLite FTS5 (embedded)', async () => {
  const h = await messagingHarness();
  return { svc: h.svc, relational: h.ctx.relational, close: () => h.close() };
});

const pgUrl = postgresTestUrl();
describe.skipIf(!pgUrl)(
  pgUrl ? 'postgres' : 'postgres (skipped: set SWITCHBOARD_TEST_POSTGRES_URL to run search on PostgreSQL)',
  () => {
    searchSuite('PostgreSQL full-text search', () => postgresHarness(pgUrl!));
  },
);

describe('message search over HTTP', () => {
  it('searches a channel and across channels, and answers NOT_A_MEMBER with 403', async () => {
    const { createTestServer } = await import('../../helpers/server.js');
    const s = await createTestServer();
    try {
      const key = await s.keyWithScope('write');
      const as = (user: string) => ({ ...s.auth(key), 'x-user-id': user });
      const channel = await s.app.inject({
        method: 'POST',
        url: '/v1/channels',
        headers: as('alice'),
        payload: { title: 'Support', kind: 'group' },
      });
      const channelId = channel.json<{ id: string }>().id;
      const sent = await s.app.inject({
        method: 'POST',
        url: `/v1/channels/${channelId}/messages`,
        headers: as('alice'),
        payload: { content: 'Refund approved for order 8812' },
      });
      const inChannel = await s.app.inject({
        url: `/v1/channels/${channelId}/messages/search?q=${encodeURIComponent('"order 8812"')}&limit=10`,
        headers: as('alice'),
      });
      expect(inChannel.statusCode).toBe(200);
      expect(inChannel.json()).toMatchObject({ messages: [{ id: sent.json().id }], nextBefore: null });
      const across = await s.app.inject({ url: '/v1/messages/search?q=refund', headers: as('alice') });
      expect(across.json().messages.map((m: { content: string }) => m.content)).toEqual([
        'Refund approved for order 8812',
      ]);
      const outsider = await s.app.inject({
        url: `/v1/channels/${channelId}/messages/search?q=refund`,
        headers: as('mallory'),
      });
      expect(outsider.statusCode).toBe(403);
      expect(outsider.json().error.code).toBe('NOT_A_MEMBER');
    } finally {
      await s.close();
    }
  });
});
