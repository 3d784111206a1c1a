import { SwitchboardError } from '../../errors/index.js';

/**
 * Input checks shared by the library API and the HTTP routes, so a bad value fails with the
 * same code and field name whichever way it came in.
 */
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f]/;
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
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 128 || CONTROL_RE.test(raw)) {
    throw invalid(field, 'expected a user id of 1 to 128 printable characters');
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
  if (raw.length > maxLength) {
    throw new SwitchboardError(
      'CONTENT_TOO_LONG',
      `${field} is ${raw.length} characters; at most ${maxLength} allowed`,
      {
        field,
        details: { length: raw.length, maxLength },
      },
    );
  }
  return raw;
}

/** Message type and source are short lower-case tokens ("text", "image"; "web", "telegram", "agent"). */
export function checkToken(raw: unknown, fallback: string, field: string): string {
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw !== 'string' || !TOKEN_RE.test(raw)) {
    throw invalid(field, 'expected a lower-case token of letters, digits and underscores (at most 32)');
  }
  return raw;
}

export function checkEmoji(raw: unknown, field = 'emoji'): string {
  if (
    typeof raw !== 'string' ||
    raw.length === 0 ||
    raw.length > 64 ||
    /\s/.test(raw) ||
    CONTROL_RE.test(raw)
  ) {
    throw invalid(field, 'expected an emoji or a short emoji name without spaces (at most 64 characters)');
  }
  return raw;
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

/** Attachments are metadata only: the bytes live wherever the url points. */
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
        if (typeof value !== 'string' || value.length > 2048)
          throw invalid(`${at}.${key}`, 'expected a string');
        out[key as 'name' | 'url' | 'mimeType' | 'externalId'] = value;
      }
    }
    return out;
  });
}
