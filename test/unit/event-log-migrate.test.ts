import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createEmbeddedEventLog } from '../../src/ports/event-log/embedded/log.js';
import { partitionForKey } from '../../src/ports/event-log/partitioner.js';

/** The version 1 tables as Switchboard 0.1 created them (messages clustered on their position). */
const V1_SCHEMA = `
CREATE TABLE log_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE topics (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, partitions INTEGER NOT NULL);
CREATE TABLE partitions (topic_id INTEGER NOT NULL, partition INTEGER NOT NULL,
  next_offset INTEGER NOT NULL DEFAULT 0, start_offset INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (topic_id, partition)) WITHOUT ROWID;
CREATE TABLE messages (topic_id INTEGER NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
  key TEXT, value BLOB NOT NULL, headers TEXT, ts INTEGER NOT NULL, size INTEGER NOT NULL,
  PRIMARY KEY (topic_id, partition, offset)) WITHOUT ROWID;
CREATE TABLE group_offsets (grp TEXT NOT NULL, topic_id INTEGER NOT NULL, partition INTEGER NOT NULL,
  committed INTEGER, delivered INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (grp, topic_id, partition)) WITHOUT ROWID;
INSERT INTO log_meta VALUES ('schema_version', '1');
`;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function freshDir(): { path: string; config: ReturnType<typeof loadConfig> } {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-log-migrate-'));
  dirs.push(dir);
  return {
    path: join(dir, 'event-log.db'),
    config: loadConfig({ env: { SWITCHBOARD_STORE_DATA_DIR: dir, SWITCHBOARD_EVENT_LOG_PARTITIONS: '1' } }),
  };
}

async function consumeAll(
  log: Awaited<ReturnType<typeof createEmbeddedEventLog>>,
  group: string,
  expected: number,
  topic = 't',
): Promise<{ offset: bigint; key: string | null; value: string; headers: Record<string, string> }[]> {
  const seen: { offset: bigint; key: string | null; value: string; headers: Record<string, string> }[] = [];
  const consumer = log.consumer({ group, topics: [topic], maxWaitMs: 5 });
  await consumer.run(async (b) => {
    for (const m of b.messages)
      seen.push({ offset: m.offset, key: m.key, value: m.value.toString(), headers: m.headers });
  });
  const deadline = Date.now() + 5000;
  while (seen.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await consumer.stop();
  return seen;
}

describe('embedded event log schema migration', () => {
  it('splits a version 1 file into partition tables keeping offsets, payloads and group positions', async () => {
    const { path, config } = freshDir();
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.exec(V1_SCHEMA);
    old.prepare('INSERT INTO topics (id, name, partitions) VALUES (1, ?, 1)').run('t');
    // Offsets 0..2 were deleted by retention before the upgrade: the log starts at 3.
    old.prepare('INSERT INTO partitions VALUES (1, 0, 8, 3, 50)').run();
    const insert = old.prepare('INSERT INTO messages VALUES (1, 0, ?, ?, ?, ?, ?, 10)');
    for (let offset = 3; offset < 8; offset += 1) {
      insert.run(
        offset,
        `k${offset}`,
        Buffer.from(`v${offset}`),
        offset === 4 ? '{"h":"1"}' : null,
        1000 + offset,
      );
    }
    // A second topic with two partitions, messages in partition 1 only.
    old.prepare('INSERT INTO topics (id, name, partitions) VALUES (2, ?, 2)').run('u');
    old.prepare('INSERT INTO partitions VALUES (2, 0, 0, 0, 0), (2, 1, 2, 0, 20)').run();
    old
      .prepare(
        "INSERT INTO messages VALUES (2, 1, 0, 'a', 'u0', NULL, 1, 10), (2, 1, 1, 'b', 'u1', NULL, 2, 10)",
      )
      .run();
    // Group "done" committed through offset 5; "fresh" has no position.
    old.prepare("INSERT INTO group_offsets VALUES ('done', 1, 0, 6, 6)").run();
    old.close();

    const log = await createEmbeddedEventLog({ path, config });
    try {
      expect(await consumeAll(log, 'done', 2)).toEqual([
        { offset: 6n, key: 'k6', value: 'v6', headers: {} },
        { offset: 7n, key: 'k7', value: 'v7', headers: {} },
      ]);
      const all = await consumeAll(log, 'fresh', 5);
      expect(all.map((m) => m.offset)).toEqual([3n, 4n, 5n, 6n, 7n]);
      expect(all[1]!.headers).toEqual({ h: '1' });
      expect((await consumeAll(log, 'fresh', 2, 'u')).map((m) => m.value)).toEqual(['u0', 'u1']);
      // New appends continue after the migrated offsets.
      await log.publish('t', [{ key: 'k8', value: 'v8' }]);
      expect(await consumeAll(log, 'done', 1)).toEqual([{ offset: 8n, key: 'k8', value: 'v8', headers: {} }]);
    } finally {
      await log.close();
    }
    const db = new Database(path, { readonly: true });
    try {
      expect(db.prepare("SELECT value FROM log_meta WHERE key = 'schema_version'").pluck().get()).toBe('2');
      const names = db
        .prepare("SELECT name FROM sqlite_schema WHERE name LIKE 'messages%' ORDER BY name")
        .pluck()
        .all();
      expect(names).toEqual(['messages_1_0', 'messages_2_0', 'messages_2_1']);
    } finally {
      db.close();
    }
  });

  it('reopens a current file with its messages on the partitions their keys map to', async () => {
    const { path } = freshDir();
    const dir = join(path, '..');
    const config = loadConfig({ env: { SWITCHBOARD_STORE_DATA_DIR: dir } });
    const first = await createEmbeddedEventLog({ path, config });
    await first.publish('t', [{ key: 'session-1', value: 'a' }]);
    await first.close();
    const again = await createEmbeddedEventLog({ path, config });
    try {
      const consumer = again.consumer({ group: 'g', topics: ['t'], maxWaitMs: 5 });
      const seen: number[] = [];
      await consumer.run(async (b) => {
        seen.push(...b.messages.map((m) => m.partition));
      });
      const deadline = Date.now() + 3000;
      while (seen.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await consumer.stop();
      expect(seen).toEqual([partitionForKey('session-1', config.event_log.partitions)]);
    } finally {
      await again.close();
    }
  });

  it.each([
    ['written by a newer Switchboard', '99', /schema version 99, newer than this Switchboard reads \(2\)/],
    ['with an unreadable schema version', 'abc', /unreadable schema version \("abc"\)/],
  ])('refuses a file %s instead of misreading it', async (_, version, message) => {
    const { path, config } = freshDir();
    const db = new Database(path);
    db.exec('CREATE TABLE log_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    db.prepare("INSERT INTO log_meta VALUES ('schema_version', ?)").run(version);
    db.close();
    await expect(createEmbeddedEventLog({ path, config })).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: expect.stringMatching(message),
    });
  });
});
