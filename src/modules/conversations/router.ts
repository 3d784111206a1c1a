import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { isSwitchboardError, SwitchboardError } from '../../errors/index.js';
import type { CircuitBreaker } from '../../shared/breaker.js';
import type { ConversationMode } from './config.js';
import type { MigrationMetrics } from './migration-metrics.js';
import type { RepairLog } from './repair-log.js';
import type { ConversationBackend } from './service.js';
import type { ChildRef, ConversationStore } from './store.js';
import type { Session, SessionPage, SessionSnapshot, Step, Turn, TurnPatch } from './types.js';

export type Side = 'relational' | 'wide_column';

export interface RouterOptions {
  relational: ConversationStore;
  wide: ConversationStore;
  mode: ConversationMode;
  shadowSample: number;
  wideReadPercent: number;
  latencyBudgetMs: number;
  /** Guards wide-column reads (and skips wide-column writes while open: they go to the repair log). */
  breaker: CircuitBreaker;
  repairs: RepairLog;
  metrics: MigrationMetrics;
  logger: Logger;
  /** wide_column mode: hands a changed session to the event log for the relational copy. */
  publishChange(sessionUid: string): Promise<void>;
  random?: () => number;
}

/** A stable bucket 0-99 per key, so a session always reads from the same side at a given percentage. */
export function bucketOf(key: string): number {
  return createHash('sha1').update(key).digest().readUInt32BE(0) % 100;
}

/** Compared results ignore page tokens: each side issues its own. */
const comparable = (value: unknown): string =>
  JSON.stringify(value, (k, v: unknown) => (k === 'nextPageToken' ? undefined : v));

/**
 * The migration phases (seed 002) behind the ConversationStore interface, so the service is
 * the same code in every phase. The mode can change at run time: each write and read takes
 * the mode once when it starts and finishes in it.
 *
 * - relational: the relational store only.
 * - dual_write: writes go to the relational store first (authoritative: its failure fails
 *   the request), then to the wide-column store, whose failure is recorded in the repair
 *   log instead of failing the request. Reads come from the relational store; a sample is
 *   also read from the wide-column side in the background and compared.
 * - wide_column_reads: writes as dual_write. A stable percentage of sessions read from the
 *   wide-column store, falling back to the relational one when the session is missing there,
 *   the read fails or exceeds the latency budget, or the breaker is open; a sample of those
 *   reads is compared with the relational store (the stale-read rate).
 * - wide_column: the wide-column store is primary; the relational copy is written
 *   asynchronously from the event log (relational-copy.ts) for analytics and backup.
 */
export class MigrationRouter implements ConversationBackend {
  /** The kind of the store that is the source of truth in the current mode. */
  get kind(): 'relational' | 'wide_column' {
    return this.authority().kind;
  }
  private modeValue: ConversationMode;
  private readonly random: () => number;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly o: RouterOptions) {
    this.modeValue = o.mode;
    this.random = o.random ?? Math.random;
    o.metrics.setMode(o.mode);
  }

  get mode(): ConversationMode {
    return this.modeValue;
  }

  /**
   * Moves to another phase. Entering wide_column needs an empty repair backlog: a session
   * whose wide-column copy is behind would otherwise lose writes when that copy becomes primary.
   */
  async setMode(mode: ConversationMode, options: { force?: boolean } = {}): Promise<void> {
    if (mode === 'wide_column' && this.modeValue !== 'wide_column' && !options.force) {
      const backlog = await this.o.repairs.backlog();
      if (backlog > 0) {
        throw new SwitchboardError(
          'CONFLICT',
          `${backlog} sessions wait for repair; run \`switchboard conversations repair\` before making the wide-column store primary`,
          { field: 'body.mode', details: { backlog } },
        );
      }
    }
    this.modeValue = mode;
    this.o.metrics.setMode(mode);
    this.o.metrics.resetStaleReads(); // the rate describes the current phase
    this.o.logger.info({ mode }, 'conversations mode changed');
  }

  authority(): ConversationStore {
    return this.modeValue === 'wide_column' ? this.o.wide : this.o.relational;
  }

  /** Waits for background shadow reads and event hand-offs (tests, shutdown). */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private track(p: Promise<unknown>): void {
    const tracked = p.catch(() => undefined).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  // ---- writes ----

  private async write(sessionUid: string, op: (store: ConversationStore) => Promise<void>): Promise<void> {
    const mode = this.modeValue;
    if (mode === 'relational') return op(this.o.relational);
    if (mode === 'wide_column') {
      await op(this.o.wide);
      try {
        await this.o.publishChange(sessionUid);
      } catch (error) {
        await this.secondaryFailed(sessionUid, 'relational', 'event log hand-off failed', error);
      }
      return;
    }
    await op(this.o.relational);
    try {
      if (this.o.breaker.state === 'open')
        throw new SwitchboardError('CIRCUIT_OPEN', undefined, { details: { port: 'wide_column' } });
      await op(this.o.wide);
    } catch (error) {
      await this.secondaryFailed(sessionUid, 'wide_column', 'wide-column write failed', error);
    }
  }

  private async secondaryFailed(sessionUid: string, side: Side, reason: string, error: unknown) {
    this.o.metrics.secondaryWriteFailures.inc({ side });
    this.o.logger.warn({ sessionUid, side, err: error }, `conversations: ${reason}; recorded for repair`);
    await this.o.repairs.record(sessionUid, reason).catch((e: unknown) => {
      this.o.logger.error({ sessionUid, err: e }, 'conversations: could not record a session for repair');
    });
  }

  insertSession = (s: Session) => this.write(s.sessionUid, (x) => x.insertSession(s));
  updateSession = (s: Session, patch: { title?: string; deletedAt?: Date }) =>
    this.write(s.sessionUid, (x) => x.updateSession(s, patch));
  // Claimed where writes are checked; the other side records the owner with the turn.
  claimTurn = (turnUid: string, sessionUid: string) => this.authority().claimTurn(turnUid, sessionUid);
  insertTurn = (turn: Turn, parent: Session | Turn) =>
    this.write(turn.sessionUid, (x) => x.insertTurn(turn, parent));
  setActiveChild = (parent: Session | Turn, childUid: string) =>
    this.write(parent.sessionUid, (x) => x.setActiveChild(parent, childUid));
  updateTurn = (turn: Turn, patch: TurnPatch) =>
    this.write(turn.sessionUid, (x) => x.updateTurn(turn, patch));
  insertSteps = (sessionUid: string, steps: readonly Step[]) =>
    this.write(sessionUid, (x) => x.insertSteps(sessionUid, steps));
  putSnapshot = (s: SessionSnapshot) => this.write(s.session.sessionUid, (x) => x.putSnapshot(s));

  // ---- reads ----

  /**
   * Runs a whole read (session, turns, steps) on one side, chosen by mode, with fallback and
   * shadow comparison. `pin` forces a side (a page token belongs to the side that issued it).
   */
  async read<T>(key: string, fn: (store: ConversationStore) => Promise<T>, pin?: Side): Promise<T> {
    const mode = this.modeValue;
    if (pin) return this.serve(pin, fn);
    if (mode === 'relational') return this.serve('relational', fn);
    if (mode === 'wide_column') return this.serve('wide_column', fn);
    if (mode === 'dual_write' || bucketOf(key) >= this.o.wideReadPercent) {
      const result = await this.serve('relational', fn);
      if (mode === 'dual_write' && this.sampled()) this.shadow(mode, key, fn);
      return result;
    }
    let result: T;
    try {
      result = await this.o.breaker.run(() => this.withinBudget(fn(this.o.wide)));
    } catch (error) {
      this.o.metrics.fallbacks.inc({ reason: this.fallbackReason(error) });
      return this.serve('relational', fn);
    }
    this.o.metrics.reads.inc({ source: 'wide_column' });
    if (this.sampled()) this.shadow(mode, key, fn);
    return result;
  }

  private fallbackReason(error: unknown): string {
    if (isSwitchboardError(error, 'SESSION_NOT_FOUND')) return 'missing';
    if (isSwitchboardError(error, 'CIRCUIT_OPEN')) return 'breaker';
    if (isSwitchboardError(error, 'STORE_TIMEOUT')) return 'latency';
    return 'error';
  }

  private async serve<T>(side: Side, fn: (store: ConversationStore) => Promise<T>): Promise<T> {
    const result = await fn(side === 'relational' ? this.o.relational : this.o.wide);
    this.o.metrics.reads.inc({ source: side });
    return result;
  }

  private sampled(): boolean {
    return this.o.shadowSample > 0 && this.random() < this.o.shadowSample;
  }

  private withinBudget<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new SwitchboardError('STORE_TIMEOUT', `wide-column read over ${this.o.latencyBudgetMs} ms`)),
        this.o.latencyBudgetMs,
      );
    });
    work.catch(() => undefined); // a read that loses the race must not become an unhandled rejection
    return Promise.race([work, budget]).finally(() => clearTimeout(timer));
  }

  /** Runs `fn` between this process's writes to the session (the service's queue), when wired. */
  setExclusive(exclusive: <T>(key: string, fn: () => Promise<T>) => Promise<T>): void {
    this.exclusive = exclusive;
  }
  private exclusive: <T>(key: string, fn: () => Promise<T>) => Promise<T> = (_key, fn) => fn();

  /**
   * A shadow read, in the background: the same read on both sides, between this process's
   * writes to the session, compared. Reading both under the session's write queue keeps a
   * write landing between the two reads from counting as a mismatch; what is left is the
   * copy really being behind. In wide_column_reads (the wide-column side served the read)
   * the outcome is the stale-read rate.
   */
  private shadow<T>(mode: ConversationMode, key: string, fn: (s: ConversationStore) => Promise<T>): void {
    const settle = async (p: Promise<T>): Promise<string> => {
      try {
        return comparable(await p);
      } catch (error) {
        // Both sides refusing the same way (not found, too large) is agreement.
        if (isSwitchboardError(error) && error.status < 500) return `refused:${error.code}`;
        throw error;
      }
    };
    const outcome = (async () => {
      let result: 'match' | 'mismatch' | 'error';
      try {
        const [a, b] = await this.exclusive(key, () =>
          Promise.all([settle(fn(this.o.relational)), settle(fn(this.o.wide))]),
        );
        result = a === b ? 'match' : 'mismatch';
      } catch {
        result = 'error';
      }
      this.o.metrics.shadow.inc({ mode, result });
      if (mode === 'wide_column_reads' && result !== 'error')
        this.o.metrics.comparedRead(result === 'mismatch');
    })();
    this.track(outcome);
  }

  // Plain store reads go to the source of truth (tools and write validation use them).
  getSession = (id: string) => this.authority().getSession(id);
  listSessions = (a: string, l: number, t: string | null): Promise<SessionPage> =>
    this.authority().listSessions(a, l, t);
  sessionTurns = (id: string, limit: number) => this.authority().sessionTurns(id, limit);
  lastStepIdx = (turnUid: string) => this.authority().lastStepIdx(turnUid);
  steps = (turnUid: string, limit: number) => this.authority().steps(turnUid, limit);
  children = (p: string, s: string, limit: number): Promise<ChildRef[]> =>
    this.authority().children(p, s, limit);
}
