import { randomUUID } from 'node:crypto';
import type { UIMessage } from 'ai';
import { isSwitchboardError, SwitchboardError } from '../../../errors/index.js';
import type { ConversationService } from '../service.js';
import type { TurnWithSteps } from '../types.js';
import { partToStep, promptOf, stepToPart } from './parts.js';

export interface ChatStoreOptions {
  /** The account new chats belong to (a user id), or how to find it from the chat id. */
  accountUid: string | ((chatId: string) => string);
}

export interface ChatStore {
  /** A new, empty chat; its id is the conversation session id. */
  createChat(): Promise<string>;
  /** The chat's messages: the active path of its conversation, root to leaf. */
  loadChat(id: string): Promise<UIMessage[]>;
  /** Stores the messages the chat now shows (what `useChat` / `onFinish` hand over). */
  saveChat(input: { id?: string; chatId?: string; messages: UIMessage[] }): Promise<void>;
}

/**
 * AI SDK (v5+) chat persistence on the conversations module (seed 002): a chat is a session,
 * a user message a human turn (its text parts are the prompt), an assistant message an agent
 * turn whose parts are its steps (parts.ts). So a chat saved through the AI SDK is a
 * conversation tree readable through /v1/conversations, and a conversation written through
 * the API loads as UI messages.
 *
 * `saveChat` takes the whole list, as the AI SDK hands it over, and writes only what is new:
 * messages already on the active path (same ids, in order) are kept; an assistant message that
 * grew (streamed further) gets its new parts appended; from the first message that differs
 * (a regenerated answer, an edited prompt) the rest becomes a new branch of the tree, and the
 * old branch stays (GET .../children lists both), as in any chat with regeneration. A branch
 * whose message ids already exist is switched back to instead. System messages are not stored
 * (the conversation model has human and agent turns only).
 */
export function createChatStore(conversations: ConversationService, options: ChatStoreOptions): ChatStore {
  const accountOf = (chatId: string) =>
    typeof options.accountUid === 'function' ? options.accountUid(chatId) : options.accountUid;

  const ensureSession = async (id: string) => {
    try {
      await conversations.getSession(id);
    } catch (error) {
      if (!isSwitchboardError(error, 'SESSION_NOT_FOUND')) throw error;
      await conversations.createSession(accountOf(id), { sessionUid: id });
    }
  };

  return {
    async createChat() {
      const id = randomUUID();
      await conversations.createSession(accountOf(id), { sessionUid: id });
      return id;
    },

    async loadChat(id) {
      const { turns } = await conversations.loadActivePath(id);
      return turns.map(toMessage);
    },

    async saveChat(input) {
      const id = input.id ?? input.chatId;
      if (id === undefined) {
        throw new SwitchboardError('VALIDATION_FAILED', 'saveChat needs the chat id', { field: 'id' });
      }
      await ensureSession(id);
      const messages = input.messages.filter((m) => m.role !== 'system');
      const path = (await conversations.loadActivePath(id)).turns;
      let parent = id;
      let diverged = false;
      for (const [i, message] of messages.entries()) {
        const stored = diverged ? undefined : path[i];
        // A message without an id (an answer streamed without generateMessageId) is matched by
        // its place and role.
        const same =
          stored !== undefined &&
          (stored.turnUid === message.id ||
            (message.id === '' && (stored.turnType === 'human') === (message.role === 'user')));
        if (stored && same) {
          if (
            stored.turnType === 'agent' &&
            !stored.completed &&
            message.parts.length > stored.steps.length
          ) {
            await conversations.appendSteps(id, stored.turnUid, {
              steps: message.parts.slice(stored.steps.length).map(partToStep),
            });
          }
          parent = stored.turnUid;
          continue;
        }
        diverged = true;
        const turnUid = message.id !== '' ? message.id : randomUUID();
        const { children } = await conversations.children(id, parent);
        if (children.some((c) => c.turnUid === turnUid)) {
          await conversations.switchBranch(id, parent, turnUid);
        } else if (message.role === 'user') {
          await conversations.appendHumanTurn(id, { prompt: promptOf(message), parentUid: parent, turnUid });
        } else {
          await conversations.appendAgentTurn(id, {
            parentUid: parent,
            turnUid,
            steps: message.parts.map(partToStep),
            completed: true,
          });
        }
        parent = turnUid;
      }
    },
  };
}

function toMessage(turn: TurnWithSteps): UIMessage {
  if (turn.turnType === 'human') {
    return { id: turn.turnUid, role: 'user', parts: [{ type: 'text', text: turn.prompt ?? '' }] };
  }
  return { id: turn.turnUid, role: 'assistant', parts: turn.steps.map(stepToPart) };
}
