import { randomUUID } from 'node:crypto';
import type { UIMessage } from 'ai';
import { SwitchboardError } from '../../../errors/index.js';
import type { ChatStore } from './chat-store.js';

/** What `streamText(...)` returns, as far as the handler uses it. */
export interface UIMessageStreamSource {
  toUIMessageStreamResponse(options: {
    originalMessages: UIMessage[];
    generateMessageId: () => string;
    onFinish: (event: { messages: UIMessage[] }) => void | Promise<void>;
  }): Response;
}

/**
 * A route handler in the shape `useChat` talks to (`POST { id, messages }`, answered with a UI
 * message stream), for Next.js route handlers, Hono, or anything with fetch's Request and
 * Response. It stores the incoming messages before generating (a prompt is kept even if the
 * model fails), runs `generate` (your `streamText` call), and stores the finished answer when
 * the stream ends.
 *
 *   export const POST = chatHandler(store, ({ messages }) =>
 *     streamText({ model, messages: convertToModelMessages(messages) }));
 */
export function chatHandler(
  store: ChatStore,
  generate: (chat: {
    id: string;
    messages: UIMessage[];
  }) => UIMessageStreamSource | Promise<UIMessageStreamSource>,
): (request: Request) => Promise<Response> {
  return async (request) => {
    let body: { id?: unknown; messages?: unknown };
    try {
      body = (await request.json()) as typeof body;
    } catch {
      return errorResponse(new SwitchboardError('MALFORMED_JSON', 'The request body is not valid JSON'));
    }
    if (typeof body?.id !== 'string' || !Array.isArray(body.messages)) {
      return errorResponse(
        new SwitchboardError('VALIDATION_FAILED', 'body must be { id: string, messages: UIMessage[] }', {
          field: typeof body?.id !== 'string' ? 'body.id' : 'body.messages',
        }),
      );
    }
    const chat = { id: body.id, messages: body.messages as UIMessage[] };
    try {
      await store.saveChat(chat);
    } catch (error) {
      if (error instanceof SwitchboardError && error.status < 500) return errorResponse(error);
      throw error;
    }
    const source = await generate(chat);
    return source.toUIMessageStreamResponse({
      originalMessages: chat.messages,
      // The answer's id goes to the client in the stream's first chunk, so the messages it
      // sends with the next prompt name the stored turn (without one, the AI SDK leaves it
      // empty and every later save would look like a new branch).
      generateMessageId: randomUUID,
      onFinish: ({ messages }) => store.saveChat({ id: chat.id, messages }),
    });
  };
}

/** The catalogue's error shape, as the HTTP API answers it. */
function errorResponse(error: SwitchboardError): Response {
  return new Response(JSON.stringify({ error: error.toJSON() }), {
    status: error.status,
    headers: { 'content-type': 'application/json' },
  });
}
