import { uuid6, type Checkpoint, type CheckpointTuple } from '@langchain/langgraph-checkpoint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwitchboardSaver } from '../../../src/modules/langgraph/saver.js';
import { langgraphTables } from '../../../src/modules/langgraph/tables.js';
import { createTestContext, type TestContext } from '../../helpers/context.js';

/**
 * What the saver keeps in memory (the values of each thread namespace's latest checkpoint,
 * blob-cache.ts) and reads in bulk (a full list) must never show another process anything
 * but the store: two savers over one store stand for two processes.
 */
function checkpoint(values: Record<string, unknown>, versions: Record<string, number>): Checkpoint {
  return {
    v: 4,
    id: uuid6(-1),
    ts: new Date().toISOString(),
    channel_values: values,
    channel_versions: versions,
    versions_seen: {},
  };
}

const values = (tuple: CheckpointTuple | undefined) => tuple?.checkpoint.channel_values;

describe('SwitchboardSaver caches and bulk reads (issue 20)', () => {
  let context: TestContext;
  beforeAll(async () => {
    context = await createTestContext();
    await context.wideColumn.applySchema([...langgraphTables]);
  });
  afterAll(async () => context?.cleanup());

  it('reads a thread deleted and started again by another process from the store, not its cache', async () => {
    const [a, b] = [new SwitchboardSaver(context.wideColumn), new SwitchboardSaver(context.wideColumn)];
    const config = { configurable: { thread_id: 'reused-thread', checkpoint_ns: '' } };
    await a.put(
      config,
      checkpoint({ topic: 'old' }, { topic: 1 }),
      { source: 'input', step: 0, parents: {} },
      {
        topic: 1,
      },
    );
    expect(values(await a.getTuple(config))).toEqual({ topic: 'old' });

    // Same thread id, same channel version, another value: only the checkpoint id differs.
    await b.deleteThread('reused-thread');
    await b.put(
      config,
      checkpoint({ topic: 'new' }, { topic: 1 }),
      { source: 'input', step: 0, parents: {} },
      {
        topic: 1,
      },
    );
    expect(values(await a.getTuple(config))).toEqual({ topic: 'new' });
  });

  it('hands out copies: changing a value read or written does not change what is cached', async () => {
    const saver = new SwitchboardSaver(context.wideColumn);
    const config = { configurable: { thread_id: 'bytes-thread', checkpoint_ns: '' } };
    const audio = new Uint8Array([1, 2, 3]);
    await saver.put(
      config,
      checkpoint({ audio }, { audio: 1 }),
      { source: 'input', step: 0, parents: {} },
      {
        audio: 1,
      },
    );
    audio[0] = 9;
    const read = values(await saver.getTuple(config))?.audio as Uint8Array;
    expect([...read]).toEqual([1, 2, 3]);
    read[1] = 9;
    expect([...(values(await saver.getTuple(config))?.audio as Uint8Array)]).toEqual([1, 2, 3]);
  });

  it('indexes a thread again when its next checkpoint follows a deletion by another process', async () => {
    const [a, b] = [new SwitchboardSaver(context.wideColumn), new SwitchboardSaver(context.wideColumn)];
    const config = { configurable: { thread_id: 'deleted-meanwhile', checkpoint_ns: '' } };
    const first = await a.put(
      config,
      checkpoint({ n: 1 }, { n: 1 }),
      { source: 'input', step: 0, parents: {} },
      {
        n: 1,
      },
    );
    await b.deleteThread('deleted-meanwhile');
    await a.put(first, checkpoint({ n: 2 }, { n: 2 }), { source: 'loop', step: 1, parents: {} }, { n: 2 });
    expect(await b.listThreads()).toContain('deleted-meanwhile');

    await b.deleteThread('deleted-meanwhile');
    expect(await a.getTuple(config)).toBeUndefined();
  });

  it('lists every checkpoint of a long thread with the values point reads give', async () => {
    const saver = new SwitchboardSaver(context.wideColumn, { cacheBytes: 0 });
    let config: { configurable: Record<string, unknown> } = {
      configurable: { thread_id: 'long-listed', checkpoint_ns: '' },
    };
    // `label` changes every third step only: most checkpoints name a version written earlier.
    for (let step = 0; step < 60; step += 1) {
      const label = Math.floor(step / 3);
      const stored = await saver.put(
        config,
        checkpoint({ step, label: `label ${label}` }, { step: step + 1, label: label + 1 }),
        { source: 'loop', step, parents: {} },
        step % 3 === 0 ? { step: step + 1, label: label + 1 } : { step: step + 1 },
      );
      config = stored as typeof config;
    }
    const listed: CheckpointTuple[] = [];
    for await (const tuple of saver.list({ configurable: { thread_id: 'long-listed' } })) listed.push(tuple);
    expect(listed).toHaveLength(60);
    // One at a time: point reads of the versions each checkpoint names (no cache: cacheBytes 0).
    for (const tuple of listed) expect(values(tuple)).toEqual(values(await saver.getTuple(tuple.config)));
    expect(values(listed[0])).toEqual({ step: 59, label: 'label 19' });
    expect(values(listed[59])).toEqual({ step: 0, label: 'label 0' });
  });
});
