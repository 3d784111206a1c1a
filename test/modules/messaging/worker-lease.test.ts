import { afterEach, describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../../../src/errors/index.js';
import { createMemoryHotState } from '../../../src/ports/hot-state/embedded/memory.js';
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
