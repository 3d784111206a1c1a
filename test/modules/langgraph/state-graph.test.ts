import { Annotation, Command, END, interrupt, START, StateGraph } from '@langchain/langgraph';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwitchboardSaver } from '../../../src/modules/langgraph/saver.js';
import { langgraphTables } from '../../../src/modules/langgraph/tables.js';
import { createTestContext, type TestContext } from '../../helpers/context.js';

/**
 * Issue 20: a real LangGraph.js graph on the saver. A gold-loan booking flow takes the caller's
 * request, stops for a human to approve the branch visit (interrupt), and resumes from the stored
 * checkpoint in a new saver over a reopened store, as a restarted agent process would.
 */
const State = Annotation.Root({
  request: Annotation<string>(),
  steps: Annotation<string[]>({ reducer: (a, b) => [...a, ...b], default: () => [] }),
  approved: Annotation<boolean | undefined>(),
});

function bookingGraph(saver: SwitchboardSaver) {
  return new StateGraph(State)
    .addNode('understand', (s) => ({ steps: [`understood: ${s.request}`] }))
    .addNode('approve', () => {
      const answer = interrupt<{ question: string }, { approved: boolean }>({ question: 'Book the visit?' });
      return { approved: answer.approved, steps: ['approval asked'] };
    })
    .addNode('book', (s) => ({ steps: [s.approved ? 'visit booked' : 'visit declined'] }))
    .addEdge(START, 'understand')
    .addEdge('understand', 'approve')
    .addEdge('approve', 'book')
    .addEdge('book', END)
    .compile({ checkpointer: saver });
}

describe('a LangGraph StateGraph on SwitchboardSaver (issue 20)', () => {
  let context: TestContext;
  beforeAll(async () => {
    context = await createTestContext();
    await context.wideColumn.applySchema([...langgraphTables]);
  });
  afterAll(async () => context?.cleanup());

  it('stops at an interrupt, survives a restart, resumes from the checkpoint and keeps the history', async () => {
    const config = { configurable: { thread_id: 'call-7f3a9c' } };
    const first = bookingGraph(new SwitchboardSaver(context.wideColumn));
    const paused = await first.invoke({ request: 'gold loan, 40 g' }, config);
    expect(paused.steps).toEqual(['understood: gold loan, 40 g']);
    const waiting = await first.getState(config);
    expect(waiting.next).toEqual(['approve']);
    expect(waiting.tasks[0]?.interrupts[0]?.value).toEqual({ question: 'Book the visit?' });

    // Another process: a new saver over a reopened store, resuming the same thread.
    const reopened = await createTestContext({ dataDir: context.dataDir });
    try {
      const second = bookingGraph(new SwitchboardSaver(reopened.wideColumn));
      const done = await second.invoke(new Command({ resume: { approved: true } }), config);
      expect(done.steps).toEqual(['understood: gold loan, 40 g', 'approval asked', 'visit booked']);
      expect((await second.getState(config)).next).toEqual([]);

      // Time travel: every super-step is a checkpoint, newest first, each pointing at its parent.
      const history = [];
      for await (const snapshot of second.getStateHistory(config)) history.push(snapshot);
      expect(history.length).toBeGreaterThanOrEqual(4);
      expect(history[0]!.values.steps).toHaveLength(3);
      expect(history.at(-1)!.values.steps ?? []).toEqual([]);
      for (let i = 0; i < history.length - 1; i += 1) {
        expect(history[i]!.parentConfig?.configurable?.checkpoint_id).toBe(
          history[i + 1]!.config.configurable?.checkpoint_id,
        );
      }

      // Any past checkpoint reads back as it was: the state waiting for approval.
      const beforeApproval = history.find((h) => h.next.includes('approve'))!;
      const past = await second.getState(beforeApproval.config);
      expect(past.values.steps).toEqual(['understood: gold loan, 40 g']);
      expect(past.values.approved).toBeUndefined();
    } finally {
      await reopened.cleanup();
    }
  });

  it('forgets a thread with deleteThread', async () => {
    const saver = new SwitchboardSaver(context.wideColumn);
    const config = { configurable: { thread_id: 'to-forget' } };
    await bookingGraph(saver).invoke({ request: 'x' }, config);
    expect(await saver.getTuple(config)).toBeDefined();
    await saver.deleteThread('to-forget');
    expect(await saver.getTuple(config)).toBeUndefined();
    expect(await saver.listThreads()).not.toContain('to-forget');
  });
});
