import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../../../src/errors/index.js';
import { messagingHarness, type MessagingHarness } from './helpers.js';

describe('read positions, unread counts, membership, typing', () => {
  let h: MessagingHarness;
  let a: string;
  let b: string;

  beforeAll(async () => {
    h = await messagingHarness({
      env: { SWITCHBOARD_MESSAGING_UNREAD_CAP: '5', SWITCHBOARD_MESSAGING_TYPING_TTL_SECONDS: '1' },
    });
    a = (await h.svc.chats.create('alice', { title: 'a', kind: 'group', participants: [{ userId: 'bob' }] }))
      .id;
    b = (await h.svc.chats.create('alice', { title: 'b', kind: 'group', participants: [{ userId: 'bob' }] }))
      .id;
  });
  afterAll(() => h.close());

  it('counts unread messages after the read position, exact up to the cap, then "cap+"', async () => {
    const sent = [];
    for (let i = 0; i < 3; i += 1) sent.push(await h.svc.messages.send(a, 'alice', { content: `a${i}` }));
    expect(await h.svc.reads.unread(a, 'bob')).toMatchObject({ count: 3, capped: false, display: '3' });
    // The sender's own messages are read by sending them.
    expect((await h.svc.reads.unread(a, 'alice')).count).toBe(0);
    await h.svc.reads.markRead(a, 'bob', sent[1]!.id);
    expect((await h.svc.reads.unread(a, 'bob')).count).toBe(1);
    for (let i = 0; i < 10; i += 1) await h.svc.messages.send(a, 'alice', { content: `more${i}` });
    expect(await h.svc.reads.unread(a, 'bob')).toMatchObject({ count: 5, capped: true, display: '5+' });
    // A deleted message is not unread.
    await h.svc.reads.markRead(
      a,
      'bob',
      (await h.svc.messages.history(a, 'bob', { limit: 3 })).messages[2]!.id,
    );
    const newest = (await h.svc.messages.history(a, 'bob', { limit: 1 })).messages[0]!;
    await h.svc.messages.delete(a, 'alice', newest.id);
    expect((await h.svc.reads.unread(a, 'bob')).count).toBe(1);
  });

  it('never moves a read position backwards', async () => {
    const [first, second] = [
      await h.svc.messages.send(b, 'alice', { content: 'x' }),
      await h.svc.messages.send(b, 'alice', { content: 'y' }),
    ];
    expect((await h.svc.reads.markRead(b, 'bob', second.id)).moved).toBe(true);
    expect(await h.svc.reads.markRead(b, 'bob', first.id)).toEqual({
      moved: false,
      lastReadMessageId: second.id,
    });
    // Concurrent marks from several devices end at the furthest one.
    await Promise.all([first.id, second.id, first.id].map((id) => h.svc.reads.markRead(b, 'alice', id)));
    expect(await h.svc.reads.position(b, 'alice')).toBe(second.id);
  });

  it('refuses to move a read position to a message that does not exist in the channel', async () => {
    const c = (
      await h.svc.chats.create('alice', { title: 'c', kind: 'group', participants: [{ userId: 'bob' }] })
    ).id;
    const m = await h.svc.messages.send(c, 'alice', { content: 'hello' });
    const elsewhere = await h.svc.messages.send(a, 'alice', { content: 'other channel' });
    // A future id, or one from another channel, would pin the position ahead of every message for good.
    for (const bogus of [m.id + (1n << 40n), elsewhere.id]) {
      const error = await h.svc.reads.markRead(c, 'bob', bogus).catch((e: unknown) => e);
      expect(isSwitchboardError(error, 'MESSAGE_NOT_FOUND')).toBe(true);
    }
    expect(await h.svc.reads.position(c, 'bob')).toBeNull();
    expect((await h.svc.reads.unread(c, 'bob')).count).toBe(1);
    expect((await h.svc.reads.markRead(c, 'bob', m.id)).moved).toBe(true);
    expect((await h.svc.reads.unread(c, 'bob')).count).toBe(0);
    await h.svc.messages.send(c, 'alice', { content: 'later' });
    expect((await h.svc.reads.unread(c, 'bob')).count).toBe(1);
    // Cleaned up so the cross-channel sums below see only their own channels.
    await h.svc.chats.removeParticipant(c, 'alice', 'bob');
  });

  it("sums unread counts across the user's channels", async () => {
    const all = await h.svc.reads.unreadAll('bob');
    expect(all.channels.map((c) => c.channelId).sort()).toEqual([a, b].sort());
    expect(all.total).toBe(all.channels.reduce((s, c) => s + c.count, 0));
  });

  it('refuses every read and write to a non-member with NOT_A_MEMBER', async () => {
    const m = await h.svc.messages.send(a, 'alice', { content: 'private' });
    // Thunks, not promises: each attempt starts only when awaited, so no rejection goes unhandled.
    const attempts: (() => Promise<unknown>)[] = [
      () => h.svc.messages.send(a, 'mallory', { content: 'hi' }),
      () => h.svc.messages.history(a, 'mallory'),
      () => h.svc.messages.get(a, 'mallory', m.id),
      () => h.svc.messages.edit(a, 'mallory', m.id, { content: 'x' }),
      () => h.svc.messages.delete(a, 'mallory', m.id),
      () => h.svc.reactions.add(a, 'mallory', m.id, '👍'),
      () => h.svc.pins.pin(a, 'mallory', m.id),
      () => h.svc.pins.list(a, 'mallory'),
      () => h.svc.reads.markRead(a, 'mallory', m.id),
      () => h.svc.reads.unread(a, 'mallory'),
      () => h.svc.typing.start(a, 'mallory'),
      () => h.svc.chats.get(a, 'mallory'),
      () => h.svc.stream(a, 'mallory', { deliver: () => undefined }),
    ];
    for (const attempt of attempts) {
      const error = await attempt().then(
        () => null,
        (e: unknown) => e,
      );
      expect(isSwitchboardError(error, 'NOT_A_MEMBER')).toBe(true);
    }
    // A member removed from the channel loses access at once.
    await h.svc.chats.removeParticipant(b, 'alice', 'bob');
    expect(await h.svc.messages.history(b, 'bob').catch((e: unknown) => (e as { code: string }).code)).toBe(
      'NOT_A_MEMBER',
    );
  });

  it('edits keep an edited time; deletes leave a tombstone with content cleared', async () => {
    const m = await h.svc.messages.send(a, 'alice', {
      content: 'draft',
      attachments: [{ name: 'a.pdf', url: 'https://files.example.com/a.pdf', size: 10 }],
    });
    const edited = await h.svc.messages.edit(a, 'alice', m.id, { content: 'final' });
    expect(edited.editedAt).toBeInstanceOf(Date);
    expect((await h.svc.messages.get(a, 'bob', m.id)).content).toBe('final');
    expect(
      await h.svc.messages.edit(a, 'bob', m.id, { content: 'hijack' }).catch((e: { code: string }) => e.code),
    ).toBe('NOT_ALLOWED');
    // An edit may empty the text of a message with an attachment, never of a text-only one.
    const textOnly = await h.svc.messages.send(a, 'alice', { content: 'words' });
    const emptied = await h.svc.messages
      .edit(a, 'alice', textOnly.id, { content: '' })
      .catch((e: unknown) => e);
    expect(isSwitchboardError(emptied, 'VALIDATION_FAILED')).toBe(true);
    expect((await h.svc.messages.get(a, 'bob', textOnly.id)).content).toBe('words');
    expect((await h.svc.messages.edit(a, 'alice', m.id, { content: '' })).attachments).toHaveLength(1);
    await h.svc.messages.delete(a, 'alice', m.id);
    const gone = await h.svc.messages.get(a, 'bob', m.id);
    expect(gone).toMatchObject({ deleted: true, content: '', attachments: [] });
    const long = 'x'.repeat(h.ctx.config.messaging.content_max_length + 1);
    const error = await h.svc.messages.send(a, 'alice', { content: long }).catch((e: unknown) => e);
    expect(isSwitchboardError(error, 'CONTENT_TOO_LONG')).toBe(true);
    expect(await h.svc.messages.get(a, 'bob', 42n).catch((e: { code: string }) => e.code)).toBe(
      'MESSAGE_NOT_FOUND',
    );
  });

  it('typing indicators expire after their TTL', async () => {
    await h.svc.typing.start(a, 'bob');
    expect((await h.svc.typing.list(a, 'alice')).map((t) => t.userId)).toEqual(['bob']);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await h.svc.typing.list(a, 'alice')).toEqual([]);
  });

  it('presence goes offline and keeps the last seen time', async () => {
    const set = await h.svc.presence.set('bob', 'away');
    expect(await h.svc.presence.get('bob')).toEqual({
      userId: 'bob',
      status: 'away',
      lastSeenAt: set.lastSeenAt,
    });
    await h.svc.presence.set('bob', 'offline');
    const offline = await h.svc.presence.get('bob');
    expect(offline.status).toBe('offline');
    expect(offline.lastSeenAt!.getTime()).toBeGreaterThanOrEqual(set.lastSeenAt!.getTime());
    expect((await h.svc.presence.get('nobody')).lastSeenAt).toBeNull();
  });
});
