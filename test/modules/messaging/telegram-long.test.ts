import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessagingServices } from '../../../src/modules/messaging/index.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/** Issue 18, item 10: a Telegram text longer than content_max_length is stored whole, never cut. */
const SECRET = 'test-Secret_0123456789';
const ENV = { SWITCHBOARD_MESSAGING_TELEGRAM_BOTS: JSON.stringify([{ id: 'support', secret: SECRET }]) };

describe('long Telegram texts', () => {
  let s: TestServer;
  let svc: MessagingServices;
  beforeAll(async () => {
    s = await createTestServer({ env: ENV });
    svc = s.switchboard.services.messaging;
  });
  afterAll(() => s.close());

  const user = { id: 555000111, is_bot: false, first_name: 'Noa', username: 'noa_1' };
  const chat = { id: user.id, first_name: 'Noa', username: 'noa_1', type: 'private' };
  const webhook = (payload: unknown) =>
    s.app.inject({
      method: 'POST',
      url: '/v1/telegram/webhook/support',
      headers: { 'x-telegram-bot-api-secret-token': SECRET },
      payload: payload as Record<string, unknown>,
    });

  it('stores a 4,096-character text whole (content_max_length is 4,000), and an edit of it whole', async () => {
    const text = 'a'.repeat(4095) + 'Z';
    const res = await webhook({
      update_id: 910001,
      message: { date: 1717171717, message_id: 1, from: user, chat, text },
    });
    expect(res.statusCode).toBe(200);
    const { channelId, messageId } = res.json<{ channelId: string; messageId: string }>();
    const stored = await svc.messages.get(channelId, 'tg-bot:support', BigInt(messageId));
    expect(stored.content).toBe(text);
    expect(await svc.telegram.sync.get(channelId)).toMatchObject({ status: 'ok', lastError: null });
    const edited = 'b'.repeat(4095) + 'Y';
    await webhook({
      update_id: 910002,
      edited_message: {
        date: 1717171717,
        edit_date: 1717171800,
        message_id: 1,
        from: user,
        chat,
        text: edited,
      },
    });
    expect((await svc.messages.get(channelId, 'tg-bot:support', BigInt(messageId))).content).toBe(edited);
  });

  it('a text beyond what Telegram allows is refused and recorded, never cut', async () => {
    const res = await webhook({
      update_id: 910003,
      message: { date: 1717171717, message_id: 2, from: user, chat, text: 'x'.repeat(5000) },
    });
    expect(res.statusCode).toBe(200);
    const channelId = (await svc.chats.listForUser(`tg:${user.id}`))[0]!.id;
    const messages = (await svc.messages.history(channelId, 'tg-bot:support', { limit: 10 })).messages;
    expect(messages.every((m) => m.content.length !== 4000)).toBe(true);
    expect(messages.some((m) => m.content.startsWith('x'))).toBe(false);
    expect(await svc.telegram.sync.get(channelId)).toMatchObject({
      status: 'error',
      lastError: expect.stringContaining('CONTENT_TOO_LONG'),
    });
  });
});
