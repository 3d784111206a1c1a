import {
  convertToModelMessages,
  simulateReadableStream,
  streamText,
  validateUIMessages,
  type UIMessage,
} from 'ai';
import { MockLanguageModelV2 } from 'ai/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatHandler, createChatStore, type ChatStore } from '../../../src/ai-sdk.js';
import { SwitchboardError } from '../../../src/errors/index.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/**
 * A test server of its own for a suite (message ids are turn ids, unique across chats, and the
 * suites reuse simple ones), with a chat store of account user-42 and admin headers.
 */
function serveChats(ready: (server: TestServer, store: ChatStore, headers: Record<string, string>) => void) {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await createTestServer();
    ready(
      server,
      createChatStore(server.switchboard.services.conversations.conversations, { accountUid: 'user-42' }),
      server.auth(server.adminKey),
    );
  });
  afterAll(async () => server?.close());
}

/**
 * Issue 20: AI SDK chats stored as conversation trees (seed 002). Round trips with the `ai`
 * package's own UIMessage type, a real streamText run against ai/test's mock model through the
 * useChat-shaped handler, and the same chat read through /v1/conversations (and the reverse).
 */
describe('AI SDK chat persistence on the conversations module (issue 20)', () => {
  let t: TestServer;
  let store: ChatStore;
  let headers: Record<string, string>;
  serveChats((server, chats, auth) => {
    t = server;
    store = chats;
    headers = auth;
  });
  it('stores every kind of UI part and loads the same messages back', async () => {
    const id = await store.createChat();
    const messages: UIMessage[] = [
      { id: 'u1', role: 'user', parts: [{ type: 'text', text: 'What is 24k gold today in Chennai?' }] },
      {
        id: 'a1',
        role: 'assistant',
        parts: [
          { type: 'step-start' },
          { type: 'reasoning', text: 'Need the price tool.', state: 'done' },
          {
            type: 'tool-goldPrice',
            toolCallId: 'call-1',
            state: 'output-available',
            input: { city: 'Chennai' },
            output: { price24k: '8125.94' },
          },
          { type: 'step-start' },
          { type: 'text', text: '₹8,125.94 per gram.', state: 'done' },
          { type: 'source-url', sourceId: 's1', url: 'https://example.org/gold' },
          { type: 'file', mediaType: 'image/png', url: 'data:image/png;base64,iVBORw0KGgo=' },
        ],
      },
    ];
    await store.saveChat({ id, messages });
    expect(await store.loadChat(id)).toEqual(messages);
    // Saving the same list again writes nothing new.
    await store.saveChat({ id, messages });
    const tree = await t.switchboard.services.conversations.conversations.loadTree(id);
    expect(tree.turns).toHaveLength(2);
  });

  it('keeps a regenerated answer as a branch and switches back to the old one', async () => {
    const id = await store.createChat();
    const user: UIMessage = { id: 'q', role: 'user', parts: [{ type: 'text', text: 'Branch hours?' }] };
    const answer = (mid: string, text: string): UIMessage => ({
      id: mid,
      role: 'assistant',
      parts: [{ type: 'text', text, state: 'done' }],
    });
    await store.saveChat({ id, messages: [user, answer('first', '10 to 5')] });
    await store.saveChat({ id, messages: [user, answer('second', '10 to 6 on weekdays')] });
    expect((await store.loadChat(id)).map((m) => m.id)).toEqual(['q', 'second']);
    const children = await t.app.inject({
      url: `/v1/conversations/sessions/${id}/turns/q/children`,
      headers,
    });
    expect(
      children
        .json()
        .children.map((c: { turnUid: string }) => c.turnUid)
        .sort(),
    ).toEqual(['first', 'second']);
    await store.saveChat({ id, messages: [user, answer('first', '10 to 5')] });
    expect((await store.loadChat(id)).map((m) => m.id)).toEqual(['q', 'first']);
  });

  it('runs useChat’s request through streamText and stores the streamed answer', async () => {
    const model = new MockLanguageModelV2({
      doStream: async () => ({
        stream: simulateReadableStream({
          chunks: [
            { type: 'stream-start', warnings: [] },
            { type: 'text-start', id: 't1' },
            { type: 'text-delta', id: 't1', delta: 'Your visit ' },
            { type: 'text-delta', id: 't1', delta: 'is booked.' },
            { type: 'text-end', id: 't1' },
            {
              type: 'finish',
              finishReason: 'stop',
              usage: { inputTokens: 12, outputTokens: 4, totalTokens: 16 },
            },
          ],
        }),
      }),
    });
    const handle = chatHandler(store, ({ messages }) =>
      streamText({ model, messages: convertToModelMessages(messages) }),
    );
    const id = 'chat-web-1';
    const request = (messages: UIMessage[]) =>
      new Request('http://local/api/chat', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id, messages, trigger: 'submit-message' }),
      });
    const response = await handle(
      request([{ id: 'm1', role: 'user', parts: [{ type: 'text', text: 'Book me a visit' }] }]),
    );
    expect(response.status).toBe(200);
    const streamed = await response.text();
    expect(streamed).toContain('is booked.');
    const messageId = /"type":"start","messageId":"([^"]+)"/.exec(streamed)?.[1];
    expect(messageId).toBeTruthy();

    const saved = await store.loadChat(id);
    expect(saved.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(saved[1]!.id).toBe(messageId);
    expect(saved[1]!.parts.filter((p) => p.type === 'text')).toEqual([
      { type: 'text', text: 'Your visit is booked.', state: 'done' },
    ]);
    // The same chat, as a conversation through the HTTP API.
    const conversation = (
      await t.app.inject({ url: `/v1/conversations/sessions/${id}/conversation`, headers })
    ).json();
    expect(conversation.turns.map((turn: { prompt: string | null }) => turn.prompt)).toEqual([
      'Book me a visit',
      null,
    ]);
    expect(JSON.stringify(conversation.turns[1].steps)).toContain('Your visit is booked.');

    // The next prompt, with the messages as the client holds them: the answer is not stored twice.
    const next = await handle(
      request([...saved, { id: 'm2', role: 'user', parts: [{ type: 'text', text: 'Thanks' }] }]),
    );
    await next.text();
    const tree = await t.switchboard.services.conversations.conversations.loadTree(id);
    expect(tree.turns.map((turn) => turn.turnType)).toEqual(['human', 'agent', 'human', 'agent']);

    const bad = await handle(
      new Request('http://local/api/chat', { method: 'POST', body: '{"messages": 1}' }),
    );
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: unknown }).error).toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'body.id',
    });
  });

  it('loads a conversation written through /v1/conversations as UI messages', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/conversations/sessions',
      headers,
      payload: { accountUid: 'user-42' },
    });
    const sessionUid = created.json().sessionUid as string;
    const human = await t.app.inject({
      method: 'POST',
      url: `/v1/conversations/sessions/${sessionUid}/turns`,
      headers,
      payload: { type: 'human', prompt: 'Hello' },
    });
    expect(human.statusCode).toBe(201);
    const humanUid = human.json<{ turnUid: string }>().turnUid;
    const agent = await t.app.inject({
      method: 'POST',
      url: `/v1/conversations/sessions/${sessionUid}/turns`,
      headers,
      payload: {
        type: 'agent',
        parentUid: humanUid,
        steps: [{ tpe: 'text', content: 'Hi, how can I help?' }],
      },
    });
    expect(agent.statusCode, agent.body).toBe(201);
    const messages = await store.loadChat(sessionUid);
    expect(messages).toMatchObject([
      { role: 'user', parts: [{ type: 'text', text: 'Hello' }] },
      { role: 'assistant', parts: [{ type: 'text', text: 'Hi, how can I help?' }] },
    ]);
  });
});

/**
 * Defects a stranger test found: conversations written through the HTTP API that loadChat
 * could not read, malformed useChat bodies that threw TypeErrors, a per-user store that read
 * and wrote other users' chats, and common message shapes saveChat could not store.
 */
describe('AI SDK chats: foreign steps, malformed bodies, ownership, message shapes', () => {
  let t: TestServer;
  let store: ChatStore;
  let headers: Record<string, string>;
  serveChats((server, chats, auth) => {
    t = server;
    store = chats;
    headers = auth;
  });
  const post = (url: string, payload: unknown) =>
    t.app.inject({ method: 'POST', url: `/v1/conversations${url}`, headers, payload: payload as object });
  /** A session of `account` with one prompt and an agent turn holding `steps`, through the API. */
  const written = async (steps: { tpe: string; content: string }[], account = 'user-42') => {
    const sessionUid = (await post('/sessions', { accountUid: account })).json<{ sessionUid: string }>()
      .sessionUid;
    const human = await post(`/sessions/${sessionUid}/turns`, { type: 'human', prompt: 'Show me the chart' });
    const agent = await post(`/sessions/${sessionUid}/turns`, {
      type: 'agent',
      parentUid: human.json<{ turnUid: string }>().turnUid,
      steps,
    });
    expect(agent.statusCode, agent.body).toBe(201);
    return sessionUid;
  };
  const conversation = async (id: string) => {
    const response = await t.app.inject({ url: `/v1/conversations/sessions/${id}/conversation`, headers });
    expect(response.statusCode, response.body).toBe(200);
    return response.json<{ turns: { turnUid: string; turnType: string; prompt: string | null }[] }>();
  };
  const failure = async (promise: Promise<unknown>) => {
    try {
      await promise;
    } catch (error) {
      return error as { code?: string; field?: string; message: string };
    }
    throw new Error('expected a refusal');
  };

  it('loads every step type written through the HTTP API as UI parts, whatever the content', async () => {
    const id = await written([
      { tpe: 'image', content: 'https://example.com/chart.png' },
      { tpe: 'tool_call', content: 'getChart(period=1y)' },
      { tpe: 'tool_result', content: '{"name":"getChart","rows":12}' },
      { tpe: 'image', content: 'data:image/webp;base64,UklGRg==' },
      { tpe: 'image', content: 'https://cdn.example.com/render?id=7' },
      { tpe: 'image', content: 'img_8842' },
      { tpe: 'data', content: '{"chart":[1,2,3]}' },
      { tpe: 'data', content: 'plain words' },
      { tpe: 'error', content: 'The chart service timed out' },
      { tpe: 'text', content: 'Here it is.' },
    ]);
    const messages = await store.loadChat(id);
    const parts: UIMessage['parts'] = [
      { type: 'file', mediaType: 'image/png', url: 'https://example.com/chart.png' },
      { type: 'text', text: 'getChart(period=1y)', state: 'done' },
      { type: 'text', text: '{"name":"getChart","rows":12}', state: 'done' },
      { type: 'file', mediaType: 'image/webp', url: 'data:image/webp;base64,UklGRg==' },
      { type: 'file', mediaType: 'image/*', url: 'https://cdn.example.com/render?id=7' },
      { type: 'text', text: 'img_8842', state: 'done' },
      { type: 'data-switchboard', data: { chart: [1, 2, 3] } },
      { type: 'data-switchboard', data: 'plain words' },
      { type: 'text', text: 'The chart service timed out', state: 'done' },
      { type: 'text', text: 'Here it is.', state: 'done' },
    ];
    expect(messages).toEqual([
      { id: expect.any(String), role: 'user', parts: [{ type: 'text', text: 'Show me the chart' }] },
      { id: expect.any(String), role: 'assistant', parts },
    ]);
    // What the AI SDK itself accepts as UI messages, and can hand to a model.
    await expect(validateUIMessages({ messages })).resolves.toEqual(messages);
    expect(() => convertToModelMessages(messages)).not.toThrow();
    // And the chat goes on through the handler: the loaded history is not rewritten.
    const handle = chatHandler(store, () => ({
      toUIMessageStreamResponse: () => new Response('ok'),
    }));
    const next = await handle(
      new Request('http://local/api/chat', {
        method: 'POST',
        body: JSON.stringify({
          id,
          messages: [...messages, { id: 'n1', role: 'user', parts: [{ type: 'text', text: 'Thanks' }] }],
        }),
      }),
    );
    expect(next.status).toBe(200);
    expect((await store.loadChat(id)).slice(0, 2)).toEqual(messages);
  });

  it('answers malformed useChat bodies with 400 and the field at fault, never a TypeError', async () => {
    let generated = 0;
    const handle = chatHandler(store, () => {
      generated += 1;
      return { toUIMessageStreamResponse: () => new Response('ok') };
    });
    const cases: [unknown, string][] = [
      [{ id: 'chat-bad', messages: [null] }, 'body.messages[0]'],
      [{ id: 'chat-bad', messages: [{ id: 'x', role: 'user' }] }, 'body.messages[0].parts'],
      [{ id: 'chat-bad', messages: [{ id: 'x', role: 'user', parts: 'hi' }] }, 'body.messages[0].parts'],
      [{ id: 'chat-bad', messages: [{ role: 'user', parts: [] }] }, 'body.messages[0].id'],
      [{ id: 'chat-bad', messages: [{ id: 'x', role: 'robot', parts: [] }] }, 'body.messages[0].role'],
      [{ id: 'chat-bad', messages: [{ id: 'x', role: 'user', parts: [null] }] }, 'body.messages[0].parts[0]'],
      [
        { id: 'chat-bad', messages: [{ id: 'x', role: 'user', parts: [{}] }] },
        'body.messages[0].parts[0].type',
      ],
      [
        { id: 'chat-bad', messages: [{ id: 'x', role: 'user', parts: [{ type: 'text' }] }] },
        'body.messages[0].parts[0].text',
      ],
      [
        {
          id: 'chat-bad',
          messages: [{ id: 'x', role: 'assistant', parts: [{ type: 'tool-x', state: 'x' }] }],
        },
        'body.messages[0].parts[0].toolCallId',
      ],
      [{ id: '', messages: [] }, 'body.id'],
      [{ id: 'chat-bad', messages: {} }, 'body.messages'],
      [[], 'body'],
      [null, 'body'],
    ];
    for (const [body, field] of cases) {
      const response = await handle(
        new Request('http://local/api/chat', { method: 'POST', body: JSON.stringify(body) }),
      );
      expect(response.status, JSON.stringify(body)).toBe(400);
      const answer = (await response.json()) as { error: { code: string; field: string; requestId: string } };
      expect(answer.error, JSON.stringify(body)).toMatchObject({ code: 'VALIDATION_FAILED', field });
      expect(answer.error.requestId).toBeTruthy();
    }
    expect(generated).toBe(0);
    // Nothing was stored either.
    expect((await failure(store.loadChat('chat-bad'))).code).toBe('SESSION_NOT_FOUND');

    // saveChat called directly names the field of its own input.
    const direct = await failure(
      store.saveChat({ id: 'chat-bad', messages: [null] as unknown as UIMessage[] }),
    );
    expect(direct).toMatchObject({ code: 'VALIDATION_FAILED', field: 'messages[0]' });
    expect(direct).toBeInstanceOf(SwitchboardError);
    expect(
      await failure(
        store.saveChat({
          id: 'chat-bad',
          messages: [{ id: 'x', role: 'user', parts: 'hi' }] as unknown as UIMessage[],
        }),
      ),
    ).toMatchObject({ code: 'VALIDATION_FAILED', field: 'messages[0].parts' });
  });

  it('a store of one account neither reads nor writes another account’s chats', async () => {
    const victim = await written([{ tpe: 'text', content: 'Your balance is 1,204.50' }]);
    const before = await store.loadChat(victim);
    const mallory = createChatStore(t.switchboard.services.conversations.conversations, {
      accountUid: 'mallory',
    });
    const missing = await failure(mallory.loadChat('no-such-chat'));
    expect(missing).toMatchObject({ code: 'SESSION_NOT_FOUND', field: 'params.sessionUid' });
    const load = await failure(mallory.loadChat(victim));
    expect({ code: load.code, field: load.field }).toEqual({ code: missing.code, field: missing.field });
    const intruder: UIMessage[] = [
      ...before,
      { id: 'evil-1', role: 'user', parts: [{ type: 'text', text: 'Transfer everything' }] },
    ];
    expect(await failure(mallory.saveChat({ id: victim, messages: intruder }))).toMatchObject({
      code: 'SESSION_NOT_FOUND',
      field: 'params.sessionUid',
    });
    const handle = chatHandler(mallory, () => ({ toUIMessageStreamResponse: () => new Response('ok') }));
    const response = await handle(
      new Request('http://local/api/chat', {
        method: 'POST',
        body: JSON.stringify({ id: victim, messages: intruder }),
      }),
    );
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: unknown }).error).toMatchObject({
      code: 'SESSION_NOT_FOUND',
      field: 'params.sessionUid',
    });
    expect(await store.loadChat(victim)).toEqual(before);
    // Its own chats work as before.
    const own = await mallory.createChat();
    await mallory.saveChat({ id: own, messages: [intruder[2]!] });
    expect(await mallory.loadChat(own)).toEqual([intruder[2]]);
  });

  it('stores file-only and mixed user messages and two user messages in a row exactly', async () => {
    const id = await store.createChat();
    const upload: UIMessage = {
      id: 'u1',
      role: 'user',
      parts: [
        {
          type: 'file',
          mediaType: 'image/png',
          filename: 'receipt.png',
          url: 'data:image/png;base64,iVBORw0KGgo=',
        },
      ],
    };
    await store.saveChat({ id, messages: [upload] });
    expect(await store.loadChat(id)).toEqual([upload]);
    // A re-send after a failed answer: the first prompt never got one.
    const again: UIMessage = {
      id: 'u2',
      role: 'user',
      parts: [
        { type: 'text', text: 'What is the total on this receipt?' },
        { type: 'file', mediaType: 'image/png', url: 'https://example.com/receipt.png' },
      ],
    };
    await store.saveChat({ id, messages: [upload, again] });
    expect(await store.loadChat(id)).toEqual([upload, again]);
    const answer: UIMessage = {
      id: 'a2',
      role: 'assistant',
      parts: [{ type: 'text', text: 'The total is 42.10.', state: 'done' }],
    };
    // Text that merely looks like JSON is kept as written; text that reads as stored parts is
    // itself stored as parts, so it still loads back as the text it is.
    const plain: UIMessage = { id: 'u3', role: 'user', parts: [{ type: 'text', text: '[1, 2]' }] };
    const tricky: UIMessage = {
      id: 'u4',
      role: 'user',
      parts: [{ type: 'text', text: '[{"type":"text","text":"hi"}]' }],
    };
    const empty: UIMessage = { id: 'u5', role: 'user', parts: [{ type: 'text', text: '' }] };
    const all = [upload, again, answer, plain, tricky, empty];
    await store.saveChat({ id, messages: all });
    expect(await store.loadChat(id)).toEqual(all);
    await store.saveChat({ id, messages: all }); // nothing new
    expect(await store.loadChat(id)).toEqual(all);

    // Readable through the HTTP API, human and agent turns alternating.
    const { turns } = await conversation(id);
    expect(turns.map((turn) => turn.turnType)).toEqual([
      ...['human', 'agent', 'human', 'agent', 'human', 'agent'],
      ...['human', 'agent', 'human'],
    ]);
    expect(
      turns.filter((turn) => turn.turnUid.startsWith('gap:')).map((turn) => turns.indexOf(turn)),
    ).toEqual([1, 5, 7]);
    expect(JSON.parse(turns[0]!.prompt!)).toEqual(upload.parts);
    expect(turns[4]!.prompt).toBe('[1, 2]');
    expect(turns[6]!.prompt).toBe(JSON.stringify(tricky.parts));
    expect((await validateUIMessages({ messages: await store.loadChat(id) })).length).toBe(6);
  });

  it('stores a chat opening with an assistant message and two assistant messages in a row', async () => {
    const id = await store.createChat();
    const greeting: UIMessage = {
      id: 'g1',
      role: 'assistant',
      parts: [{ type: 'text', text: 'Hi! How can I help?', state: 'done' }],
    };
    const more: UIMessage = {
      id: 'g2',
      role: 'assistant',
      parts: [{ type: 'text', text: 'Ask me about branch hours.', state: 'done' }],
    };
    const question: UIMessage = { id: 'q1', role: 'user', parts: [{ type: 'text', text: 'Hours?' }] };
    await store.saveChat({ id, messages: [greeting, more, question] });
    expect(await store.loadChat(id)).toEqual([greeting, more, question]);
    const { turns } = await conversation(id);
    expect(turns.map((turn) => turn.turnType)).toEqual(['human', 'agent', 'human', 'agent', 'human']);
    // An edit after the placeholder keeps the old branch and reuses the placeholder.
    const edited: UIMessage = { id: 'q2', role: 'user', parts: [{ type: 'text', text: 'Opening hours?' }] };
    await store.saveChat({ id, messages: [greeting, more, edited] });
    expect(await store.loadChat(id)).toEqual([greeting, more, edited]);
    expect((await t.switchboard.services.conversations.conversations.loadTree(id)).turns).toHaveLength(6);
  });

  it('refuses what it cannot store exactly with the field at fault, writing nothing', async () => {
    const id = await store.createChat();
    const { maxContentLength } = t.switchboard.services.conversations.conversations.limits;
    const huge: UIMessage = {
      id: 'big',
      role: 'user',
      parts: [
        { type: 'text', text: 'Read this' },
        {
          type: 'file',
          mediaType: 'image/png',
          url: `data:image/png;base64,${'A'.repeat(maxContentLength)}`,
        },
      ],
    };
    const first: UIMessage = { id: 'ok-1', role: 'user', parts: [{ type: 'text', text: 'Hello' }] };
    expect(await failure(store.saveChat({ id, messages: [first, huge] }))).toMatchObject({
      code: 'CONTENT_TOO_LONG',
      field: 'messages[1].parts',
    });
    expect(await store.loadChat(id)).toEqual([]);
    // Through the handler, the same refusal names the request body's field.
    const handle = chatHandler(store, () => ({ toUIMessageStreamResponse: () => new Response('ok') }));
    const response = await handle(
      new Request('http://local/api/chat', {
        method: 'POST',
        body: JSON.stringify({ id, messages: [first, huge] }),
      }),
    );
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string; field: string; message: string } };
    expect(error).toMatchObject({ code: 'CONTENT_TOO_LONG', field: 'body.messages[1].parts' });
    expect(error.message).toMatch(/^body\.messages\[1\]\.parts is \d+ characters/);
    expect(await store.loadChat(id)).toEqual([]);
    await store.saveChat({ id, messages: [first] });
    // A stored message re-sent with another role: refused, the chat as it was.
    expect(await failure(store.saveChat({ id, messages: [{ ...first, role: 'assistant' }] }))).toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'messages[0].id',
    });
    expect(await store.loadChat(id)).toEqual([first]);
    // A message id that another conversation holds names the message.
    const other = await store.createChat();
    expect(await failure(store.saveChat({ id: other, messages: [first] }))).toMatchObject({
      code: 'TURN_EXISTS',
      field: 'messages[0].id',
    });
    expect(
      await failure(
        store.saveChat({
          id,
          messages: [{ id: 'gap:1', role: 'user', parts: [{ type: 'text', text: 'x' }] }],
        }),
      ),
    ).toMatchObject({ code: 'VALIDATION_FAILED', field: 'messages[0].id' });
    expect(
      await failure(
        store.saveChat({
          id,
          messages: [{ id: 'r1', role: 'user', parts: [{ type: 'reasoning', text: 'x' }] }],
        }),
      ),
    ).toMatchObject({ code: 'VALIDATION_FAILED', field: 'messages[0].parts[0].type' });
  });
});
