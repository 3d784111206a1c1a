import { SwitchboardError } from '../../errors/index.js';
import type { CqlType } from './types.js';

/**
 * Validation and normalisation of values before they reach any engine. Both engines call
 * `checkValue`, so a value one engine accepts the other accepts too, and a bad value fails
 * with the same error everywhere instead of as a driver-specific message.
 */

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DECIMAL_RE = /^-?(\d+)(\.\d+)?$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function reject(table: string, column: string, type: CqlType, value: unknown, why: string): SwitchboardError {
  const shown =
    typeof value === 'bigint'
      ? `${value}n`
      : typeof value === 'string'
        ? JSON.stringify(value)
        : typeof value;
  return new SwitchboardError('VALUE_INVALID', `${table}.${column} (${type}): ${why}, got ${shown}`, {
    field: column,
    details: { table, column, type },
  });
}

/**
 * The canonical form of a decimal string, as ScyllaDB returns it: no leading zeros in the
 * integer part and no sign on zero; the scale (trailing zeros) is kept, as CQL decimals keep it.
 */
export function canonicalDecimal(value: string): string {
  const negative = value.startsWith('-');
  const unsigned = negative ? value.slice(1) : value;
  const dot = unsigned.indexOf('.');
  const intPart = (dot === -1 ? unsigned : unsigned.slice(0, dot)).replace(/^0+(?=\d)/, '');
  const fraction = dot === -1 ? '' : unsigned.slice(dot);
  const isZero = /^0$/.test(intPart) && /^\.?0*$/.test(fraction);
  return `${negative && !isZero ? '-' : ''}${intPart}${fraction}`;
}

/** Is the value a valid calendar date string YYYY-MM-DD? */
export function isIsoDate(value: string): boolean {
  const m = DATE_RE.exec(value);
  if (!m) return false;
  // Fast path (on the write and event-validation hot paths, where building a Date and its ISO
  // string cost ~3 µs): any 4-digit year, month 1-12 and day 1-28 is a real date that the
  // round trip below would accept. Everything else still takes the round trip.
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month >= 1 && month <= 12 && day >= 1 && day <= 28) return true;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/** Is the string a version-1 (time-based) UUID? */
export function isTimeUuid(value: string): boolean {
  return UUID_RE.test(value) && value[14] === '1';
}

/**
 * Checks a non-null value against its column type and returns the normalised value
 * (UUIDs lower-cased, sets sorted and de-duplicated, numbers of bigint columns widened).
 */
export function checkValue(table: string, column: string, type: CqlType, value: unknown): unknown {
  switch (type) {
    case 'text':
      if (typeof value !== 'string') throw reject(table, column, type, value, 'expected a string');
      return value;
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
        throw reject(table, column, type, value, 'expected a 32-bit integer');
      }
      return value;
    case 'bigint':
    case 'counter': {
      const v = typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value;
      if (typeof v !== 'bigint' || v < INT64_MIN || v > INT64_MAX) {
        throw reject(table, column, type, value, 'expected a 64-bit integer (bigint)');
      }
      return v;
    }
    case 'double':
      if (typeof value !== 'number' || Number.isNaN(value))
        throw reject(table, column, type, value, 'expected a number');
      return value;
    case 'decimal':
      if (typeof value !== 'string' || !DECIMAL_RE.test(value)) {
        throw reject(table, column, type, value, 'expected a decimal string such as "7500.25"');
      }
      return canonicalDecimal(value);
    case 'boolean':
      if (typeof value !== 'boolean') throw reject(table, column, type, value, 'expected a boolean');
      return value;
    case 'timestamp':
      if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
        throw reject(table, column, type, value, 'expected a valid Date');
      }
      return value;
    case 'date':
      if (typeof value !== 'string' || !isIsoDate(value)) {
        throw reject(table, column, type, value, 'expected a calendar date "YYYY-MM-DD"');
      }
      return value;
    case 'uuid':
    case 'timeuuid': {
      const v = typeof value === 'string' ? value.toLowerCase() : value;
      if (typeof v !== 'string' || !UUID_RE.test(v))
        throw reject(table, column, type, value, 'expected a UUID string');
      if (type === 'timeuuid' && !isTimeUuid(v))
        throw reject(table, column, type, value, 'expected a version-1 UUID');
      return v;
    }
    case 'blob':
      if (!(value instanceof Uint8Array))
        throw reject(table, column, type, value, 'expected a Uint8Array or Buffer');
      return value;
    case 'map<text,text>': {
      if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Map) {
        throw reject(table, column, type, value, 'expected a plain object of strings');
      }
      for (const v of Object.values(value)) {
        if (typeof v !== 'string')
          throw reject(table, column, type, value, 'expected every map value to be a string');
      }
      return value;
    }
    case 'set<text>': {
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
        throw reject(table, column, type, value, 'expected an array of strings');
      }
      return sortUtf8([...new Set(value as string[])]);
    }
    case 'list<text>':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
        throw reject(table, column, type, value, 'expected an array of strings');
      }
      return value;
  }
}

/** CQL orders text by its UTF-8 bytes; JavaScript's default sort uses UTF-16 code units. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function sortUtf8(values: string[]): string[] {
  return values.sort(compareUtf8);
}

/** An empty collection is the same as null in CQL; normalise so both engines read `null`. */
export function isEmptyCollection(type: CqlType, value: unknown): boolean {
  if (type === 'set<text>' || type === 'list<text>') return Array.isArray(value) && value.length === 0;
  if (type === 'map<text,text>')
    return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
  return false;
}
