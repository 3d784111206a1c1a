import type { ModuleDefinition } from '../module.js';
import { langgraphTables } from './tables.js';

/**
 * LangGraph.js persistence (issue 20): only tables here, so `schema apply` creates them with
 * every other module's. The saver lives in saver.ts and is exported from `switchboard/langgraph`
 * alone, so the main entry never loads @langchain/* (an optional peer dependency).
 */
export const langgraphModule: ModuleDefinition<Record<string, never>> = {
  name: 'langgraph',
  tables: langgraphTables,
  createServices: () => ({}),
};
