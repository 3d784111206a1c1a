import type { BatchOp } from '../../ports/wide-column/engine.js';

/**
 * Per-cell overhead Cassandra counts in a mutation's size besides the value (timestamp, TTL,
 * cell flags and the column's identity), rounded up so the estimate errs large.
 */
const CELL_OVERHEAD_BYTES = 16;

/** Bytes of one value as Cassandra measures a cell: its serialized length, plus overhead. */
function valueBytes(value: unknown): number {
  return CELL_OVERHEAD_BYTES + payloadBytes(value);
}

function payloadBytes(value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number' || typeof value === 'bigint' || value instanceof Date) return 8;
  if (typeof value === 'boolean') return 1;
  // Collections: every element (and map key) is a cell of its own.
  if (value instanceof Map) return sum([...value.keys()]) + sum([...value.values()]);
  if (value instanceof Set || Array.isArray(value)) return sum(value as Iterable<unknown>);
  if (typeof value === 'object') return sum(Object.values(value));
  return 0;
}

function sum(values: Iterable<unknown>): number {
  let n = 0;
  for (const v of values) n += valueBytes(v);
  return n;
}

/**
 * An estimate, in bytes, of what a batch operation adds to a CQL batch's size, so the consumer
 * can keep its batches under the server's batch size limits (Cassandra refuses a batch over
 * `batch_size_fail_threshold`, 50 KiB by default). Deliberately simple and on the large side.
 */
export function batchOpBytes(op: BatchOp): number {
  switch (op.kind) {
    case 'insert':
      return sum(Object.values(op.row));
    case 'insertShaped':
      return sum(op.values);
    case 'update':
      return sum(Object.values(op.key)) + sum(Object.values(op.set));
    case 'delete':
    case 'deletePartition':
      return sum(Object.values(op.key));
    case 'increment':
      return sum(Object.values(op.key)) + sum(Object.values(op.deltas));
  }
}
