import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/** Issue 18, items 4, 5 and 6: role rules, server-owned origin fields, reaction and attachment checks. */
describe('messaging hardening (issue 18)', () => {
  let s: TestServer;
  let key: string;
  const as = (user: string) => ({ ...s.auth(key), 'x-user-id': user });
  const uid = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    s = await createTestServer({ env: { SWITCHBOARD_MESSAGING_REACTION_LIMIT: '3' } });
    key = await s.keyWithScope('write');
  });
  afterAll(() => s.close());

  async function channel(
    owner: string,
    participants: { userId: string; role?: string }[] = [],
  ): Promise<string> {
    const res = await s.app.inject({
      method: 'POST',
      url: '/v1/channels',
      headers: as(owner),
      payload: { title: 'hardening', kind: 'group', participants },
    });
    expect(res.statusCode).toBe(201);
    return res.json<{ id: string }>().id;
  }

  async function history(channelId: string, user: string): Promise<{ id: string; source: string }[]> {
    const res = await s.app.inject({ url: `/v1/channels/${channelId}/messages`, headers: as(user) });
    expect(res.statusCode).toBe(200);
    return res.json<{ messages: { id: string; source: string }[] }>().messages;
  }

  async function participants(channelId: string, user: string): Promise<Record<string, string>> {
    const res = await s.app.inject({ url: `/v1/channels/${channelId}`, headers: as(user) });
    expect(res.statusCode).toBe(200);
    const list = res.json<{ participants: { userId: string; role: string }[] }>().participants;
    return Object.fromEntries(list.map((p) => [p.userId, p.role]));
  }

  describe('item 4: channel role rules', () => {
    const remove = (channelId: string, actor: string, userId: string) =>
      s.app.inject({
        method: 'DELETE',
        url: `/v1/channels/${channelId}/participants/${userId}`,
        headers: as(actor),
      });
    const setRole = (channelId: string, actor: string, userId: string, role: string) =>
      s.app.inject({
        method: 'POST',
        url: `/v1/channels/${channelId}/participants`,
        headers: as(actor),
        payload: { userId, role },
      });

    it('an admin can neither remove nor demote the owner', async () => {
      const owner = uid('owner');
      const admin = uid('admin');
      const channelId = await channel(owner, [{ userId: admin, role: 'admin' }]);
      const before = await participants(channelId, owner);
      const removed = await remove(channelId, admin, owner);
      expect(removed.statusCode).toBe(403);
      expect(removed.json<{ error: unknown }>().error).toMatchObject({
        code: 'NOT_ALLOWED',
        field: 'userId',
      });
      const demoted = await setRole(channelId, admin, owner, 'member');
      expect(demoted.statusCode).toBe(403);
      expect(demoted.json<{ error: unknown }>().error).toMatchObject({ code: 'NOT_ALLOWED' });
      expect(await participants(channelId, owner)).toEqual(before);
    });

    it('the sole owner can neither leave nor step down; after handing over they can', async () => {
      const owner = uid('owner');
      const admin = uid('admin');
      const channelId = await channel(owner, [{ userId: admin, role: 'admin' }]);
      const left = await remove(channelId, owner, owner);
      expect(left.statusCode).toBe(409);
      expect(left.json<{ error: unknown }>().error).toMatchObject({
        code: 'OWNER_REQUIRED',
        field: 'userId',
      });
      const stepDown = await setRole(channelId, owner, owner, 'admin');
      expect(stepDown.statusCode).toBe(409);
      expect(stepDown.json<{ error: unknown }>().error).toMatchObject({ code: 'OWNER_REQUIRED' });
      expect(await participants(channelId, owner)).toEqual({ [owner]: 'owner', [admin]: 'admin' });
      // Hand over, then leave.
      expect((await setRole(channelId, owner, admin, 'owner')).statusCode).toBe(201);
      expect((await remove(channelId, owner, owner)).json()).toEqual({ removed: true });
      expect(await participants(channelId, admin)).toEqual({ [admin]: 'owner' });
    });

    it('an owner may demote or remove another owner while one owner stays; admins still manage members', async () => {
      const a = uid('a');
      const b = uid('b');
      const admin = uid('admin');
      const member = uid('member');
      const channelId = await channel(a, [
        { userId: b, role: 'owner' },
        { userId: admin, role: 'admin' },
        { userId: member },
      ]);
      expect((await setRole(channelId, admin, member, 'admin')).statusCode).toBe(201);
      expect((await remove(channelId, admin, member)).json()).toEqual({ removed: true });
      expect((await setRole(channelId, a, b, 'member')).statusCode).toBe(201);
      expect((await remove(channelId, a, b)).json()).toEqual({ removed: true });
      expect(await participants(channelId, a)).toEqual({ [a]: 'owner', [admin]: 'admin' });
    });

    it('two owners demoting each other at once leave one owner', async () => {
      const a = uid('a');
      const b = uid('b');
      const channelId = await channel(a, [{ userId: b, role: 'owner' }]);
      const chats = s.switchboard.messaging.chats;
      const results = await Promise.allSettled([
        chats.addParticipant(channelId, a, b, 'member'),
        chats.addParticipant(channelId, b, a, 'member'),
        chats.removeParticipant(channelId, a, a),
        chats.removeParticipant(channelId, b, b),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(1);
      const view = await chats.get(channelId, a).catch(() => chats.get(channelId, b));
      const roles = view.participants.map((p) => p.role);
      expect(roles.filter((r) => r === 'owner')).toHaveLength(1);
    });
  });

  describe('item 5: origin fields belong to the server', () => {
    it.each([
      [{ content: 'hi', source: 'telegram' }, 'source'],
      [{ content: 'hi', source: 'system' }, 'source'],
      [{ content: 'hi', messageType: 'system' }, 'messageType'],
    ])('refuses %j naming the field, and stores nothing', async (payload, field) => {
      const alice = uid('alice');
      const channelId = await channel(alice);
      const res = await s.app.inject({
        method: 'POST',
        url: `/v1/channels/${channelId}/messages`,
        headers: as(alice),
        payload,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json<{ error: unknown }>().error).toMatchObject({ code: 'RESERVED_VALUE', field });
      expect(await history(channelId, alice)).toEqual([]);
    });

    it('the library API refuses a reserved source too; the Telegram bridge passes its origin', async () => {
      const alice = uid('alice');
      const channelId = await channel(alice);
      const svc = s.switchboard.messaging;
      await expect(
        svc.messages.send(channelId, alice, { content: 'x', source: 'telegram' }),
      ).rejects.toMatchObject({ code: 'RESERVED_VALUE', field: 'source' });
      const m = await svc.messages.send(channelId, alice, { content: 'x' }, { origin: 'telegram' });
      expect(m.source).toBe('telegram');
    });

    it('still takes a client label such as "web"', async () => {
      const alice = uid('alice');
      const channelId = await channel(alice);
      const res = await s.app.inject({
        method: 'POST',
        url: `/v1/channels/${channelId}/messages`,
        headers: as(alice),
        payload: { content: 'hi', source: 'web' },
      });
      expect(res.statusCode).toBe(201);
      expect(res.json()).toMatchObject({ source: 'web', messageType: 'text' });
    });
  });

  describe('item 6: reactions and attachments', () => {
    async function send(channelId: string, user: string, payload: unknown) {
      return s.app.inject({
        method: 'POST',
        url: `/v1/channels/${channelId}/messages`,
        headers: as(user),
        payload: payload as Record<string, unknown>,
      });
    }
    const react = (channelId: string, user: string, messageId: string, emoji: string) =>
      s.app.inject({
        method: 'PUT',
        url: `/v1/channels/${channelId}/messages/${messageId}/reactions/${encodeURIComponent(emoji)}`,
        headers: as(user),
      });

    const reactionsOf = async (channelId: string, user: string, messageId: string) => {
      const res = await s.app.inject({
        url: `/v1/channels/${channelId}/messages/${messageId}`,
        headers: as(user),
      });
      expect(res.statusCode).toBe(200);
      return res.json<{ reactions: { emoji: string }[] }>().reactions;
    };

    it.each(['<script>alert(1)</script>', 'abc', ':bad name:', '::', ':a:b:', '👍x'])(
      'refuses the emoji %j and stores nothing',
      async (emoji) => {
        const alice = uid('alice');
        const channelId = await channel(alice);
        const m = (await send(channelId, alice, { content: 'hi' })).json<{ id: string }>();
        const res = await react(channelId, alice, m.id, emoji);
        expect(res.statusCode).toBe(400);
        expect(res.json<{ error: unknown }>().error).toMatchObject({
          code: 'VALIDATION_FAILED',
          field: 'emoji',
        });
        expect(await reactionsOf(channelId, alice, m.id)).toEqual([]);
      },
    );

    it.each(['👍', '❤️', '👍🏽', '🇫🇷', '👨‍👩‍👧', '1️⃣', ':party_parrot:', ':+1:'])(
      'takes the emoji %j',
      async (emoji) => {
        const alice = uid('alice');
        const channelId = await channel(alice);
        const m = (await send(channelId, alice, { content: 'hi' })).json<{ id: string }>();
        const res = await react(channelId, alice, m.id, emoji);
        expect(res.statusCode).toBe(200);
        expect(res.json()).toMatchObject({ changed: true, emoji, count: 1 });
      },
    );

    it('caps distinct reactions per message (reaction_limit), while more users may join one', async () => {
      const alice = uid('alice');
      const bob = uid('bob');
      const channelId = await channel(alice, [{ userId: bob }]);
      const m = (await send(channelId, alice, { content: 'hi' })).json<{ id: string }>();
      for (const emoji of ['👍', '🔥', '🎉'])
        expect((await react(channelId, alice, m.id, emoji)).statusCode).toBe(200);
      const fourth = await react(channelId, alice, m.id, '😀');
      expect(fourth.statusCode).toBe(409);
      expect(fourth.json<{ error: unknown }>().error).toMatchObject({
        code: 'REACTION_LIMIT_REACHED',
        field: 'emoji',
      });
      // An existing emoji still takes more users.
      expect((await react(channelId, bob, m.id, '🔥')).json()).toMatchObject({ changed: true, count: 2 });
      expect((await reactionsOf(channelId, alice, m.id)).map((r) => r.emoji).sort()).toEqual(
        ['🎉', '👍', '🔥'].sort(),
      );
      // Once one emoji is gone entirely, another fits.
      await s.app.inject({
        method: 'DELETE',
        url: `/v1/channels/${channelId}/messages/${m.id}/reactions/${encodeURIComponent('🎉')}`,
        headers: as(alice),
      });
      expect((await react(channelId, bob, m.id, '😀')).statusCode).toBe(200);
    });

    it.each([
      [{ content: 'x', attachments: [{ url: 'javascript:alert(1)', name: 'a' }] }, 'attachments.0.url'],
      [{ content: 'x', attachments: [{ url: 'data:text/html,hi' }] }, 'attachments.0.url'],
      [{ content: 'x', attachments: [{ url: 'not a url' }] }, 'attachments.0.url'],
      [{ content: '', attachments: [{}] }, 'attachments.0'],
      [{ content: 'x', attachments: [{ name: 'only a name' }] }, 'attachments.0'],
    ])('refuses the attachments of %j naming %s, and stores nothing', async (payload, field) => {
      const alice = uid('alice');
      const channelId = await channel(alice);
      const res = await send(channelId, alice, payload);
      expect(res.statusCode).toBe(400);
      expect(res.json<{ error: unknown }>().error).toMatchObject({ code: 'VALIDATION_FAILED', field });
      expect(await history(channelId, alice)).toEqual([]);
    });

    it('takes http(s) urls and external ids', async () => {
      const alice = uid('alice');
      const channelId = await channel(alice);
      const res = await send(channelId, alice, {
        content: '',
        attachments: [
          { url: 'https://cdn.example.com/a.png', name: 'a.png', mimeType: 'image/png', size: 10 },
          { url: 'HTTP://example.com/b' },
          { externalId: 'tg-file-1' },
        ],
      });
      expect(res.statusCode).toBe(201);
    });
  });
});
