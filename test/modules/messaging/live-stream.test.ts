import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatId, minIdAt } from '../../../src/modules/messaging/ids.js';
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
    /** Settles when the server ends the response (or the stream is aborted). */
    finished: pump,
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
  afterAll(async () => {
    // fetch's pool can leave a connection it opened but never sent on; server.close() does not
    // count that as idle and would wait for its headers timeout. Every stream is closed by now.
    s.app.server.closeAllConnections();
    await s.close();
  });

  const headers = (user: string, extra: Record<string, string> = {}) => ({
    authorization: `Bearer ${key}`,
    'x-user-id': user,
    ...extra,
  });
  const call = async (method: string, path: string, body?: unknown, user = 'alice') => {
    const res = await fetch(`${base}/v1/channels/${channelId}${path}`, {
      method,
      headers: { ...headers(user), ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    expect(res.status, `${method} ${path}`).toBeLessThan(300);
    return (await res.json()) as Record<string, unknown>;
  };
  const post = async (content: string) => (await call('POST', '/messages', { content })).id as string;
  const events = (lastEventId?: string, query = '') =>
    openSse(
      `${base}/v1/channels/${channelId}/events${query}`,
      headers('bob', lastEventId ? { 'last-event-id': lastEventId } : {}),
    );
  /** The feed as stored, after a cursor: what a resumed stream must deliver, exactly. */
  const stored = async (after: string) => {
    const out: { id: string; type: string }[] = [];
    for await (const { eventId, event } of s.switchboard.messaging.feed.replay(channelId, BigInt(after))) {
      out.push({ id: formatId(eventId), type: event.type });
    }
    return out;
  };
  const ids = (list: SseEvent[]) => list.filter((e) => e.id !== undefined).map((e) => e.id!);
  const created = (list: SseEvent[]) => list.filter((e) => e.event === 'message.created');

  it('refuses a non-member with 403 before streaming', async () => {
    const res = await fetch(`${base}/v1/channels/${channelId}/events`, { headers: headers('mallory') });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_A_MEMBER');
  });

  it('refuses a malformed Last-Event-ID with INVALID_ID', async () => {
    const res = await fetch(`${base}/v1/channels/${channelId}/events`, {
      headers: headers('bob', { 'last-event-id': 'not-an-id' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INVALID_ID');
  });

  it('replays every kind of event missed while away, in order, then goes live with no gap or repeat', async () => {
    const first = await events();
    expect(first.status).toBe(200);
    const m1 = await post('first');
    const m2 = await post('second');
    await call('POST', '/typing');
    await first.waitFor((e) => created(e).length === 2 && e.some((x) => x.event === 'typing'));
    // Typing is ephemeral: no SSE id, never replayed.
    expect(first.events.find((e) => e.event === 'typing')!.id).toBeUndefined();
    for (const e of first.events.filter((x) => x.id)) expect(e.data.eventId).toBe(e.id);
    const lastSeen = ids(first.events).at(-1)!;
    await first.close();

    // While away: one of every kind, over HTTP.
    await call('PATCH', `/messages/${m1}`, { content: 'first, edited' });
    await call('DELETE', `/messages/${m2}`);
    await call('PUT', `/messages/${m1}/reactions/${encodeURIComponent('👍')}`, undefined, 'bob');
    await call('DELETE', `/messages/${m1}/reactions/${encodeURIComponent('👍')}`, undefined, 'bob');
    await call('PUT', `/pins/${m1}`);
    await call('DELETE', `/pins/${m1}`);
    const m3 = await post('third');
    await call('POST', '/typing');
    // Enough more that the replay reads several pages while new events keep arriving.
    const svc = s.switchboard.messaging;
    for (let i = 0; i < 230; i += 1) await svc.messages.send(channelId, 'alice', { content: `away ${i}` });

    let racing = true;
    const racer = (async () => {
      let n = 0;
      while (racing) {
        const id = await post(`during ${n}`);
        await call('PUT', `/messages/${id}/reactions/${encodeURIComponent('🔥')}`, undefined, 'bob');
        n += 1;
      }
      return n;
    })();
    await new Promise((resolve) => setTimeout(resolve, 30));
    const second = await events(lastSeen);
    await new Promise((resolve) => setTimeout(resolve, 300));
    racing = false;
    const raced = await racer;
    expect(raced).toBeGreaterThan(0);
    const after = await post('after reconnect');

    await second.waitFor((e) =>
      created(e).some((x) => x.data.message && (x.data.message as { id: string }).id === after),
    );
    const expected = await stored(lastSeen);
    const got = second.events.filter((e) => e.id !== undefined);
    // Exactly the stored feed after the cursor: same ids, same order, nothing missing or repeated.
    expect(got.map((e) => e.id)).toEqual(expected.map((e) => e.id));
    expect(got.map((e) => e.event)).toEqual(expected.map((e) => e.type));
    expect(new Set(ids(got)).size).toBe(got.length);
    const asBig = got.map((e) => BigInt(e.id!));
    expect(asBig).toEqual([...asBig].sort((a, b) => (a < b ? -1 : 1)));
    expect(asBig[0]! > BigInt(lastSeen)).toBe(true);
    // The missed changes, first and in the order they happened.
    expect(got.slice(0, 7).map((e) => e.event)).toEqual([
      'message.edited',
      'message.deleted',
      'reaction.added',
      'reaction.removed',
      'pin.added',
      'pin.removed',
      'message.created',
    ]);
    expect(got[0]!.data).toMatchObject({ message: { id: m1, content: 'first, edited' } });
    expect(got[1]!.data).toMatchObject({ messageId: m2 });
    expect(got[2]!.data).toMatchObject({ messageId: m1, emoji: '👍', userId: 'bob', count: 1 });
    expect(got[3]!.data).toMatchObject({ messageId: m1, emoji: '👍', count: 0 });
    expect(got[6]!.data).toMatchObject({ message: { id: m3, content: 'third' } });
    // 230 filler messages, and every raced message with its reaction.
    expect(created(got)).toHaveLength(1 + 230 + raced + 1);
    expect(got.filter((e) => e.event === 'reaction.added')).toHaveLength(1 + raced);
    // The typing that happened while away is not replayed.
    expect(second.events.filter((e) => e.event === 'typing')).toHaveLength(0);
    await second.close();
  });

  it('tells a client whose cursor is older than the retention to reset, then carries on', async () => {
    const stale = formatId(minIdAt(Date.now() - 8 * 24 * 60 * 60 * 1000));
    const stream = await events(stale);
    await stream.waitFor((e) => e.length >= 1);
    const [reset] = stream.events;
    expect(reset).toMatchObject({
      event: 'reset',
      data: { type: 'reset', channelId, reason: 'cursor-expired', retentionSeconds: 7 * 24 * 60 * 60 },
    });
    expect(reset!.id).toBe(reset!.data.resumeFrom);
    expect(BigInt(reset!.id!) > BigInt(stale)).toBe(true);
    const id = await post('after a reset');
    await stream.waitFor((e) => created(e).some((x) => (x.data.message as { id: string }).id === id));
    await stream.close();
  });

  it('resumes from ?after=<message id>: everything since that message, not the messages the client has', async () => {
    const a = await post('one');
    const b = await post('two');
    await call('PATCH', `/messages/${a}`, { content: 'one, edited' });
    const stream = await events(undefined, `?after=${a}`);
    await stream.waitFor((e) => e.length >= 2);
    expect(stream.events.map((e) => [e.event, (e.data.message as { id: string }).id])).toEqual([
      ['message.created', b],
      ['message.edited', a],
    ]);
    // Last-Event-ID wins over ?after= (an EventSource reconnecting to this URL sends both).
    const resumed = await events(stream.events[0]!.id, `?after=${a}`);
    await resumed.waitFor((e) => e.length >= 1);
    expect(resumed.events.map((e) => e.event)).toEqual(['message.edited']);
    await stream.close();
    await resumed.close();
  });
  it('ends the stream of a member removed from the channel, and sends them nothing after', async () => {
    const chats = s.switchboard.messaging.chats;
    await chats.addParticipant(channelId, 'alice', 'carol');
    // Resuming from a known message, so a send racing the subscription (Redis) is replayed, not missed.
    const joined = await post('carol joined');
    const stream = await openSse(`${base}/v1/channels/${channelId}/events?after=${joined}`, headers('carol'));
    expect(stream.status).toBe(200);
    const before = await post('while carol is in');
    await stream.waitFor((list) =>
      created(list).some((e) => (e.data.message as { id: string }).id === before),
    );
    await chats.removeParticipant(channelId, 'alice', 'carol');
    await stream.waitFor((list) => list.some((e) => e.event === 'member.removed'));
    // The server ends the response itself; without that, the removed user would keep listening.
    const ended = await Promise.race([
      stream.finished.then(() => true),
      new Promise((resolve) => setTimeout(() => resolve(false), 3000)),
    ]);
    expect(ended).toBe(true);
    const after = await post('after carol left');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(created(stream.events).map((e) => (e.data.message as { id: string }).id)).not.toContain(after);
    await stream.close();
  });
});
