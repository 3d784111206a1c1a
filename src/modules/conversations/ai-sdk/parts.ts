import type { UIMessage } from 'ai';
import type { StepType } from '../types.js';
import type { StepInput } from '../validate.js';

type Part = UIMessage['parts'][number];

/**
 * One AI SDK UI part ↔ one step of an agent turn. Text and reasoning are stored as their text,
 * so the conversation reads naturally through /v1/conversations; every other part is stored
 * whole as JSON under the step type that names it: tool calls (`tool_call` until a result or
 * error is in, then `tool_result`), files (`image`, the seed's media step), and the rest
 * (sources, step boundaries, custom data parts) as `data`.
 */
export function partToStep(part: Part): StepInput {
  switch (part.type) {
    case 'text':
      return { tpe: 'text', content: part.text };
    case 'reasoning':
      return { tpe: 'reasoning', content: part.text };
    case 'file':
      return { tpe: 'image', content: JSON.stringify(part) };
    default:
      if (part.type === 'dynamic-tool' || part.type.startsWith('tool-')) {
        const state = (part as { state?: string }).state;
        const done = state === 'output-available' || state === 'output-error';
        return { tpe: done ? 'tool_result' : 'tool_call', content: JSON.stringify(part) };
      }
      return { tpe: 'data', content: JSON.stringify(part) };
  }
}

/** The part a step holds. Text read back from a stored (finished) message is `done`. */
export function stepToPart(step: { tpe: StepType; content: string }): Part {
  switch (step.tpe) {
    case 'text':
      return { type: 'text', text: step.content, state: 'done' };
    case 'reasoning':
      return { type: 'reasoning', text: step.content, state: 'done' };
    case 'error':
      // Written by other producers (the HTTP API): shown as text rather than dropped.
      return { type: 'text', text: step.content, state: 'done' };
    default:
      return JSON.parse(step.content) as Part;
  }
}

/** A user message's prompt: its text parts. */
export function promptOf(message: UIMessage): string {
  return message.parts
    .filter((p): p is Extract<Part, { type: 'text' }> => p.type === 'text')
    .map((p) => p.text)
    .join('\n');
}
