import { afterEach, describe, expect, it } from 'vitest';
import { batchOpBytes } from '../../../src/modules/interactions/batch-size.js';
import type { BatchOp, WideColumnEngine } from '../../../src/ports/wide-column/engine.js';
import { createPipeline, drained, makeEvent, type Pipeline } from './helpers.js';

let pipeline: Pipeline | undefined;
afterEach(async () => {
  await pipeline?.close();
  pipeline = undefined;
});

/** Records the estimated size of every store batch the consumer sends. */
function recordingBatches(sizes: number[][]) {
  return (engine: WideColumnEngine): WideColumnEngine =>
    new Proxy(engine, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'batch' || typeof value !== 'function') {
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        }
        return (ops: readonly BatchOp[]) => {
          sizes.push(ops.map(batchOpBytes));
          return (value as (ops: readonly BatchOp[]) => Promise<void>).call(target, ops);
        };
      },
    });
}

describe('interactions consumer store batches', () => {
  it('keeps every store batch under store_batch_kb, so Cassandra never refuses one as too large', async () => {
    const sizes: number[][] = [];
    // 4 KiB: summary rows with a histogram and 64 recent event ids are over 1.5 KiB each.
    pipeline = await createPipeline({
      env: { SWITCHBOARD_INTERACTIONS_STORE_BATCH_KB: '4' },
      wrap: recordingBatches(sizes),
    });
    const { services } = pipeline;
    const events = [];
    for (let i = 0; i < 1200; i += 1)
      events.push({
        stage: 'llm' as const,
        event: makeEvent('llm', `kb-${i % 40}`, { latency_ms: 100 + i }),
      });
    for (let i = 0; i < events.length; i += 400)
      await services.publisher.publishMany(events.slice(i, i + 400));
    await services.consumer.start();
    await drained(services, 120_000);

    expect(sizes.length).toBeGreaterThan(1);
    for (const batch of sizes) {
      const total = batch.reduce((a, b) => a + b, 0);
      // A batch over the budget is a single group that could not be split (one event's rows).
      if (total > 4096) expect(batch.length).toBeLessThanOrEqual(2);
    }
    const summary = await services.queries.sessionSummary('kb-0');
    expect(summary!.event_count).toBe(30);
  });

  it('estimates blobs, strings and collections by their size', () => {
    const table = { name: 't' } as never;
    const small = batchOpBytes({ kind: 'insert', table, row: { id: 'a', n: 1 } });
    const blob = batchOpBytes({ kind: 'insert', table, row: { id: 'a', n: 1, b: new Uint8Array(10_000) } });
    expect(blob - small).toBeGreaterThanOrEqual(10_000);
    const map = batchOpBytes({
      kind: 'update',
      table,
      key: { id: 'a' },
      set: { m: new Map([['k'.repeat(500), 'v'.repeat(500)]]) },
    });
    expect(map).toBeGreaterThanOrEqual(1_000);
  });
});
