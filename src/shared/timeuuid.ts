import { randomBytes } from 'node:crypto';

/**
 * Version-1 (time-based) UUIDs, the values of CQL `timeuuid` columns. The 60-bit timestamp
 * counts 100-nanosecond intervals since the Gregorian epoch (1582-10-15), so ids sort by
 * creation time on every engine. Ids made by one process are strictly increasing: within one
 * millisecond the sub-millisecond ticks act as a counter, and when they run out the clock is
 * borrowed from the next millisecond rather than repeating a value.
 */

/** Milliseconds between 1582-10-15T00:00:00Z and the Unix epoch. */
const GREGORIAN_OFFSET_MS = 12_219_292_800_000n;
const TICKS_PER_MS = 10_000n;

/** Node id: random, with the multicast bit set as RFC 4122 §4.5 asks for non-MAC nodes. */
const node = randomBytes(6);
node[0] = node[0]! | 0x01;
const clockSeq = randomBytes(2).readUInt16BE(0) & 0x3fff;

let lastTicks = 0n;

function hex(value: bigint, digits: number): string {
  return value.toString(16).padStart(digits, '0');
}

function format(ticks: bigint, seq: number, nodeBytes: Uint8Array): string {
  const timeLow = ticks & 0xffffffffn;
  const timeMid = (ticks >> 32n) & 0xffffn;
  const timeHi = ((ticks >> 48n) & 0x0fffn) | 0x1000n;
  const seqField = BigInt((seq & 0x3fff) | 0x8000);
  return `${hex(timeLow, 8)}-${hex(timeMid, 4)}-${hex(timeHi, 4)}-${hex(seqField, 4)}-${Buffer.from(nodeBytes).toString('hex')}`;
}

/** A new timeuuid for `now` (default: the current time), unique and increasing within this process. */
export function timeUuid(now: Date = new Date()): string {
  let ticks = (BigInt(now.getTime()) + GREGORIAN_OFFSET_MS) * TICKS_PER_MS;
  if (ticks <= lastTicks) ticks = lastTicks + 1n;
  lastTicks = ticks;
  return format(ticks, clockSeq, node);
}

/**
 * The smallest or largest timeuuid of a millisecond (CQL `minTimeuuid` / `maxTimeuuid`),
 * for range bounds on timeuuid clustering columns.
 */
export function timeUuidBound(date: Date, bound: 'min' | 'max'): string {
  const base = (BigInt(date.getTime()) + GREGORIAN_OFFSET_MS) * TICKS_PER_MS;
  if (bound === 'min') return format(base, 0, new Uint8Array(6));
  return format(base + TICKS_PER_MS - 1n, 0x3fff, new Uint8Array(6).fill(0xff));
}

/** The creation time encoded in a version-1 UUID (millisecond precision). */
export function timeUuidDate(id: string): Date {
  const h = id.replace(/-/g, '');
  if (h.length !== 32 || h[12] !== '1') throw new TypeError('not a version-1 UUID');
  const ticks =
    (BigInt(`0x${h.slice(13, 16)}`) << 48n) |
    (BigInt(`0x${h.slice(8, 12)}`) << 32n) |
    BigInt(`0x${h.slice(0, 8)}`);
  return new Date(Number(ticks / TICKS_PER_MS - GREGORIAN_OFFSET_MS));
}
