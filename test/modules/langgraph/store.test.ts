import { Annotation, END, START, StateGraph, type LangGraphRunnableConfig } from '@langchain/langgraph';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwitchboardSaver } from '../../../src/modules/langgraph/saver.js';
import { SwitchboardStore } from '../../../src/modules/langgraph/store.js';
import { langgraphTables } from '../../../src/modules/langgraph/tables.js';
import { createTestContext, type TestContext } from '../../helpers/context.js';

/** Issue 20: LangGraph long-term memory (BaseStore) on the wide-column port. */
describe('SwitchboardStore (issue 20)', () => {
  let context: TestContext;
  let store: SwitchboardStore;
  beforeAll(async () => {
    context = await createTestContext();
    await context.wideColumn.applySchema([...langgraphTables]);
    store = new SwitchboardStore(context.wideColumn);
  });
  afterAll(async () => context?.cleanup());

  it('puts, gets, updates (keeping createdAt) and deletes items', async () => {
    await store.put(['u1', 'memories'], 'lang', { language: 'hi' });
    const first = await store.get(['u1', 'memories'], 'lang');
    expect(first).toMatchObject({ namespace: ['u1', 'memories'], key: 'lang', value: { language: 'hi' } });
    await new Promise((r) => setTimeout(r, 5));
    await store.put(['u1', 'memories'], 'lang', { language: 'ta' });
    const second = await store.get(['u1', 'memories'], 'lang');
    expect(second!.value).toEqual({ language: 'ta' });
    expect(second!.createdAt.getTime()).toBe(first!.createdAt.getTime());
    expect(second!.updatedAt.getTime()).toBeGreaterThan(first!.updatedAt.getTime());
    await store.delete(['u1', 'memories'], 'lang');
    expect(await store.get(['u1', 'memories'], 'lang')).toBeNull();
    await expect(store.put([], 'k', {})).rejects.toThrow(/empty/);
  });

  it('searches under a namespace prefix with filters, limit and offset', async () => {
    for (let i = 0; i < 5; i += 1)
      await store.put(['s', 'u2', 'facts'], `f${i}`, { kind: i % 2 ? 'odd' : 'even', n: i });
    await store.put(['s', 'u2', 'prefs'], 'p', { kind: 'even', n: 9 });
    await store.put(['s', 'u3', 'facts'], 'other', { kind: 'even', n: 0 });
    const keys = (items: { key: string }[]) => items.map((i) => i.key);
    expect(keys(await store.search(['s', 'u2'], { limit: 100 }))).toEqual([
      'f0',
      'f1',
      'f2',
      'f3',
      'f4',
      'p',
    ]);
    expect(keys(await store.search(['s', 'u2'], { filter: { kind: 'even' } }))).toEqual([
      'f0',
      'f2',
      'f4',
      'p',
    ]);
    expect(keys(await store.search(['s', 'u2'], { filter: { n: { $gte: 3 } } }))).toEqual(['f3', 'f4', 'p']);
    expect(keys(await store.search(['s', 'u2', 'facts'], { limit: 2, offset: 1 }))).toEqual(['f1', 'f2']);
    expect(keys(await store.search(['s'], { limit: 100 }))).toHaveLength(7);
    expect((await store.search([], { limit: 1000 })).length).toBeGreaterThanOrEqual(7);
  });

  it('lists namespaces by prefix, suffix (with wildcards), depth and page', async () => {
    await store.put(['l', 'a', 'memories'], 'k', { v: 1 });
    await store.put(['l', 'b', 'memories'], 'k', { v: 1 });
    await store.put(['l', 'b', 'prefs'], 'k', { v: 1 });
    expect(await store.listNamespaces({ prefix: ['l'] })).toEqual([
      ['l', 'a', 'memories'],
      ['l', 'b', 'memories'],
      ['l', 'b', 'prefs'],
    ]);
    expect(await store.listNamespaces({ prefix: ['l', '*'], suffix: ['memories'] })).toEqual([
      ['l', 'a', 'memories'],
      ['l', 'b', 'memories'],
    ]);
    expect(await store.listNamespaces({ prefix: ['l'], maxDepth: 2 })).toEqual([
      ['l', 'a'],
      ['l', 'b'],
    ]);
    expect(await store.listNamespaces({ prefix: ['l'], limit: 1, offset: 1 })).toEqual([
      ['l', 'b', 'memories'],
    ]);
  });

  it('gives a graph memory that one thread writes and another reads', async () => {
    const State = Annotation.Root({ message: Annotation<string>(), reply: Annotation<string>() });
    const graph = new StateGraph(State)
      .addNode('remember', async (state, config: LangGraphRunnableConfig) => {
        const userId = config.configurable?.user_id as string;
        const ns = ['memories', userId];
        const match = /my name is (\w+)/i.exec(state.message);
        if (match) await config.store!.put(ns, 'name', { name: match[1] });
        const known = await config.store!.get(ns, 'name');
        return { reply: known ? `Hello ${known.value.name}` : 'Hello, who is this?' };
      })
      .addEdge(START, 'remember')
      .addEdge('remember', END)
      .compile({ checkpointer: new SwitchboardSaver(context.wideColumn), store });

    const first = await graph.invoke(
      { message: 'My name is Priya' },
      { configurable: { thread_id: 'call-1', user_id: 'u-42' } },
    );
    expect(first.reply).toBe('Hello Priya');
    // A new call (another thread) of the same user remembers; another user does not.
    const later = await graph.invoke(
      { message: 'hi again' },
      { configurable: { thread_id: 'call-2', user_id: 'u-42' } },
    );
    expect(later.reply).toBe('Hello Priya');
    const stranger = await graph.invoke(
      { message: 'hi' },
      { configurable: { thread_id: 'call-3', user_id: 'u-7' } },
    );
    expect(stranger.reply).toBe('Hello, who is this?');
    // What was remembered is readable outside the graph, by a new store on a reopened store.
    const reopened = await createTestContext({ dataDir: context.dataDir });
    try {
      expect(
        (await new SwitchboardStore(reopened.wideColumn).get(['memories', 'u-42'], 'name'))?.value,
      ).toEqual({
        name: 'Priya',
      });
    } finally {
      await reopened.cleanup();
    }
  });

  it('expires items after the store TTL', async () => {
    // 2 s, not 1: Cassandra expires a cell at the write's whole second plus the TTL, so with
    // 1 s an item written late in a second can be gone a few milliseconds later.
    const short = new SwitchboardStore(context.wideColumn, { ttlSeconds: 2 });
    await short.put(['ttl'], 'k', { v: 1 });
    expect(await short.get(['ttl'], 'k')).not.toBeNull();
    await new Promise((r) => setTimeout(r, 3_100));
    expect(await short.get(['ttl'], 'k')).toBeNull();
  });
});
