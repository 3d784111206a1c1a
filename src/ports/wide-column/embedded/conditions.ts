import type { CqlType } from '../types.js';
import type { Encoder } from './codec.js';

/**
 * `IF col = value` on the embedded engine: both sides are compared in stored form, which is
 * canonical (sets sorted, maps in key order, timestamps as ms, timeuuids re-encoded), so
 * equality there is CQL equality.
 */
export function conditionHolds(type: CqlType, encode: Encoder, expected: unknown, current: unknown): boolean {
  if (expected === null || current === null || current === undefined) {
    return expected === null && (current === null || current === undefined);
  }
  if (type === 'blob') return Buffer.compare(Buffer.from(expected as Uint8Array), current as Buffer) === 0;
  const a = encode(expected);
  const b = encode(current);
  if (typeof a === 'bigint' || typeof b === 'bigint') return BigInt(a as bigint) === BigInt(b as bigint);
  return a === b;
}
