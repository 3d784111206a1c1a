import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares the webhook secret in constant time. Both sides are hashed first so the
 * comparison takes the same time whatever the lengths (timingSafeEqual needs equal lengths,
 * and returning early on a length mismatch would leak the secret's length).
 */
export function secretMatches(given: unknown, expected: string): boolean {
  const value = Array.isArray(given) ? given[0] : given;
  if (typeof value !== 'string') return false;
  const a = createHash('sha256').update(value, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
