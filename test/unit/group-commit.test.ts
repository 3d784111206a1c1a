import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../../src/errors/index.js';
import { defineTable } from '../../src/ports/wide-column/declare.js';
import { batchOp, type BatchOp, type WideColumnEngine } from '../../src/ports/wide-column/engine.js';
import { createEmbeddedEngine } from '../../src/ports/wide-column/embedded/engine.js';
import { GroupCommit } from '../../src/ports/wide-column/group-commit.js';

const rows = defineTable({
  name: 'gc_rows',
  module: 'test',
  columns: { id: 'int', n: 'int' },
  partitionKey: ['id'],
});
const hits = defineTable({
  name: 'gc_hits',
  module: 'test',
  columns: { id: 'int', count: 'counter' },
  partitionKey: ['id'],
});

describe('group commit (embedded engine)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-group-commit-'));
  let engine: WideColumnEngine;
  let batches: number;
  let counting: WideColumnEngine;

  beforeAll(async () => {
    engine = await createEmbeddedEngine({ path: join(dir, 'wide-column.db'), purgeIntervalMs: 0 });
    await engine.applySchema([rows, hits]);
    counting = new Proxy(engine, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'batch' || typeof value !== 'function') return value;
        return (ops: BatchOp[], options?: unknown) => {
          batches += 1;
          return (value as (o: BatchOp[], p?: unknown) => Promise<void>).call(target, ops, options);
        };
      },
    });
  });
  afterAll(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (group: GroupCommit, id: number, n: unknown) =>
    group.write([
      batchOp.insert(rows, { id, n: n as number }),
      batchOp.increment(hits, { id: 0 }, { count: 1 }),
    ]);

  it('commits writes of one event-loop turn together, each caller waiting for its own commit', async () => {
    const group = new GroupCommit(counting, 256);
    batches = 0;
    await Promise.all(Array.from({ length: 100 }, (_, i) => write(group, i, i)));
    expect(batches).toBe(1);
    for (const id of [0, 57, 99]) expect((await engine.get(rows, { id }))?.n).toBe(id);
    expect((await engine.get(hits, { id: 0 }))?.count).toBe(100n);
  });

  it('starts a new transaction when a group is full', async () => {
    const group = new GroupCommit(counting, 10);
    batches = 0;
    await Promise.all(Array.from({ length: 35 }, (_, i) => write(group, 1000 + i, i)));
    expect(batches).toBe(4);
  });

  it('fails only the bad write of a group; the others commit whole', async () => {
    const group = new GroupCommit(counting, 256);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => write(group, 2000 + i, i === 7 ? 'not a number' : i)),
    );
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [i] : []));
    expect(failed).toEqual([7]);
    expect(isSwitchboardError((results[7] as PromiseRejectedResult).reason, 'VALUE_INVALID')).toBe(true);
    expect(await engine.get(rows, { id: 2007 })).toBeNull();
    expect((await engine.get(rows, { id: 2019 }))?.n).toBe(19);
    // 100 + 35 before; 19 of these 20 counted: the failed write's increment rolled back with it.
    expect((await engine.get(hits, { id: 0 }))?.count).toBe(154n);
  });
});
