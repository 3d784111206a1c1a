import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SwitchboardError } from '../../../errors/index.js';
import { leaveCheckpointsToWorker } from '../../../shared/sqlite-checkpointer.js';
import type { LogMessage, OutgoingMessage } from '../log.js';
import { partitionForKey } from '../partitioner.js';
import { toBuffer, validateTopicName } from '../shared.js';
import { prepareLogSchema } from './migrate.js';
import { partitionTable, partitionTableSql } from './schema.js';

export interface TopicInfo {
  id: number;
  name: string;
  partitions: number;
}

export interface PartitionBounds {
  start: bigint;
  end: bigint;
}

export interface GroupPosition {
  committed: bigint | null;
  delivered: bigint;
}

type MessageRow = [offset: number, key: string | null, value: Buffer, headers: string | null, ts: number];

/** The statements on one partition's message table (schema.ts), prepared on first use. */
interface PartitionStatements {
  insert: Database.Statement<[number, string, Buffer, string | null, number, number]>;
  read: Database.Statement<[number, number], MessageRow>;
  firstYoungOffset: Database.Statement<[number], { offset: number }>;
  sizesFrom: Database.Statement<[number], [number, number]>;
  sizeBelow: Database.Statement<[number], { n: number; bytes: number | null }>;
  deleteBelow: Database.Statement<[number]>;
}

/**
 * Every SQL statement of the embedded log, prepared once (a partition's on its first use, see
 * `partitionOf`). Synchronous on purpose: a publish is one short write transaction, and an
 * async hop per call would cost more than the write.
 */
export class LogStore {
  private readonly db: Database.Database;
  private readonly topicsByName = new Map<string, TopicInfo>();
  private readonly partitionStatements = new Map<string, PartitionStatements>();
  private readonly stmt;
  private readonly appendTx: Database.Transaction<
    (topic: TopicInfo, messages: readonly OutgoingMessage[]) => Map<number, number>
  >;
  private readonly appendManyTx: Database.Transaction<(groups: readonly AppendGroup[]) => void>;
  private readonly commitTx: Database.Transaction<(group: string, rows: readonly CommitRow[]) => void>;

  constructor(path: string, walLimitBytes?: number) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    try {
      this.db = new Database(path);
    } catch (error) {
      throw new SwitchboardError(
        'STORE_UNAVAILABLE',
        `Cannot open the event log at ${path}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a commit survives a process crash; only an OS crash or power loss
    // can lose the last transactions, the same trade as Kafka's default (no fsync per write).
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    // Checkpoints run in a worker (src/shared/sqlite-checkpointer.ts), not inside a publish.
    if (path !== ':memory:') leaveCheckpointsToWorker(this.db, walLimitBytes);
    try {
      prepareLogSchema(this.db, path);
    } catch (error) {
      this.db.close();
      throw error;
    }

    const db = this.db;
    this.stmt = {
      topicByName: db.prepare<[string], TopicInfo>('SELECT id, name, partitions FROM topics WHERE name = ?'),
      insertTopic: db.prepare<[string, number]>(
        'INSERT INTO topics (name, partitions) VALUES (?, ?) ON CONFLICT (name) DO NOTHING',
      ),
      insertPartition: db.prepare<[number, number]>(
        'INSERT INTO partitions (topic_id, partition) VALUES (?, ?) ON CONFLICT DO NOTHING',
      ),
      nextOffset: db.prepare<[number, number], { next_offset: number }>(
        'SELECT next_offset FROM partitions WHERE topic_id = ? AND partition = ?',
      ),
      advance: db.prepare<[number, number, number, number]>(
        'UPDATE partitions SET next_offset = ?, bytes = bytes + ? WHERE topic_id = ? AND partition = ?',
      ),
      bounds: db.prepare<[number, number], { start_offset: number; next_offset: number }>(
        'SELECT start_offset, next_offset FROM partitions WHERE topic_id = ? AND partition = ?',
      ),
      groupPosition: db.prepare<[string, number, number], { committed: number | null; delivered: number }>(
        'SELECT committed, delivered FROM group_offsets WHERE grp = ? AND topic_id = ? AND partition = ?',
      ),
      commit: db.prepare<[string, number, number, number]>(
        `INSERT INTO group_offsets (grp, topic_id, partition, committed) VALUES (?, ?, ?, ?)
         ON CONFLICT (grp, topic_id, partition) DO UPDATE SET committed = excluded.committed`,
      ),
      delivered: db.prepare<[string, number, number, number]>(
        `INSERT INTO group_offsets (grp, topic_id, partition, delivered) VALUES (?, ?, ?, ?)
         ON CONFLICT (grp, topic_id, partition) DO UPDATE SET delivered = max(delivered, excluded.delivered)`,
      ),
      allPartitions: db.prepare<
        [],
        { topic_id: number; partition: number; start_offset: number; next_offset: number; bytes: number }
      >('SELECT topic_id, partition, start_offset, next_offset, bytes FROM partitions'),
      trimmed: db.prepare<[number, number, number, number]>(
        'UPDATE partitions SET start_offset = ?, bytes = bytes - ? WHERE topic_id = ? AND partition = ?',
      ),
      topicById: db.prepare<[number], TopicInfo>('SELECT id, name, partitions FROM topics WHERE id = ?'),
    };

    this.appendTx = db.transaction((topic: TopicInfo, messages: readonly OutgoingMessage[]) =>
      this.appendRows(topic, messages, Date.now()),
    );
    this.appendManyTx = db.transaction((groups: readonly AppendGroup[]) => {
      const now = Date.now();
      for (const g of groups) this.appendRows(g.topic, g.messages, now);
    });
    this.commitTx = db.transaction((group: string, rows: readonly CommitRow[]) => {
      for (const r of rows) this.stmt.commit.run(group, r.topicId, r.partition, r.offset);
    });
  }

  /** Creates the topic with `partitions` when absent; an existing topic keeps its partition count. */
  ensureTopic(name: string, partitions: number): TopicInfo {
    const cached = this.topicsByName.get(name);
    if (cached) return cached;
    validateTopicName(name);
    const create = this.db.transaction(() => {
      this.stmt.insertTopic.run(name, partitions);
      const topic = this.stmt.topicByName.get(name)!;
      for (let p = 0; p < topic.partitions; p += 1) {
        this.stmt.insertPartition.run(topic.id, p);
        this.db.exec(partitionTableSql(topic.id, p));
      }
      return topic;
    });
    const topic = this.stmt.topicByName.get(name) ?? create.immediate();
    this.topicsByName.set(name, topic);
    return topic;
  }

  /** One partition's statements; its table was created with the topic (or by the migration). */
  private partitionOf(topicId: number, partition: number): PartitionStatements {
    const key = `${topicId}/${partition}`;
    const known = this.partitionStatements.get(key);
    if (known) return known;
    const table = partitionTable(topicId, partition);
    const db = this.db;
    const statements: PartitionStatements = {
      insert: db.prepare(
        `INSERT INTO ${table} (offset, key, value, headers, ts, size) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      // `LIMIT +?`, not `LIMIT ?`: SQLite re-prepares a statement on every bind of a bare LIMIT
      // parameter (it feeds the planner); the unary plus keeps it a plain runtime value.
      read: db
        .prepare<
          [number, number],
          MessageRow
        >(`SELECT offset, key, value, headers, ts FROM ${table} WHERE offset >= ? ORDER BY offset LIMIT +?`)
        .raw(true),
      firstYoungOffset: db.prepare(`SELECT offset FROM ${table} WHERE ts >= ? ORDER BY offset LIMIT 1`),
      sizesFrom: db
        .prepare<
          [number],
          [number, number]
        >(`SELECT offset, size FROM ${table} WHERE offset >= ? ORDER BY offset LIMIT 10000`)
        .raw(true),
      sizeBelow: db.prepare(`SELECT count(*) AS n, sum(size) AS bytes FROM ${table} WHERE offset < ?`),
      deleteBelow: db.prepare(`DELETE FROM ${table} WHERE offset < ?`),
    };
    this.partitionStatements.set(key, statements);
    return statements;
  }

  findTopic(name: string): TopicInfo | undefined {
    const cached = this.topicsByName.get(name);
    if (cached) return cached;
    const topic = this.stmt.topicByName.get(name);
    if (topic) this.topicsByName.set(name, topic);
    return topic;
  }

  topicById(id: number): TopicInfo | undefined {
    return this.stmt.topicById.get(id);
  }

  /**
   * Appends in one IMMEDIATE transaction (takes the write lock up front, so two processes
   * appending to one file queue instead of failing to upgrade a read lock). Returns each
   * touched partition's new end offset.
   */
  append(topic: TopicInfo, messages: readonly OutgoingMessage[]): Map<number, number> {
    return this.appendTx.immediate(topic, messages);
  }

  /**
   * Appends several topics' messages in one IMMEDIATE transaction (log.ts coalesces the
   * publishes of one tick into it): a commit's cost is mostly per transaction (its WAL frames,
   * the shared `partitions` page), so one commit per tick instead of one per topic.
   */
  appendMany(groups: readonly AppendGroup[]): void {
    this.appendManyTx.immediate(groups);
  }

  /** The body of an append; runs inside the caller's transaction. */
  private appendRows(
    topic: TopicInfo,
    messages: readonly OutgoingMessage[],
    now: number,
  ): Map<number, number> {
    const next = new Map<number, number>();
    const bytes = new Map<number, number>();
    for (const m of messages) {
      const partition = partitionForKey(m.key, topic.partitions);
      let offset = next.get(partition);
      if (offset === undefined) offset = this.stmt.nextOffset.get(topic.id, partition)!.next_offset;
      const value = toBuffer(m.value);
      const headers = m.headers && Object.keys(m.headers).length > 0 ? JSON.stringify(m.headers) : null;
      const size = value.length + Buffer.byteLength(m.key) + (headers ? Buffer.byteLength(headers) : 0);
      this.partitionOf(topic.id, partition).insert.run(
        offset,
        m.key,
        value,
        headers,
        m.timestamp ?? now,
        size,
      );
      next.set(partition, offset + 1);
      bytes.set(partition, (bytes.get(partition) ?? 0) + size);
    }
    for (const [partition, offset] of next) {
      this.stmt.advance.run(offset, bytes.get(partition)!, topic.id, partition);
    }
    return next;
  }

  read(topic: TopicInfo, partition: number, from: bigint, limit: number): LogMessage[] {
    const rows = this.partitionOf(topic.id, partition).read.all(Number(from), limit);
    return rows.map(([offset, key, value, headers, ts]) => ({
      topic: topic.name,
      partition,
      offset: BigInt(offset),
      key,
      value,
      headers: headers ? (JSON.parse(headers) as Record<string, string>) : {},
      timestamp: ts,
    }));
  }

  bounds(topic: TopicInfo, partition: number): PartitionBounds {
    const row = this.stmt.bounds.get(topic.id, partition);
    return { start: BigInt(row?.start_offset ?? 0), end: BigInt(row?.next_offset ?? 0) };
  }

  groupPosition(group: string, topic: TopicInfo, partition: number): GroupPosition {
    const row = this.stmt.groupPosition.get(group, topic.id, partition);
    return {
      committed: row?.committed === null || row?.committed === undefined ? null : BigInt(row.committed),
      delivered: BigInt(row?.delivered ?? 0),
    };
  }

  commit(group: string, rows: readonly CommitRow[]): void {
    if (rows.length === 1) this.stmt.commit.run(group, rows[0]!.topicId, rows[0]!.partition, rows[0]!.offset);
    else if (rows.length > 1) this.commitTx.immediate(group, rows);
  }

  /** Records how far a group's deliveries reached before its handler runs (see schema.ts). */
  markDelivered(group: string, rows: readonly CommitRow[]): void {
    const tx = this.db.transaction(() => {
      for (const r of rows) this.stmt.delivered.run(group, r.topicId, r.partition, r.offset);
    });
    tx.immediate();
  }

  /** Deletes the oldest messages of every partition beyond the age and size limits. */
  enforceRetention(
    now: number,
    retentionMs: number,
    retentionBytes: number,
  ): { topic: string; deleted: number }[] {
    const out: { topic: string; deleted: number }[] = [];
    for (const p of this.stmt.allPartitions.all()) {
      if (p.next_offset === p.start_offset) continue;
      const statements = this.partitionOf(p.topic_id, p.partition);
      let cut = p.start_offset;
      const young = statements.firstYoungOffset.get(now - retentionMs);
      cut = Math.max(cut, young ? young.offset : p.next_offset);
      // Size: drop the oldest remaining messages until the partition fits.
      let excess = p.bytes - retentionBytes;
      if (excess > 0) {
        excess -= statements.sizeBelow.get(cut)!.bytes ?? 0;
        while (excess > 0) {
          const rows = statements.sizesFrom.all(cut);
          if (rows.length === 0) break;
          for (const [offset, size] of rows) {
            if (excess <= 0) break;
            excess -= size;
            cut = offset + 1;
          }
        }
      }
      if (cut <= p.start_offset) continue;
      const removed = this.trim(p.topic_id, p.partition, cut);
      if (removed > 0)
        out.push({ topic: this.topicById(p.topic_id)?.name ?? String(p.topic_id), deleted: removed });
    }
    return out;
  }

  /** Deletes below `cut` in chunks so a large purge never holds the write lock for long. */
  private trim(topicId: number, partition: number, cut: number): number {
    let removed = 0;
    const statements = this.partitionOf(topicId, partition);
    const step = this.db.transaction((upTo: number) => {
      const gone = statements.sizeBelow.get(upTo)!;
      statements.deleteBelow.run(upTo);
      this.stmt.trimmed.run(upTo, gone.bytes ?? 0, topicId, partition);
      return gone.n;
    });
    const start = this.stmt.bounds.get(topicId, partition)!.start_offset;
    for (let upTo = Math.min(cut, start + 10_000); ; upTo = Math.min(cut, upTo + 10_000)) {
      removed += step.immediate(upTo);
      if (upTo >= cut) break;
    }
    return removed;
  }

  ping(): void {
    this.db.prepare('SELECT 1').get();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

export interface AppendGroup {
  topic: TopicInfo;
  messages: readonly OutgoingMessage[];
}

export interface CommitRow {
  topicId: number;
  partition: number;
  offset: number;
}
