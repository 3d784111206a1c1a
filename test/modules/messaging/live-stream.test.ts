import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../helpers/server.js';

interface SseEvent {
  id?: string;
  event: string;
  data: Record<string, unknown>;
}

/** Reads an SSE response over real HTTP, parsing frames as they arrive. */
async function openSse(url: string, headers: Record<string, string>) {
  const controller = new AbortController();
  const res = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  });
  const events: SseEvent[] = [];
  const waiters: (() => void)[] = [];
  let text = '';
  const pump = (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = text.indexOf('\n\n')) !== -1) {
          const frame = text.slice(0, end);
          text = text.slice(end + 2);
          const fields: Record<string, string> = {};
          for (const line of frame.split('\n')) {
            if (line.startsWith(':') || !line.includes(':')) continue;
            const i = line.indexOf(':');
            fields[line.slice(0, i)] = line.slice(i + 1).trimStart();
          }
          if (fields.event) {
            events.push({
              ...(fields.id ? { id: fields.id } : {}),
              event: fields.event,
              data: JSON.parse(fields.data ?? '{}'),
            });
            waiters.splice(0).forEach((w) => w());
          }
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    status: res.status,
    events,
    async waitFor(predicate: (events: SseEvent[]) => boolean, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(events)) {
        if (Date.now() > deadline)
          throw new Error(`timed out; have ${JSON.stringify(events.map((e) => e.event))}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
    async close() {
      controller.abort();
      await pump;
    },
  };
}

describe('live channel stream (SSE over real HTTP)', () => {
  let s: TestServer;
  let base: string;
  let key: string;
  let channelId: string;

  beforeAll(async () => {
    s = await createTestServer();
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    const address = s.app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    key = await s.keyWithScope('write');
    channelId = (
      await s.switchboard.messaging.chats.create('alice', {
        title: 'live',
        kind: 'group',
        participants: [{ userId: 'bob' }],
      })
    ).id;
  });
  afterAll(() => s.close());

  const headers = (user: string, extra: Record<string, string> = {}) => ({
    authorization: `Bearer ${key}`,
    'x-user-id': user,
    ...extra,
  });
  const post = async (content: string) => {
    const res = await fetch(`${base}/v1/channels/${channelId}/messages`, {
      method: 'POST',
      headers: { ...headers('alice'), 'content-type': 'application/json' },
      body: JSON.stringify({ content }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };
  const created = (events: SseEvent[]) => events.filter((e) => e.event === 'message.created');

  it('refuses a non-member with 403 before streaming', async () => {
    const res = await fetch(`${base}/v1/channels/${channelId}/events`, { headers: headers('mallory') });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_A_MEMBER');
  });

  it('resumes after a reconnect with Last-Event-ID: no gap, no duplicate', async () => {
    const expected: string[] = [];
    const first = await openSse(`${base}/v1/channels/${channelId}/events`, headers('bob'));
    expect(first.status).toBe(200);
    for (let i = 0; i < 3; i += 1) expected.push(await post(`live ${i}`));
    await first.waitFor((e) => created(e).length === 3);
    const typing = await fetch(`${base}/v1/channels/${channelId}/typing`, {
      method: 'POST',
      headers: headers('alice'),
    });
    expect(typing.status).toBe(200);
    await first.waitFor((e) => e.some((x) => x.event === 'typing'));
    const lastSeen = created(first.events).at(-1)!.id!;
    await first.close();

    for (let i = 0; i < 4; i += 1) expected.push(await post(`while away ${i}`));
    // Reconnect while more messages are being posted, so the replay-to-live switch is exercised.
    const racing = Promise.all(Array.from({ length: 5 }, (_, i) => post(`during reconnect ${i}`)));
    const second = await openSse(
      `${base}/v1/channels/${channelId}/events`,
      headers('bob', { 'last-event-id': lastSeen }),
    );
    expected.push(...(await racing));
    for (let i = 0; i < 2; i += 1) expected.push(await post(`after reconnect ${i}`));
    await second.waitFor((e) => created(e).length >= expected.length - 3);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const all = [...created(first.events), ...created(second.events)].map((e) => e.id!);
    expect(new Set(all).size).toBe(all.length);
    expect([...all].sort()).toEqual([...expected].sort());
    // Every created event carries its message id as the SSE id, in id order.
    const resumed = created(second.events).map((e) => BigInt(e.id!));
    expect(resumed).toEqual([...resumed].sort((a, b) => (a < b ? -1 : 1)));
    await second.close();
  });

  it('resumes from ?after= too', async () => {
    const a = await post('one');
    const b = await post('two');
    const stream = await openSse(`${base}/v1/channels/${channelId}/events?after=${a}`, headers('bob'));
    await stream.waitFor((e) => created(e).length >= 1);
    expect(created(stream.events).map((e) => e.id)).toEqual([b]);
    await stream.close();
  });
});
