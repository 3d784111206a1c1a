import { SwitchboardError } from '../../errors/index.js';

/**
 * Argument checks shared by every adapter, so a bad TTL fails the same way in-process as on
 * Redis (which would otherwise answer "invalid expire time" for some values and accept others).
 */
export function checkTtl(ttlSeconds: number | undefined, field = 'ttlSeconds'): number | undefined {
  if (ttlSeconds === undefined) return undefined;
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1) {
    throw new SwitchboardError(
      'VALUE_INVALID',
      `${field} must be a whole number of seconds from 1, got ${ttlSeconds}`,
      {
        field,
      },
    );
  }
  return ttlSeconds;
}

export function checkIncrement(by: number): number {
  if (!Number.isSafeInteger(by)) {
    throw new SwitchboardError('VALUE_INVALID', `increment must be an integer, got ${by}`, { field: 'by' });
  }
  return by;
}

export function wrongType(key: string, holds: 'a set' | 'a value'): SwitchboardError {
  return new SwitchboardError('VALUE_INVALID', `Hot-state key ${JSON.stringify(key)} holds ${holds}`, {
    details: { key },
  });
}

export function notAnInteger(key: string): SwitchboardError {
  return new SwitchboardError(
    'VALUE_INVALID',
    `Hot-state key ${JSON.stringify(key)} does not hold an integer`,
    {
      details: { key },
    },
  );
}

/** Redis TTL's rounding (`(ms + 500) / 1000`), so both adapters report the same whole seconds. */
export function wholeSeconds(remainingMs: number): number {
  return Math.floor((remainingMs + 500) / 1000);
}

/** Members sorted by code unit, as the port promises, independent of locale. */
export function byMember(a: { member: string }, b: { member: string }): number {
  return a.member < b.member ? -1 : a.member > b.member ? 1 : 0;
}

/** A subscriber's exception must not break delivery to the others nor crash the adapter. */
export function deliver(handler: (message: string) => void, message: string, channel: string): void {
  try {
    handler(message);
  } catch (error) {
    process.emitWarning(
      `hot-state subscriber on ${JSON.stringify(channel)} threw: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
