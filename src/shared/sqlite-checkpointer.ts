import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';

/**
 * Moves WAL checkpoints off the event loop, for the embedded event log and the embedded
 * wide-column store. With synchronous=NORMAL the only fsyncs SQLite does are at checkpoints,
 * and SQLite's automatic checkpoint runs inside whichever commit crosses the threshold: one
 * publish in a few hundred paid several milliseconds (measured: publish p99 ~1-4 ms with it,
 * ~0.2 ms without). So those connections turn automatic checkpoints off and this worker, on
 * its own connection, runs PASSIVE checkpoints on a timer (PASSIVE never blocks writers or
 * readers).
 *
 * PASSIVE alone does not bound the WAL. The WAL file only starts again from its beginning
 * when a writer finds every frame checkpointed and no reader on an older snapshot, and under
 * a steady load (a publish or a consumer batch every few milliseconds) that moment never
 * comes: the event log's WAL grew by ~120 MB/s, 7 GB in a minute. So once the WAL holds more
 * than `walLimitBytes`, the worker follows the PASSIVE pass with a RESTART checkpoint: it
 * takes the write lock, copies the few frames written since the PASSIVE pass and waits for
 * readers on older snapshots to finish, so the next commit writes the WAL from its beginning
 * again. Writers wait for it (their busy timeout): while it waits for locks, which this
 * connection's short busy timeout bounds (then the checkpoint gives up), and while it copies
 * and syncs the frames (milliseconds, since the PASSIVE pass just copied nearly all of them).
 *
 * Not TRUNCATE: shrinking the file to nothing and growing it again each time cost the event
 * log bench a quarter of its unpaced throughput (131-140k against 174-188k msg/s); the
 * writers' `journal_size_limit` (`leaveCheckpointsToWorker`) only cuts back what a burst left
 * beyond the limit. A reader that stays open (a long query, another process) would make every
 * attempt fail and hold writers up each time, so after a failure the next attempt waits twice
 * as long as the last, up to 5 s.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = ' + workerData.restartWaitMs);
const frameBytes = db.pragma('page_size', { simple: true }) + 24;
let backoffMs = 0;
let restartAfter = 0;
const tick = () => {
  try {
    const [passive] = db.pragma('wal_checkpoint(PASSIVE)');
    if (passive.log * frameBytes <= workerData.walLimitBytes || Date.now() < restartAfter) return;
    const [restart] = db.pragma('wal_checkpoint(RESTART)');
    const restarted = restart.busy === 0;
    backoffMs = restarted ? 0 : Math.min(Math.max(2 * backoffMs, workerData.intervalMs), 5000);
    restartAfter = Date.now() + backoffMs;
    parentPort.postMessage({ restarted, walBytes: passive.log * frameBytes });
  } catch (error) {
    parentPort.postMessage({ error: String(error) });
  }
};
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message === 'close') {
    clearInterval(timer);
    tick();
    db.close();
    parentPort.close();
  }
});
`;

export interface CheckpointerOptions {
  /** How often the PASSIVE checkpoint runs (default 200 ms). */
  intervalMs?: number;
  /** The WAL size above which the file is checkpointed completely and restarted (default 64 MiB). */
  walLimitBytes?: number;
  /** Longest time a restarting checkpoint waits for locks, holding writers up meanwhile (default 100 ms). */
  restartWaitMs?: number;
  onError: (message: string) => void;
  /** Each attempt to start the WAL over: whether it succeeded, and the WAL size that triggered it. */
  onRestart?: (event: { restarted: boolean; walBytes: number }) => void;
}

export interface Checkpointer {
  close(): Promise<void>;
}

export const DEFAULT_WAL_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Settings for a connection whose file this worker checkpoints (every connection that writes
 * it, including a second one in another thread): no automatic checkpoint inside its commits,
 * and a WAL file cut back to `walLimitBytes` when it starts over after a burst made it larger.
 */
export function leaveCheckpointsToWorker(db: Database, walLimitBytes = DEFAULT_WAL_LIMIT_BYTES): void {
  db.pragma('wal_autocheckpoint = 0');
  db.pragma(`journal_size_limit = ${Math.floor(walLimitBytes)}`);
}

export function startCheckpointer(path: string, options: CheckpointerOptions): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      path,
      driver,
      intervalMs: options.intervalMs ?? 200,
      walLimitBytes: options.walLimitBytes ?? DEFAULT_WAL_LIMIT_BYTES,
      restartWaitMs: options.restartWaitMs ?? 100,
    },
  });
  worker.on('message', (m: { error?: string; restarted?: boolean; walBytes?: number }) => {
    if (m.error !== undefined) options.onError(m.error);
    else if (m.restarted !== undefined)
      options.onRestart?.({ restarted: m.restarted, walBytes: m.walBytes! });
  });
  worker.on('error', (error) => options.onError(String(error)));
  // Never keep a process alive just to checkpoint.
  worker.unref();
  return {
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => void worker.terminate().then(() => resolve()), 2000);
        worker.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        worker.postMessage('close');
      }),
  };
}
