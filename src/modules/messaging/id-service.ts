import type { Logger } from 'pino';
import type { HotState } from '../../ports/hot-state/store.js';
import { SnowflakeGenerator, type TimeSource } from './snowflake.js';
import { acquireWorkerLease, type WorkerLease } from './worker-lease.js';

/**
 * The process's Snowflake generator behind its worker-id lease. `start()` takes the lease
 * (the server calls it at boot, so a clash refuses to start); a library user who never
 * calls it gets the lease taken on the first id instead.
 */
export class IdService {
  readonly generator: SnowflakeGenerator;
  private lease: Promise<WorkerLease> | undefined;

  constructor(
    private readonly hotState: HotState,
    private readonly options: {
      workerId: number;
      backwardsToleranceMs: number;
      leaseSeconds: number;
      logger: Logger;
      time?: TimeSource;
    },
  ) {
    this.generator = new SnowflakeGenerator({
      workerId: options.workerId,
      backwardsToleranceMs: options.backwardsToleranceMs,
      ...(options.time ? { time: options.time } : {}),
    });
  }

  start(): Promise<WorkerLease> {
    this.lease ??= acquireWorkerLease(this.hotState, this.options.workerId, {
      ttlSeconds: this.options.leaseSeconds,
      logger: this.options.logger,
      onLost: (error) => this.generator.block(error),
    }).catch((error: unknown) => {
      this.lease = undefined;
      throw error;
    });
    return this.lease;
  }

  async next(): Promise<bigint> {
    await this.start();
    return this.generator.next();
  }

  async stop(): Promise<void> {
    const lease = this.lease;
    this.lease = undefined;
    if (lease) await (await lease).release();
  }
}
