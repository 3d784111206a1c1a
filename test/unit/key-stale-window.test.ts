import type { Kysely } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyService } from '../../src/auth/key-service.js';
import { authMigrations } from '../../src/auth/migrations.js';
import { isSwitchboardError, SwitchboardError } from '../../src/errors/index.js';
import type { RelationalStore } from '../../src/ports/relational/store.js';
import { systemClock } from '../../src/shared/clock.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

/**
 * Issue 23, item 5: while the relational store is unreachable, a key verified within the
 * stale window keeps working; older or never-verified keys get the store's 503; a revocation
 * made meanwhile applies once the store answers.
 */
describe('API keys while the relational store is unreachable', () => {
  let ctx: TestContext;
  let down = false;
  let now = 1_000_000;

  /** The store's Kysely, whose queries fail like an unreachable PostgreSQL while `down`. */
  function failing(db: Kysely<unknown>): Kysely<unknown> {
    const wrap = (target: object): object =>
      new Proxy(target, {
        get(t, prop, receiver) {
          const value = Reflect.get(t, prop, receiver) as unknown;
          if (typeof value !== 'function') return value;
          if (down && (prop === 'execute' || prop === 'executeTakeFirst')) {
            return () =>
              Promise.reject(
                new SwitchboardError('STORE_UNAVAILABLE', 'The relational store (postgres) is unavailable', {
                  details: { port: 'relational' },
                }),
              );
          }
          return (...args: unknown[]) => {
            const result = (value as (...a: unknown[]) => unknown).apply(t, args);
            return result && typeof result === 'object' && !(result instanceof Promise)
              ? wrap(result)
              : result;
          };
        },
      });
    return wrap(db) as Kysely<unknown>;
  }

  beforeAll(async () => {
    ctx = await createTestContext();
    await ctx.relational.migrate([{ module: 'auth', migrations: authMigrations }]);
  });
  afterAll(async () => ctx.cleanup());

  it('serves keys verified within the window, refuses the rest with 503, applies revocations after', async () => {
    const relational = { ...ctx.relational, db: failing(ctx.relational.db) } as RelationalStore;
    const options = {
      clock: systemClock,
      logger: pino({ level: 'silent' }),
      cacheTtlMs: 5_000,
      now: () => now,
    };
    const keys = new ApiKeyService({ ...options, relational, staleWindowMs: 60_000 });
    // Another process's view of the same keys (it revokes while this one is cut off).
    const elsewhere = new ApiKeyService({ ...options, relational: ctx.relational });
    const recent = await elsewhere.create({ name: 'recent', scope: 'write' });
    const old = await elsewhere.create({ name: 'old', scope: 'write' });
    const never = await elsewhere.create({ name: 'never', scope: 'write' });

    await keys.authenticate(old.secret);
    now += 50_000;
    await keys.authenticate(recent.secret);
    await elsewhere.revoke(recent.id);
    down = true;
    now += 20_000; // old: verified 70 s ago; recent: 20 s ago (cache period over, window not)

    expect((await keys.authorize(recent.secret, 'write')).id).toBe(recent.id);
    for (const secret of [old.secret, never.secret]) {
      const error = await keys.authenticate(secret).catch((e: unknown) => e);
      expect(isSwitchboardError(error, 'STORE_UNAVAILABLE')).toBe(true);
    }
    // Past the window the recent key is refused too.
    now += 41_000;
    expect(
      isSwitchboardError(
        await keys.authenticate(recent.secret).catch((e: unknown) => e),
        'STORE_UNAVAILABLE',
      ),
    ).toBe(true);

    down = false;
    now += 2_000;
    expect(
      isSwitchboardError(await keys.authenticate(recent.secret).catch((e: unknown) => e), 'API_KEY_REVOKED'),
    ).toBe(true);
    expect((await keys.authenticate(old.secret)).id).toBe(old.id);
  });
});
