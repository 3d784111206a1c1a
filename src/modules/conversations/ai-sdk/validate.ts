import type { UIMessage } from 'ai';
import { SwitchboardError } from '../../../errors/index.js';
import { checkId } from '../validate.js';
import { partProblem } from './parts.js';

/**
 * Turn ids the adapter gives the placeholder turns that keep a chat's tree alternating (a
 * human turn between two assistant messages, an agent turn between two user messages:
 * chat-store.ts). loadChat leaves them out, so a message may not claim such an id.
 */
export const GAP_PREFIX = 'gap:';

const ROLES: readonly string[] = ['user', 'assistant', 'system'];

/**
 * A chat as saveChat and chatHandler receive it, checked before anything is written or
 * generated: a client's body is untrusted JSON, and a shape the store cannot read would
 * otherwise surface as a TypeError (a 500 in the host app) or a half-written chat. `at` is
 * where the chat sits (`body` for a request, '' for a direct call), for the field at fault.
 */
export function checkChat(
  input: { id?: unknown; messages?: unknown },
  at: string,
  idKey = 'id',
): { id: string; messages: UIMessage[] } {
  const field = (path: string) => (at === '' ? path : `${at}.${path}`);
  const id = checkId(input.id, field(idKey));
  const messages = input.messages;
  if (!Array.isArray(messages)) {
    throw invalid(field('messages'), 'must be an array of UI messages');
  }
  messages.forEach((message: unknown, i) => {
    const here = field(`messages[${i}]`);
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      throw invalid(here, 'must be a UI message object');
    }
    const m = message as Record<string, unknown>;
    if (typeof m.id !== 'string') throw invalid(`${here}.id`, 'must be a string');
    // An empty id is what the AI SDK sends for an answer streamed without generateMessageId:
    // matched by its place. Any other id becomes a turn id, so it must be one.
    if (m.id !== '') checkId(m.id, `${here}.id`);
    if (m.id.startsWith(GAP_PREFIX)) {
      throw invalid(`${here}.id`, `must not start with ${GAP_PREFIX} (the store's placeholder turns)`);
    }
    if (typeof m.role !== 'string' || !ROLES.includes(m.role)) {
      throw invalid(`${here}.role`, `must be one of ${ROLES.join(', ')}`);
    }
    const role = m.role as UIMessage['role'];
    if (!Array.isArray(m.parts)) throw invalid(`${here}.parts`, 'must be an array of UI parts');
    if (role === 'user' && m.parts.length === 0) {
      throw invalid(`${here}.parts`, 'must hold at least one part for a user message');
    }
    m.parts.forEach((part: unknown, j) => {
      const problem = partProblem(part, role);
      if (problem !== undefined) {
        const key = problem.key === undefined ? '' : `.${problem.key}`;
        throw invalid(`${here}.parts[${j}]${key}`, problem.why);
      }
    });
  });
  return { id, messages: messages as UIMessage[] };
}

function invalid(field: string, why: string): SwitchboardError {
  return new SwitchboardError('VALIDATION_FAILED', `${field} ${why}`, { field });
}
