import { conversationsModule } from './conversations/module.js';
import type { ModuleDefinition } from './module.js';

/**
 * Every domain module, in start order. `createSwitchboard` builds services from these, the
 * schema tooling collects their tables and migrations, and the server mounts their routes.
 * Each module adds itself here with one import and one entry.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const modules: readonly ModuleDefinition<any>[] = [conversationsModule];
