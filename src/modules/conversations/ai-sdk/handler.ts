import { randomUUID } from 'node:crypto';
import type { UIMessage } from 'ai';
import { SwitchboardError } from '../../../errors/index.js';
import { errorBody } from '../../../server/error-handler.js';
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
    let body: unknown;
    try {
      body = await request.json();
    } catch {
      return errorResponse(
        new SwitchboardError('MALFORMED_JSON', 'The request body is not valid JSON', { field: 'body' }),
      );
    }
    let chat: { id: string; messages: UIMessage[] };
    try {
      // The body is the client's: checked here, so a malformed one is a 400 and never reaches
      // the store or the model as something that throws a TypeError (a 500 in the host app).
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new SwitchboardError(
          'VALIDATION_FAILED',
          'body must be { id: string, messages: UIMessage[] }',
          {
            field: 'body',
          },
        );
      }
      // saveChat checks the chat (checkChat) before it writes anything; its refusals are
      // renamed to the body's fields below. Only `id`: this route does not take `chatId`.
      const { id, messages } = body as { id?: unknown; messages?: unknown };
      chat = { id, messages } as { id: string; messages: UIMessage[] };
      await store.saveChat(chat);
    } catch (error) {
      if (error instanceof SwitchboardError && error.status < 500) return errorResponse(inBody(error));
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

/**
 * saveChat names the fields of its own input (`messages[2].parts`); here that input is the
 * request body, so its refusals name `body.messages[2].parts`.
 */
function inBody(error: SwitchboardError): SwitchboardError {
  const { field } = error;
  if (field === undefined) return error;
  if (field !== 'id' && field !== 'messages' && !field.startsWith('messages[')) return error;
  return error.withField(
    `body.${field}`,
    error.message.startsWith(field) ? `body.${error.message}` : error.message,
  );
}

/**
 * The catalogue's error shape, as the HTTP API answers it (its request id is this answer's:
 * the host app's own request ids are not known here).
 */
function errorResponse(error: SwitchboardError): Response {
  const requestId = randomUUID();
  return new Response(JSON.stringify(errorBody(error, requestId)), {
    status: error.status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-request-id': requestId },
  });
}
