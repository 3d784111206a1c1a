import type { Database } from 'better-sqlite3';
import { SwitchboardError } from '../../../errors/index.js';
import { SCHEMA_SQL, SCHEMA_VERSION, partitionTable, partitionTableSql } from './schema.js';

/**
 * Brings a log file to the current schema, in one IMMEDIATE transaction (two processes opening
 * one old file: the second finds it migrated). A new file gets the current tables; a version 1
 * file (one messages table clustered on the position, see schema.ts) has its messages copied
 * into per-partition tables with offsets, keys and timestamps unchanged, so group offsets stay
 * valid. A file written by a newer Switchboard, or with an unreadable version, is refused
 * rather than misread.
 */
export function prepareLogSchema(db: Database, path: string): void {
  const prepare = db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS log_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    const stored = db
      .prepare<[], { value: string }>("SELECT value FROM log_meta WHERE key = 'schema_version'")
      .get();
    const version = stored ? Number(stored.value) : SCHEMA_VERSION;
    if (!Number.isInteger(version) || version < 1) {
      throw new SwitchboardError(
        'STORE_UNAVAILABLE',
        `The event log at ${path} has an unreadable schema version (${JSON.stringify(stored?.value)})`,
      );
    }
    if (version > SCHEMA_VERSION) {
      throw new SwitchboardError(
        'STORE_UNAVAILABLE',
        `The event log at ${path} has schema version ${version}, newer than this Switchboard reads (${SCHEMA_VERSION}); upgrade Switchboard`,
      );
    }
    if (version === 1) migrateFromV1(db);
    db.exec(SCHEMA_SQL);
    db.prepare(
      "INSERT INTO log_meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    ).run(String(SCHEMA_VERSION));
  });
  prepare.immediate();
}

/** Version 1 -> 2: the shared `messages` table split into one table per partition. */
function migrateFromV1(db: Database): void {
  const exists = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'messages'").get();
  if (!exists) return;
  const partitions = db
    .prepare<[], { topic_id: number; partition: number }>('SELECT topic_id, partition FROM partitions')
    .all();
  for (const { topic_id: topicId, partition } of partitions) {
    db.exec(partitionTableSql(topicId, partition));
    db.prepare(
      `INSERT INTO ${partitionTable(topicId, partition)} (offset, key, value, headers, ts, size)
       SELECT offset, key, value, headers, ts, size FROM messages
       WHERE topic_id = ? AND partition = ? ORDER BY offset`,
    ).run(topicId, partition);
  }
  db.exec('DROP TABLE messages');
}
