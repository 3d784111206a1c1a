import type { ModuleDefinition } from '../module.js';
import { conversationTables } from './tables.js';

/**
 * The conversations module's schema. Its services (tree loading, dual-write migration from
 * PostgreSQL) are not built yet; the tables are declared so `schema print` and `schema apply`
 * cover the whole keyspace the seeds describe.
 */
export const conversationsModule: ModuleDefinition<Record<string, never>> = {
  name: 'conversations',
  tables: conversationTables,
  createServices: () => ({}),
};
