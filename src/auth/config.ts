import { f, type Section } from '../config/fields.js';
import { isScope, type Scope } from './scopes.js';

export interface ConfiguredKey {
  name: string;
  scope: Scope;
  secret: string;
}

/** Shortest secret accepted from configuration, so a typo like "admin" is not a key. */
export const MIN_SECRET_LENGTH = 16;

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Parses "name:scope:secret"; the secret may itself contain colons. */
export function parseConfiguredKey(raw: string): ConfiguredKey | undefined {
  const first = raw.indexOf(':');
  const second = first < 0 ? -1 : raw.indexOf(':', first + 1);
  if (second < 0) return undefined;
  const name = raw.slice(0, first).trim();
  const scope = raw.slice(first + 1, second).trim();
  const secret = raw.slice(second + 1).trim();
  if (!NAME.test(name) || !isScope(scope) || secret.length < MIN_SECRET_LENGTH) return undefined;
  return { name, scope, secret };
}

/**
 * `[auth] keys`: a list of "name:scope:secret" strings (from the environment, comma-separated).
 * Marked secret so `config check` never prints them. Parsed again by the key service; checked
 * here so a malformed entry is a start-up error naming `auth.keys`.
 */
const configuredKeys = f.stringList([], {
  secret: true,
  expected: `a list of "name:scope:secret" strings (scope read, write or admin; secret at least ${MIN_SECRET_LENGTH} characters)`,
  accept(list) {
    const names = new Set<string>();
    for (const item of list) {
      const key = parseConfiguredKey(item);
      if (!key || names.has(key.name)) return false;
      names.add(key.name);
    }
    return true;
  },
});

/** `[auth]`: API keys for the /v1 routes. */
export const authSection = {
  keys: configuredKeys,
  /** On the first `serve` with no key at all, create an admin key and print it once. */
  bootstrap_admin_key: f.boolean(true),
  /** How long a verified key is trusted before the store is asked again (revocation elsewhere takes this long). */
  cache_ttl_ms: f.int(5_000, 0, 300_000),
  /**
   * While the relational store is unreachable, a key verified within this long is still
   * accepted (issue 23), so routes that do not need the store keep working; 0 turns it off.
   * Revocations made meanwhile apply when the store answers again.
   */
  stale_key_window_ms: f.int(300_000, 0, 86_400_000),
} as const satisfies Section;
