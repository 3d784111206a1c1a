import type { BatchOp, WideColumnEngine } from './engine.js';

interface Pending {
  ops: readonly BatchOp[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for the embedded engine: writes submitted during one turn of the event loop
 * share one transaction, so N concurrent writers pay for one commit instead of N. A writer's
 * promise still resolves only when the transaction holding its rows has committed, so what
 * it reports stored is stored.
 *
 * A group is committed when it holds `maxWriters` writes or when the current turn of the
 * event loop ends (setImmediate), whichever is first; a lone writer therefore waits one turn,
 * a few microseconds. A group that fails is retried writer by writer, so one bad write (a
 * value the engine refuses) fails only its own writer, and the others still commit whole.
 *
 * Only worth it where a commit is the cost (the embedded engine runs the whole batch in one
 * SQLite transaction); ScyllaDB has no transaction to share.
 */
export class GroupCommit {
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly engine: WideColumnEngine,
    private readonly maxWriters: number,
  ) {}

  write(ops: readonly BatchOp[]): Promise<void> {
    if (this.maxWriters <= 1) return this.engine.batch(ops, { atomic: false });
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ ops, resolve, reject });
      if (this.pending.length >= this.maxWriters) {
        void this.flush();
      } else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          void this.flush();
        });
      }
    });
  }

  private async flush(): Promise<void> {
    const group = this.pending;
    if (group.length === 0) return;
    this.pending = [];
    if (group.length === 1) {
      await this.settle(group[0]!);
      return;
    }
    try {
      await this.engine.batch(
        group.flatMap((p) => p.ops),
        { atomic: false },
      );
      for (const p of group) p.resolve();
    } catch {
      // The whole group rolled back: commit each writer alone so only the faulty one fails.
      for (const p of group) await this.settle(p);
    }
  }

  private async settle(p: Pending): Promise<void> {
    try {
      await this.engine.batch(p.ops, { atomic: false });
      p.resolve();
    } catch (error) {
      p.reject(error);
    }
  }
}
