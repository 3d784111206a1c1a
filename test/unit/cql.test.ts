import { describe, expect, it } from 'vitest';
import {
  addColumnCql,
  alterOptionsCql,
  cqlSchemaStatements,
  createKeyspaceCql,
  createTableCql,
  deletePartitionCql,
  deleteRowCql,
  deleteSliceCql,
  incrementCql,
  insertCql,
  quoteIdent,
  schemaTableCql,
  selectRowCql,
  selectSliceCql,
  updateCql,
  type KeyspaceOptions,
} from '../../src/ports/wide-column/cql/index.js';
import { defineTable } from '../../src/ports/wide-column/declare.js';

const messages = defineTable({
  name: 'messages',
  module: 'messaging',
  columns: {
    channel_id: 'bigint',
    bucket: 'int',
    message_id: 'bigint',
    author: 'text',
    body: 'text',
    attachments: 'list<text>',
    meta: 'map<text,text>',
  },
  partitionKey: ['channel_id', 'bucket'],
  clusteringKey: [{ column: 'message_id', order: 'DESC' }],
  compaction: { kind: 'time-window', windowSize: 10, windowUnit: 'DAYS' },
  comment: "Messages by channel and 10-day bucket; it's time series",
});

const sessions = defineTable({
  name: 'sessions',
  module: 'voice',
  columns: { session_id: 'uuid', customer_phone: 'text', memory: 'text', created_at: 'timestamp' },
  partitionKey: ['session_id'],
  defaultTtlSeconds: 86400,
  usesLwt: true,
});

const turns = defineTable({
  name: 'turns_by_session',
  module: 'conversations',
  columns: { session_uid: 'uuid', created_at: 'timestamp', turn_uid: 'timeuuid', text: 'text' },
  partitionKey: ['session_uid'],
  clusteringKey: [
    { column: 'created_at', order: 'ASC' },
    { column: 'turn_uid', order: 'DESC' },
  ],
  compaction: { kind: 'leveled' },
});

const reactions = defineTable({
  name: 'message_reaction_counts',
  module: 'messaging',
  columns: { channel_id: 'bigint', message_id: 'bigint', emoji: 'text', count: 'counter' },
  partitionKey: ['channel_id', 'message_id'],
  clusteringKey: [{ column: 'emoji', order: 'ASC' }],
});

const prices = defineTable({
  name: 'gold_prices',
  module: 'voice',
  columns: { date: 'date', time_bucket: 'text', price: 'decimal', key: 'text', token: 'text' },
  partitionKey: ['date'],
  clusteringKey: [{ column: 'time_bucket', order: 'DESC' }],
  compaction: { kind: 'size-tiered' },
});

const simple: KeyspaceOptions = {
  keyspace: 'voice_agent',
  flavor: 'scylla',
  replication: { strategy: 'SimpleStrategy', factor: 1 },
};
const nts = (flavor: 'scylla' | 'cassandra'): KeyspaceOptions => ({
  keyspace: 'voice_agent',
  flavor,
  replication: { strategy: 'NetworkTopologyStrategy', dcFactors: { dc1: 3, 'eu-west': 2 } },
});

describe('keyspace DDL', () => {
  it('uses SimpleStrategy with its factor, and disables tablets on ScyllaDB (SimpleStrategy cannot use tablets)', () => {
    expect(createKeyspaceCql([messages], simple)).toBe(
      "CREATE KEYSPACE IF NOT EXISTS voice_agent WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1} AND tablets = {'enabled': false}",
    );
  });

  it('writes the NetworkTopologyStrategy per-DC map and keeps tablets on without counters or LWT', () => {
    expect(createKeyspaceCql([messages, turns], nts('scylla'))).toBe(
      "CREATE KEYSPACE IF NOT EXISTS voice_agent WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'eu-west': 2}",
    );
  });

  it('disables tablets on ScyllaDB when a table is a counter table', () => {
    expect(createKeyspaceCql([messages, reactions], nts('scylla'))).toMatch(
      / AND tablets = \{'enabled': false\}$/,
    );
  });

  it('disables tablets on ScyllaDB when a table uses LWT', () => {
    expect(createKeyspaceCql([sessions], nts('scylla'))).toMatch(/ AND tablets = \{'enabled': false\}$/);
  });

  it('never emits tablets for Cassandra, whatever the tables', () => {
    const cassandra = { ...simple, flavor: 'cassandra' as const };
    expect(createKeyspaceCql([reactions, sessions], cassandra)).not.toContain('tablets');
    expect(createKeyspaceCql([reactions, sessions], nts('cassandra'))).not.toContain('tablets');
  });

  it('can leave the tablets option out for a ScyllaDB that does not know it', () => {
    expect(createKeyspaceCql([reactions], nts('scylla'), { withTablets: false })).not.toContain('tablets');
  });

  it('quotes a keyspace name with capitals (CQL would fold it otherwise)', () => {
    expect(createKeyspaceCql([], { ...simple, keyspace: 'VoiceAgent' })).toContain(
      'EXISTS "VoiceAgent" WITH',
    );
  });

  it('refuses NetworkTopologyStrategy without data centers', () => {
    expect(() =>
      createKeyspaceCql([], {
        ...simple,
        replication: { strategy: 'NetworkTopologyStrategy', dcFactors: {} },
      }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});

describe('table DDL', () => {
  it('writes composite partition key, clustering order, TWCS compaction and an escaped comment', () => {
    expect(createTableCql('voice_agent', messages)).toBe(
      [
        'CREATE TABLE IF NOT EXISTS voice_agent.messages (',
        '  channel_id bigint,',
        '  bucket int,',
        '  message_id bigint,',
        '  author text,',
        '  body text,',
        '  attachments list<text>,',
        '  meta map<text,text>,',
        '  PRIMARY KEY ((channel_id, bucket), message_id)',
        ') WITH CLUSTERING ORDER BY (message_id DESC)',
        "  AND compaction = {'class': 'TimeWindowCompactionStrategy', 'compaction_window_unit': 'DAYS', 'compaction_window_size': 10}",
        "  AND comment = 'Messages by channel and 10-day bucket; it''s time series'",
      ].join('\n'),
    );
  });

  it('writes default_time_to_live when the table has one, and no WITH clause items it does not need', () => {
    const cql = createTableCql('voice_agent', sessions);
    expect(cql).toContain('PRIMARY KEY ((session_id))\n) WITH default_time_to_live = 86400');
    expect(cql).not.toContain('CLUSTERING ORDER');
    expect(cql).not.toContain('compaction');
    expect(cql).not.toContain('comment');
  });

  it('omits default_time_to_live when it is 0', () => {
    expect(createTableCql('ks', turns)).not.toContain('default_time_to_live');
  });

  it('writes mixed clustering orders and leveled compaction', () => {
    const cql = createTableCql('ks', turns);
    expect(cql).toContain('PRIMARY KEY ((session_uid), created_at, turn_uid)');
    expect(cql).toContain('WITH CLUSTERING ORDER BY (created_at ASC, turn_uid DESC)');
    expect(cql).toContain("AND compaction = {'class': 'LeveledCompactionStrategy'}");
  });

  it('writes size-tiered compaction and quotes reserved words but not merely non-reserved ones', () => {
    const cql = createTableCql('ks', prices);
    expect(cql).toContain("compaction = {'class': 'SizeTieredCompactionStrategy'}");
    expect(cql).toContain('  date date,');
    expect(cql).toContain('  key text,');
    expect(cql).toContain('  "token" text,');
    expect(quoteIdent('select')).toBe('"select"');
    expect(quoteIdent('status')).toBe('status');
  });

  it('declares counter columns with the counter type', () => {
    expect(createTableCql('ks', reactions)).toContain('  count counter,');
  });

  it('emits the keyspace then each table for the whole schema', () => {
    const statements = cqlSchemaStatements([messages, reactions], nts('scylla'));
    expect(statements).toHaveLength(3);
    expect(statements[0]).toMatch(/^CREATE KEYSPACE IF NOT EXISTS voice_agent .*tablets/);
    expect(statements[1]).toMatch(/^CREATE TABLE IF NOT EXISTS voice_agent\.messages \(/);
    expect(statements[2]).toMatch(/^CREATE TABLE IF NOT EXISTS voice_agent\.message_reaction_counts \(/);
    const cassandra = cqlSchemaStatements([messages, reactions], nts('cassandra'));
    expect(cassandra[0]).not.toContain('tablets');
    expect(cassandra.slice(1)).toEqual(statements.slice(1));
  });

  it('writes the upgrade statements', () => {
    expect(addColumnCql('ks', 'sessions', 'stage', 'text')).toBe('ALTER TABLE ks.sessions ADD stage text');
    expect(
      alterOptionsCql('ks', 'sessions', {
        defaultTtlSeconds: 0,
        compaction: { kind: 'time-window', windowSize: 1, windowUnit: 'HOURS' },
        comment: '',
      }),
    ).toBe(
      "ALTER TABLE ks.sessions WITH default_time_to_live = 0 AND compaction = {'class': 'TimeWindowCompactionStrategy', 'compaction_window_unit': 'HOURS', 'compaction_window_size': 1} AND comment = ''",
    );
    expect(schemaTableCql('ks')).toBe(
      'CREATE TABLE IF NOT EXISTS ks.switchboard_schema (table_name text PRIMARY KEY, declaration text, applied_at timestamp)',
    );
  });
});

describe('DML statements', () => {
  it('inserts with bind markers only, optional IF NOT EXISTS before USING TTL', () => {
    const columns = ['channel_id', 'bucket', 'message_id', 'body'];
    expect(insertCql('ks', messages, columns, { ttl: false, ifNotExists: false })).toBe(
      'INSERT INTO ks.messages (channel_id, bucket, message_id, body) VALUES (?, ?, ?, ?)',
    );
    expect(insertCql('ks', messages, columns, { ttl: true, ifNotExists: true })).toBe(
      'INSERT INTO ks.messages (channel_id, bucket, message_id, body) VALUES (?, ?, ?, ?) IF NOT EXISTS USING TTL ?',
    );
    expect(insertCql('ks', prices, ['date', 'time_bucket', 'token'], { ttl: true, ifNotExists: false })).toBe(
      'INSERT INTO ks.gold_prices (date, time_bucket, "token") VALUES (?, ?, ?) USING TTL ?',
    );
  });

  it('selects a row by its full primary key, naming every column', () => {
    expect(selectRowCql('ks', messages)).toBe(
      'SELECT channel_id, bucket, message_id, author, body, attachments, meta FROM ks.messages WHERE channel_id = ? AND bucket = ? AND message_id = ?',
    );
  });

  it('selects a slice with prefix equality and a range, without LIMIT', () => {
    const cql = selectSliceCql('ks', turns, { prefixLength: 1, lower: '>', upper: '<=', reversed: false });
    expect(cql).toBe(
      'SELECT session_uid, created_at, turn_uid, text FROM ks.turns_by_session WHERE session_uid = ? AND created_at = ? AND turn_uid > ? AND turn_uid <= ?',
    );
    expect(cql).not.toContain('LIMIT');
    expect(cql).not.toContain('ORDER BY');
  });

  it('orders a reversed slice by every clustering column flipped', () => {
    expect(selectSliceCql('ks', turns, { prefixLength: 0, lower: '>=', reversed: true })).toBe(
      'SELECT session_uid, created_at, turn_uid, text FROM ks.turns_by_session WHERE session_uid = ? AND created_at >= ? ORDER BY created_at DESC, turn_uid ASC',
    );
    expect(selectSliceCql('ks', messages, { prefixLength: 0, reversed: true })).toMatch(
      /WHERE channel_id = \? AND bucket = \? ORDER BY message_id ASC$/,
    );
  });

  it('lists every clustering column from the first in ORDER BY, even those fixed by equality', () => {
    // Cassandra and ScyllaDB (select_statement::is_reversed) require ORDER BY columns to start
    // at clustering position 0 and follow the key order, all flipped or all not.
    expect(selectSliceCql('ks', turns, { prefixLength: 1, lower: '>=', upper: '<', reversed: true })).toBe(
      'SELECT session_uid, created_at, turn_uid, text FROM ks.turns_by_session WHERE session_uid = ? AND created_at = ? AND turn_uid >= ? AND turn_uid < ? ORDER BY created_at DESC, turn_uid ASC',
    );
    expect(selectSliceCql('ks', turns, { prefixLength: 2, reversed: true })).toMatch(
      /WHERE session_uid = \? AND created_at = \? AND turn_uid = \? ORDER BY created_at DESC, turn_uid ASC$/,
    );
  });

  it('refuses shapes the table cannot have', () => {
    expect(() => selectSliceCql('ks', messages, { prefixLength: 1, lower: '>', reversed: false })).toThrow();
    expect(() => selectSliceCql('ks', messages, { prefixLength: 2, reversed: false })).toThrow();
  });

  it('updates with USING TTL before SET and conditions after WHERE', () => {
    expect(updateCql('ks', sessions, ['memory'], { ttl: false, condition: { kind: 'none' } })).toBe(
      'UPDATE ks.sessions SET memory = ? WHERE session_id = ?',
    );
    expect(
      updateCql('ks', sessions, ['memory', 'customer_phone'], { ttl: true, condition: { kind: 'exists' } }),
    ).toBe(
      'UPDATE ks.sessions USING TTL ? SET memory = ?, customer_phone = ? WHERE session_id = ? IF EXISTS',
    );
    expect(
      updateCql('ks', sessions, ['memory'], {
        ttl: false,
        condition: { kind: 'columns', columns: ['memory', 'customer_phone'] },
      }),
    ).toBe('UPDATE ks.sessions SET memory = ? WHERE session_id = ? IF memory = ? AND customer_phone = ?');
  });

  it('deletes a row, a slice (range tombstone) and a partition', () => {
    expect(deleteRowCql('ks', turns, { ifExists: false })).toBe(
      'DELETE FROM ks.turns_by_session WHERE session_uid = ? AND created_at = ? AND turn_uid = ?',
    );
    expect(deleteRowCql('ks', turns, { ifExists: true })).toMatch(/turn_uid = \? IF EXISTS$/);
    expect(deleteSliceCql('ks', turns, { prefixLength: 1, upper: '<' })).toBe(
      'DELETE FROM ks.turns_by_session WHERE session_uid = ? AND created_at = ? AND turn_uid < ?',
    );
    expect(deleteSliceCql('ks', turns, { prefixLength: 1 })).toBe(
      'DELETE FROM ks.turns_by_session WHERE session_uid = ? AND created_at = ?',
    );
    // A range on the first clustering column, and on a DESC column after an equality prefix.
    expect(deleteSliceCql('ks', turns, { prefixLength: 0, lower: '>=', upper: '<' })).toBe(
      'DELETE FROM ks.turns_by_session WHERE session_uid = ? AND created_at >= ? AND created_at < ?',
    );
    expect(deleteSliceCql('ks', messages, { prefixLength: 0, lower: '>' })).toBe(
      'DELETE FROM ks.messages WHERE channel_id = ? AND bucket = ? AND message_id > ?',
    );
    expect(deletePartitionCql('ks', messages)).toBe(
      'DELETE FROM ks.messages WHERE channel_id = ? AND bucket = ?',
    );
  });

  it('increments counters relative to their current value', () => {
    expect(incrementCql('ks', reactions, ['count'])).toBe(
      'UPDATE ks.message_reaction_counts SET count = count + ? WHERE channel_id = ? AND message_id = ? AND emoji = ?',
    );
  });
});
