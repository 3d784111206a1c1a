import type { ModuleDefinition } from '../module.js';
import { conversationRoutes } from './http/routes.js';
import { conversationMigrations } from './migrations.js';
import { CHANGES_TOPIC } from './relational-copy.js';
import { createConversationServices, type ConversationServices } from './services.js';
import { conversationTables } from './tables.js';

/**
 * Conversation trees (seed 002) on the wide-column tables, the relational model they
 * replace, and the phased migration between the two (docs/conversations.md).
 */
export const conversationsModule: ModuleDefinition<ConversationServices> = {
  name: 'conversations',
  tables: conversationTables,
  migrations: conversationMigrations,
  topics: () => [{ name: CHANGES_TOPIC }],
  createServices: (context) => createConversationServices(context),
  routes: (app, services) => conversationRoutes(app, services),
  workers: (services) => [
    {
      // wide_column mode's asynchronous copy to the relational store (idle in the other modes).
      name: 'conversations-relational-copy',
      start: () => services.relationalCopy.start(),
      stop: async () => {
        await services.router.settle();
        await services.relationalCopy.stop();
      },
    },
  ],
};

declare module '../../app/services.js' {
  interface SwitchboardServices {
    conversations: ConversationServices;
  }
}
