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
      if (isToolType(part.type)) {
        const state = (part as { state?: string }).state;
        const done = state === 'output-available' || state === 'output-error';
        return { tpe: done ? 'tool_result' : 'tool_call', content: JSON.stringify(part) };
      }
      return { tpe: 'data', content: JSON.stringify(part) };
  }
}

/**
 * The part a step holds. Text read back from a stored (finished) message is `done`.
 *
 * A step's content is only taken as a stored part when it is the JSON partToStep writes for
 * that step type (a file part in an `image` step, a tool part in `tool_call` / `tool_result`,
 * a source, step boundary or data part in `data`). Anything else was written by another
 * producer (the HTTP API, where an image is a URL or id and a tool call free text) and is
 * mapped to what a chat UI can show rather than parsed blindly (docs/conversations.md):
 * an http(s) or data URL in an `image` step is a file part; a `data` step is a
 * `data-switchboard` part carrying its JSON (or its text); everything else is a text part
 * with the content as written. Always one part per step: saveChat appends a streamed
 * answer's new parts by counting the steps already stored.
 */
export function stepToPart(step: { tpe: StepType; content: string }): Part {
  switch (step.tpe) {
    case 'text':
    case 'error':
      // An error step is written by other producers (the HTTP API): shown rather than dropped.
      return { type: 'text', text: step.content, state: 'done' };
    case 'reasoning':
      return { type: 'reasoning', text: step.content, state: 'done' };
    case 'image': {
      const stored = parseJson(step.content);
      if (isPartOf(stored, 'file')) return stored;
      return imageReference(step.content) ?? { type: 'text', text: step.content, state: 'done' };
    }
    case 'tool_call':
    case 'tool_result': {
      const stored = parseJson(step.content);
      if (isPartOf(stored, 'tool')) return stored;
      // A tool part needs a call id and an input the model can be given back; free text is
      // neither, and a tool call without a result breaks the next model request on most
      // providers. As text it is shown, and passed to the model as what it is.
      return { type: 'text', text: step.content, state: 'done' };
    }
    case 'data': {
      const stored = parseJson(step.content);
      if (isPartOf(stored, 'data')) return stored;
      return { type: 'data-switchboard', data: stored === undefined ? step.content : stored };
    }
  }
}

/** Which step type holds a part of that type (what partToStep chooses, ignoring tool state). */
type Family = 'file' | 'tool' | 'data';

function isToolType(type: string): boolean {
  return type === 'dynamic-tool' || type.startsWith('tool-');
}

function parseJson(content: string): unknown {
  try {
    return JSON.parse(content) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Why `value` is not an AI SDK UI part a message of that role may carry, and the key at fault
 * (undefined: it is one). The fields checked are the ones the part's type requires, so a part
 * that passes is stored and loaded back exactly, and one that does not is refused before
 * anything is written rather than failing halfway (a TypeError) or loading back as another.
 */
export function partProblem(
  value: unknown,
  role: 'user' | 'assistant' | 'system',
): { key?: string; why: string } | undefined {
  if (!isRecord(value)) return { why: 'must be a UI part object' };
  const { type } = value;
  if (typeof type !== 'string') return { key: 'type', why: 'must be a string' };
  const needs = (...keys: string[]) => {
    const missing = keys.find((k) => typeof value[k] !== 'string');
    return missing === undefined ? undefined : { key: missing, why: `must be a string in a ${type} part` };
  };
  if (type === 'text') return needs('text');
  if (type.startsWith('data-')) return 'data' in value ? undefined : { key: 'data', why: 'is required' };
  if (type === 'file') return needs('url', 'mediaType');
  // System messages are not stored: only their shape matters.
  if (role === 'system') return undefined;
  if (role === 'user') {
    return {
      key: 'type',
      why: `must be text, file or data-* in a user message, not ${JSON.stringify(type)}`,
    };
  }
  if (type === 'reasoning') return needs('text');
  if (type === 'dynamic-tool') return needs('toolCallId', 'state', 'toolName');
  if (isToolType(type)) return needs('toolCallId', 'state');
  if (type === 'step-start') return undefined;
  if (type === 'source-url') return needs('sourceId', 'url');
  if (type === 'source-document') return needs('sourceId', 'mediaType', 'title');
  return { key: 'type', why: `must be an AI SDK UI part type, not ${JSON.stringify(type)}` };
}

function isPartOf(value: unknown, family: Family): value is Part {
  if (!isRecord(value) || typeof value.type !== 'string' || partProblem(value, 'assistant') !== undefined) {
    return false;
  }
  const type = value.type;
  const of: Family = type === 'file' ? 'file' : isToolType(type) ? 'tool' : 'data';
  return of === family && type !== 'text' && type !== 'reasoning';
}

const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  svg: 'image/svg+xml',
  bmp: 'image/bmp',
  ico: 'image/x-icon',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  heic: 'image/heic',
  heif: 'image/heif',
};

/**
 * An image step written as a URL: a file part, which a chat UI shows as the image and the
 * model is given as one. The media type is a data URL's own, else the extension's, else
 * `image/*` (any image: the AI SDK's providers accept it for images). An id or a relative
 * path is not a URL a browser or a model can fetch, so it stays text (undefined here).
 */
function imageReference(content: string): Part | undefined {
  const url = content.trim();
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol === 'data:') {
    const declared = /^data:([\w.+-]+\/[\w.+-]+)[;,]/i.exec(url)?.[1];
    return { type: 'file', mediaType: declared?.toLowerCase() ?? 'image/*', url };
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
  const extension = /\.([A-Za-z0-9]+)$/.exec(parsed.pathname)?.[1]?.toLowerCase();
  return { type: 'file', mediaType: (extension && IMAGE_TYPES[extension]) ?? 'image/*', url };
}

/**
 * A user message's prompt. A message that is one plain text part is stored as its text, so
 * the conversation reads naturally through /v1/conversations. Any other message (a file, an
 * image with a question, several text parts, a data part, provider metadata) is stored as the
 * JSON array of its parts, which partsOfPrompt reads back exactly; so is a text that would
 * itself read back as such an array, so that every message round-trips.
 */
export function promptOf(message: UIMessage): string {
  const [only, ...rest] = message.parts;
  const plain =
    only?.type === 'text' &&
    rest.length === 0 &&
    only.text !== '' &&
    Object.entries(only).every(([key, value]) => key === 'type' || key === 'text' || value === undefined) &&
    storedParts(only.text) === undefined;
  return plain ? only.text : JSON.stringify(message.parts);
}

/** A human turn's prompt as a user message's parts (see promptOf). */
export function partsOfPrompt(prompt: string): Part[] {
  return storedParts(prompt) ?? [{ type: 'text', text: prompt }];
}

/** The parts promptOf stored as JSON: a non-empty array of user message parts, else undefined. */
function storedParts(prompt: string): Part[] | undefined {
  if (!prompt.startsWith('[')) return undefined;
  const parts = parseJson(prompt);
  if (!Array.isArray(parts) || parts.length === 0) return undefined;
  return parts.every((p) => partProblem(p, 'user') === undefined) ? (parts as Part[]) : undefined;
}
