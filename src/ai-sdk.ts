/**
 * `switchboard/ai-sdk`: Vercel AI SDK (v5+) chat persistence on the conversations module.
 * Only types come from the `ai` package; nothing of it is loaded at run time.
 *
 *   const store = createChatStore(switchboard.services.conversations.conversations, { accountUid: userId });
 *   const messages = await store.loadChat(chatId);           // UIMessage[] for useChat
 *   await store.saveChat({ id: chatId, messages });            // from onFinish
 */
export {
  createChatStore,
  type ChatStore,
  type ChatStoreOptions,
} from './modules/conversations/ai-sdk/chat-store.js';
export { chatHandler, type UIMessageStreamSource } from './modules/conversations/ai-sdk/handler.js';
export { partToStep, stepToPart } from './modules/conversations/ai-sdk/parts.js';
