import { setTimeout as delay } from 'node:timers/promises';
import { SwitchboardError } from '../../errors/index.js';
import { composeId, MAX_SEQUENCE, MAX_TIMESTAMP_MS, MAX_WORKER_ID, SNOWFLAKE_EPOCH_MS } from './ids.js';

/** Where the generator reads time and how it waits; tests inject a clock that steps back or stands still. */
export interface TimeSource {
  /** Epoch milliseconds. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemTime: TimeSource = {
  now: () => Date.now(),
  // A zero wait still yields to the event loop, so a stalled millisecond does not block other work.
  sleep: (ms) => delay(Math.max(0, ms)),
};

export interface SnowflakeOptions {
  workerId: number;
  /** How far back the clock may step before `next()` fails instead of waiting (default 2000). */
  backwardsToleranceMs?: number;
  time?: TimeSource;
}

/**
 * Generates Snowflake ids that are strictly increasing for this worker: 4096 per
 * millisecond, then it waits for the next millisecond; if the clock steps back it waits
 * until the clock passes the last id's time again, up to `backwardsToleranceMs`, and
 * beyond that throws CLOCK_MOVED_BACKWARDS rather than risk a duplicate or an id that
 * sorts before one already handed out.
 */
export class SnowflakeGenerator {
  /** Changes only when the worker-id lease moves to another id (see worker-lease.ts). */
  workerId: number;
  private readonly tolerance: number;
  private readonly time: TimeSource;
  private lastMs = -1;
  private sequence = 0;
  /** Set when the worker-id lease is lost: ids could then collide with another process. */
  private blocked: SwitchboardError | undefined;
  /** Asked before every id: an error (no live worker-id lease) refuses it. */
  private guard: (() => SwitchboardError | undefined) | undefined;

  constructor(options: SnowflakeOptions) {
    if (!Number.isInteger(options.workerId) || options.workerId < 0 || options.workerId > MAX_WORKER_ID) {
      throw new SwitchboardError(
        'CONFIG_INVALID',
        `messaging.worker_id must be an integer from 0 to ${MAX_WORKER_ID}`,
        {
          field: 'messaging.worker_id',
        },
      );
    }
    this.workerId = options.workerId;
    this.tolerance = options.backwardsToleranceMs ?? 2000;
    this.time = options.time ?? systemTime;
  }

  /** Stops generation (the lease was lost) until `unblock`. */
  block(error: SwitchboardError): void {
    this.blocked = error;
  }

  unblock(): void {
    this.blocked = undefined;
  }

  /** Consulted before every id (the worker-id lease's `mintError`). */
  setGuard(guard: (() => SwitchboardError | undefined) | undefined): void {
    this.guard = guard;
  }

  /** Follows the lease to another worker id; the sequence starts over in the next millisecond. */
  setWorkerId(workerId: number): void {
    if (!Number.isInteger(workerId) || workerId < 0 || workerId > MAX_WORKER_ID) {
      throw new SwitchboardError('CONFIG_INVALID', `worker id ${workerId} is outside 0 to ${MAX_WORKER_ID}`);
    }
    this.workerId = workerId;
  }

  /**
   * The newest id minted so far (-1 before the first): every id minted later is larger. The
   * effects outbox bounds its reads with it (effects.ts).
   */
  get lastId(): bigint {
    return this.lastMs < 0 ? -1n : composeId(this.lastMs, this.workerId, this.sequence);
  }

  /** Epoch milliseconds by the generator's time source. */
  now(): number {
    return this.time.now();
  }

  async next(): Promise<bigint> {
    for (;;) {
      const result = this.tryNext();
      if (typeof result === 'bigint') return result;
      await this.time.sleep(result.waitMs);
    }
  }

  /** Returns an id, or how long to wait before trying again. Synchronous, so concurrent callers never interleave. */
  private tryNext(): bigint | { waitMs: number } {
    if (this.blocked) throw this.blocked;
    const refused = this.guard?.();
    if (refused) throw refused;
    const ms = this.time.now() - SNOWFLAKE_EPOCH_MS;
    if (ms < 0 || ms > MAX_TIMESTAMP_MS) {
      throw new SwitchboardError(
        'CLOCK_MOVED_BACKWARDS',
        `The clock reads ${new Date(ms + SNOWFLAKE_EPOCH_MS).toISOString()}, outside the Snowflake range`,
      );
    }
    if (ms < this.lastMs) {
      const behind = this.lastMs - ms;
      if (behind > this.tolerance) {
        throw new SwitchboardError(
          'CLOCK_MOVED_BACKWARDS',
          `The clock is ${behind} ms behind the last generated id (tolerance ${this.tolerance} ms, messaging.clock_backwards_tolerance_ms); refusing to generate ids`,
          { details: { behindMs: behind, toleranceMs: this.tolerance } },
        );
      }
      return { waitMs: behind };
    }
    if (ms === this.lastMs) {
      if (this.sequence >= MAX_SEQUENCE) return { waitMs: 0 };
      this.sequence += 1;
    } else {
      this.lastMs = ms;
      this.sequence = 0;
    }
    return composeId(this.lastMs, this.workerId, this.sequence);
  }
}
