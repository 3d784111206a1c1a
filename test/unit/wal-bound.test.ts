import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createEmbeddedEventLog } from '../../src/ports/event-log/embedded/log.js';
import { defineTable } from '../../src/ports/wide-column/declare.js';
import { batchOp } from '../../src/ports/wide-column/engine.js';
import { createEmbeddedEngine } from '../../src/ports/wide-column/embedded/engine.js';
import { leaveCheckpointsToWorker, startCheckpointer } from '../../src/shared/sqlite-checkpointer.js';

/**
 * Under a steady load (writes every few milliseconds, readers always active) PASSIVE
 * checkpoints never let the WAL start over, and it grew without bound (7 GB in a minute on the
 * event log). The checkpointer starts it over once it passes its limit (sqlite-checkpointer.ts).
 * Each test writes ~40 MB at a steady pace with a 1 MiB limit, and checks the WAL never held
 * more than a fraction of it; without the restarts it holds all of it.
 */
const LIMIT = 1024 * 1024;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-wal-'));
  dirs.push(dir);
  return dir;
}

/** Runs `load` while sampling the WAL's size; returns the largest size seen. */
async function largestWal(path: string, load: () => Promise<void>): Promise<number> {
  let largest = 0;
  const sample = () => {
    if (existsSync(`${path}-wal`)) largest = Math.max(largest, statSync(`${path}-wal`).size);
  };
  const timer = setInterval(sample, 20);
  try {
    await load();
  } finally {
    clearInterval(timer);
  }
  sample();
  return largest;
}

/** ~20 MB/s for two seconds: enough writes between two checkpoints to matter, not a flood. */
async function steadily(rounds: number, write: (round: number) => Promise<void>): Promise<void> {
  for (let round = 0; round < rounds; round += 1) {
    await write(round);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('the WAL stays bounded under a steady load', () => {
  it('on the event log, with a consumer reading as fast as it can', async () => {
    const dir = tempDir();
    const path = join(dir, 'event-log.db');
    const config = loadConfig({ env: { SWITCHBOARD_STORE_DATA_DIR: dir } });
    const log = await createEmbeddedEventLog({ path, config, walLimitBytes: LIMIT });
    try {
      await log.ensureTopics([{ name: 'steady', partitions: 4 }]);
      const consumer = log.consumer({ group: 'g', topics: ['steady'] });
      let consumed = 0;
      void consumer.run(async (batch) => {
        consumed += batch.messages.length;
      });
      const value = Buffer.alloc(400, 'x');
      const rounds = 400;
      const perRound = 250;
      const written = rounds * perRound * value.length;
      const largest = await largestWal(path, () =>
        steadily(rounds, (round) =>
          log.publish(
            'steady',
            Array.from({ length: perRound }, (_, i) => ({ key: `s${(round * perRound + i) % 97}`, value })),
          ),
        ),
      );
      await expect.poll(() => consumed, { timeout: 10_000 }).toBe(rounds * perRound);
      await consumer.stop();
      expect(largest).toBeLessThan(written / 2);
    } finally {
      await log.close();
    }
  });

  it('on the wide-column store, with reads between the batches', async () => {
    const dir = tempDir();
    const path = join(dir, 'wide-column.db');
    const notes = defineTable({
      name: 'wal_notes',
      module: 'test',
      columns: { id: 'int', body: 'text' },
      partitionKey: ['id'],
    });
    const engine = await createEmbeddedEngine({ path, walLimitBytes: LIMIT, purgeIntervalMs: 0 });
    try {
      await engine.applySchema([notes]);
      const body = 'x'.repeat(400);
      const rounds = 400;
      const perRound = 250;
      const written = rounds * perRound * body.length;
      const largest = await largestWal(path, () =>
        steadily(rounds, async (round) => {
          await engine.batch(
            Array.from({ length: perRound }, (_, i) =>
              batchOp.insert(notes, { id: round * perRound + i, body }),
            ),
          );
          expect(await engine.get(notes, { id: round * perRound })).toMatchObject({ body });
        }),
      );
      expect(largest).toBeLessThan(written / 2);
      // Nothing was lost to the restarts.
      expect(await engine.get(notes, { id: 0 })).toMatchObject({ body });
      expect(await engine.get(notes, { id: rounds * perRound - 1 })).toMatchObject({ body });
    } finally {
      await engine.close();
    }
  });
});

describe('a reader that stays open', () => {
  it('makes restarts back off instead of holding writers up every tick, and they resume after', async () => {
    const path = join(tempDir(), 'held.db');
    const writer = new Database(path);
    writer.pragma('journal_mode = WAL');
    const limit = 256 * 1024;
    leaveCheckpointsToWorker(writer, limit);
    writer.pragma('busy_timeout = 5000');
    writer.exec('CREATE TABLE t (x BLOB)');
    const insert = writer.prepare('INSERT INTO t (x) VALUES (?)');
    const attempts: boolean[] = [];
    const checkpointer = startCheckpointer(path, {
      intervalMs: 50,
      walLimitBytes: limit,
      restartWaitMs: 20,
      onError: (message) => {
        throw new Error(message);
      },
      onRestart: ({ restarted }) => attempts.push(restarted),
    });
    // Another connection in the middle of a read: the WAL cannot start over under it.
    const reader = new Database(path);
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM t').get();
    const chunk = Buffer.alloc(64 * 1024);
    const writeFor = async (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        writer.transaction(() => {
          for (let i = 0; i < 4; i += 1) insert.run(chunk);
        })();
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    try {
      await writeFor(1500);
      // Every 50 ms for 1.5 s would be ~30 attempts; doubling waits after each failure leave a handful.
      expect(attempts.length).toBeGreaterThan(0);
      expect(attempts.every((ok) => !ok)).toBe(true);
      expect(attempts.length).toBeLessThan(10);
      reader.exec('COMMIT');
      const failures = attempts.length;
      const deadline = Date.now() + 10_000;
      while (!attempts.slice(failures).includes(true) && Date.now() < deadline) await writeFor(100);
      expect(attempts.slice(failures)).toContain(true);
      expect(statSync(`${path}-wal`).size).toBeLessThan(8 * 1024 * 1024);
      expect((writer.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n).toBeGreaterThan(0);
    } finally {
      if (reader.inTransaction) reader.exec('COMMIT');
      reader.close();
      await checkpointer.close();
      writer.close();
    }
  });
});
