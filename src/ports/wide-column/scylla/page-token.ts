import type { TableDef } from '../declare.js';
import { SwitchboardError } from '../../../errors/index.js';

/**
 * Page tokens of the ScyllaDB engine: the driver's paging state, wrapped with the table and
 * a fingerprint of the partition, clustering prefix and direction it was issued for. The
 * server would accept a paging state on another partition and resume somewhere meaningless;
 * like the embedded engine, such a token is refused instead.
 */

const VERSION = 1;
const HEX = /^(?:[0-9a-f]{2})+$/;

function plain(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Date) return `@${value.getTime()}`;
  if (value instanceof Uint8Array)
    return `b${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}`;
  return JSON.stringify(value);
}

/** FNV-1a over the checked partition and prefix values and the direction. */
export function sliceFingerprint(values: readonly unknown[], reversed: boolean): string {
  let h = 0x811c9dc5;
  const text = values.map(plain).join('\u0000') + (reversed ? '\u0001r' : '\u0001f');
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

export function encodePageToken(table: TableDef, fingerprint: string, pageState: string): string {
  return Buffer.from(JSON.stringify([VERSION, table.name, fingerprint, pageState]), 'utf8').toString(
    'base64url',
  );
}

/** The driver paging state inside a token, after checking it belongs to this query. */
export function decodePageToken(table: TableDef, token: string, fingerprint: string): string {
  // The caller's mistake (400), named without the table: callers of the HTTP API see it.
  const invalid = (why: string) =>
    new SwitchboardError('INVALID_PAGE_TOKEN', `Invalid page token: ${why}`, { field: 'pageToken' });
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid('it is not a token this engine issued');
  }
  if (
    !Array.isArray(payload) ||
    payload.length !== 4 ||
    payload[0] !== VERSION ||
    typeof payload[3] !== 'string' ||
    !HEX.test(payload[3])
  ) {
    throw invalid('it is not a token this engine issued');
  }
  if (payload[1] !== table.name) throw invalid('it was issued for another query');
  if (payload[2] !== fingerprint)
    throw invalid('it was issued for another partition, clustering prefix or order');
  return payload[3];
}
