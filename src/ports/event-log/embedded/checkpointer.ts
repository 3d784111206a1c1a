import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Moves WAL checkpoints off the event loop. With synchronous=NORMAL the only fsyncs SQLite
 * does are at checkpoints, and SQLite's automatic checkpoint runs inside whichever commit
 * crosses the threshold: one publish in a few hundred paid several milliseconds (measured:
 * publish p99 ~1-4 ms with it, ~0.2 ms without). So the log's connection turns automatic
 * checkpoints off and this worker, on its own connection, runs PASSIVE checkpoints on a timer
 * (PASSIVE never blocks writers or readers; the WAL restarts from its beginning once a
 * checkpoint has caught up).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 1000');
const tick = () => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (error) { parentPort.postMessage({ error: String(error) }); }
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

export interface Checkpointer {
  close(): Promise<void>;
}

export function startCheckpointer(
  path: string,
  intervalMs: number,
  onError: (message: string) => void,
): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, intervalMs, driver } });
  worker.on('message', (m: { error?: string }) => {
    if (m.error) onError(m.error);
  });
  worker.on('error', (error) => onError(String(error)));
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
