import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessagingServices, type MessagingServices } from '../../../src/modules/messaging/index.js';
import { messagingMigrations } from '../../../src/modules/messaging/migrations.js';
import { messagingTables } from '../../../src/modules/messaging/tables.js';
import type {
  SimulatedTelegramSender,
  TelegramSendRequest,
  TelegramSender,
} from '../../../src/modules/messaging/telegram/sender.js';
import { createTestContext } from '../../helpers/context.js';
import { telegramMessageMappingTable } from '../../../src/modules/messaging/tables.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

const SECRET = 'test-Secret_0123456789';
const BOTS = JSON.stringify([
  { id: 'support', secret: SECRET },
  { id: 'closed', secret: 'closed-secret', create_channels: false },
]);
const ENV = { SWITCHBOARD_MESSAGING_TELEGRAM_BOTS: BOTS };

const BOT_USER = {
  id: 7000000001,
  is_bot: true,
  first_name: 'Switchboard Support',
  username: 'sb_support_bot',
};

function person(id: number, firstName: string) {
  return {
    id,
    is_bot: false,
    first_name: firstName,
    last_name: 'Levi',
    username: `${firstName.toLowerCase()}_${id}`,
    language_code: 'en',
  };
}

function privateChat(user: ReturnType<typeof person>) {
  return {
    id: user.id,
    first_name: user.first_name,
    last_name: user.last_name,
    username: user.username,
    type: 'private',
  };
}

/** A Bot API Update carrying a `message` (or another message kind), shaped as Telegram sends it. */
function messageUpdate(
  updateId: number,
  message: Record<string, unknown>,
  kind: 'message' | 'edited_message' | 'channel_post' | 'edited_channel_post' = 'message',
) {
  return { update_id: updateId, [kind]: { date: 1717171717, ...message } };
}

describe('Telegram bridge over HTTP', () => {
  let s: TestServer;
  let svc: MessagingServices;
  let key: string;
  const webhook = (payload: unknown, secret: string | null = SECRET, botId = 'support') =>
    s.app.inject({
      method: 'POST',
      url: `/v1/telegram/webhook/${botId}`,
      headers: secret === null ? {} : { 'x-telegram-bot-api-secret-token': secret },
      payload: payload as Record<string, unknown>,
    });
  const history = async (channelId: string) =>
    (await svc.messages.history(channelId, 'tg-bot:support', { limit: 100 })).messages;

  beforeAll(async () => {
    s = await createTestServer({ env: ENV });
    svc = s.switchboard.services.messaging;
    key = await s.keyWithScope('write');
  });
  afterAll(() => s.close());

  it('refuses a missing or wrong secret, or an unknown bot, with 401 and stores nothing', async () => {
    const mallory = person(111000111, 'Mallory');
    const update = messageUpdate(900001, {
      message_id: 1,
      from: mallory,
      chat: privateChat(mallory),
      text: 'let me in',
    });
    for (const [secret, botId] of [
      [null, 'support'],
      ['wrong-secret', 'support'],
      [SECRET.slice(0, -1), 'support'],
      [SECRET, 'no-such-bot'],
    ] as const) {
      const res = await webhook(update, secret, botId);
      expect(res.statusCode, `${secret} ${botId}`).toBe(401);
      expect(res.json().error.code).toBe('TELEGRAM_SECRET_INVALID');
    }
    expect(await svc.chats.listForUser('tg-bot:support')).toEqual([]);
    expect(await svc.chats.listForUser(`tg:${mallory.id}`)).toEqual([]);
    expect(
      await s.switchboard.context.wideColumn.get(telegramMessageMappingTable, {
        telegram_message_id: 1n,
        telegram_chat_id: BigInt(mallory.id),
      }),
    ).toBeNull();
  });

  it('stores a message once when the same update is delivered twice, and twice at the same moment', async () => {
    const dana = person(123456789, 'Dana');
    const first = messageUpdate(900010, {
      message_id: 1365,
      from: dana,
      chat: privateChat(dana),
      text: 'Can we move it to 11:00?',
    });
    const stored = await webhook(first);
    expect(stored.statusCode).toBe(200);
    expect(stored.json()).toMatchObject({ ok: true, outcome: 'stored' });
    const { channelId, messageId } = stored.json<{ channelId: string; messageId: string }>();
    const again = await webhook(first);
    expect(again.json()).toMatchObject({ outcome: 'duplicate', channelId, messageId });

    const burst = messageUpdate(900011, {
      message_id: 1366,
      from: dana,
      chat: privateChat(dana),
      text: 'Or 11:30 works too',
    });
    const answers = await Promise.all(Array.from({ length: 6 }, () => webhook(burst)));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(6).fill(200));
    const outcomes = answers.map((a) => a.json<{ outcome: string }>().outcome).sort();
    expect(outcomes).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate', 'duplicate', 'stored']);
    expect(new Set(answers.map((a) => a.json<{ messageId: string }>().messageId)).size).toBe(1);

    const messages = await history(channelId);
    expect(messages.map((m) => m.content)).toEqual(['Or 11:30 works too', 'Can we move it to 11:00?']);
    expect(messages[1]).toMatchObject({ senderId: `tg:${dana.id}`, source: 'telegram', messageType: 'text' });
    const channel = await svc.chats.get(channelId, 'tg-bot:support');
    expect(channel).toMatchObject({ title: 'Telegram: Dana Levi', kind: 'support' });
    expect(channel.participants.map((p) => p.userId).sort()).toEqual(['tg-bot:support', `tg:${dana.id}`]);
  });

  it('opens one channel for a new chat even when its first messages arrive at once', async () => {
    const group = { id: -1001500000001, title: 'Branch staff', type: 'supergroup' };
    const updates = [1, 2, 3, 4].map((n) =>
      messageUpdate(900100 + n, {
        message_id: n,
        from: person(200000000 + n, `Staff${n}`),
        chat: group,
        text: `hello ${n}`,
      }),
    );
    const answers = await Promise.all(updates.map((u) => webhook(u)));
    const channels = new Set(answers.map((a) => a.json<{ channelId: string }>().channelId));
    expect(channels.size).toBe(1);
    const [channelId] = [...channels];
    expect((await history(channelId!)).length).toBe(4);
    expect((await svc.chats.get(channelId!, 'tg-bot:support')).kind).toBe('group');
  });

  it('applies an edit to the mapped message, once', async () => {
    const eli = person(123456790, 'Eli');
    const original = messageUpdate(900200, {
      message_id: 50,
      from: eli,
      chat: privateChat(eli),
      text: 'My order is 8821',
    });
    const { channelId, messageId } = (await webhook(original)).json<{
      channelId: string;
      messageId: string;
    }>();
    const edit = messageUpdate(
      900201,
      { message_id: 50, from: eli, chat: privateChat(eli), edit_date: 1717171800, text: 'My order is 8812' },
      'edited_message',
    );
    expect((await webhook(edit)).json()).toMatchObject({ outcome: 'edited', channelId, messageId });
    expect((await webhook(edit)).json()).toMatchObject({ outcome: 'unchanged', messageId });
    const messages = await history(channelId);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.content).toBe('My order is 8812');
    expect(messages[0]!.editedAt).not.toBeNull();
    // The index follows edits made through the bridge too.
    expect((await svc.search.inChannel(channelId, 'tg-bot:support', { q: '8812' })).messages).toHaveLength(1);
    expect((await svc.search.inChannel(channelId, 'tg-bot:support', { q: '8821' })).messages).toHaveLength(0);
  });

  it('keeps media as attachment metadata, captions as content, replies as reply ids, and channel posts by the chat', async () => {
    const post = {
      update_id: 900300,
      channel_post: {
        message_id: 88,
        sender_chat: { id: -1001234567890, title: 'Branch news', type: 'channel' },
        chat: { id: -1001234567890, title: 'Branch news', type: 'channel' },
        date: 1717172000,
        photo: [
          {
            file_id: 'AgACAgQAAxkBAAIBY2Z',
            file_unique_id: 'AQADt7ExG',
            file_size: 1262,
            width: 90,
            height: 67,
          },
          {
            file_id: 'AgACAgQAAxkBAAIBY2Y',
            file_unique_id: 'AQADt7ExH',
            file_size: 51744,
            width: 800,
            height: 600,
          },
        ],
        caption: 'The downtown branch opens at 9:00 tomorrow.',
      },
    };
    const { channelId, messageId } = (await webhook(post)).json<{ channelId: string; messageId: string }>();
    const reply = {
      update_id: 900301,
      channel_post: {
        message_id: 89,
        sender_chat: { id: -1001234567890, title: 'Branch news', type: 'channel' },
        chat: { id: -1001234567890, title: 'Branch news', type: 'channel' },
        date: 1717172100,
        reply_to_message: post.channel_post,
        document: {
          file_name: 'hours.pdf',
          mime_type: 'application/pdf',
          file_id: 'BQACAgQAAxkBAAIBZGZ',
          file_unique_id: 'AgADx0cAAm',
          file_size: 20480,
        },
      },
    };
    expect((await webhook(reply)).json()).toMatchObject({ outcome: 'stored', channelId });
    const [doc, photo] = await history(channelId);
    expect(photo).toMatchObject({
      content: 'The downtown branch opens at 9:00 tomorrow.',
      messageType: 'photo',
      senderId: 'tg-chat:-1001234567890',
      attachments: [{ externalId: 'AgACAgQAAxkBAAIBY2Y', mimeType: 'image/jpeg', size: 51744 }],
    });
    expect(doc).toMatchObject({
      content: '',
      messageType: 'document',
      replyToId: BigInt(messageId),
      attachments: [
        { externalId: 'BQACAgQAAxkBAAIBZGZ', name: 'hours.pdf', mimeType: 'application/pdf', size: 20480 },
      ],
    });
  });

  it('mirrors Switchboard messages to the linked chat and does not store their echo again', async () => {
    const fay = person(123456791, 'Fay');
    const { channelId } = (
      await webhook(
        messageUpdate(900400, {
          message_id: 7,
          from: fay,
          chat: privateChat(fay),
          text: 'Is my card ready?',
        }),
      )
    ).json<{ channelId: string }>();
    const sender = svc.telegram.sender as SimulatedTelegramSender;
    const before = sender.sent.length;
    await svc.telegram.mirror.flush();
    expect(sender.sent.length).toBe(before); // a message from Telegram is not sent back

    await svc.chats.addParticipant(channelId, 'tg-bot:support', 'agent-7', 'admin');
    const reply = await s.app.inject({
      method: 'POST',
      url: `/v1/channels/${channelId}/messages`,
      headers: { ...s.auth(key), 'x-user-id': 'agent-7' },
      payload: { content: 'Yes, you can pick it up today.', source: 'web' },
    });
    expect(reply.statusCode).toBe(201);
    await svc.telegram.mirror.flush();
    const sent = sender.sent.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      botId: 'support',
      chatId: fay.id,
      text: 'Yes, you can pick it up today.',
    });

    const echo = messageUpdate(900401, {
      message_id: sent[0]!.messageId,
      from: BOT_USER,
      chat: privateChat(fay),
      text: 'Yes, you can pick it up today.',
    });
    expect((await webhook(echo)).json()).toMatchObject({
      outcome: 'duplicate',
      channelId,
      messageId: reply.json().id,
    });
    expect((await history(channelId)).map((m) => m.content)).toEqual([
      'Yes, you can pick it up today.',
      'Is my card ready?',
    ]);
  });

  it('acknowledges and records updates it does not store, and keeps the sync state', async () => {
    const gil = person(123456792, 'Gil');
    const { channelId } = (
      await webhook(messageUpdate(900500, { message_id: 3, from: gil, chat: privateChat(gil), text: 'hi' }))
    ).json<{ channelId: string }>();
    const callback = {
      update_id: 900501,
      callback_query: {
        id: '4382bfdwdsb323b2d9',
        from: gil,
        message: {
          message_id: 3,
          from: BOT_USER,
          chat: privateChat(gil),
          date: 1717171717,
          text: 'Choose a time',
        },
        chat_instance: '-7372739872489',
        data: 'slot:1030',
      },
    };
    const location = messageUpdate(900502, {
      message_id: 4,
      from: gil,
      chat: privateChat(gil),
      location: { latitude: 32.0853, longitude: 34.7818 },
    });
    for (const update of [callback, location, callback]) {
      const res = await webhook(update);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ ok: true, outcome: 'ignored' });
    }
    const ignored = await svc.telegram.ignoredUpdates('support');
    expect(ignored.filter((i) => i.updateId >= 900501).map((i) => [i.updateId, i.kind])).toEqual([
      [900502, 'message'],
      [900501, 'callback_query'],
    ]);
    expect((await history(channelId)).map((m) => m.content)).toEqual(['hi']);

    const closed = await webhook(
      messageUpdate(900503, {
        message_id: 1,
        from: gil,
        chat: privateChat(gil),
        text: 'to a bot without channels',
      }),
      'closed-secret',
      'closed',
    );
    expect(closed.json()).toMatchObject({ outcome: 'ignored' });
    const ido = person(123456794, 'Ido');
    const unlinked = await webhook(
      messageUpdate(900504, { message_id: 1, from: ido, chat: privateChat(ido), text: 'anyone there?' }),
      'closed-secret',
      'closed',
    );
    expect(unlinked.json()).toMatchObject({ outcome: 'ignored' });
    expect((await svc.telegram.ignoredUpdates('closed')).map((i) => [i.updateId, i.reason])).toEqual([
      [900504, 'chat has no linked channel'],
      [900503, 'private chat is linked to another bot'],
    ]);
    expect((await history(channelId)).map((m) => m.content)).toEqual(['hi']);

    const state = await s.app.inject({
      url: `/v1/channels/${channelId}/telegram`,
      headers: { ...s.auth(key), 'x-user-id': `tg:${gil.id}` },
    });
    expect(state.statusCode).toBe(200);
    expect(state.json().syncState).toMatchObject({
      telegramChatId: gil.id,
      lastUpdateId: 900502,
      status: 'ignored',
    });
  });

  it('documents the webhook with a Telegram update example', async () => {
    const doc = (await s.app.inject({ url: '/docs/json' })).json<{
      paths: Record<string, Record<string, unknown>>;
    }>();
    const post = doc.paths['/v1/telegram/webhook/{botId}']!.post as {
      requestBody: { content: Record<string, { schema: unknown }> };
    };
    expect(JSON.stringify(post.requestBody)).toContain('"update_id":874512036');
  });
});

describe('Telegram ingest after a crash between claim and store', () => {
  let s: TestServer;
  const clock = new ManualClock(new Date());
  beforeAll(async () => {
    s = await createTestServer({ env: ENV, clock });
  });
  afterAll(() => s.close());

  it('completes an abandoned claim under the claimed id, once', async () => {
    const svc = s.switchboard.services.messaging;
    const webhook = (payload: unknown) =>
      s.app.inject({
        method: 'POST',
        url: '/v1/telegram/webhook/support',
        headers: { 'x-telegram-bot-api-secret-token': SECRET },
        payload: payload as Record<string, unknown>,
      });
    const hana = person(123456793, 'Hana');
    const { channelId } = (
      await webhook(
        messageUpdate(900600, { message_id: 10, from: hana, chat: privateChat(hana), text: 'first' }),
      )
    ).json<{ channelId: string }>();

    // What a delivery that died right after claiming leaves behind: a claim, no message.
    const claimedId = await svc.ids.next();
    const { bucketOfId } = await import('../../../src/modules/messaging/buckets.js');
    await s.switchboard.context.wideColumn.insert(telegramMessageMappingTable, {
      telegram_message_id: 11n,
      telegram_chat_id: BigInt(hana.id),
      channel_id: channelId,
      message_id: claimedId,
      bucket: bucketOfId(claimedId),
      created_at: clock.now(),
    });
    const update = messageUpdate(900601, {
      message_id: 11,
      from: hana,
      chat: privateChat(hana),
      text: 'second',
    });

    // While the claim is fresh, a redelivery cannot tell a crash from a slow peer: it asks Telegram to retry.
    const early = await webhook(update);
    expect(early.statusCode).toBe(503);
    expect(early.json().error.code).toBe('CONTENDED');

    clock.advance(31_000);
    const late = await webhook(update);
    expect(late.json()).toMatchObject({ outcome: 'stored', messageId: claimedId.toString() });
    expect((await webhook(update)).json()).toMatchObject({
      outcome: 'duplicate',
      messageId: claimedId.toString(),
    });
    const page = await svc.messages.history(channelId, 'tg-bot:support');
    expect(page.messages.map((m) => [m.id, m.content])).toEqual([
      [claimedId, 'second'],
      [page.messages[1]!.id, 'first'],
    ]);
  });
});

describe('Telegram outbox', () => {
  const link = async (svc: MessagingServices, who: ReturnType<typeof person>, updateId: number) => {
    const result = await svc.telegram.handleUpdate(
      'support',
      messageUpdate(updateId, {
        message_id: 1,
        from: who,
        chat: privateChat(who),
        text: 'hello',
      }) as never,
    );
    const channelId = (result as { channelId: string }).channelId;
    await svc.chats.addParticipant(channelId, 'tg-bot:support', 'agent-9', 'admin');
    return channelId;
  };

  it('sends a message queued before the process stopped once after reopening, and drops its echo', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-outbox-'));
    const ivy = person(123456795, 'Ivy');
    let channelId: string;
    let messageId: string;
    const first = await createTestServer({ env: ENV, dataDir });
    try {
      const svc = first.switchboard.services.messaging;
      channelId = await link(svc, ivy, 910000);
      const key = await first.keyWithScope('write');
      const sent = await first.app.inject({
        method: 'POST',
        url: `/v1/channels/${channelId}/messages`,
        headers: { ...first.auth(key), 'x-user-id': 'agent-9' },
        payload: { content: 'Your appointment is confirmed.', source: 'web' },
      });
      expect(sent.statusCode).toBe(201);
      messageId = sent.json<{ id: string }>().id;
      // The relay never ran in this process: the send is only in the outbox.
      expect((svc.telegram.sender as SimulatedTelegramSender).sent).toEqual([]);
      await svc.ids.stop();
    } finally {
      await first.close();
    }

    const second = await createTestServer({ env: ENV, dataDir });
    try {
      const svc = second.switchboard.services.messaging;
      const sender = svc.telegram.sender as SimulatedTelegramSender;
      await second.switchboard.startWorkers();
      const deadline = Date.now() + 10_000;
      while (sender.sent.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await svc.telegram.mirror.flush();
      expect(sender.sent).toHaveLength(1);
      expect(sender.sent[0]).toMatchObject({
        botId: 'support',
        chatId: ivy.id,
        text: 'Your appointment is confirmed.',
      });
      const echo = await svc.telegram.handleUpdate(
        'support',
        messageUpdate(910001, {
          message_id: sender.sent[0]!.messageId,
          from: BOT_USER,
          chat: privateChat(ivy),
          text: 'Your appointment is confirmed.',
        }) as never,
      );
      expect(echo).toMatchObject({ outcome: 'duplicate', channelId, messageId: BigInt(messageId) });
      const page = await svc.messages.history(channelId, 'agent-9');
      expect(page.messages.map((m) => m.content)).toEqual(['Your appointment is confirmed.', 'hello']);
      await new Promise((r) => setTimeout(r, 1200)); // past a poll: nothing is sent again
      expect(sender.sent).toHaveLength(1);
    } finally {
      await second.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('retries a failing send with backoff, keeps per-chat order, and records what ran out of attempts', async () => {
    const ctx = await createTestContext({ env: ENV });
    await ctx.wideColumn.applySchema(messagingTables);
    await ctx.relational.migrate([{ module: 'messaging', migrations: messagingMigrations }]);
    const delivered: TelegramSendRequest[] = [];
    let failuresLeft = 2;
    let down = false;
    const sender: TelegramSender = {
      async send(request) {
        if (down) throw new Error('telegram unreachable');
        if (request.text === 'first' && failuresLeft-- > 0) throw new Error('429 Too Many Requests');
        delivered.push(request);
        return { messageId: 700 + delivered.length };
      },
    };
    const svc = createMessagingServices(ctx, {
      telegramSender: sender,
      telegramMirrorTiming: { pollMs: 20, backoffMs: 10 },
    });
    try {
      const jon = person(123456796, 'Jon');
      const channelId = await link(svc, jon, 920000);
      await svc.telegram.mirror.start();
      for (const content of ['first', 'second', 'third']) {
        await svc.messages.send(channelId, 'agent-9', { content, source: 'web' });
      }
      // Deadlines are waits for a condition, not timings: on a loaded 2-core machine with the
      // store on Cassandra, three attempts with backoff can take seconds.
      const deadline = Date.now() + 30_000;
      while (delivered.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      // Two 429s on "first" held the others back: Telegram still gets them in send order.
      expect(delivered.map((d) => d.text)).toEqual(['first', 'second', 'third']);

      down = true;
      await svc.messages.send(channelId, 'agent-9', { content: 'lost', source: 'web' });
      const until = Date.now() + 30_000;
      while ((await svc.telegram.mirror.failed()).length === 0 && Date.now() < until)
        await new Promise((r) => setTimeout(r, 10));
      const [failed] = await svc.telegram.mirror.failed();
      expect(failed).toMatchObject({
        channelId,
        chatId: jon.id,
        attempts: 3,
        lastError: 'telegram unreachable',
      });
      expect(await svc.telegram.sync.get(channelId)).toMatchObject({ status: 'error' });
    } finally {
      await svc.telegram.mirror.stop();
      await svc.ids.stop();
      await ctx.cleanup();
    }
  });
});
