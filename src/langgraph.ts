/**
 * `switchboard/langgraph`: LangGraph.js persistence on Switchboard's stores. Needs the peer
 * dependencies @langchain/core and @langchain/langgraph-checkpoint.
 *
 *   const saver = SwitchboardSaver.from(await createSwitchboard());
 *   const graph = workflow.compile({ checkpointer: saver });
 */
export { SwitchboardSaver, type SwitchboardSaverOptions } from './modules/langgraph/saver.js';
export { SwitchboardStore, type SwitchboardStoreOptions } from './modules/langgraph/store.js';
export { langgraphTables } from './modules/langgraph/tables.js';
