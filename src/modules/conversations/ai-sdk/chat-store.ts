import { randomUUID } from 'node:crypto';
import type { UIMessage } from 'ai';
import { isSwitchboardError, SwitchboardError } from '../../../errors/index.js';
import type { ConversationService } from '../service.js';
import type { Session, TurnType, TurnWithSteps } from '../types.js';
import type { StepInput } from '../validate.js';
import { partsOfPrompt, partToStep, promptOf, stepToPart } from './parts.js';
import { checkChat, GAP_PREFIX } from './validate.js';

export interface ChatStoreOptions {
  /**
   * The account the store's chats belong to (a user id), or how to find it from the chat id.
   * New chats are created for it, and a chat of another account is not found.
   */
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

/** The prompt of a placeholder human turn (GAP_PREFIX), as the HTTP API shows it. */
const GAP_PROMPT = '(no user message)';

/**
 * A placeholder turn: what saveChat stores where the chat has two messages of one role in a
 * row (or opens with an assistant message), since human and agent turns must alternate. Its
 * id says so, and it holds nothing (a completed agent turn without steps, or the fixed
 * prompt), so leaving it out of loadChat hides no content.
 */
function isGap(turn: TurnWithSteps): boolean {
  if (!turn.turnUid.startsWith(GAP_PREFIX)) return false;
  return turn.turnType === 'agent' ? turn.completed && turn.steps.length === 0 : turn.prompt === GAP_PROMPT;
}

/** The placeholder turn needed between `parent` and a turn of `type`, if any. */
function gapBetween(parent: TurnType | 'session', type: TurnType): TurnType | undefined {
  if (type === 'human') return parent === 'human' ? 'agent' : undefined;
  return parent === 'human' ? undefined : 'human';
}

/**
 * AI SDK (v5+) chat persistence on the conversations module (seed 002): a chat is a session,
 * a user message a human turn (its prompt: parts.ts promptOf), an assistant message an agent
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
 * (the conversation model has human and agent turns only). Two user messages in a row (a
 * prompt re-sent after a failed answer) get an empty agent turn between them, two assistant
 * messages in a row (or a chat opening with one) a placeholder human turn: see isGap.
 *
 * A store reads and writes only its account's chats: another account's chat is not found, as
 * if it did not exist (SESSION_NOT_FOUND), for loads and saves alike.
 */
export function createChatStore(conversations: ConversationService, options: ChatStoreOptions): ChatStore {
  const accountOf = (chatId: string) =>
    typeof options.accountUid === 'function' ? options.accountUid(chatId) : options.accountUid;

  /** The same error as for a chat that does not exist, so a stranger learns nothing of it. */
  const checkOwner = (session: Session) => {
    if (session.accountUid !== accountOf(session.sessionUid)) {
      throw new SwitchboardError('SESSION_NOT_FOUND', `No session ${session.sessionUid}`, {
        field: 'params.sessionUid',
      });
    }
  };

  const ensureSession = async (id: string) => {
    let session: Session;
    try {
      session = await conversations.getSession(id);
    } catch (error) {
      if (!isSwitchboardError(error, 'SESSION_NOT_FOUND')) throw error;
      await conversations.createSession(accountOf(id), { sessionUid: id });
      return;
    }
    checkOwner(session);
  };

  return {
    async createChat() {
      const id = randomUUID();
      await conversations.createSession(accountOf(id), { sessionUid: id });
      return id;
    },

    async loadChat(id) {
      let conversation;
      try {
        conversation = await conversations.loadActivePath(id);
      } catch (error) {
        // Any other refusal (a conversation too large to load) would tell a stranger that the
        // chat exists: theirs is not found instead.
        if (
          !isSwitchboardError(error, 'SESSION_NOT_FOUND') &&
          !isSwitchboardError(error, 'VALIDATION_FAILED')
        ) {
          checkOwner(await conversations.getSession(id));
        }
        throw error;
      }
      checkOwner(conversation.session);
      return conversation.turns.filter((turn) => !isGap(turn)).map(toMessage);
    },

    async saveChat(input) {
      const idKey = input.id === undefined && input.chatId !== undefined ? 'chatId' : 'id';
      const { id, messages: all } = checkChat(
        { id: input.id ?? input.chatId, messages: input.messages },
        '',
        idKey,
      );
      // The shapes and limits are checked first, so a message refused for them writes nothing.
      const messages = all.flatMap((message, i) =>
        message.role === 'system' ? [] : [{ message, at: `messages[${i}]`, content: contentOf(message, i) }],
      );
      await ensureSession(id);
      const path = (await conversations.loadActivePath(id)).turns;
      const onPathType = new Map(path.map((turn) => [turn.turnUid, turn.turnType]));
      for (const { message, at } of messages) {
        const stored = onPathType.get(message.id);
        if (stored !== undefined && stored !== (message.role === 'user' ? 'human' : 'agent'))
          throw wrongRole(at, stored);
      }

      let parent: { uid: string; type: TurnType | 'session' } = { uid: id, type: 'session' };
      let next = 0; // the next turn of the stored active path, while the messages follow it
      let diverged = false;
      const onPath = () => (diverged ? undefined : path[next]);

      /** Goes to a child of `parent` (existing: switched to; else written), off the stored path. */
      const branch = async (
        type: TurnType,
        turnUid: string | undefined,
        at: string,
        write: (uid: string) => Promise<unknown>,
      ) => {
        diverged = true;
        const { children, activeChild } = await conversations.children(id, parent.uid);
        // Placeholders hold nothing, so any one under this parent will do.
        const existing = children.find((c) =>
          turnUid === undefined
            ? c.turnType === type && c.turnUid.startsWith(GAP_PREFIX)
            : c.turnUid === turnUid,
        );
        if (existing && existing.turnType !== type) throw wrongRole(at, existing.turnType);
        const uid = existing?.turnUid ?? turnUid ?? `${GAP_PREFIX}${randomUUID()}`;
        await fieldsOf(at, async () => {
          if (!existing) await write(uid);
          else if (activeChild !== uid) await conversations.switchBranch(id, parent.uid, uid);
        });
        parent = { uid, type };
      };

      for (const { message, at, content } of messages) {
        const type: TurnType = message.role === 'user' ? 'human' : 'agent';
        const gap = gapBetween(parent.type, type);
        if (gap !== undefined) {
          const stored = onPath();
          if (stored && stored.turnType === gap && isGap(stored)) {
            parent = { uid: stored.turnUid, type: gap };
            next += 1;
          } else {
            await branch(gap, undefined, at, (turnUid) =>
              gap === 'agent'
                ? conversations.appendAgentTurn(id, { parentUid: parent.uid, turnUid, completed: true })
                : conversations.appendHumanTurn(id, { prompt: GAP_PROMPT, parentUid: parent.uid, turnUid }),
            );
          }
        }
        const stored = onPath();
        // A message without an id (an answer streamed without generateMessageId) is matched by
        // its place and role.
        if (
          stored &&
          !isGap(stored) &&
          stored.turnType === type &&
          (stored.turnUid === message.id || message.id === '')
        ) {
          const steps = content.steps;
          if (steps && !stored.completed && steps.length > stored.steps.length) {
            await fieldsOf(at, () =>
              conversations.appendSteps(id, stored.turnUid, { steps: steps.slice(stored.steps.length) }),
            );
          }
          parent = { uid: stored.turnUid, type };
          next += 1;
          continue;
        }
        const turnUid = message.id !== '' ? message.id : randomUUID();
        await branch(type, turnUid, at, (uid) =>
          content.steps === undefined
            ? conversations.appendHumanTurn(id, {
                prompt: content.prompt,
                parentUid: parent.uid,
                turnUid: uid,
              })
            : conversations.appendAgentTurn(id, {
                parentUid: parent.uid,
                turnUid: uid,
                steps: content.steps,
                completed: true,
              }),
        );
      }
    },
  };

  /** What a message is stored as, checked against the limits (fields name the message). */
  function contentOf(
    message: UIMessage,
    i: number,
  ): { prompt: string; steps?: undefined } | { prompt?: undefined; steps: StepInput[] } {
    const { maxContentLength, maxStepsPerTurn } = conversations.limits;
    const tooLong = (field: string, length: number) =>
      new SwitchboardError(
        'CONTENT_TOO_LONG',
        `${field} is ${length} characters stored, over conversations.max_content_length (${maxContentLength}); a file is stored whole, so send large files as URLs rather than data URLs`,
        { field, details: { limit: maxContentLength } },
      );
    if (message.role === 'user') {
      const prompt = promptOf(message);
      if (prompt.length > maxContentLength) throw tooLong(`messages[${i}].parts`, prompt.length);
      return { prompt };
    }
    if (message.parts.length > maxStepsPerTurn) {
      throw new SwitchboardError(
        'CONVERSATION_TOO_LARGE',
        `messages[${i}].parts has ${message.parts.length} parts; an agent turn holds at most ${maxStepsPerTurn} steps (conversations.max_steps_per_turn)`,
        { field: `messages[${i}].parts`, details: { limit: maxStepsPerTurn } },
      );
    }
    const steps = message.parts.map(partToStep);
    steps.forEach((step, j) => {
      if (step.content.length > maxContentLength)
        throw tooLong(`messages[${i}].parts[${j}]`, step.content.length);
    });
    return { steps };
  }
}

/** A message whose id names a stored turn of the other kind (its role changed). */
function wrongRole(at: string, stored: TurnType): SwitchboardError {
  return new SwitchboardError(
    'VALIDATION_FAILED',
    `${at}.id names a stored ${stored === 'human' ? 'user' : 'assistant'} message`,
    { field: `${at}.id` },
  );
}

/**
 * The service names its own request's fields (`body.turnUid`); a chat's caller sent messages,
 * so its refusals name the message at fault (`messages[2].id`, `messages[2].parts[1]`).
 */
async function fieldsOf<T>(at: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!(error instanceof SwitchboardError) || error.field === undefined) throw error;
    const field = error.field
      .replace(/^body\.turnUid$/, `${at}.id`)
      .replace(/^body\.prompt$/, `${at}.parts`)
      .replace(
        /^body\.steps(?:\[(\d+)\])?(?:\.\w+)?$/,
        (_, j?: string) => `${at}.parts${j === undefined ? '' : `[${j}]`}`,
      )
      .replace(/^body\.parentUid$/, at);
    if (field === error.field) throw error;
    throw error.withField(field);
  }
}

function toMessage(turn: TurnWithSteps): UIMessage {
  if (turn.turnType === 'human') {
    return { id: turn.turnUid, role: 'user', parts: partsOfPrompt(turn.prompt ?? '') };
  }
  return { id: turn.turnUid, role: 'assistant', parts: turn.steps.map(stepToPart) };
}
