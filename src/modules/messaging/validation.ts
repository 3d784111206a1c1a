import { SwitchboardError } from '../../errors/index.js';
import { USER_ID_RE } from '../../shared/user-id.js';
import { characterCount, hasControlCharacters, longerThan } from '../../shared/text.js';

/**
 * Input checks shared by the library API and the HTTP routes, so a bad value fails with the
 * same code and field name whichever way it came in.
 */
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TOKEN_RE = /^[a-z][a-z0-9_]{0,31}$/;

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 100;

export function invalid(field: string, message: string): SwitchboardError {
  return new SwitchboardError('VALIDATION_FAILED', `${field}: ${message}`, { field });
}

export function checkChannelId(raw: unknown, field = 'channelId'): string {
  const value = typeof raw === 'string' ? raw.toLowerCase() : raw;
  if (typeof value !== 'string' || !UUID_RE.test(value)) throw invalid(field, 'expected a channel UUID');
  return value;
}

/** User ids come from the integration (API keys identify the integration, not the end user). */
export function checkUserId(raw: unknown, field = 'userId'): string {
  if (typeof raw !== 'string' || !USER_ID_RE.test(raw)) {
    throw new SwitchboardError(
      'INVALID_USER_ID',
      `${field}: expected a user id of 1 to 128 visible ASCII characters`,
      { field },
    );
  }
  return raw;
}

export function checkLimit(raw: unknown, field = 'limit'): number {
  if (raw === undefined || raw === null) return DEFAULT_PAGE_LIMIT;
  const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_PAGE_LIMIT) {
    throw invalid(field, `expected an integer from 1 to ${MAX_PAGE_LIMIT}`);
  }
  return n;
}

export function checkContent(raw: unknown, maxLength: number, field = 'content'): string {
  if (typeof raw !== 'string') throw invalid(field, 'expected a string');
  if (longerThan(raw, maxLength)) {
    const length = characterCount(raw);
    throw new SwitchboardError(
      'CONTENT_TOO_LONG',
      `${field} is ${length} characters; at most ${maxLength} allowed`,
      {
        field,
        details: { length, maxLength },
      },
    );
  }
  return raw;
}

/** A short display text (a channel title): 1 to `max` characters, not only spaces, no control characters. */
export function checkTitle(raw: unknown, max: number, field = 'title'): string {
  if (
    typeof raw !== 'string' ||
    raw.trim().length === 0 ||
    longerThan(raw, max) ||
    hasControlCharacters(raw)
  ) {
    throw invalid(field, `expected 1 to ${max} characters, no control characters`);
  }
  return raw.trim();
}

/** Message type and source are short lower-case tokens ("text", "image"; "web", "telegram", "agent"). */
export function checkToken(raw: unknown, fallback: string, field: string): string {
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw !== 'string' || !TOKEN_RE.test(raw)) {
    throw invalid(field, 'expected a lower-case token of letters, digits and underscores (at most 32)');
  }
  return raw;
}

/**
 * A reaction is one Unicode emoji (an RGI emoji sequence: skin tones, flags, keycaps and ZWJ
 * families included) or a custom emoji named `:name:` (letters, digits, `_`, `+`, `-`; at
 * most 32 characters between the colons, as Discord's custom names).
 */
// Built at run time: the `v` flag (Unicode sets, Node 20+) is newer than the compile target.
const UNICODE_EMOJI_RE = new RegExp('^(?:\\p{RGI_Emoji}|\\p{Extended_Pictographic}\\uFE0F?)$', 'v');
const CUSTOM_EMOJI_RE = /^:[A-Za-z0-9_+-]{1,32}:$/;

export function checkEmoji(raw: unknown, field = 'emoji'): string {
  if (typeof raw !== 'string' || !(UNICODE_EMOJI_RE.test(raw) || CUSTOM_EMOJI_RE.test(raw))) {
    throw invalid(field, 'expected one Unicode emoji or a custom emoji as :name: (letters, digits, _ + -)');
  }
  return raw;
}

/**
 * The looser rule reactions were stored under before the emoji check: removing or listing
 * a reaction only needs a name that can be a key, so reactions stored then can still go.
 */
export function checkStoredEmoji(raw: unknown, field = 'emoji'): string {
  if (
    typeof raw !== 'string' ||
    raw.length === 0 ||
    raw.length > 64 ||
    /\s/.test(raw) ||
    hasControlCharacters(raw)
  ) {
    throw invalid(field, 'expected an emoji or a short emoji name without spaces (at most 64 characters)');
  }
  return raw;
}

/**
 * Origin fields the server sets: `source` "telegram" (the bridge) and "system", and the
 * "system" message type, come only from the service itself (the Telegram mirror trusts
 * them), never from a request body or a library caller's input.
 */
export const RESERVED_SOURCES: ReadonlySet<string> = new Set(['telegram', 'system']);
export const RESERVED_MESSAGE_TYPES: ReadonlySet<string> = new Set(['system']);

export function reserved(field: string, value: string): SwitchboardError {
  return new SwitchboardError('RESERVED_VALUE', `${field} "${value}" is set by the service only`, {
    field,
  });
}

export interface Attachment {
  name?: string;
  url?: string;
  mimeType?: string;
  size?: number;
  /** Integration-specific ids (a Telegram file_id, ...). */
  externalId?: string;
}

const ATTACHMENT_KEYS = new Set(['name', 'url', 'mimeType', 'size', 'externalId']);
export const MAX_ATTACHMENTS = 10;

/**
 * Attachments are metadata only: the bytes live wherever the url points. Each names where
 * its bytes are (an http or https `url`, or an integration's `externalId`); links of other
 * schemes (`javascript:`, `data:`, `file:`) are refused so no client renders them.
 */
export function checkAttachments(raw: unknown, field = 'attachments'): Attachment[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw) || raw.length > MAX_ATTACHMENTS) {
    throw invalid(field, `expected a list of at most ${MAX_ATTACHMENTS} attachments`);
  }
  return raw.map((item, i) => {
    const at = `${field}.${i}`;
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      throw invalid(at, 'expected an object');
    const out: Attachment = {};
    for (const [key, value] of Object.entries(item as Record<string, unknown>)) {
      if (!ATTACHMENT_KEYS.has(key)) throw invalid(`${at}.${key}`, 'unknown attachment field');
      if (key === 'size') {
        if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
          throw invalid(`${at}.size`, 'expected a byte count');
        }
        out.size = value;
      } else {
        if (
          typeof value !== 'string' ||
          value.length === 0 ||
          value.length > 2048 ||
          hasControlCharacters(value)
        )
          throw invalid(`${at}.${key}`, 'expected a string of 1 to 2048 printable characters');
        if (key === 'url') checkUrl(value, `${at}.url`);
        out[key as 'name' | 'url' | 'mimeType' | 'externalId'] = value;
      }
    }
    if (out.url === undefined && out.externalId === undefined) {
      throw invalid(at, 'an attachment needs a url or an externalId');
    }
    return out;
  });
}

function checkUrl(value: string, field: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(field, 'expected an absolute http or https URL');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname.length === 0) {
    throw invalid(field, 'expected an absolute http or https URL');
  }
}
