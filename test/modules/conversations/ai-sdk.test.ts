import { convertToModelMessages, simulateReadableStream, streamText, type UIMessage } from 'ai';
import { MockLanguageModelV2 } from 'ai/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatHandler, createChatStore, type ChatStore } from '../../../src/ai-sdk.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';

/**
 * Issue 20: AI SDK chats stored as conversation trees (seed 002). Round trips with the `ai`
 * package's own UIMessage type, a real streamText run against ai/test's mock model through the
 * useChat-shaped handler, and the same chat read through /v1/conversations (and the reverse).
 */
describe('AI SDK chat persistence on the conversations module (issue 20)', () => {
  let t: TestServer;
  let store: ChatStore;
  let headers: Record<string, string>;
  beforeAll(async () => {
    t = await createTestServer();
    store = createChatStore(t.switchboard.services.conversations.conversations, { accountUid: 'user-42' });
    headers = t.auth(t.adminKey);
  });
  afterAll(async () => t?.close());

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
