import { randomBytes } from 'node:crypto';
import type cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { defineTable } from '../../src/ports/wide-column/declare.js';
import { batchOp, type WideColumnEngine } from '../../src/ports/wide-column/engine.js';
import { createMetricsRegistry } from '../../src/shared/metrics.js';
import { rawCqlClient, tracedRead } from '../helpers/cql-tracing.js';

/**
 * Issue 22, the engine rule: a write that leaves optional columns absent writes no tombstone.
 * In CQL a written null IS a tombstone, and a partition full of them makes reads slow and,
 * past tombstone_failure_threshold, fail. Proved on the real server by query tracing; the
 * control case (explicit nulls) shows the tracing sees tombstones when they are there.
 */
const contactPoints = process.env.SWITCHBOARD_TEST_SCYLLA_CONTACT_POINTS;

const notes = defineTable({
  name: 'sbt_notes',
  module: 'contract',
  columns: {
    owner: 'text',
    seq: 'int',
    body: 'text',
    edited_at: 'timestamp',
    reply_to: 'bigint',
    tag: 'text',
  },
  partitionKey: ['owner'],
  clusteringKey: [{ column: 'seq', order: 'ASC' }],
});

describe.skipIf(!contactPoints)('wide-column writes leave no tombstones for absent values (scylladb)', () => {
  const keyspace = `sb_tomb_${randomBytes(5).toString('hex')}`;
  let engine: WideColumnEngine;
  let raw: cassandra.Client;

  beforeAll(async () => {
    const env: NodeJS.ProcessEnv = {
      SWITCHBOARD_STORE_WIDE_COLUMN: 'scylladb',
      SWITCHBOARD_SCYLLA_CONTACT_POINTS: contactPoints,
      SWITCHBOARD_SCYLLA_KEYSPACE: keyspace,
      SWITCHBOARD_SCYLLA_FLAVOR: process.env.SWITCHBOARD_TEST_SCYLLA_FLAVOR ?? 'scylla',
    };
    for (const key of ['PORT', 'LOCAL_DATA_CENTER', 'USERNAME', 'PASSWORD']) {
      const value = process.env[`SWITCHBOARD_TEST_SCYLLA_${key}`];
      if (value !== undefined) env[`SWITCHBOARD_SCYLLA_${key}`] = value;
    }
    const { createScyllaEngine } = await import('../../src/ports/wide-column/scylla/engine.js');
    engine = await createScyllaEngine(loadConfig({ env }).scylla, { registry: createMetricsRegistry() });
    await engine.applySchema([notes]);
    raw = rawCqlClient();
    await raw.connect();
  }, 120_000);

  afterAll(async () => {
    await engine?.close();
    await raw?.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => {});
    await raw?.shutdown();
  }, 60_000);

  const read = (owner: string) =>
    tracedRead(raw, `SELECT * FROM ${keyspace}.sbt_notes WHERE owner = ? LIMIT 50`, [owner]);

  it('insert, batch insert and update with optional columns absent: 0 tombstone cells read', async () => {
    await engine.insert(notes, { owner: 'absent', seq: 1, body: 'hello' });
    await engine.batch([
      batchOp.insert(notes, { owner: 'absent', seq: 2, body: 'a' }),
      batchOp.insert(notes, { owner: 'absent', seq: 3, body: 'b', tag: 'x' }),
    ]);
    await engine.update(notes, { owner: 'absent', seq: 4 }, { body: 'c' });
    const stats = await read('absent');
    expect(stats).toEqual({ liveRows: 4, tombstoneCells: 0 });
  });

  it('explicit nulls are tombstones, and the tracing sees them (the control case)', async () => {
    await engine.insert(notes, { owner: 'nulls', seq: 1, body: 'hello', edited_at: null, reply_to: null });
    const stats = await read('nulls');
    expect(stats.liveRows).toBe(1);
    expect(stats.tombstoneCells).toBe(2);
  });
});
