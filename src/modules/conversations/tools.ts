import type { Kysely } from 'kysely';
import type { RelationalStore } from '../../ports/relational/store.js';
import { mapBounded } from './bounded.js';
import type { ConversationDatabase } from './migrations.js';
import type { RepairLog } from './repair-log.js';
import type { MigrationRouter } from './router.js';
import type { ConversationStore } from './store.js';
import { copySession, difference, readSnapshot } from './sync.js';

export interface Progress {
  done: number;
  total: number;
}

interface Checkpoint {
  cursor: string | null;
  done: boolean;
  /** Counts carried across a resumed run (verify's tallies). */
  counts: Record<string, number>;
}

export interface VerifyReport {
  checked: number;
  mismatches: number;
  rate: number;
  differing: { sessionUid: string; reason: string }[];
}

/**
 * Backfill, verify and repair (`switchboard conversations ...`). Each walks sessions in id
 * order in batches and saves its position after every batch in `conversation_checkpoints`,
 * so an interrupted run resumes where it stopped; every step is idempotent (a session is
 * copied whole, as its source holds it), so redoing the batch in flight is harmless.
 * Sessions are enumerated from the relational store, which holds every session in every
 * phase (written synchronously before wide_column, asynchronously in it).
 */
export class MigrationTools {
  constructor(
    private readonly deps: {
      relational: ConversationStore;
      wide: ConversationStore;
      repairs: RepairLog;
      router: MigrationRouter;
      db: RelationalStore;
      /** Runs `fn` while no service write of the session is in flight (the service's per-session queue). */
      exclusive?: <T>(sessionUid: string, fn: () => Promise<T>) => Promise<T>;
    },
  ) {}

  private get db(): Kysely<ConversationDatabase> {
    return this.deps.db.db as Kysely<ConversationDatabase>;
  }

  setExclusive(exclusive: <T>(sessionUid: string, fn: () => Promise<T>) => Promise<T>): void {
    this.deps.exclusive = exclusive;
  }

  private exclusive<T>(sessionUid: string, fn: () => Promise<T>): Promise<T> {
    return this.deps.exclusive ? this.deps.exclusive(sessionUid, fn) : fn();
  }

  /** Source of truth and copy for the current phase. */
  private sides(): { source: ConversationStore; target: ConversationStore } {
    const source = this.deps.router.authority();
    return { source, target: source === this.deps.wide ? this.deps.relational : this.deps.wide };
  }

  async loadCheckpoint(tool: string): Promise<Checkpoint | null> {
    const row = await this.db
      .selectFrom('conversation_checkpoints')
      .selectAll()
      .where('tool', '=', tool)
      .executeTakeFirst();
    if (!row) return null;
    const parsed = row.cursor
      ? (JSON.parse(row.cursor) as { c: string | null; n: Record<string, number> })
      : null;
    return { cursor: parsed?.c ?? null, counts: parsed?.n ?? {}, done: row.done === 1 };
  }

  private async saveCheckpoint(tool: string, cp: Checkpoint): Promise<void> {
    const values = {
      tool,
      cursor: JSON.stringify({ c: cp.cursor, n: cp.counts }),
      done: cp.done ? 1 : 0,
      updated_at: new Date().toISOString(),
    };
    await this.db
      .insertInto('conversation_checkpoints')
      .values(values)
      .onConflict((oc) =>
        oc
          .column('tool')
          .doUpdateSet({ cursor: values.cursor, done: values.done, updated_at: values.updated_at }),
      )
      .execute();
  }

  async countSessions(): Promise<number> {
    const row = await this.db
      .selectFrom('sessions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  private async sessionIds(after: string | null, limit: number): Promise<string[]> {
    let q = this.db.selectFrom('sessions').select('uid');
    if (after !== null) q = q.where('uid', '>', after);
    return (await q.orderBy('uid').limit(limit).execute()).map((r) => r.uid);
  }

  /** Walks sessions from the tool's checkpoint, batch by batch, saving the position after each. */
  private async walk(
    tool: string,
    options: {
      batchSize: number;
      restart?: boolean;
      onProgress?: (p: Progress) => void;
      signal?: AbortSignal;
    },
    each: (ids: string[], counts: Record<string, number>) => Promise<void>,
  ): Promise<Record<string, number>> {
    const previous = options.restart ? null : await this.loadCheckpoint(tool);
    const cp: Checkpoint =
      previous && !previous.done ? previous : { cursor: null, done: false, counts: { done: 0 } };
    const total = await this.countSessions();
    for (;;) {
      // Interrupted: stop after the batch just saved; the next run resumes from the checkpoint.
      if (options.signal?.aborted) return cp.counts;
      const ids = await this.sessionIds(cp.cursor, options.batchSize);
      if (ids.length === 0) break;
      await each(ids, cp.counts);
      cp.cursor = ids.at(-1)!;
      cp.counts.done = (cp.counts.done ?? 0) + ids.length;
      await this.saveCheckpoint(tool, cp);
      options.onProgress?.({ done: cp.counts.done, total });
    }
    cp.done = true;
    await this.saveCheckpoint(tool, cp);
    return cp.counts;
  }

  /** Copies every relational session into the wide-column tables (run while dual-write is on). */
  async backfill(
    options: {
      batchSize?: number;
      concurrency?: number;
      restart?: boolean;
      onProgress?: (p: Progress) => void;
      signal?: AbortSignal;
    } = {},
  ): Promise<{ copied: number }> {
    const counts = await this.walk(
      'backfill',
      { batchSize: options.batchSize ?? 200, ...options },
      async (ids, n) => {
        await mapBounded(ids, options.concurrency ?? 8, async (id) => {
          if (await this.exclusive(id, () => copySession(this.deps.relational, this.deps.wide, id))) {
            n.copied = (n.copied ?? 0) + 1;
          }
        });
      },
    );
    return { copied: counts.copied ?? 0 };
  }

  /**
   * Compares both sides session by session (every session, or a random `sample` share),
   * records differing ones in the repair log and returns them with the mismatch rate.
   */
  async verify(
    options: {
      batchSize?: number;
      concurrency?: number;
      sample?: number;
      restart?: boolean;
      onProgress?: (p: Progress) => void;
      onMismatch?: (m: { sessionUid: string; reason: string }) => void;
      signal?: AbortSignal;
    } = {},
  ): Promise<VerifyReport> {
    const sample = options.sample ?? 1;
    const differing: { sessionUid: string; reason: string }[] = [];
    const counts = await this.walk(
      'verify',
      { batchSize: options.batchSize ?? 200, ...options },
      async (ids, n) => {
        const chosen = sample >= 1 ? ids : ids.filter(() => Math.random() < sample);
        await mapBounded(chosen, options.concurrency ?? 8, async (id) => {
          // Between this process's writes to the session, so a write in flight is not a mismatch.
          const [a, b] = await this.exclusive(id, () => {
            const { source, target } = this.sides();
            return Promise.all([readSnapshot(source, id), readSnapshot(target, id)]);
          });
          n.checked = (n.checked ?? 0) + 1;
          const reason = difference(a, b);
          if (reason === null) return;
          n.mismatches = (n.mismatches ?? 0) + 1;
          const m = { sessionUid: id, reason };
          differing.push(m);
          options.onMismatch?.(m);
          await this.deps.repairs.record(id, `verify: ${reason}`);
        });
      },
    );
    const checked = counts.checked ?? 0;
    const mismatches = counts.mismatches ?? 0;
    return { checked, mismatches, rate: checked ? mismatches / checked : 0, differing };
  }

  /** Rewrites every session in the repair log from the source of truth, removing each entry once done. */
  async repair(
    options: {
      batchSize?: number;
      concurrency?: number;
      onProgress?: (p: Progress) => void;
      signal?: AbortSignal;
    } = {},
  ): Promise<{ repaired: number; failed: number }> {
    const total = await this.deps.repairs.backlog();
    let after: string | null = null;
    let repaired = 0;
    let failed = 0;
    // The repair log is its own checkpoint: repaired entries are removed, the rest wait.
    while (!options.signal?.aborted) {
      const batch = await this.deps.repairs.list(after, options.batchSize ?? 200);
      if (batch.length === 0) break;
      await mapBounded(batch, options.concurrency ?? 8, async ({ sessionUid }) => {
        const started = new Date();
        try {
          await this.exclusive(sessionUid, async () => {
            const { source, target } = this.sides();
            await copySession(source, target, sessionUid);
          });
          await this.deps.repairs.resolve(sessionUid, started);
          repaired += 1;
        } catch {
          failed += 1;
        }
      });
      after = batch.at(-1)!.sessionUid;
      options.onProgress?.({ done: repaired + failed, total });
    }
    return { repaired, failed };
  }
}
