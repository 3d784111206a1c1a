/**
 * The embedded log's tables, in one SQLite file. Topics get a small integer id so the hot
 * tables key on integers; `partitions` holds each partition's next offset (offsets are never
 * reused, even after retention empties a partition, as on Kafka), its log-start offset and its
 * byte total for size retention. `group_offsets.committed` is Kafka's committed offset (the
 * next offset to consume); `delivered` is the highest offset + 1 ever handed to a handler, so
 * a restarted consumer knows exactly which messages may be redeliveries.
 */
export const SCHEMA_VERSION = 1;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS log_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS topics (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  partitions INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS partitions (
  topic_id INTEGER NOT NULL,
  partition INTEGER NOT NULL,
  next_offset INTEGER NOT NULL DEFAULT 0,
  start_offset INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (topic_id, partition)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
  topic_id INTEGER NOT NULL,
  partition INTEGER NOT NULL,
  offset INTEGER NOT NULL,
  key TEXT,
  value BLOB NOT NULL,
  headers TEXT,
  ts INTEGER NOT NULL,
  size INTEGER NOT NULL,
  PRIMARY KEY (topic_id, partition, offset)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_offsets (
  grp TEXT NOT NULL,
  topic_id INTEGER NOT NULL,
  partition INTEGER NOT NULL,
  committed INTEGER,
  delivered INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (grp, topic_id, partition)
) WITHOUT ROWID;
`;
