import type { Scope } from '../modules/module.js';

export type { Scope };

/** Scopes from weakest to strongest; each one implies those before it. */
export const SCOPES: readonly Scope[] = ['read', 'write', 'admin'];

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}

/** Whether a key granted `granted` may call a route that requires `required`. */
export function scopeAllows(granted: Scope, required: Scope): boolean {
  return SCOPES.indexOf(granted) >= SCOPES.indexOf(required);
}

/** Every scope a grant implies, weakest first (stored and shown so clients need not know the order). */
export function impliedScopes(granted: Scope): Scope[] {
  return SCOPES.slice(0, SCOPES.indexOf(granted) + 1);
}

/** The strongest scope in a list (how a stored `scopes` value is read back). */
export function strongestScope(scopes: readonly string[]): Scope | undefined {
  let best: Scope | undefined;
  for (const s of scopes) if (isScope(s) && (!best || scopeAllows(s, best))) best = s;
  return best;
}
