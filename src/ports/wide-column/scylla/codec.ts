import cassandra from 'cassandra-driver';
import type { TableDef } from '../declare.js';
import type { CqlType } from '../types.js';
import { sortUtf8 } from '../values.js';

/**
 * Conversion between the port's value types (see types.ts) and what cassandra-driver sends
 * and returns. Values reaching `encodeValue` were already checked and normalised by
 * `checkValue`, so this only changes representation. The client runs with
 * `encoding.useBigIntAsLong`, so bigint and counter travel as JS bigint both ways.
 */

const { types } = cassandra;

/** Port value → driver value for a bound parameter. Null stays null (a tombstone or "unset" in conditions). */
export function encodeValue(type: CqlType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'decimal':
      // BigDecimal keeps the scale of the string ("7500.00" stays scale 2): no float on the way.
      return types.BigDecimal.fromString(value as string);
    case 'date':
      return localDateOf(value as string);
    case 'uuid':
      return types.Uuid.fromString(value as string);
    case 'timeuuid':
      return types.TimeUuid.fromString(value as string);
    case 'blob': {
      // The driver accepts only Buffer for blobs; wrap a plain Uint8Array without copying.
      const bytes = value as Uint8Array;
      return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    case 'map<text,text>':
      // The driver walks maps with `value.hasOwnProperty`, which prototype-less objects lack.
      return { ...(value as Record<string, string>) };
    case 'bigint':
    case 'counter':
      return typeof value === 'number' ? BigInt(value) : value;
    default:
      return value;
  }
}

function localDateOf(iso: string): InstanceType<typeof types.LocalDate> {
  const [year, month, day] = iso.split('-').map(Number) as [number, number, number];
  return new types.LocalDate(year, month, day);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** A decimal as a plain string, including scales the driver's toString mishandles (negative scale). */
function decimalString(value: InstanceType<typeof types.BigDecimal>): string {
  const raw = value as unknown as { _intVal?: { toString(): string }; _scale?: number };
  if (typeof raw._scale === 'number' && raw._scale < 0 && raw._intVal) {
    const digits = raw._intVal.toString();
    return digits === '0' ? '0' : digits + '0'.repeat(-raw._scale);
  }
  return value.toString();
}

/** Driver value → port value. Empty collections read as null, as CQL itself does. */
export function decodeValue(type: CqlType, raw: unknown): unknown {
  if (raw === null || raw === undefined) return null;
  switch (type) {
    case 'bigint':
    case 'counter':
      if (typeof raw === 'bigint') return raw;
      // A Long (if the client ever runs without useBigIntAsLong): go through its decimal text.
      return BigInt((raw as { toString(): string }).toString());
    case 'int':
    case 'double':
      return typeof raw === 'number' ? raw : Number(raw);
    case 'decimal':
      return raw instanceof types.BigDecimal ? decimalString(raw) : String(raw);
    case 'date': {
      if (raw instanceof types.LocalDate && Number.isFinite(raw.year) && raw.year >= 0) {
        return `${pad(raw.year, 4)}-${pad(raw.month, 2)}-${pad(raw.day, 2)}`;
      }
      return String(raw);
    }
    case 'uuid':
    case 'timeuuid':
      return String(raw).toLowerCase();
    case 'timestamp':
      return raw instanceof Date ? raw : new Date(raw as string | number);
    case 'blob':
      return Buffer.isBuffer(raw) ? raw : Buffer.from(raw as Uint8Array);
    case 'map<text,text>': {
      const entries =
        raw instanceof Map ? [...(raw as Map<string, string>).entries()] : Object.entries(raw as object);
      return entries.length === 0 ? null : Object.fromEntries(entries);
    }
    case 'set<text>': {
      const values = [...(raw as Iterable<string>)];
      return values.length === 0 ? null : sortUtf8(values);
    }
    case 'list<text>': {
      const values = [...(raw as Iterable<string>)];
      return values.length === 0 ? null : values;
    }
    default:
      return raw;
  }
}

/** A full row: every declared column present, absent values as null. */
export function decodeRow(table: TableDef, row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [column, type] of Object.entries(table.columns)) out[column] = decodeValue(type, row[column]);
  return out;
}

/**
 * The columns of a row the server returned alongside an LWT result, decoded; the special
 * `[applied]` column and columns the table does not declare are left out.
 */
export function decodePartialRow(
  table: TableDef,
  row: Record<string, unknown>,
  columnNames: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column of columnNames) {
    const type = table.columns[column];
    if (type === undefined) continue;
    out[column] = decodeValue(type, row[column]);
  }
  return out;
}
