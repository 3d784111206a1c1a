/**
 * An AI SDK chat stored in Switchboard (docs/conversations.md#ai-sdk-chats).
 *
 *   npx tsx examples/ai-sdk-chat.ts
 *
 * The route handler `useChat` posts to, driven here by two requests. The model is the AI SDK's
 * mock so the example runs offline; put your provider's model in its place (`openai('gpt-4o')`).
 * Afterwards the chat is a conversation: GET /v1/conversations/sessions/<id>/conversation, with
 * the id the example prints (the chat id is the session id).
 */
import { convertToModelMessages, simulateReadableStream, streamText, type UIMessage } from 'ai';
import { MockLanguageModelV2 } from 'ai/test';
import { applySchema, createSwitchboard } from 'switchboard';
import { chatHandler, createChatStore } from 'switchboard/ai-sdk';

const model = new MockLanguageModelV2({
  doStream: async () => ({
    stream: simulateReadableStream({
      chunks: [
        { type: 'stream-start', warnings: [] },
        { type: 'text-start', id: 't' },
        { type: 'text-delta', id: 't', delta: 'Your branch visit is booked for 11:00.' },
        { type: 'text-end', id: 't' },
        { type: 'finish', finishReason: 'stop', usage: { inputTokens: 9, outputTokens: 9, totalTokens: 18 } },
      ],
    }),
  }),
});

const switchboard = await createSwitchboard();
try {
  await applySchema(switchboard);
  const store = createChatStore(switchboard.services.conversations.conversations, { accountUid: 'user-42' });
  // In a Next.js app: `export const POST = chatHandler(store, ...)` in app/api/chat/route.ts.
  const POST = chatHandler(store, ({ messages }) =>
    streamText({ model, messages: convertToModelMessages(messages) }),
  );

  const id = await store.createChat();
  // The chat id is the conversation's session id: what the HTTP API is asked for.
  console.log(`chat ${id}: GET /v1/conversations/sessions/${id}/conversation`);
  const ask = async (messages: UIMessage[]) => {
    const response = await POST(
      new Request('http://localhost/api/chat', { method: 'POST', body: JSON.stringify({ id, messages }) }),
    );
    await response.text(); // the UI message stream useChat would render
  };
  await ask([{ id: 'm1', role: 'user', parts: [{ type: 'text', text: 'Book me a visit tomorrow' }] }]);
  const history = await store.loadChat(id);
  await ask([...history, { id: 'm2', role: 'user', parts: [{ type: 'text', text: 'Thanks!' }] }]);

  for (const message of await store.loadChat(id)) {
    const text = message.parts.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join(' ');
    console.log(`${message.role}: ${text}`);
  }
} finally {
  await switchboard.close();
}
