/**
 * A LangGraph.js graph whose checkpoints live in Switchboard (docs/langgraph.md).
 *
 *   npx tsx examples/langgraph-checkpointer.ts
 *
 * Uses the configuration like `switchboard serve` does: the embedded store in ./data by
 * default, ScyllaDB/Cassandra with SWITCHBOARD_STORE_WIDE_COLUMN=scylladb. A first run stops at
 * the approval; a second run (a restarted process) resumes the same thread and books the visit.
 */
import { Annotation, Command, END, interrupt, START, StateGraph } from '@langchain/langgraph';
import { applySchema, createSwitchboard } from 'switchboard';
import { SwitchboardSaver } from 'switchboard/langgraph';

const State = Annotation.Root({
  request: Annotation<string>(),
  booked: Annotation<boolean>(),
});

const switchboard = await createSwitchboard();
try {
  await applySchema(switchboard); // creates the lg_* tables once; a no-op afterwards
  const graph = new StateGraph(State)
    .addNode('approve', () => ({ booked: interrupt<string, boolean>('Book a branch visit?') }))
    .addEdge(START, 'approve')
    .addEdge('approve', END)
    .compile({ checkpointer: SwitchboardSaver.from(switchboard) });

  const thread = { configurable: { thread_id: process.argv[2] ?? 'example-call' } };
  const state = await graph.getState(thread);
  if (state.next.includes('approve')) {
    const done = await graph.invoke(new Command({ resume: true }), thread);
    console.log(`resumed after a restart: booked = ${done.booked}`);
  } else {
    await graph.invoke({ request: 'gold loan, 40 g' }, thread);
    console.log('waiting for approval; run again to resume from the stored checkpoint');
  }
} finally {
  await switchboard.close();
}
