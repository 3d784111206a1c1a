import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../helpers/server.js';

/**
 * GET /v1/messaging/activity: messages sent through the service show in the busiest channels
 * (which also proves messaging-activity.ts reads the counter key LiveCounters writes).
 */
let t: TestServer;
let write: Record<string, string>;
let read: Record<string, string>;

beforeAll(async () => {
  t = await createTestServer();
  write = { ...t.auth(await t.keyWithScope('write')), 'x-user-id': 'user-1' };
  read = t.auth(await t.keyWithScope('read'));
});
afterAll(async () => {
  await t?.close();
});

describe('GET /v1/messaging/activity', () => {
  it('ranks channels by messages in the last two minutes, with totals and the Telegram outbox', async () => {
    const channel = async (title: string, messages: number) => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/channels',
        headers: write,
        payload: { title, kind: 'group' },
      });
      expect(res.statusCode, res.body).toBe(201);
      const id = res.json().id as string;
      for (let i = 0; i < messages; i += 1) {
        const sent = await t.app.inject({
          method: 'POST',
          url: `/v1/channels/${id}/messages`,
          headers: write,
          payload: { content: `hello ${i}` },
        });
        expect(sent.statusCode, sent.body).toBe(201);
      }
      return id;
    };
    const quiet = await channel('quiet', 1);
    const busy = await channel('busy', 4);
    await channel('silent', 0);

    // The live counter may be bumped after the send answers (by an effects pass): wait for it.
    const activity = async () => {
      const res = await t.app.inject({ method: 'GET', url: '/v1/messaging/activity', headers: read });
      expect(res.statusCode, res.body).toBe(200);
      return res.json();
    };
    let body = await activity();
    const deadline = Date.now() + 10_000;
    while (body.messagesThisMinute + body.messagesLastMinute < 5 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      body = await activity();
    }
    expect(body.scanned).toBe(3);
    expect(body.truncated).toBe(false);
    // A minute boundary may fall between the sends: this minute and last minute together hold them all.
    expect(body.messagesThisMinute + body.messagesLastMinute).toBe(5);
    expect(body.busiest.map((c: { channelId: string }) => c.channelId)).toEqual([busy, quiet]);
    expect(body.busiest[0]).toMatchObject({ title: 'busy', kind: 'group', messagesTotal: 4 });
    expect(body.telegram).toEqual({
      linkedChats: 0,
      pending: 0,
      failed: 0,
      oldestPendingSeconds: null,
      lastError: null,
      ignoredUpdatesLastHour: 0,
    });
  });

  it('says when it looked at only some channels, and needs a key', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/messaging/activity?scan=2', headers: read });
    expect(res.json()).toMatchObject({ scanned: 2, truncated: true });
    expect((await t.app.inject({ method: 'GET', url: '/v1/messaging/activity' })).statusCode).toBe(401);
  });
});
