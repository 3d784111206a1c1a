import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { isSwitchboardError, SwitchboardError } from '../../../src/errors/index.js';
import { IdService } from '../../../src/modules/messaging/id-service.js';
import { decomposeId } from '../../../src/modules/messaging/ids.js';
import { createMemoryHotState } from '../../../src/ports/hot-state/embedded/memory.js';
import type { HotState } from '../../../src/ports/hot-state/store.js';
import { acquireWorkerLease, workerLeaseKey } from '../../../src/modules/messaging/worker-lease.js';

describe('Snowflake worker-id lease', () => {
  const hot = createMemoryHotState();
  afterEach(async () => {
    await hot.delete(workerLeaseKey(5));
  });

  it('refuses a second live holder of the same worker id with a clear error', async () => {
    const first = await acquireWorkerLease(hot, 5, { ttlSeconds: 30 });
    const error = await acquireWorkerLease(hot, 5, { ttlSeconds: 30 }).catch((e: unknown) => e);
    expect(isSwitchboardError(error, 'WORKER_ID_IN_USE')).toBe(true);
    expect((error as Error).message).toMatch(/messaging\.worker_id/);
    // A different id is fine, and the id is free again once released.
    const other = await acquireWorkerLease(hot, 6, { ttlSeconds: 30 });
    await first.release();
    const again = await acquireWorkerLease(hot, 5, { ttlSeconds: 30 });
    await Promise.all([other.release(), again.release()]);
  });

  it('frees the id after the TTL when the holder dies without releasing', async () => {
    let now = Date.now();
    const clocked = createMemoryHotState({ now: () => now });
    await acquireWorkerLease(clocked, 9, { ttlSeconds: 3 });
    now += 3500;
    const next = await acquireWorkerLease(clocked, 9, { ttlSeconds: 3 });
    await next.release();
    await clocked.close();
  });
});

/** Hot state that can be made to fail every call, as Redis does while it is down. */
function faulty(inner: HotState): { hot: HotState; down: (d: boolean) => void } {
  let isDown = false;
  const hot = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || prop === 'close') return value;
      return (...args: unknown[]) =>
        isDown
          ? Promise.reject(new SwitchboardError('STORE_UNAVAILABLE', 'Redis is unavailable: test outage'))
          : (value as (...a: unknown[]) => unknown).apply(target, args);
    },
  });
  return { hot, down: (d) => (isDown = d) };
}

describe('Snowflake worker-id lease under hot-state faults (issue 23)', () => {
  // Time for the hot state's TTLs and the lease's monotonic clock, stepped by the test.
  let now = 1_000_000;
  const clock = () => now;
  const slow = { refreshMs: 3_600_000, retryMs: 3_600_000, monotonic: clock };

  it('re-acquires the same id when its key is gone (hot state restarted empty), never WORKER_ID_IN_USE', async () => {
    const mem = createMemoryHotState({ now: clock });
    const ids = new IdService(mem, {
      workerId: 3,
      backwardsToleranceMs: 2000,
      leaseSeconds: 30,
      logger: pino({ level: 'silent' }),
    });
    const lease = await ids.start();
    await mem.delete(workerLeaseKey(3));
    expect(await lease.renew()).toBe(true);
    expect(await mem.get(workerLeaseKey(3))).toBe(lease.token);
    expect(decomposeId(await ids.next()).workerId).toBe(3);
    await ids.stop();
    await mem.close();
  });

  it('stops minting once the lease has expired unrenewed, answers 503, and resumes when hot state is back', async () => {
    const mem = createMemoryHotState({ now: clock });
    const { hot, down } = faulty(mem);
    const lease = await acquireWorkerLease(hot, 4, { ttlSeconds: 30, ...slow });
    expect(lease.mintable).toBe(true);
    down(true);
    now += 20_000;
    expect(await lease.renew()).toBe(false);
    // Still within the TTL of the last renewal: ids are safe.
    expect(lease.mintError()).toBeUndefined();
    now += 10_000;
    const refused = lease.mintError();
    expect(isSwitchboardError(refused, 'ID_LEASE_UNAVAILABLE')).toBe(true);
    expect(refused!.status).toBe(503);
    expect(refused!.details).toMatchObject({ port: 'hot_state', workerId: 4 });
    const error = await lease.ensureMintable().catch((e: unknown) => e);
    expect(isSwitchboardError(error, 'ID_LEASE_UNAVAILABLE')).toBe(true);
    expect((await lease.health()).ok).toBe(false);
    down(false);
    now += 1_000;
    await lease.ensureMintable();
    expect(lease.workerId).toBe(4);
    expect((await lease.health()).ok).toBe(true);
    await lease.release();
    await mem.close();
  });

  it('moves to another free id when a live process holds its id, minting only one TTL later', async () => {
    const mem = createMemoryHotState({ now: clock });
    const moved: number[] = [];
    const lease = await acquireWorkerLease(mem, 7, {
      ttlSeconds: 10,
      ...slow,
      onMove: (id) => moved.push(id),
    });
    // Hot state lost the key and another process took id 7.
    await mem.delete(workerLeaseKey(7));
    const other = await acquireWorkerLease(mem, 7, { ttlSeconds: 10, ...slow });
    expect(await lease.renew()).toBe(true);
    expect(lease.workerId).toBe(1023);
    expect(moved).toEqual([1023]);
    expect(await mem.get(workerLeaseKey(1023))).toBe(lease.token);
    expect(await mem.get(workerLeaseKey(7))).toBe(other.token);
    // A previous holder of 1023 that missed the loss gets a full TTL to notice before we mint.
    expect(isSwitchboardError(lease.mintError(), 'ID_LEASE_UNAVAILABLE')).toBe(true);
    now += 9_000;
    expect(await lease.renew()).toBe(true);
    now += 1_001;
    expect(lease.mintError()).toBeUndefined();
    await Promise.all([lease.release(), other.release()]);
    await mem.close();
  });
});
