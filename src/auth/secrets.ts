import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** Every key Switchboard issues starts with this, so leaked keys are easy to grep for. */
export const KEY_PREFIX = 'sb_';

/** A new key: `sb_` and 32 random bytes in base64url (256 bits, no padding). */
export function generateSecret(): string {
  return `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function newKeyId(): string {
  return randomUUID();
}

/**
 * SHA-256 of the whole key. A plain fast hash is enough here (unlike passwords) because the
 * secrets are 256 random bits: there is nothing to brute-force, and lookups stay O(1) by hash.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** The key from `Authorization: Bearer <key>` (or `X-API-Key`), or undefined. */
export function secretFromHeaders(
  headers: Record<string, string | string[] | undefined>,
): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return match?.[1];
  }
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.length > 0 ? apiKey.trim() : undefined;
}
