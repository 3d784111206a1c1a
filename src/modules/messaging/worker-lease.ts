import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { SwitchboardError } from '../../errors/index.js';
import type { HotState } from '../../ports/hot-state/store.js';

/**
 * A lease on a Snowflake worker id in hot state, so two live processes configured with the
 * same `messaging.worker_id` cannot both generate ids (they would collide). The lease is a
 * key set only-if-absent with a per-process token and a TTL, refreshed by a timer; a
 * process that crashes frees its id after the TTL. It catches the obvious mistake (two
 * replicas left at the default id) wherever hot state is shared: with Redis, across every
 * process; with the embedded hot state, only within one process, which is all an
 * embedded deployment has.
 */
export interface WorkerLease {
  readonly workerId: number;
  readonly token: string;
  release(): Promise<void>;
}

export function workerLeaseKey(workerId: number): string {
  return `messaging:snowflake-worker:${workerId}`;
}

export async function acquireWorkerLease(
  hotState: HotState,
  workerId: number,
  options: { ttlSeconds: number; logger?: Logger; onLost?: (error: SwitchboardError) => void },
): Promise<WorkerLease> {
  const key = workerLeaseKey(workerId);
  const token = `${hostname()}:${process.pid}:${randomUUID()}`;
  const acquired = await hotState.set(key, token, { ttlSeconds: options.ttlSeconds, ifAbsent: true });
  if (!acquired) {
    const holder = await hotState.get(key);
    throw new SwitchboardError(
      'WORKER_ID_IN_USE',
      `Snowflake worker id ${workerId} is held by another live process (${holder ?? 'unknown'}); ` +
        'give each process its own messaging.worker_id (SWITCHBOARD_MESSAGING_WORKER_ID), 0 to 1023',
      { field: 'messaging.worker_id', details: { workerId } },
    );
  }
  const lost = (why: string) =>
    new SwitchboardError('WORKER_ID_IN_USE', `Lost the lease on Snowflake worker id ${workerId}: ${why}`, {
      field: 'messaging.worker_id',
      details: { workerId },
    });
  let released = false;
  const refresh = async () => {
    try {
      const kept = await hotState.compareAndSet(key, token, token, { ttlSeconds: options.ttlSeconds });
      if (!kept && !released) {
        clearInterval(timer);
        options.logger?.error({ workerId }, 'snowflake worker-id lease lost');
        options.onLost?.(lost('another process took it after it expired'));
      }
    } catch (error) {
      // A hot-state hiccup is not a clash; the next refresh (a third of the TTL later) retries.
      options.logger?.warn(
        { workerId, err: (error as Error).message },
        'snowflake worker-id lease refresh failed',
      );
    }
  };
  const timer = setInterval(() => void refresh(), Math.max(1000, (options.ttlSeconds * 1000) / 3));
  timer.unref();
  return {
    workerId,
    token,
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      await hotState.compareAndSet(key, token, null);
    },
  };
}
