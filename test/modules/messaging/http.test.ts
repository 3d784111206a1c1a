import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../helpers/server.js';

describe('messaging over HTTP', () => {
  let s: TestServer;
  let key: string;
  let channelId: string;
  const as = (user: string) => ({ ...s.auth(key), 'x-user-id': user });

  beforeAll(async () => {
    s = await createTestServer();
    key = await s.keyWithScope('write');
    const res = await s.app.inject({
      method: 'POST',
      url: '/v1/channels',
      headers: as('alice'),
      payload: {
        title: 'Support: loan #8812',
        kind: 'support',
        participants: [{ userId: 'agent-7', role: 'admin' }],
      },
    });
    expect(res.statusCode).toBe(201);
    channelId = res.json<{ id: string }>().id;
  });
  afterAll(() => s.close());

  it('sends, lists and reads messages with ids as decimal strings', async () => {
    const sent = await s.app.inject({
      method: 'POST',
      url: `/v1/channels/${channelId}/messages`,
      headers: as('alice'),
      payload: { content: 'hello', source: 'web' },
    });
    expect(sent.statusCode).toBe(201);
    const message = sent.json<{ id: string; content: string }>();
    expect(message.id).toMatch(/^\d{15,19}$/);
    const page = await s.app.inject({
      url: `/v1/channels/${channelId}/messages?limit=10`,
      headers: as('agent-7'),
    });
    expect(page.statusCode).toBe(200);
    expect(page.json<{ messages: { id: string }[] }>().messages.map((m) => m.id)).toEqual([message.id]);
    const react = await s.app.inject({
      method: 'PUT',
      url: `/v1/channels/${channelId}/messages/${message.id}/reactions/${encodeURIComponent('👍')}`,
      headers: as('agent-7'),
    });
    expect(react.json()).toEqual({ changed: true, emoji: '👍', count: 1 });
    const unread = await s.app.inject({ url: `/v1/channels/${channelId}/unread`, headers: as('agent-7') });
    expect(unread.json()).toMatchObject({ count: 1, display: '1' });
  });

  it('answers with the catalogue codes: NOT_A_MEMBER, INVALID_ID, MESSAGE_NOT_FOUND, CONTENT_TOO_LONG, limit', async () => {
    const cases: [string, string, Record<string, unknown> | undefined, string, number, string?][] = [
      ['GET', `/v1/channels/${channelId}/messages`, undefined, 'NOT_A_MEMBER', 403],
      ['GET', `/v1/channels/${channelId}/messages?before=abc`, undefined, 'INVALID_ID', 400, 'before'],
      ['GET', `/v1/channels/${channelId}/messages/123`, undefined, 'MESSAGE_NOT_FOUND', 404],
      ['GET', `/v1/channels/${channelId}/messages?limit=500`, undefined, 'VALIDATION_FAILED', 400, 'limit'],
      [
        'POST',
        `/v1/channels/${channelId}/messages`,
        { content: 'x'.repeat(5000) },
        'CONTENT_TOO_LONG',
        400,
        'content',
      ],
    ];
    for (const [method, url, payload, code, status, field] of cases) {
      const user = code === 'NOT_A_MEMBER' ? 'mallory' : 'alice';
      const res = await s.app.inject({
        method: method as 'GET',
        url,
        headers: as(user),
        ...(payload ? { payload } : {}),
      });
      expect(res.statusCode, `${method} ${url}`).toBe(status);
      expect(res.json<{ error: { code: string; field?: string } }>().error).toMatchObject({
        code,
        ...(field ? { field } : {}),
      });
    }
    const noUser = await s.app.inject({ url: `/v1/channels/${channelId}/messages`, headers: s.auth(key) });
    expect(noUser.statusCode).toBe(400);
    expect(noUser.json<{ error: { field: string } }>().error.field).toBe('headers.x-user-id');
  });

  it('counts characters as people do, and refuses text it could not store as sent, writing nothing', async () => {
    const send = (payload: unknown) =>
      s.app.inject({
        method: 'POST',
        url: `/v1/channels/${channelId}/messages`,
        headers: { ...as('alice'), 'content-type': 'application/json' },
        payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
      });
    const history = async () =>
      (
        await s.app.inject({ url: `/v1/channels/${channelId}/messages?limit=100`, headers: as('alice') })
      ).json<{ messages: { content: string }[] }>().messages;
    // 4,000 emoji are 4,000 characters (8,000 UTF-16 units): within the default limit.
    const emoji = '😀'.repeat(4000);
    const fits = await send({ content: emoji });
    expect(fits.statusCode).toBe(201);
    expect((await history())[0]!.content).toBe(emoji);
    const before = await history();
    const over = await send({ content: `${emoji}😀` });
    expect(over.statusCode).toBe(400);
    expect(over.json().error).toMatchObject({ code: 'CONTENT_TOO_LONG', field: 'content' });
    expect(over.json().error.message).toContain('4001 characters');
    // Half a surrogate pair would be stored as U+FFFD: the 201 and every read would disagree.
    const lone = await send('{"content":"x\\ud800y"}');
    expect(lone.statusCode).toBe(400);
    expect(lone.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'body.content' });
    const blank = await send({ content: '   ' });
    expect(blank.statusCode).toBe(400);
    expect(blank.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'content' });
    expect(await history()).toEqual(before);
    // A paired surrogate (any emoji) escaped in JSON is fine.
    const escaped = await send('{"content":"ok \\ud83d\\ude00"}');
    expect(escaped.statusCode).toBe(201);
    expect(escaped.json().content).toBe('ok 😀');
  });

  it('refuses a channel title with control characters and a participant listed twice', async () => {
    const create = (payload: Record<string, unknown>) =>
      s.app.inject({ method: 'POST', url: '/v1/channels', headers: as('alice'), payload });
    const control = await create({ title: 'a\u0000b', kind: 'group' });
    expect(control.statusCode).toBe(400);
    expect(control.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'title' });
    const twice = await create({
      title: 'twice',
      kind: 'group',
      participants: [{ userId: 'bob' }, { userId: 'bob', role: 'admin' }],
    });
    expect(twice.statusCode).toBe(400);
    expect(twice.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'participants.1.userId' });
    const listed = await s.app.inject({ url: '/v1/channels', headers: as('bob') });
    expect(listed.json<{ channels: unknown[] }>().channels).toEqual([]);
  });

  it('documents the routes in OpenAPI', async () => {
    const doc = await s.app.inject({ url: '/docs/json' });
    const paths = Object.keys(doc.json<{ paths: Record<string, unknown> }>().paths);
    expect(paths).toContain('/v1/channels/{channelId}/messages');
    expect(paths).toContain('/v1/channels/{channelId}/events');
  });
});
