import type { TableDef } from '../declare.js';
import { SwitchboardError } from '../../../errors/index.js';
import type { SqlType } from './codec.js';

/**
 * Page tokens of the embedded engine: base64url JSON of the last row's free clustering
 * values (as stored), bound to the query that produced them. A token is opaque to callers;
 * one from another table, another partition or prefix, or another direction is refused,
 * because resuming it would silently skip or repeat rows.
 */

const VERSION = 1;

/** FNV-1a over the stored partition and prefix values: enough to tell queries apart. */
export function queryFingerprint(values: readonly unknown[], reversed: boolean): string {
  let h = 0x811c9dc5;
  const text = values.map(storedToJson).join('\u0000') + (reversed ? '\u0001r' : '\u0001f');
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

function storedToJson(value: unknown): string | number {
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value as string | number;
}

export function encodePageToken(table: TableDef, fingerprint: string, last: readonly unknown[]): string {
  const payload = [VERSION, table.name, fingerprint, last.map(storedToJson)];
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/**
 * A token that does not fit the query is the caller's mistake (INVALID_PAGE_TOKEN, 400), and its
 * message names no table: callers of the HTTP API see it.
 */
function invalid(_table: TableDef, why: string) {
  return new SwitchboardError('INVALID_PAGE_TOKEN', `Invalid page token: ${why}`, { field: 'pageToken' });
}

/** Returns the stored clustering values to resume after, in the types SQLite compares them as. */
export function decodePageToken(
  table: TableDef,
  token: string,
  fingerprint: string,
  types: readonly SqlType[],
): unknown[] {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid(table, 'it is not a token this engine issued');
  }
  if (
    !Array.isArray(payload) ||
    payload.length !== 4 ||
    payload[0] !== VERSION ||
    !Array.isArray(payload[3])
  ) {
    throw invalid(table, 'it is not a token this engine issued');
  }
  if (payload[1] !== table.name) throw invalid(table, 'it was issued for another query');
  if (payload[2] !== fingerprint) {
    throw invalid(table, 'it was issued for another partition, clustering prefix or order');
  }
  const raw = payload[3] as unknown[];
  if (raw.length !== types.length) throw invalid(table, 'it does not match the clustering columns');
  return raw.map((value, i) => {
    const type = types[i]!;
    if (typeof value === 'number') {
      if (type === 'REAL' || (type === 'INTEGER' && Number.isSafeInteger(value))) return value;
      throw invalid(table, 'malformed value');
    }
    if (typeof value !== 'string') throw invalid(table, 'malformed value');
    if (type === 'TEXT') return value;
    if (type === 'BLOB') return Buffer.from(value, 'base64');
    if (!/^-?\d+$/.test(value)) throw invalid(table, 'malformed value');
    return BigInt(value);
  });
}
