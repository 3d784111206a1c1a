import { SwitchboardError } from '../../errors/index.js';

/**
 * Snowflake id layout, as in the seed: 42 bits of milliseconds since 2024-01-01T00:00:00Z,
 * 10 bits of worker id, 12 bits of sequence. Ids are `bigint` in TypeScript and CQL and a
 * decimal string in JSON (a JS number loses precision above 2^53).
 */
export const SNOWFLAKE_EPOCH_MS = Date.UTC(2024, 0, 1);
export const WORKER_BITS = 10n;
export const SEQUENCE_BITS = 12n;
export const MAX_WORKER_ID = 1023;
export const MAX_SEQUENCE = 4095;
export const MAX_TIMESTAMP_MS = 2 ** 42 - 1;
const TIME_SHIFT = WORKER_BITS + SEQUENCE_BITS;
const MAX_ID = 2n ** 63n - 1n;

/** Builds an id from its parts; `ms` is milliseconds since the Snowflake epoch. */
export function composeId(ms: number, workerId: number, sequence: number): bigint {
  return (BigInt(ms) << TIME_SHIFT) | (BigInt(workerId) << SEQUENCE_BITS) | BigInt(sequence);
}

export function decomposeId(id: bigint): { ms: number; workerId: number; sequence: number } {
  return {
    ms: Number(id >> TIME_SHIFT),
    workerId: Number((id >> SEQUENCE_BITS) & BigInt(MAX_WORKER_ID)),
    sequence: Number(id & BigInt(MAX_SEQUENCE)),
  };
}

/** The wall-clock time the id was generated at (millisecond precision). */
export function idToTime(id: bigint): Date {
  return new Date(SNOWFLAKE_EPOCH_MS + Number(id >> TIME_SHIFT));
}

/** The smallest id any worker can generate at `time`; every id at or after `time` is >= it. */
export function minIdAt(time: Date | number): bigint {
  const ms = (typeof time === 'number' ? time : time.getTime()) - SNOWFLAKE_EPOCH_MS;
  return composeId(Math.min(Math.max(ms, 0), MAX_TIMESTAMP_MS), 0, 0);
}

/**
 * Parses an id from JSON or a URL: a decimal string of at most 19 digits within int64.
 * Anything else is INVALID_ID naming the field, never a silent NaN or a rounded number.
 */
export function parseId(raw: unknown, field: string): bigint {
  if (typeof raw === 'bigint' && raw >= 0n && raw <= MAX_ID) return raw;
  if (typeof raw === 'string' && /^\d{1,19}$/.test(raw)) {
    const id = BigInt(raw);
    if (id <= MAX_ID) return id;
  }
  throw new SwitchboardError('INVALID_ID', `${field} must be a Snowflake id as a decimal string`, {
    field,
    details: { expected: 'decimal string of a 64-bit id, e.g. "1234567890123456789"' },
  });
}

export function formatId(id: bigint): string {
  return id.toString(10);
}
