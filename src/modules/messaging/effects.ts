import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { batchOp, type BatchOp, type WideColumnEngine } from '../../ports/wide-column/engine.js';
import { getOrCreate } from '../../shared/metrics.js';
import { decomposeId, idToTime, minIdAt } from './ids.js';
import { rowToMessage, type MessageStore } from './message-store.js';
import { messageEffectsProgressTable, messageEffectsTable } from './tables.js';
import type { Message } from './types.js';

const HOUR_MS = 60 * 60 * 1000;
/**
 * Rows per page: one search-index transaction each. The index's cost is mostly per transaction
 * (SQLite FTS5 writes a new segment at each commit and merges segments as they pile up), so
 * larger pages are cheaper per message and interrupt the sends on the same event loop less
 * often: 100 -> 500 rows (with GATHER_MS 10 -> 50) took 64 concurrent embedded senders from
 * about 7,300 to 10,800 messages/s and the p99 of sends one at a time from about 1.1 to
 * 0.35 ms (scratch measurement, same run).
 */
const PAGE = 500;
/** How far back a worker id with no progress row is read: the outbox rows' lifetime. */
const RETENTION_MS = 24 * HOUR_MS;
const RETRY_MS = 1000;
/**
 * A running worker also passes this often with nothing written: rows a previous holder of the
 * worker id wrote within the clock tolerance of now become readable only as time moves on.
 */
const IDLE_PASS_MS = 5000;
/**
 * A running worker starts a pass this long after a change commits, not at once: the changes
 * committed meanwhile are applied together (one read per page, one index transaction), which
 * is what keeps the worker cheap beside a busy send path. It is most of the search index's
 * lag behind a send on another instance (a search applies its own instance's pending changes
 * first).
 */
const GATHER_MS = 50;

export function effectHour(effectId: bigint): number {
  return Math.floor(idToTime(effectId).getTime() / HOUR_MS);
}

/** Where an applied effect goes: the search index (search/service.ts), the channel's last message (last-message.ts). */
export interface EffectTarget {
  /** Brings the target in line with these messages as they are now. */
  sync(changes: EffectChange[]): Promise<void>;
}

/** A changed message as an effect sees it: as it is now (null: no longer stored). */
export interface EffectChange {
  channelId: string;
  messageId: bigint;
  message: Message | null;
}

/**
 * Several targets as one: a page counts as applied only when every target took it, and a
 * failed page is applied again to all of them (each is idempotent).
 */
export function allTargets(...targets: EffectTarget[]): EffectTarget {
  return {
    async sync(changes) {
      // Every target finishes before the page counts as failed: a retry must not overlap a write still in flight.
      const outcomes = await Promise.allSettled(targets.map((target) => target.sync(changes)));
      const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}

export interface EffectsHealth {
  ok: boolean;
  detail: string;
}

/**
 * The asynchronous effects of message changes, from a durable outbox (issue 19). A send,
 * edit or delete adds one row to message_effects in the same write as the change (`entry`);
 * this applies it afterwards: it reads the message as it is *now* and syncs the target to
 * it, so applying an effect twice, or an old effect after a newer one, changes nothing
 * (exactly once in effect). Rows are read per worker id in effect-id order, and progress is
 * stored per worker id after each page, so a crash between the message write and its effect
 * is caught up from the stored progress when the worker id is leased again.
 *
 * Effect ids are Snowflakes, but writes commit out of id order (a slower send took a smaller
 * id). So a writer takes a ticket before it takes its id (`begin`, holding the newest id
 * minted at that moment: its own will be larger) and returns it after its write (`end`); a
 * pass reads only up to the smallest open ticket, or to the newest id minted when no write is
 * open, so progress never moves past a row that may still appear.
 */
export interface EffectTicket {
  readonly floor: bigint;
}

export class MessageEffects {
  /** Writes of changes that have not finished (committed or failed). */
  private readonly open = new Set<EffectTicket>();
  /** Worker ids whose partitions this process drains: its own, and any it wrote under. */
  private readonly workerIds = new Set<number>();
  private readonly progress = new Map<number, bigint>();
  private running = false;
  private pass: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private idle: NodeJS.Timeout | undefined;
  private gather: NodeJS.Timeout | undefined;
  private consecutiveFailures = 0;
  private lastError = '';
  /** Epoch ms of the oldest change known committed and not yet applied. */
  private pendingSince: number | null = null;
  private readonly applied: Counter;
  private readonly failures: Counter;

  constructor(
    private readonly deps: {
      engine: WideColumnEngine;
      store: MessageStore;
      target: EffectTarget;
      logger: Logger;
      metrics: Registry;
      /** The worker id ids are minted with now (its partitions are drained from the start). */
      workerId: () => number;
      /** The newest id the process's generator has minted (-1n before the first). */
      lastMinted: () => bigint;
      /** How far the generator's clock may step back (messaging.clock_backwards_tolerance_ms). */
      backwardsToleranceMs: number;
      /** Lag above which /ready reports the effects worker unhealthy. */
      lagAlertSeconds: number;
    },
  ) {
    const { metrics } = deps;
    this.applied = getOrCreate(
      metrics,
      'switchboard_messaging_effects_applied_total',
      () =>
        new Counter({
          name: 'switchboard_messaging_effects_applied_total',
          help: 'Message-change effects (search index) applied from the outbox',
          registers: [metrics],
        }),
    );
    this.failures = getOrCreate(
      metrics,
      'switchboard_messaging_effects_failures_total',
      () =>
        new Counter({
          name: 'switchboard_messaging_effects_failures_total',
          help: 'Passes over the effects outbox that failed (retried)',
          registers: [metrics],
        }),
    );
    const lag = () => this.lagSeconds();
    getOrCreate(
      metrics,
      'switchboard_messaging_effects_lag_seconds',
      () =>
        new Gauge({
          name: 'switchboard_messaging_effects_lag_seconds',
          help: 'Age of the oldest committed message change whose effects (search index) are not applied yet',
          registers: [metrics],
          collect() {
            this.set(lag());
          },
        }),
    );
  }

  /** Call before taking the change's id; pass the ticket to `end` whatever happens. */
  begin(): EffectTicket {
    const ticket = { floor: this.deps.lastMinted() };
    this.open.add(ticket);
    return ticket;
  }

  /** The change's write finished; `stored` is its effect id when its outbox row was written. */
  end(ticket: EffectTicket, stored: bigint | null): void {
    this.open.delete(ticket);
    if (stored === null) return;
    this.workerIds.add(decomposeId(stored).workerId);
    this.pendingSince ??= Date.now();
    if (this.running && !this.gather) {
      this.gather = setTimeout(() => {
        this.gather = undefined;
        this.trigger();
      }, GATHER_MS);
      this.gather.unref?.();
    }
  }

  /** The outbox row of a change, for the caller's write. */
  entry(effectId: bigint, channelId: string, messageId: bigint): BatchOp {
    return batchOp.insert(messageEffectsTable, {
      worker_id: decomposeId(effectId).workerId,
      hour: effectHour(effectId),
      effect_id: effectId,
      channel_id: channelId,
      message_id: messageId,
    });
  }

  /** Starts applying effects as they are written, after catching up what is pending. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.idle = setInterval(() => this.trigger(), IDLE_PASS_MS);
    this.idle.unref?.();
    this.trigger();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.idle) clearInterval(this.idle);
    if (this.gather) clearTimeout(this.gather);
    this.gather = undefined;
    await this.pass;
  }

  /**
   * One pass now, whether or not the worker runs: applies every change this process has
   * written (search calls it first, so a process reads its own writes).
   */
  async applyPending(): Promise<void> {
    this.trigger();
    // A pass may have started before the latest writes: wait until one ran after them.
    while (this.pass) await this.pass;
  }

  /**
   * Waits until every change written before the call, by this process or a previous holder
   * of its worker id, is applied (after a restart that is up to the clock tolerance: see
   * the horizon in runPasses). Throws when passes keep failing. For tests, tools and embedders.
   */
  async catchUp(): Promise<void> {
    // Everything this process wrote is at or below the newest id it minted; before its first
    // id, what a previous holder of the worker id left is below the clock.
    const minted = this.deps.lastMinted();
    const target = minted >= 0n ? minted : minIdAt(Date.now());
    for (;;) {
      await this.applyPending();
      if (this.consecutiveFailures >= 3) throw new Error(`message effects are failing: ${this.lastError}`);
      const behind = [...this.workerIds].some((w) => (this.progress.get(w) ?? -1n) < target);
      if (!behind) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  health(): EffectsHealth {
    const lag = this.lagSeconds();
    if (this.consecutiveFailures >= 2)
      return { ok: false, detail: `${this.consecutiveFailures} passes failed in a row: ${this.lastError}` };
    if (lag > this.deps.lagAlertSeconds)
      return {
        ok: false,
        detail: `effects lag ${lag.toFixed(1)} s (alert above ${this.deps.lagAlertSeconds} s)`,
      };
    return { ok: true, detail: `lag ${lag.toFixed(3)} s` };
  }

  lagSeconds(): number {
    return this.pendingSince === null ? 0 : Math.max(0, Date.now() - this.pendingSince) / 1000;
  }

  private trigger(): void {
    if (this.pass) {
      this.again = true;
      return;
    }
    this.pass = this.runPasses().finally(() => {
      this.pass = undefined;
    });
  }

  private async runPasses(): Promise<void> {
    do {
      this.again = false;
      const since = this.pendingSince;
      this.pendingSince = null;
      try {
        // Read every row up to here: older ids are committed or failed, newer ones not yet
        // minted. Ids minted from now on are above the newest minted so far, and above the
        // clock less the generator's backwards tolerance (which also covers rows a previous
        // holder of the worker id left before this process minted any).
        const floor = minIdAt(Date.now() - this.deps.backwardsToleranceMs) - 1n;
        const minted = this.deps.lastMinted();
        let horizon = minted > floor ? minted : floor;
        for (const ticket of this.open) if (ticket.floor < horizon) horizon = ticket.floor;
        this.workerIds.add(this.deps.workerId());
        for (const workerId of [...this.workerIds]) await this.drain(workerId, horizon);
        this.consecutiveFailures = 0;
      } catch (error) {
        this.pendingSince = Math.min(since ?? Date.now(), this.pendingSince ?? Date.now());
        this.consecutiveFailures += 1;
        this.lastError = error instanceof Error ? error.message : String(error);
        this.failures.inc();
        this.deps.logger.warn(
          { err: error, failures: this.consecutiveFailures },
          'message effects pass failed; retrying',
        );
        if (this.running) {
          this.timer = setTimeout(() => this.trigger(), RETRY_MS);
          this.timer.unref?.();
        }
        return;
      }
    } while (this.again);
  }

  /** Applies worker `workerId`'s rows after its progress, through `horizon`. */
  private async drain(workerId: number, horizon: bigint): Promise<void> {
    let done = await this.progressOf(workerId);
    if (horizon <= done) return;
    for (let hour = effectHour(done); hour <= effectHour(horizon); hour += 1) {
      for (;;) {
        const page = await this.deps.engine.slice(messageEffectsTable, {
          key: { worker_id: workerId, hour },
          range: { column: 'effect_id', gt: done, lte: horizon },
          order: 'ASC',
          limit: PAGE,
        });
        if (page.rows.length === 0) break;
        await this.apply(page.rows);
        done = page.rows[page.rows.length - 1]!.effect_id;
        await this.saveProgress(workerId, done);
        if (page.rows.length < PAGE) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    // Everything through the horizon is read; the next pass starts there (kept in memory only:
    // after a restart the stored progress is re-read, which at worst re-applies idempotently).
    this.progress.set(workerId, horizon);
  }

  private async apply(rows: { channel_id: string | null; message_id: bigint | null }[]): Promise<void> {
    // Distinct messages per channel: an effect syncs a message to its current state, so one
    // read serves every row of it in the page.
    const byChannel = new Map<string, Set<bigint>>();
    for (const row of rows) {
      if (row.channel_id === null || row.message_id === null) continue;
      const ids = byChannel.get(row.channel_id) ?? new Set<bigint>();
      ids.add(row.message_id);
      byChannel.set(row.channel_id, ids);
    }
    const changes = (
      await Promise.all(
        [...byChannel].map(async ([channelId, ids]) => {
          const stored = await this.deps.store.getMany(channelId, [...ids]);
          return [...ids].map((messageId) => {
            const row = stored.get(messageId);
            return { channelId, messageId, message: row ? rowToMessage(row) : null };
          });
        }),
      )
    ).flat();
    await this.deps.target.sync(changes);
    this.applied.inc(rows.length);
  }

  private async progressOf(workerId: number): Promise<bigint> {
    const known = this.progress.get(workerId);
    if (known !== undefined) return known;
    const row = await this.deps.engine.get(messageEffectsProgressTable, { worker_id: workerId });
    // Nothing applied yet: start where the oldest row still retained could be.
    const done = row?.done_through ?? minIdAt(Date.now() - RETENTION_MS);
    this.progress.set(workerId, done);
    return done;
  }

  private async saveProgress(workerId: number, done: bigint): Promise<void> {
    await this.deps.engine.update(
      messageEffectsProgressTable,
      { worker_id: workerId },
      { done_through: done, updated_at: new Date() },
    );
    this.progress.set(workerId, done);
  }
}
