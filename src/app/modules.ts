import { authModule } from '../auth/module.js';
import { modules } from '../modules/index.js';
import type { ModuleDefinition } from '../modules/module.js';

/**
 * Platform modules (access control) ahead of the domain modules: every place that walks the
 * modules (services, schema, routes) goes through this list so none forgets auth.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function allModules(): readonly ModuleDefinition<any>[] {
  const list = [authModule, ...modules];
  const seen = new Set<string>();
  for (const m of list) {
    if (seen.has(m.name)) throw new Error(`Two modules are named ${m.name}`);
    seen.add(m.name);
  }
  return list;
}
