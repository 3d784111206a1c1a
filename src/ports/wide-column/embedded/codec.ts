import type { CqlType } from '../types.js';
import { compareUtf8 } from '../values.js';

/**
 * How each CQL type is stored in SQLite. The storage is chosen so that SQLite's own ordering
 * of the stored value equals CQL's ordering of the type (text as UTF-8 bytes, integers as
 * INTEGER, timeuuids by timestamp), which lets clustering order, ranges and page tokens be
 * plain SQL comparisons on the primary-key index.
 *
 * Encoders receive values already checked and normalised by `checkValue`; decoders receive
 * a non-null value as better-sqlite3 returns it (INTEGER may be a `bigint` when the statement
 * reads a bigint column with `safeIntegers`).
 */
export type SqlType = 'TEXT' | 'INTEGER' | 'REAL' | 'BLOB';
export type Encoder = (value: unknown) => unknown;
export type Decoder = (value: unknown) => unknown;

export function sqlTypeOf(type: CqlType): SqlType {
  switch (type) {
    case 'int':
    case 'bigint':
    case 'counter':
    case 'timestamp':
    case 'boolean':
      return 'INTEGER';
    case 'double':
      return 'REAL';
    case 'blob':
      return 'BLOB';
    default:
      return 'TEXT';
  }
}

/** Types whose values can exceed 2^53 and so need `safeIntegers` on the reading statement. */
export function needsSafeIntegers(type: CqlType): boolean {
  return type === 'bigint' || type === 'counter';
}

const identity = (value: unknown): unknown => value;

// ---- timeuuid: a text encoding that sorts as CQL's TimeUUIDType ----
//
// CQL compares timeuuids by their 60-bit timestamp, then the remaining 8 bytes (clock
// sequence and node) as *signed* bytes. The stored form is the timestamp as 15 hex digits
// followed by those 8 bytes each XOR 0x80 (which maps signed order onto unsigned order), so
// SQLite's BINARY text comparison gives CQL's order.

const HEX = '0123456789abcdef';
const FLIP: Record<string, string> = {};
for (let b = 0; b < 256; b += 1) {
  const f = b ^ 0x80;
  FLIP[HEX[b >> 4]! + HEX[b & 15]!] = HEX[f >> 4]! + HEX[f & 15]!;
}

function flipBytes(hex: string): string {
  let out = '';
  for (let i = 0; i < hex.length; i += 2) out += FLIP[hex.slice(i, i + 2)];
  return out;
}

/** `tlow-tmid-1thi-csq-node` → `thi tmid tlow` + flipped(csq node). */
export function encodeTimeUuid(uuid: string): string {
  const timestamp = uuid.slice(15, 18) + uuid.slice(9, 13) + uuid.slice(0, 8);
  return timestamp + flipBytes(uuid.slice(19, 23) + uuid.slice(24, 36));
}

export function decodeTimeUuid(stored: string): string {
  const rest = flipBytes(stored.slice(15, 31));
  return `${stored.slice(7, 15)}-${stored.slice(3, 7)}-1${stored.slice(0, 3)}-${rest.slice(0, 4)}-${rest.slice(4, 16)}`;
}

// ---- collections: JSON text; maps in CQL key order so they read back as ScyllaDB returns them ----

function encodeMap(value: unknown): string {
  const entries = Object.entries(value as Record<string, string>);
  entries.sort((a, b) => compareUtf8(a[0], b[0]));
  return JSON.stringify(Object.fromEntries(entries));
}

const encodeJson = (value: unknown): string => JSON.stringify(value);
const decodeJson = (value: unknown): unknown => JSON.parse(value as string);

export function encoderFor(type: CqlType): Encoder {
  switch (type) {
    case 'boolean':
      return (value) => (value ? 1 : 0);
    case 'timestamp':
      return (value) => (value as Date).getTime();
    case 'timeuuid':
      return (value) => encodeTimeUuid(value as string);
    case 'map<text,text>':
      return encodeMap;
    case 'set<text>':
    case 'list<text>':
      return encodeJson;
    default:
      return identity;
  }
}

export function decoderFor(type: CqlType): Decoder {
  switch (type) {
    case 'int':
      return (value) => Number(value);
    case 'bigint':
    case 'counter':
      return (value) => (typeof value === 'bigint' ? value : BigInt(value as number));
    case 'boolean':
      return (value) => value === 1 || value === 1n;
    case 'timestamp':
      return (value) => new Date(Number(value));
    case 'timeuuid':
      return (value) => decodeTimeUuid(value as string);
    case 'map<text,text>':
    case 'set<text>':
    case 'list<text>':
      return decodeJson;
    default:
      return identity;
  }
}
