import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { SwitchboardError } from '../../errors/index.js';
import type { HotState } from '../../ports/hot-state/store.js';
import { MAX_WORKER_ID } from './ids.js';

/**
 * A lease on a Snowflake worker id in hot state, so two live processes cannot generate ids
 * with the same worker id (they would collide). The lease is a key set only-if-absent with a
 * per-process token and a TTL, renewed by a timer; a process that crashes frees its id after
 * the TTL. With Redis it holds across every process; with the embedded hot state, only
 * within one process, which is all an embedded deployment has.
 *
 * The rules (issue 23):
 * - **Minting needs a live lease.** Ids may be minted only while the lease is known to be
 *   held: until the TTL, counted from when the last successful renewal was *sent* (so before
 *   hot state itself lets the key go), minus a safety margin. While hot state is unreachable
 *   the lease runs out and `mintError()` answers ID_LEASE_UNAVAILABLE (503) until it is held
 *   again; no id is minted on an expired lease.
 * - **A lost key is re-acquired.** If renewal finds the key gone (hot state restarted empty,
 *   or it expired during an outage), the same id is taken again when it is free.
 * - **Only a live holder is a conflict.** If another process holds the id (its token is in
 *   the key), this process stops minting at once and moves to another free id, searched
 *   from 1023 down (replicas are usually given low ids). Ids on a newly taken id start only
 *   one TTL after taking it, so a previous holder that had not yet seen the loss (its key was
 *   dropped by a hot-state restart) has renewed, failed and stopped, or expired, by then.
 * - At start, an id held by another live process is refused with WORKER_ID_IN_USE (a
 *   configuration error: give each process its own `messaging.worker_id`).
 */
export interface WorkerLeaseOptions {
  ttlSeconds: number;
  logger?: Logger;
  /** How often the lease is renewed while held (default a third of the TTL, at least 1 s). */
  refreshMs?: number;
  /** How often a lease that is not held is retried (default min(1 s, refreshMs)). */
  retryMs?: number;
  /** Monotonic milliseconds (default performance.now); tests step it. */
  monotonic?: () => number;
  /** Called when the lease moves to another worker id (the generator must follow). */
  onMove?: (workerId: number) => void;
}

export function workerLeaseKey(workerId: number): string {
  return `messaging:snowflake-worker:${workerId}`;
}

type LeaseState = 'held' | 'expired' | 'taken' | 'released';

export class WorkerLease {
  /** The worker id currently leased (changes when the lease moves). */
  workerId: number;
  readonly token = `${hostname()}:${process.pid}:${randomUUID()}`;
  private readonly ttlMs: number;
  private readonly marginMs: number;
  private readonly refreshMs: number;
  private readonly retryMs: number;
  private readonly now: () => number;
  /** Monotonic ms until which the lease is known to be held (minus the margin). */
  private validUntil = -Infinity;
  /** Monotonic ms from which ids may be minted on the current id (after a move). */
  private mintableFrom = -Infinity;
  private state: LeaseState = 'expired';
  private lastProblem = 'not acquired yet';
  private renewing: Promise<boolean> | undefined;
  private lastAttemptAt = -Infinity;
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly hotState: HotState,
    readonly configuredWorkerId: number,
    private readonly options: WorkerLeaseOptions,
  ) {
    this.workerId = configuredWorkerId;
    this.ttlMs = options.ttlSeconds * 1000;
    // Clock rates differ a little between this process and the hot-state server.
    this.marginMs = Math.min(1000, this.ttlMs / 10);
    this.refreshMs = options.refreshMs ?? Math.max(1000, this.ttlMs / 3);
    this.retryMs = options.retryMs ?? Math.min(1000, this.refreshMs);
    this.now = options.monotonic ?? (() => performance.now());
  }

  /** Takes the lease on `workerId` or throws WORKER_ID_IN_USE when a live process holds it. */
  static async acquire(
    hotState: HotState,
    workerId: number,
    options: WorkerLeaseOptions,
  ): Promise<WorkerLease> {
    const lease = new WorkerLease(hotState, workerId, options);
    const sentAt = lease.now();
    const acquired = await hotState.set(workerLeaseKey(workerId), lease.token, {
      ttlSeconds: options.ttlSeconds,
      ifAbsent: true,
    });
    if (!acquired) {
      const holder = await hotState.get(workerLeaseKey(workerId));
      throw new SwitchboardError(
        'WORKER_ID_IN_USE',
        `Snowflake worker id ${workerId} is held by another live process (${holder ?? 'unknown'}); ` +
          'give each process its own messaging.worker_id (SWITCHBOARD_MESSAGING_WORKER_ID), 0 to 1023',
        { field: 'messaging.worker_id', details: { workerId } },
      );
    }
    lease.held(sentAt);
    lease.schedule();
    return lease;
  }

  /** Whether ids may be minted now. */
  get mintable(): boolean {
    const t = this.now();
    return this.state === 'held' && t < this.validUntil && t >= this.mintableFrom;
  }

  /** Why ids may not be minted now, as the error a send answers with; undefined when they may. */
  mintError(): SwitchboardError | undefined {
    if (this.mintable) return undefined;
    const t = this.now();
    let why: string;
    if (this.state === 'released') why = 'the lease was released (shutting down)';
    else if (this.state === 'held' && t < this.mintableFrom)
      why = `the lease moved to worker id ${this.workerId}; ids resume in ${Math.ceil((this.mintableFrom - t) / 1000)} s`;
    else if (this.state === 'held' || this.state === 'expired')
      why = `the lease expired without renewal (${this.lastProblem})`;
    else why = `another process holds it and no other worker id is free (${this.lastProblem})`;
    return new SwitchboardError(
      'ID_LEASE_UNAVAILABLE',
      `Message ids cannot be issued: no live lease on Snowflake worker id ${this.workerId}: ${why}`,
      { details: { port: 'hot_state', workerId: this.workerId } },
    );
  }

  /**
   * Makes sure ids may be minted, renewing at once (one attempt shared by concurrent callers,
   * at most one every quarter second) when the lease is not held; throws ID_LEASE_UNAVAILABLE otherwise.
   */
  async ensureMintable(): Promise<void> {
    if (this.mintable) return;
    if (this.state !== 'released' && this.now() - this.lastAttemptAt >= 250) await this.renew();
    const error = this.mintError();
    if (error) throw error;
  }

  /** For /ready: ok while ids may be minted (a lease not held is retried first). */
  async health(): Promise<{ ok: boolean; detail: string }> {
    if (!this.mintable && this.state !== 'released') await this.renew();
    const error = this.mintError();
    return error
      ? { ok: false, detail: error.message }
      : { ok: true, detail: `worker id ${this.workerId} leased` };
  }

  /** One renewal (shared by concurrent callers); true when the lease is held afterwards. */
  renew(): Promise<boolean> {
    if (this.state === 'released') return Promise.resolve(false);
    this.renewing ??= this.renewOnce().finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  async release(): Promise<void> {
    if (this.state === 'released') return;
    this.state = 'released';
    clearTimeout(this.timer);
    await this.renewing?.catch(() => {});
    await this.hotState.compareAndSet(workerLeaseKey(this.workerId), this.token, null);
  }

  private held(sentAt: number): void {
    this.validUntil = sentAt + this.ttlMs - this.marginMs;
    this.state = 'held';
  }

  private schedule(): void {
    if (this.state === 'released') return;
    const delay = this.mintable ? this.refreshMs : this.retryMs;
    this.timer = setTimeout(() => {
      void this.renew().finally(() => this.schedule());
    }, delay);
    this.timer.unref();
  }

  private async renewOnce(): Promise<boolean> {
    this.lastAttemptAt = this.now();
    const log = this.options.logger;
    const ttlSeconds = this.options.ttlSeconds;
    const wasMintable = this.mintable;
    const key = workerLeaseKey(this.workerId);
    try {
      let sentAt = this.now();
      if (await this.hotState.compareAndSet(key, this.token, this.token, { ttlSeconds })) {
        if (this.state !== 'released') this.held(sentAt);
        if (!wasMintable && this.mintable)
          log?.info({ workerId: this.workerId }, 'snowflake worker-id lease renewed');
        return true;
      }
      // Not ours any more: hot state lost the key (restart, expiry during an outage) or
      // another process took it after it expired.
      sentAt = this.now();
      if (await this.hotState.set(key, this.token, { ttlSeconds, ifAbsent: true })) {
        if (this.state === 'released') return false;
        this.held(sentAt);
        log?.warn({ workerId: this.workerId }, 'snowflake worker-id lease was lost and has been re-acquired');
        return true;
      }
      // A live process holds our id: stop minting at once, then look for a free id.
      this.state = 'taken';
      this.validUntil = -Infinity;
      const holder = await this.hotState.get(key).catch(() => null);
      this.lastProblem = `worker id ${this.workerId} is held by ${holder ?? 'another process'}`;
      log?.error({ workerId: this.workerId }, 'snowflake worker-id lease taken by another process; moving');
      for (let candidate = MAX_WORKER_ID; candidate >= 0; candidate -= 1) {
        if (candidate === this.workerId) continue;
        sentAt = this.now();
        const got = await this.hotState.set(workerLeaseKey(candidate), this.token, {
          ttlSeconds,
          ifAbsent: true,
        });
        if (!got) continue;
        if ((this.state as LeaseState) === 'released') {
          await this.hotState.compareAndSet(workerLeaseKey(candidate), this.token, null).catch(() => {});
          return false;
        }
        const from = this.workerId;
        this.workerId = candidate;
        this.held(sentAt);
        this.mintableFrom = sentAt + this.ttlMs;
        this.options.onMove?.(candidate);
        log?.warn(
          { workerId: candidate, from, resumesInMs: this.ttlMs },
          'snowflake worker-id lease moved to a free worker id',
        );
        return true;
      }
      this.lastProblem = 'every worker id 0 to 1023 is held';
      log?.error({ workerId: this.workerId }, 'no free snowflake worker id');
      return false;
    } catch (error) {
      this.lastProblem = `hot state: ${error instanceof Error ? error.message : String(error)}`;
      if (this.state === 'held' && this.now() >= this.validUntil) this.state = 'expired';
      // A hot-state hiccup is not a clash: the lease stays good until it runs out, and the
      // next attempt retries.
      log?.warn({ workerId: this.workerId, err: error }, 'snowflake worker-id lease refresh failed');
      return false;
    }
  }
}

/** Takes the lease on `workerId` (see WorkerLease). */
export function acquireWorkerLease(
  hotState: HotState,
  workerId: number,
  options: WorkerLeaseOptions,
): Promise<WorkerLease> {
  return WorkerLease.acquire(hotState, workerId, options);
}
