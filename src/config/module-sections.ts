import type { Section } from './fields.js';

/**
 * Sections owned by the platform ports and domain modules. Each owner exports its section
 * from its own folder and adds one line here, so the loader sees the whole schema.
 */
export const moduleSections = {} as const satisfies Record<string, Section>;
