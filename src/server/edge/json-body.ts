import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SwitchboardError } from '../../errors/index.js';

/** The deepest nesting of objects and arrays a JSON body may have (documented in the README). */
export const MAX_JSON_DEPTH = 64;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The JSON body parser for every route. Fastify's own reads the body as a string, so invalid
 * UTF-8 surfaced as "Request body size did not match Content-Length", and any nesting depth was
 * accepted, to fail later with a 500 when something recursed over it (JSON.stringify of a
 * 5,000-level memory). Here the bytes are decoded strictly, the nesting is measured before
 * parsing (a scan, no recursion), and `__proto__` keys are refused as Fastify refuses them.
 */
export function installJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer' },
    (request: FastifyRequest, body: Buffer, done: (error: Error | null, value?: unknown) => void) => {
      try {
        refuseContentEncoding(request.headers['content-encoding']);
        done(null, parseJsonBody(body));
      } catch (error) {
        done(error as Error);
      }
    },
  );
}

/**
 * Bodies are read as sent: nothing here decompresses. A body declared gzip (or any coding but
 * identity) would be parsed as if it were not, so it is refused (RFC 9110: 415) rather than
 * accepted on a guess.
 */
function refuseContentEncoding(encoding: string | undefined): void {
  if (encoding === undefined) return;
  const codings = encoding
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0) return;
  throw new SwitchboardError(
    'UNSUPPORTED_MEDIA_TYPE',
    `Content-Encoding ${codings.join(', ')} is not supported: send the body uncompressed`,
    { field: 'headers.content-encoding' },
  );
}

const malformed = (message: string) => new SwitchboardError('MALFORMED_JSON', message, { field: 'body' });

export function parseJsonBody(body: Buffer): unknown {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw malformed('The request body is not valid UTF-8');
  }
  if (text.trim() === '') throw malformed('The request body is empty');
  const { tooDeep, proto } = scanKeys(text);
  if (proto !== null) {
    throw new SwitchboardError('VALIDATION_FAILED', 'A "__proto__" key is not allowed', { field: proto });
  }
  if (tooDeep !== null) {
    throw new SwitchboardError(
      'JSON_TOO_DEEP',
      `${tooDeep} nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays`,
      { field: tooDeep, details: { maxDepth: MAX_JSON_DEPTH } },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text, (key, v: unknown) => {
      if (key === '__proto__') {
        throw new SwitchboardError('VALIDATION_FAILED', 'A "__proto__" key is not allowed', {
          field: 'body.__proto__',
        });
      }
      return v;
    });
  } catch (error) {
    if (error instanceof SwitchboardError) throw error;
    throw malformed(`The request body is not valid JSON: ${(error as Error).message}`);
  }
  // Only a \uD800-\uDFFF escape can make a lone surrogate (the bytes were strict UTF-8).
  if (SURROGATE_ESCAPE.test(text)) {
    const at = illFormedPath(value, 'body');
    if (at !== null) {
      // Stored, it would come back as U+FFFD (SQLite, PostgreSQL and CQL text are UTF-8):
      // the 201 would echo one string and every later read another.
      throw new SwitchboardError(
        'VALIDATION_FAILED',
        `${at} is not valid Unicode text: it holds half of a surrogate pair`,
        { field: at },
      );
    }
  }
  return value;
}

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The path of the first string (value or key) holding a lone surrogate, or null. */
function illFormedPath(value: unknown, path: string): string | null {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const found = illFormedPath(value[i], `${path}[${i}]`);
      if (found !== null) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, member] of Object.entries(value)) {
      if (LONE_SURROGATE.test(key)) return path;
      const found = illFormedPath(member, `${path}.${key}`);
      if (found !== null) return found;
    }
  }
  return null;
}

/**
 * Scans JSON text, outside strings and without parsing, for nesting deeper than
 * MAX_JSON_DEPTH (`tooDeep`: the path of the outermost member that is too deep,
 * `body.memory`) and for a `__proto__` key (`proto`: its path, `body.skills.__proto__`). The
 * paths are built from the keys seen on the way down, so the error names the field the caller
 * sent. (A `__proto__` spelt with escapes is still refused by the parse, naming `body.__proto__`.)
 */
function scanKeys(text: string): { tooDeep: string | null; proto: string | null } {
  const keys: (string | number)[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let stringStart = -1;
  let lastString: string | null = null;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c) escaped = true;
      else if (c === 0x22) {
        inString = false;
        lastString = text.slice(stringStart + 1, i);
      }
      continue;
    }
    if (c === 0x22) {
      inString = true;
      stringStart = i;
    } else if (c === 0x3a) {
      // ':' — the string just read is the key of the value that follows.
      if (lastString === '__proto__')
        return { tooDeep: null, proto: pathOf(keys.slice(0, depth - 1), '__proto__') };
      keys[depth - 1] = safeKey(lastString);
    } else if (c === 0x7b || c === 0x5b) {
      depth += 1;
      if (c === 0x5b) keys[depth - 1] = 0;
      if (depth > MAX_JSON_DEPTH) {
        const first = keys.slice(0, Math.min(depth - 1, 1));
        return { tooDeep: ['body', ...first].join('.'), proto: null };
      }
    } else if (c === 0x7d || c === 0x5d) {
      depth -= 1;
    } else if (c === 0x2c && depth > 0 && typeof keys[depth - 1] === 'number') {
      keys[depth - 1] = (keys[depth - 1] as number) + 1;
    }
  }
  return { tooDeep: null, proto: null };
}

function pathOf(keys: readonly (string | number)[], last: string): string {
  let path = 'body';
  for (const key of keys) path += typeof key === 'number' ? `[${key}]` : `.${key}`;
  return `${path}.${last}`;
}

function safeKey(raw: string | null): string {
  if (raw === null) return '?';
  return /^[A-Za-z0-9_-]{1,64}$/.test(raw) ? raw : '?';
}
