import type { Logger } from 'pino';
import type { HotState } from '../../ports/hot-state/store.js';
import { SnowflakeGenerator, type TimeSource } from './snowflake.js';
import { acquireWorkerLease, type WorkerLease } from './worker-lease.js';

/**
 * The process's Snowflake generator behind its worker-id lease. `start()` takes the lease
 * (the server calls it at boot, so a clash refuses to start); a library user who never
 * calls it gets the lease taken on the first id instead. An id is minted only while the
 * lease is live (worker-lease.ts): otherwise `next()` throws ID_LEASE_UNAVAILABLE (503).
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
      /** Lease renewal and retry periods (tests shorten them; defaults in worker-lease.ts). */
      leaseRefreshMs?: number;
      leaseRetryMs?: number;
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
      ...(this.options.leaseRefreshMs !== undefined ? { refreshMs: this.options.leaseRefreshMs } : {}),
      ...(this.options.leaseRetryMs !== undefined ? { retryMs: this.options.leaseRetryMs } : {}),
      onMove: (workerId) => this.generator.setWorkerId(workerId),
    }).then(
      (lease) => {
        this.generator.setGuard(() => lease.mintError());
        return lease;
      },
      (error: unknown) => {
        this.lease = undefined;
        throw error;
      },
    );
    return this.lease;
  }

  now(): number {
    return this.generator.now();
  }

  async next(): Promise<bigint> {
    const lease = await this.start();
    await lease.ensureMintable();
    return this.generator.next();
  }

  /** The worker id ids are minted with now (it changes if the lease had to move). */
  get workerId(): number {
    return this.generator.workerId;
  }

  /**
   * For /ready: whether ids can be minted, and why not. Takes the lease if nothing has yet
   * (the first send would), so a clash or an unreachable hot state shows before a send fails.
   */
  async health(): Promise<{ ok: boolean; detail: string }> {
    let lease: WorkerLease;
    try {
      lease = await this.start();
    } catch (error) {
      return { ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
    return lease.health();
  }

  async stop(): Promise<void> {
    const lease = this.lease;
    this.lease = undefined;
    if (lease) await (await lease).release();
  }
}
