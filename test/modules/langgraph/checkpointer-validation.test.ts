import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SwitchboardSaver } from '../../../src/modules/langgraph/saver.js';
import { langgraphTables } from '../../../src/modules/langgraph/tables.js';
import { backendLabel } from '../../helpers/backends.js';
import { createTestContext, type TestContext } from '../../helpers/context.js';

/**
 * Issue 20: LangGraph's own conformance suite (@langchain/langgraph-checkpoint-validation) for
 * the saver, on the embedded engine and, in the scale-out project, on ScyllaDB/Cassandra. The
 * suite is written against Jest-style globals, so vitest's are handed to it before it loads.
 * Its instances must not see each other's state: one store is shared and every thread is
 * deleted when an instance is created (the isolation its README allows).
 */
Object.assign(globalThis, { describe, it, expect, beforeAll, afterAll, beforeEach, afterEach });
const { validate } = await import('@langchain/langgraph-checkpoint-validation');

let context: TestContext | undefined;

validate<SwitchboardSaver>({
  checkpointerName: `SwitchboardSaver (${backendLabel()})`,
  beforeAllTimeout: 600_000,
  async beforeAll() {
    context = await createTestContext();
    await context.wideColumn.applySchema([...langgraphTables]);
  },
  async afterAll() {
    await context?.cleanup();
  },
  async createCheckpointer() {
    const saver = new SwitchboardSaver(context!.wideColumn);
    for (const thread of await saver.listThreads()) await saver.deleteThread(thread);
    return saver;
  },
});
