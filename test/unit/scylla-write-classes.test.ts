import { describe, expect, it } from 'vitest';
import { defineTable } from '../../src/ports/wide-column/declare.js';
import { batchOp } from '../../src/ports/wide-column/engine.js';
import type { OperationClass } from '../../src/ports/wide-column/scylla/executor.js';
import { engineOver } from '../helpers/scylla-fake.js';

/**
 * Which operation class (so which consistency, idempotence and timestamp source) each write
 * reaches the driver with (issue 22): plain writes to a table with lightweight transactions,
 * or declared serverTimestamps, are timestamped by the coordinator; the rest by the driver.
 */
const M = 'unit';
const keyed = {
  module: M,
  columns: { k: 'text', c: 'int', v: 'text' },
  partitionKey: ['k'],
  clusteringKey: [{ column: 'c', order: 'ASC' }],
} as const;
const lwt = defineTable({ ...keyed, name: 'wc_lwt', usesLwt: true });
const beside = defineTable({
  name: 'wc_beside',
  module: M,
  columns: { k: 'text', v: 'text' },
  partitionKey: ['k'],
  serverTimestamps: true,
});
const plain = defineTable({ ...keyed, name: 'wc_plain' });
const counts = defineTable({
  name: 'wc_counts',
  module: M,
  columns: { k: 'text', n: 'counter' },
  partitionKey: ['k'],
});

function recorded() {
  const calls: string[] = [];
  const engine = engineOver({
    execute: (_cql: string, _params: unknown[], kind: OperationClass, context: { table: string }) => {
      calls.push(`${context.table} ${kind}`);
      return Promise.resolve({ first: () => ({ '[applied]': true }), rows: [], wasApplied: () => true });
    },
    batch: (_queries: unknown[], counter: boolean, context: { table: string }, serverTime?: boolean) => {
      calls.push(
        `batch ${context.table} ${counter ? 'counter' : serverTime ? 'server-time-write' : 'write'}`,
      );
      return Promise.resolve();
    },
  });
  return { engine, calls };
}

describe('ScyllaDB write classes', () => {
  it('timestamps plain writes to LWT and serverTimestamps tables on the coordinator, the rest on the driver', async () => {
    const { engine, calls } = recorded();
    await engine.insert(lwt, { k: 'a', c: 1, v: 'x' });
    await engine.update(lwt, { k: 'a', c: 1 }, { v: 'y' });
    await engine.delete(lwt, { k: 'a', c: 1 });
    await engine.deleteSlice(lwt, { key: { k: 'a' }, range: { column: 'c', lt: 5 } });
    await engine.deletePartition(lwt, { k: 'a' });
    await engine.insert(beside, { k: 'a', v: 'x' });
    await engine.insert(plain, { k: 'a', c: 1, v: 'x' });
    await engine.increment(counts, { k: 'a' }, { n: 1n });
    expect(calls).toEqual([
      'wc_lwt server-time-write',
      'wc_lwt server-time-write',
      'wc_lwt server-time-write',
      'wc_lwt server-time-write',
      'wc_lwt server-time-write',
      'wc_beside server-time-write',
      'wc_plain write',
      'wc_counts counter',
    ]);
  });

  it('keeps conditional writes conditional', async () => {
    const { engine, calls } = recorded();
    await engine.insert(lwt, { k: 'a', c: 1, v: 'x' }, { ifNotExists: true });
    await engine.update(lwt, { k: 'a', c: 1 }, { v: 'y' }, { ifExists: true });
    expect(calls).toEqual(['wc_lwt lwt', 'wc_lwt lwt']);
  });

  it('classes each statement of a non-atomic batch by its own table, and a logged batch by its tables', async () => {
    const { engine, calls } = recorded();
    await engine.batch(
      [
        batchOp.insert(lwt, { k: 'a', c: 1, v: 'x' }),
        batchOp.insert(plain, { k: 'a', c: 1, v: 'x' }),
        batchOp.increment(counts, { k: 'a' }, { n: 1n }),
      ],
      { atomic: false },
    );
    await engine.batch([
      batchOp.insert(lwt, { k: 'a', c: 2, v: 'x' }),
      batchOp.insert(beside, { k: 'a', v: 'x' }),
    ]);
    await engine.batch([
      batchOp.insert(plain, { k: 'a', c: 2, v: 'x' }),
      batchOp.insert(plain, { k: 'b', c: 2, v: 'x' }),
    ]);
    expect(calls).toEqual([
      'wc_lwt server-time-write',
      'wc_plain write',
      'wc_counts counter',
      'batch wc_lwt,wc_beside server-time-write',
      'batch wc_plain write',
    ]);
  });
});
