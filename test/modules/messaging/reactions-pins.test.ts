import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../../../src/errors/index.js';
import { messageReactionsTable } from '../../../src/modules/messaging/tables.js';
import { messagingHarness, type MessagingHarness } from './helpers.js';

const USERS = Array.from({ length: 40 }, (_, i) => `user-${i}`);

describe('reactions', () => {
  let h: MessagingHarness;
  let channelId: string;

  beforeAll(async () => {
    h = await messagingHarness({ env: { SWITCHBOARD_MESSAGING_PIN_LIMIT: '3' } });
    const channel = await h.svc.chats.create('user-0', {
      title: 'reactions',
      kind: 'group',
      participants: USERS.slice(1).map((userId) => ({ userId })),
    });
    channelId = channel.id;
  });
  afterAll(() => h.close());

  const rowsFor = async (messageId: bigint, emoji: string) =>
    (
      await h.ctx.wideColumn.slice(messageReactionsTable, {
        key: { channel_id: channelId, message_id: messageId, emoji },
        limit: 1000,
      })
    ).rows.length;

  it('adding twice and removing an absent reaction change nothing', async () => {
    const m = await h.svc.messages.send(channelId, 'user-0', { content: 'hi' });
    expect((await h.svc.reactions.add(channelId, 'user-1', m.id, '👍')).changed).toBe(true);
    const again = await h.svc.reactions.add(channelId, 'user-1', m.id, '👍');
    expect(again).toEqual({ changed: false, emoji: '👍', count: 1 });
    expect((await h.svc.reactions.remove(channelId, 'user-2', m.id, '👍')).changed).toBe(false);
    expect(await h.svc.reactions.list(channelId, 'user-1', m.id)).toEqual([
      { emoji: '👍', count: 1, me: true },
    ]);
  });

  it('keeps count equal to reaction rows under concurrent adds and removes from many users', async () => {
    const m = await h.svc.messages.send(channelId, 'user-0', { content: 'vote' });
    // Every user adds twice and removes once, all interleaved; odd users add once more at the end.
    const ops: Promise<unknown>[] = [];
    for (const user of USERS) {
      ops.push(h.svc.reactions.add(channelId, user, m.id, '🔥'));
      ops.push(h.svc.reactions.remove(channelId, user, m.id, '🔥'));
      ops.push(h.svc.reactions.add(channelId, user, m.id, '🔥'));
      ops.push(h.svc.reactions.add(channelId, user, m.id, '🎉'));
    }
    await Promise.all(ops.sort(() => Math.random() - 0.5));
    await Promise.all(
      USERS.filter((_, i) => i % 3 === 0).map((u) => h.svc.reactions.remove(channelId, u, m.id, '🎉')),
    );
    const summary = await h.svc.reactions.list(channelId, 'user-0', m.id);
    for (const emoji of ['🔥', '🎉']) {
      const count = summary.find((s) => s.emoji === emoji)?.count ?? 0;
      expect(count).toBe(await rowsFor(m.id, emoji));
    }
    expect(summary.find((s) => s.emoji === '🎉')!.count).toBe(USERS.filter((_, i) => i % 3 !== 0).length);
  });

  it("history pages carry reaction counts and the reader's me flag", async () => {
    const m = await h.svc.messages.send(channelId, 'user-0', { content: 'react to me' });
    await h.svc.reactions.add(channelId, 'user-3', m.id, '❤️');
    await h.svc.reactions.add(channelId, 'user-4', m.id, '❤️');
    const [forThree] = (await h.svc.messages.history(channelId, 'user-3', { limit: 1 })).messages;
    const [forFive] = (await h.svc.messages.history(channelId, 'user-5', { limit: 1 })).messages;
    expect(forThree!.reactions).toEqual([{ emoji: '❤️', count: 2, me: true }]);
    expect(forFive!.reactions).toEqual([{ emoji: '❤️', count: 2, me: false }]);
  });

  it('pins newest first, idempotently, up to the limit, and concurrent pins never overshoot it', async () => {
    const msgs = [];
    for (let i = 0; i < 6; i += 1)
      msgs.push(await h.svc.messages.send(channelId, 'user-0', { content: `pin ${i}` }));
    const results = await Promise.allSettled(msgs.map((m) => h.svc.pins.pin(channelId, 'user-1', m.id)));
    const pinned = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(pinned.length).toBe(3);
    expect(
      refused.every((r) => isSwitchboardError((r as PromiseRejectedResult).reason, 'PIN_LIMIT_REACHED')),
    ).toBe(true);
    const list = await h.svc.pins.list(channelId, 'user-2');
    expect(list.length).toBe(3);
    expect(list.map((p) => p.pinnedAt.getTime())).toEqual(
      [...list.map((p) => p.pinnedAt.getTime())].sort((a, b) => b - a),
    );
    expect(list.every((p) => p.pinnedBy === 'user-1' && p.message !== null)).toBe(true);
    const first = list[0]!.messageId;
    expect((await h.svc.pins.pin(channelId, 'user-1', first)).changed).toBe(false);
    expect((await h.svc.pins.unpin(channelId, 'user-1', first)).changed).toBe(true);
    expect((await h.svc.pins.unpin(channelId, 'user-1', first)).changed).toBe(false);
    const free = msgs.find((m) => !list.some((p) => p.messageId === m.id))!;
    expect((await h.svc.pins.pin(channelId, 'user-1', free.id)).changed).toBe(true);
    expect((await h.svc.pins.list(channelId, 'user-2')).length).toBe(3);
  });
});
