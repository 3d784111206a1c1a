import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CachedFacts } from '../../../src/ports/hot-state/cached-facts.js';
import type { BatchOp, WideColumnEngine } from '../../../src/ports/wide-column/engine.js';
import type { Message } from '../../../src/modules/messaging/types.js';
import type { SearchDatabase } from '../../../src/modules/messaging/search/migrations.js';
import {
  channelMetadataTable,
  messageEffectsProgressTable,
  messagesTable,
} from '../../../src/modules/messaging/tables.js';
import { codeOf, messagingHarness, type MessagingHarness } from './helpers.js';

/**
 * Issue 19's send path: cached roles invalidated from the next request on (one instance, and
 * two instances sharing Redis), and the search index applied from the effects outbox after
 * a crash, idempotently, and without losing a change whose write committed out of id order.
 */

function indexedIds(h: MessagingHarness, channelId: string): Promise<string[]> {
  return (
    (h.ctx.relational.db as Kysely<SearchDatabase>)
      .selectFrom('message_search')
      // As text: a 64-bit id read as a JS number would be rounded.
      .select(sql<string>`cast(message_id as text)`.as('id'))
      .where('channel_id', '=', channelId)
      .execute()
      .then((rows) => rows.map((r) => r.id).sort())
  );
}

const dirs: string[] = [];
function sharedDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-send-path-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('cached roles', () => {
  let h: MessagingHarness;
  beforeAll(async () => {
    h = await messagingHarness();
  });
  afterAll(() => h.close());

  it('refuses a removed member from the next request on, and lets a re-added one in at once', async () => {
    const { id } = await h.svc.chats.create('alice', {
      title: 'cache',
      kind: 'group',
      participants: [{ userId: 'bob' }],
    });
    await h.svc.messages.send(id, 'bob', { content: 'cached now' });
    await h.svc.chats.removeParticipant(id, 'alice', 'bob');
    expect(await codeOf(h.svc.messages.send(id, 'bob', { content: 'after removal' }))).toBe('NOT_A_MEMBER');
    await h.svc.chats.addParticipant(id, 'alice', 'bob');
    expect((await h.svc.messages.send(id, 'bob', { content: 'back' })).content).toBe('back');
  });

  it('applies a role change from the next request on', async () => {
    const { id } = await h.svc.chats.create('alice', {
      title: 'roles',
      kind: 'group',
      participants: [{ userId: 'carol', role: 'admin' }, { userId: 'dave' }],
    });
    const dave = await h.svc.messages.send(id, 'dave', { content: 'by dave' });
    await h.svc.messages.delete(id, 'carol', dave.id); // an admin may delete others' messages
    const again = await h.svc.messages.send(id, 'dave', { content: 'again' });
    await h.svc.chats.addParticipant(id, 'alice', 'carol', 'member');
    expect(await codeOf(h.svc.messages.delete(id, 'carol', again.id))).toBe('NOT_ALLOWED');
  });

  it('never stores a role loaded before a change that committed during the load', async () => {
    const facts = new CachedFacts(h.ctx.hotState, { prefix: `test:race:${Date.now()}`, ttlSeconds: 60 });
    let loads = 0;
    // The load reads the record, then the change commits and invalidates, then the load returns.
    const stale = await facts.get('k', async () => {
      loads += 1;
      await facts.invalidate('k');
      return 'old';
    });
    expect(stale).toBe('old');
    expect(await facts.get('k', async () => ((loads += 1), 'new'))).toBe('new');
    expect(loads).toBe(2);
    expect(await facts.get('k', async () => ((loads += 1), 'never'))).toBe('new');
    expect(loads).toBe(2);
  });
});

describe('cached roles across two instances sharing hot state', () => {
  const dir = sharedDir();
  let a: MessagingHarness;
  let b: MessagingHarness;
  beforeAll(async () => {
    a = await messagingHarness({ dataDir: dir, env: { SWITCHBOARD_MESSAGING_WORKER_ID: '11' } });
    b = await messagingHarness({ dataDir: dir, env: { SWITCHBOARD_MESSAGING_WORKER_ID: '12' } });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('refuses on instance A a member removed through instance B, from the next request on', async (ctx) => {
    if (a.ctx.hotState.kind !== 'redis') {
      // Two processes share roles only through a shared hot state; embedded has none to share.
      ctx.skip();
      return;
    }
    const { id } = await a.svc.chats.create('alice', {
      title: 'two instances',
      kind: 'group',
      participants: [{ userId: 'bob' }],
    });
    await a.svc.messages.send(id, 'bob', { content: 'cached on A' });
    await b.svc.messages.send(id, 'bob', { content: 'cached on B' });
    await b.svc.chats.removeParticipant(id, 'alice', 'bob');
    expect(await codeOf(a.svc.messages.send(id, 'bob', { content: 'refused' }))).toBe('NOT_A_MEMBER');
    await b.svc.chats.addParticipant(id, 'alice', 'bob');
    expect((await a.svc.messages.send(id, 'bob', { content: 'back on A' })).content).toBe('back on A');
  });
});

describe('unread counts from counters (no message read unless a deletion makes them a bound)', () => {
  let h: MessagingHarness;
  let messageReads = 0;
  const counting = (engine: WideColumnEngine): WideColumnEngine =>
    new Proxy(engine, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'slice' || typeof value !== 'function') return value;
        return (table: { name: string }, ...rest: unknown[]) => {
          if (table.name === messagesTable.name) messageReads += 1;
          return (value as (...a: unknown[]) => unknown).call(target, table, ...rest);
        };
      },
    });
  beforeAll(async () => {
    h = await messagingHarness({
      env: { SWITCHBOARD_MESSAGING_UNREAD_CAP: '20' },
      wrap: (ctx) => ({ ...ctx, wideColumn: counting(ctx.wideColumn) }),
    });
  });
  afterAll(() => h.close());

  async function unread(channelId: string, user: string) {
    messageReads = 0;
    const result = await h.svc.reads.unread(channelId, user);
    return { count: result.count, display: result.display, messageReads };
  }

  it('answers 0 and "cap+" from counters, and exact counts in between, with deletions and own messages', async () => {
    const { id } = await h.svc.chats.create('alice', {
      title: 'counters',
      kind: 'group',
      participants: [{ userId: 'bob' }],
    });
    const first = [];
    for (let i = 0; i < 5; i += 1) first.push(await h.svc.messages.send(id, 'alice', { content: `m${i}` }));
    await h.svc.reads.markRead(id, 'bob', first[4]!.id);
    expect(await unread(id, 'bob')).toEqual({ count: 0, display: '0', messageReads: 0 });
    // A read up to an older message counts what follows it, also from counters.
    await h.svc.messages.send(id, 'alice', { content: 'new one' });
    expect(await unread(id, 'bob')).toEqual({ count: 1, display: '1', messageReads: 0 });
    for (let i = 0; i < 30; i += 1) await h.svc.messages.send(id, 'alice', { content: `burst ${i}` });
    expect(await unread(id, 'bob')).toEqual({ count: 20, display: '20+', messageReads: 0 });

    // A deletion since the mark makes the counters a bound only: then it counts exactly.
    const page = await h.svc.messages.history(id, 'bob', { limit: 3 });
    await h.svc.reads.markRead(id, 'bob', page.messages[2]!.id);
    expect(await unread(id, 'bob')).toMatchObject({ count: 2, messageReads: 0 });
    await h.svc.messages.delete(id, 'alice', page.messages[0]!.id);
    const afterDelete = await unread(id, 'bob');
    expect(afterDelete.count).toBe(1);
    expect(afterDelete.messageReads).toBeGreaterThan(0);
    // Bob's own messages are never unread to him; alice's after them are.
    await h.svc.messages.send(id, 'bob', { content: 'mine' });
    await h.svc.messages.send(id, 'alice', { content: 'after mine' });
    expect((await unread(id, 'bob')).count).toBe(1);
    await h.svc.reads.markRead(
      id,
      'bob',
      (await h.svc.messages.history(id, 'bob', { limit: 1 })).messages[0]!.id,
    );
    expect(await unread(id, 'bob')).toEqual({ count: 0, display: '0', messageReads: 0 });
    await h.svc.messages.send(id, 'bob', { content: 'mine again' });
    expect((await unread(id, 'bob')).count).toBe(0);
  });
});

describe('effects outbox (search index)', () => {
  const open: MessagingHarness[] = [];
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
  });

  it('catches up after a crash between the message write and its effect, once in effect', async () => {
    const dir = sharedDir();
    const first = await messagingHarness({ dataDir: dir });
    const { id } = await first.svc.chats.create('alice', { title: 'crash', kind: 'group' });
    const sent: Message[] = [];
    for (let i = 0; i < 30; i += 1)
      sent.push(await first.svc.messages.send(id, 'alice', { content: `pelican number ${i}` }));
    // The process dies before any effect ran: messages stored, the index empty.
    expect(await indexedIds(first, id)).toEqual([]);
    await first.close();

    const second = await messagingHarness({ dataDir: dir });
    open.push(second);
    await second.svc.effects.start();
    await second.svc.effects.catchUp();
    const all = sent.map((m) => String(m.id)).sort();
    expect(await indexedIds(second, id)).toEqual(all);
    expect(
      (await second.svc.search.inChannel(id, 'alice', { q: 'pelican', limit: 100 })).messages,
    ).toHaveLength(30);

    // Progress lost (or a crash after the effect, before progress): every effect runs again, changing nothing.
    await second.ctx.wideColumn.update(
      messageEffectsProgressTable,
      { worker_id: 0 },
      { done_through: 0n, updated_at: new Date() },
    );
    const third = await messagingHarness({ dataDir: dir });
    open.push(third);
    await third.svc.messages.edit(id, 'alice', sent[0]!.id, { content: 'heron now' });
    await third.svc.messages.delete(id, 'alice', sent[1]!.id);
    await third.svc.effects.catchUp();
    expect(await indexedIds(third, id)).toEqual(all.filter((m) => m !== String(sent[1]!.id)));
    expect((await third.svc.search.inChannel(id, 'alice', { q: 'heron' })).messages.map((m) => m.id)).toEqual(
      [sent[0]!.id],
    );
  });

  it("keeps the channel's last message from the outbox: caught up after a crash, never moved back", async () => {
    const dir = sharedDir();
    const first = await messagingHarness({ dataDir: dir });
    const { id } = await first.svc.chats.create('alice', { title: 'last', kind: 'group' });
    const sent: Message[] = [];
    for (let i = 0; i < 5; i += 1)
      sent.push(await first.svc.messages.send(id, 'alice', { content: `m${i}` }));
    const lastOf = async (h: MessagingHarness) => {
      const row = await h.ctx.wideColumn.get(channelMetadataTable, { channel_id: id });
      return { id: row?.last_message_id ?? null, at: row?.last_message_at ?? null };
    };
    // Not part of the send's write any more: nothing applied the effects before this "crash".
    expect((await lastOf(first)).id).toBeNull();
    await first.close();

    const second = await messagingHarness({ dataDir: dir });
    open.push(second);
    await second.svc.effects.catchUp();
    expect(await lastOf(second)).toEqual({ id: sent[4]!.id, at: sent[4]!.createdAt });
    // An edit of an older message is a change of that message, not a newer last message.
    await second.svc.messages.edit(id, 'alice', sent[1]!.id, { content: 'edited' });
    await second.svc.effects.catchUp();
    expect((await lastOf(second)).id).toBe(sent[4]!.id);

    // Every effect applied again by a process that remembers nothing: still the newest.
    await second.ctx.wideColumn.update(
      messageEffectsProgressTable,
      { worker_id: 0 },
      { done_through: 0n, updated_at: new Date() },
    );
    await second.close();
    open.pop();
    const third = await messagingHarness({ dataDir: dir });
    open.push(third);
    await third.svc.effects.catchUp();
    expect((await lastOf(third)).id).toBe(sent[4]!.id);
    // A page holding only an older message's edit does not move it back (the newest id is written only when newer).
    await third.svc.messages.edit(id, 'alice', sent[0]!.id, { content: 'edited too' });
    await third.svc.effects.catchUp();
    expect((await lastOf(third)).id).toBe(sent[4]!.id);
    const newer = await third.svc.messages.send(id, 'alice', { content: 'newest' });
    await third.svc.effects.catchUp();
    expect((await lastOf(third)).id).toBe(newer.id);
  });

  it('applies a change whose write committed after a newer one (out of id order)', async () => {
    let release: (() => void) | undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let slowChannel = '';
    let reached: (() => void) | undefined;
    const atGate = new Promise<void>((resolve) => (reached = resolve));
    // Holds the write of the slow channel's message until the test lets it go.
    const slowWrites = (engine: WideColumnEngine): WideColumnEngine =>
      new Proxy(engine, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver) as unknown;
          if (prop !== 'batch' || typeof value !== 'function') return value;
          return async (ops: BatchOp[], options?: unknown) => {
            const slow = ops.some(
              (op) => op.table === messagesTable && op.kind === 'insert' && op.row.channel_id === slowChannel,
            );
            if (slow) {
              reached!();
              await gate;
            }
            return (value as (o: BatchOp[], p?: unknown) => Promise<void>).call(target, ops, options);
          };
        },
      });
    const h = await messagingHarness({
      env: { SWITCHBOARD_MESSAGING_GROUP_COMMIT_WRITERS: '1' },
      wrap: (ctx) => ({ ...ctx, wideColumn: slowWrites(ctx.wideColumn) }),
    });
    open.push(h);
    await h.svc.effects.start();
    const slow = await h.svc.chats.create('alice', { title: 'slow', kind: 'group' });
    const fast = await h.svc.chats.create('alice', { title: 'fast', kind: 'group' });
    slowChannel = slow.id;
    const older = h.svc.messages.send(slow.id, 'alice', { content: 'older but slower' });
    // The older send has its id and its write is held: only now does the newer one start.
    await atGate;
    const newer = await h.svc.messages.send(fast.id, 'alice', { content: 'newer but faster' });
    await h.svc.effects.applyPending();
    // The newer change waits behind the older write still in flight: progress cannot pass it.
    expect(await indexedIds(h, fast.id)).toEqual([]);
    release!();
    const stored = await older;
    expect(stored.id < newer.id).toBe(true);
    await h.svc.effects.catchUp();
    expect(await indexedIds(h, slow.id)).toEqual([String(stored.id)]);
    expect(await indexedIds(h, fast.id)).toEqual([String(newer.id)]);
  });

  it('reports its lag in /metrics and turns unhealthy when effects keep failing', async () => {
    const h = await messagingHarness();
    open.push(h);
    const { id } = await h.svc.chats.create('alice', { title: 'lag', kind: 'group' });
    const search = h.svc.search;
    const sync = search.sync.bind(search);
    let failing = true;
    search.sync = async (changes) => {
      if (failing) throw new Error('index unreachable');
      await sync(changes);
    };
    await h.svc.effects.start();
    await h.svc.messages.send(id, 'alice', { content: 'waits for the index' });
    await expect.poll(() => h.svc.effects.health().ok, { timeout: 10_000, interval: 100 }).toBe(false);
    expect(h.svc.effects.health().detail).toMatch(/index unreachable/);
    const metrics = await h.ctx.metrics.getSingleMetricAsString('switchboard_messaging_effects_lag_seconds');
    expect(Number(/^switchboard_messaging_effects_lag_seconds (\S+)$/m.exec(metrics)![1])).toBeGreaterThan(0);
    failing = false;
    await expect.poll(() => h.svc.effects.health().ok, { timeout: 10_000, interval: 100 }).toBe(true);
    expect(h.svc.effects.lagSeconds()).toBe(0);
    expect((await indexedIds(h, id)).length).toBe(1);
  });
});
