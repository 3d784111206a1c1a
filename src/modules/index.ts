import { callcenterModule } from './callcenter/index.js';
import { conversationsModule } from './conversations/module.js';
import { interactionsModule } from './interactions/module.js';
import { langgraphModule } from './langgraph/module.js';
import { messagingModule } from './messaging/index.js';
import type { ModuleDefinition } from './module.js';
import { voiceModule } from './voice/index.js';

/**
 * Every domain module, in start order. `createSwitchboard` builds services from these, the
 * schema tooling collects their tables and migrations, and the server mounts their routes.
 * Each module adds itself here with one import and one entry.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const modules: readonly ModuleDefinition<any>[] = [
  conversationsModule,
  voiceModule,
  messagingModule,
  interactionsModule,
  callcenterModule,
  langgraphModule,
];
