import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../../../src/errors/index.js';
import { BUCKET_MS, bucketOfId } from '../../../src/modules/messaging/buckets.js';
import { SNOWFLAKE_EPOCH_MS } from '../../../src/modules/messaging/ids.js';
import { messagesTable } from '../../../src/modules/messaging/tables.js';
import type { HistoryPage } from '../../../src/modules/messaging/types.js';
import type { WideColumnEngine } from '../../../src/ports/wide-column/engine.js';
import { FakeTime, messagingHarness, type MessagingHarness } from './helpers.js';

/**
 * A channel whose messages sit in buckets with long empty stretches between them:
 * 30 in bucket b, 5 empty buckets, 7 in b+6, 45 in b+7 (adjacent), 100 empty, 12 in b+108.
 */
const GROUPS: { skipBuckets: number; count: number }[] = [
  { skipBuckets: 0, count: 30 },
  { skipBuckets: 6, count: 7 },
  { skipBuckets: 1, count: 45 },
  { skipBuckets: 101, count: 12 },
];

describe('history across buckets', () => {
  let h: MessagingHarness;
  let channelId: string;
  let all: bigint[]; // oldest first
  let messageSlices = 0;
  let reads: string[] = [];
  const time = new FakeTime(SNOWFLAKE_EPOCH_MS + 50 * BUCKET_MS + 1000);

  beforeAll(async () => {
    h = await messagingHarness({
      time,
      wrap: (ctx) => {
        const engine = ctx.wideColumn;
        const counted: WideColumnEngine = Object.create(engine) as WideColumnEngine;
        counted.slice = async (table, query) => {
          if (table.name === messagesTable.name) messageSlices += 1;
          reads.push(`${table.name} start`);
          try {
            return await engine.slice(table, query);
          } finally {
            reads.push(`${table.name} end`);
          }
        };
        return { ...ctx, wideColumn: counted };
      },
    });
    const channel = await h.svc.chats.create('alice', {
      title: 'history',
      kind: 'group',
      participants: [{ userId: 'bob' }],
    });
    channelId = channel.id;
    all = [];
    for (const group of GROUPS) {
      time.current += group.skipBuckets * BUCKET_MS;
      for (let i = 0; i < group.count; i += 1) {
        time.current += 1000;
        const m = await h.svc.messages.send(channelId, i % 2 ? 'alice' : 'bob', {
          content: `m${all.length}`,
        });
        all.push(m.id);
      }
    }
  });
  afterAll(() => h.close());

  it('spreads the messages over four non-adjacent buckets', () => {
    expect(new Set(all.map(bucketOfId)).size).toBe(4);
    const buckets = [...new Set(all.map(bucketOfId))];
    expect(buckets[3]! - buckets[0]!).toBe(108);
  });

  const ids = (page: HistoryPage) => page.messages.map((m) => m.id);
  const newestFirst = (list: bigint[]) => [...list].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));

  it('walks backwards from the newest page to the first message: nothing lost, nothing repeated', async () => {
    for (const limit of [1, 7, 10, 50, 100]) {
      const seen: bigint[] = [];
      let page = await h.svc.messages.history(channelId, 'bob', { limit });
      expect(page.hasNewer).toBe(false);
      seen.push(...ids(page));
      while (page.hasOlder) {
        page = await h.svc.messages.history(channelId, 'bob', { limit, before: seen[seen.length - 1]! });
        expect(page.messages.length).toBeGreaterThan(0);
        seen.push(...ids(page));
      }
      expect(seen).toEqual(newestFirst(all));
    }
  });

  it('walks forwards with after from the first message to the newest', async () => {
    for (const limit of [1, 9, 50]) {
      const seen: bigint[] = [all[0]!];
      let page: HistoryPage;
      do {
        page = await h.svc.messages.history(channelId, 'bob', { limit, after: seen[seen.length - 1]! });
        // each page is newest first; walking forward appends it oldest first
        seen.push(...ids(page).reverse());
      } while (page.hasNewer);
      expect(seen).toEqual(all);
    }
  });

  it('returns the anchor and its neighbours around an id, across a bucket boundary', async () => {
    const anchorIndex = 37; // first message of the 45-message group: its older neighbours are in another bucket
    const page = await h.svc.messages.history(channelId, 'bob', { limit: 10, around: all[anchorIndex]! });
    expect(ids(page)).toEqual(newestFirst(all.slice(anchorIndex - 4, anchorIndex + 6)));
    expect(page.hasOlder).toBe(true);
    expect(page.hasNewer).toBe(true);
    const edge = await h.svc.messages.history(channelId, 'bob', { limit: 10, around: all[all.length - 2]! });
    expect(ids(edge)).toEqual(newestFirst(all.slice(all.length - 6)));
    expect(edge.hasNewer).toBe(false);
  });

  it('a page before the first id is empty and says nothing is older', async () => {
    const page = await h.svc.messages.history(channelId, 'bob', { before: all[0]! });
    expect(page.messages).toEqual([]);
    expect(page.hasOlder).toBe(false);
  });

  it('says hasOlder / hasNewer only when such messages exist, at both ends and in every direction', async () => {
    const newest = all[all.length - 1]!;
    // around the newest with room only for the anchor: nothing is newer
    const around = await h.svc.messages.history(channelId, 'bob', { limit: 1, around: newest });
    expect(ids(around)).toEqual([newest]);
    expect(around.hasNewer).toBe(false);
    expect(around.hasOlder).toBe(true);
    // before an id above every message: nothing is newer than the page
    const before = await h.svc.messages.history(channelId, 'bob', { limit: 3, before: newest + 1n });
    expect(ids(before)).toEqual(newestFirst(all).slice(0, 3));
    expect(before.hasNewer).toBe(false);
    // after an id below every message: nothing is older than the page
    const after = await h.svc.messages.history(channelId, 'bob', { limit: 3, after: all[0]! - 1n });
    expect(ids(after)).toEqual(newestFirst(all.slice(0, 3)));
    expect(after.hasOlder).toBe(false);
    expect(after.hasNewer).toBe(true);
    // and the usual case still says both
    const middle = await h.svc.messages.history(channelId, 'bob', { limit: 3, before: all[40]! });
    expect(middle.hasNewer).toBe(true);
    expect(middle.hasOlder).toBe(true);
  });

  it('skips 100 empty buckets without reading them', async () => {
    messageSlices = 0;
    // 12 newest live in the last bucket; the next 45 are 101 buckets older.
    const page = await h.svc.messages.history(channelId, 'bob', { limit: 20 });
    expect(page.messages.length).toBe(20);
    expect(messageSlices).toBeLessThanOrEqual(2);
  });

  it('reads a page in one messages read, on ScyllaDB at the same time as the bucket list', async () => {
    // On ScyllaDB each read is a round trip: the page does not wait for the list to come back.
    // The embedded engine has none to save and reads in sequence.
    const overlapped = h.ctx.wideColumn.kind !== 'embedded';
    const pageStartsFirst = () => reads.indexOf('messages start') < reads.indexOf('channel_buckets end');
    reads = [];
    const page = await h.svc.messages.history(channelId, 'bob', { limit: 5 });
    expect(ids(page)).toEqual(newestFirst(all).slice(0, 5));
    expect(pageStartsFirst()).toBe(overlapped);
    // The page read early is the one used: one messages read in all.
    expect(reads.filter((r) => r === 'messages start')).toHaveLength(1);

    reads = [];
    const before = await h.svc.messages.history(channelId, 'bob', { limit: 5, before: all[20]! });
    expect(ids(before)).toEqual(newestFirst(all.slice(0, 20)).slice(0, 5));
    expect(pageStartsFirst()).toBe(overlapped);
    // The page and the look past it for newer messages: one messages read each.
    expect(reads.filter((r) => r === 'messages start')).toHaveLength(2);
  });

  it('bounds limits: default 50, at most 100, and a bad limit names the field', async () => {
    expect((await h.svc.messages.history(channelId, 'bob')).messages.length).toBe(50);
    for (const limit of [0, 101, 2.5]) {
      const error = await h.svc.messages.history(channelId, 'bob', { limit }).catch((e: unknown) => e);
      expect(isSwitchboardError(error, 'VALIDATION_FAILED')).toBe(true);
      expect((error as { field: string }).field).toBe('limit');
    }
  });

  it('keeps pages stable while new messages arrive', async () => {
    const first = await h.svc.messages.history(channelId, 'bob', { limit: 5 });
    time.current += 1000;
    const fresh = await h.svc.messages.send(channelId, 'alice', { content: 'late' });
    const second = await h.svc.messages.history(channelId, 'bob', {
      limit: 5,
      before: first.messages[4]!.id,
    });
    expect(ids(second)).toEqual(newestFirst(all).slice(5, 10));
    expect(ids(await h.svc.messages.history(channelId, 'bob', { limit: 1 }))).toEqual([fresh.id]);
    all.push(fresh.id);
  });
});
