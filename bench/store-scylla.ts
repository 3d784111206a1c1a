import { randomBytes } from 'node:crypto';
import cassandra from 'cassandra-driver';
import { loadConfig } from '../src/config/index.js';
import { insertCql, selectRowCql, selectSliceCql } from '../src/ports/wide-column/cql/statements.js';
import { defineTable } from '../src/ports/wide-column/declare.js';
import { clientOptions, consistencyOf } from '../src/ports/wide-column/scylla/client-options.js';
import { createScyllaEngine } from '../src/ports/wide-column/scylla/engine.js';
import { costRatio, measure, type ScenarioResult } from './lib.js';

/**
 * Store scenarios on ScyllaDB/Cassandra: the engine against the raw cassandra-driver
 * executing the same prepared CQL with the same options, in one run and one fresh keyspace.
 * Needs SWITCHBOARD_TEST_SCYLLA_CONTACT_POINTS (flavor from SWITCHBOARD_TEST_SCYLLA_FLAVOR).
 */

const SUITE = 'store';
const OPS = Number(process.env['SWITCHBOARD_BENCH_SCYLLA_OPS'] ?? 5000);
const CONCURRENCIES = [1, Number(process.env['SWITCHBOARD_BENCH_SCYLLA_CONCURRENCY'] ?? 64)];
const PARTITION_ROWS = 1000;

const benchRows = defineTable({
  name: 'bench_rows',
  module: 'bench',
  columns: { p: 'text', c: 'int', v: 'text', n: 'bigint' },
  partitionKey: ['p'],
  clusteringKey: [{ column: 'c', order: 'ASC' }],
});

export async function runScyllaStoreBench(): Promise<ScenarioResult[]> {
  const contactPoints = process.env['SWITCHBOARD_TEST_SCYLLA_CONTACT_POINTS'];
  if (!contactPoints) return [];
  const keyspace = `sb_bench_${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    env: {
      ...process.env,
      SWITCHBOARD_SCYLLA_CONTACT_POINTS: contactPoints,
      SWITCHBOARD_SCYLLA_KEYSPACE: keyspace,
      SWITCHBOARD_SCYLLA_FLAVOR: process.env['SWITCHBOARD_TEST_SCYLLA_FLAVOR'] ?? 'scylla',
    },
  }).scylla;
  const engine = await createScyllaEngine(config);
  const raw = new cassandra.Client(clientOptions(config));
  const results: ScenarioResult[] = [];
  try {
    await engine.applySchema([benchRows]);
    await raw.connect();
    const write = {
      prepare: true,
      consistency: consistencyOf(config.consistency_write),
      isIdempotent: true,
      readTimeout: config.request_timeout_ms,
    };
    const read = { ...write, consistency: consistencyOf(config.consistency_read) };
    const insert = insertCql(keyspace, benchRows, ['p', 'c', 'v', 'n'], { ttl: false, ifNotExists: false });
    const get = selectRowCql(keyspace, benchRows);
    const page = selectSliceCql(keyspace, benchRows, { prefixLength: 0, reversed: false });
    const value = 'x'.repeat(100);
    const note = (r: ScenarioResult, base: ScenarioResult) => ({
      ...r,
      note: `${costRatio(r, base).toFixed(2)}x raw by throughput, p99 ${(r.p99Ms / base.p99Ms).toFixed(2)}x`,
    });
    // One at a time shows the per-request overhead; 64 concurrent shows whether the engine keeps
    // the driver's pipelining (prepared statements reused, no serialisation of its own).
    for (const concurrency of CONCURRENCIES) {
      const common = { suite: SUITE, iterations: OPS, concurrency };
      const tag = concurrency === 1 ? 'one at a time' : `${concurrency} concurrent`;
      const prefix = `c${concurrency}`;

      // insert: distinct rows, spread over partitions of PARTITION_ROWS.
      const rawInsert = await measure(
        { ...common, scenario: `insert, ${tag}`, subject: 'raw cassandra-driver' },
        (i) =>
          raw.execute(
            insert,
            [`${prefix}r${Math.floor(i / PARTITION_ROWS)}`, i % PARTITION_ROWS, value, BigInt(i)],
            write,
          ),
      );
      const engineInsert = await measure(
        { ...common, scenario: `insert, ${tag}`, subject: 'switchboard' },
        (i) =>
          engine.insert(benchRows, {
            p: `${prefix}e${Math.floor(i / PARTITION_ROWS)}`,
            c: i % PARTITION_ROWS,
            v: value,
            n: BigInt(i),
          }),
      );
      results.push(rawInsert, note(engineInsert, rawInsert));

      // point read of rows the insert scenario wrote (both subjects read the same rows).
      const rows = Math.min(OPS, PARTITION_ROWS * 4);
      const key = (i: number) => ({
        p: `${prefix}e${Math.floor((i % rows) / PARTITION_ROWS)}`,
        c: (i % rows) % PARTITION_ROWS,
      });
      const rawGet = await measure(
        { ...common, scenario: `point read, ${tag}`, subject: 'raw cassandra-driver' },
        (i) => {
          const k = key(i);
          return raw.execute(get, [k.p, k.c], read);
        },
      );
      const engineGet = await measure(
        { ...common, scenario: `point read, ${tag}`, subject: 'switchboard' },
        (i) => engine.get(benchRows, key(i)),
      );
      results.push(rawGet, note(engineGet, rawGet));

      // page of 50: the first page of a full partition.
      const pageCommon = { ...common, iterations: Math.max(100, Math.floor(OPS / 5)) };
      const rawPage = await measure(
        { ...pageCommon, scenario: `page of 50, ${tag}`, subject: 'raw cassandra-driver' },
        () => raw.execute(page, [`${prefix}e0`], { ...read, fetchSize: 50 }),
      );
      const enginePage = await measure(
        { ...pageCommon, scenario: `page of 50, ${tag}`, subject: 'switchboard' },
        () => engine.slice(benchRows, { key: { p: `${prefix}e0` }, limit: 50 }),
      );
      results.push(rawPage, note(enginePage, rawPage));
    }
  } finally {
    await raw
      // Schema statements are sent unprepared (the client prepares by default), with a DDL-sized timeout.
      .execute(`DROP KEYSPACE IF EXISTS ${keyspace}`, [], { prepare: false, readTimeout: 60_000 })
      .catch((error: unknown) => console.warn(`could not drop bench keyspace ${keyspace}:`, error));
    await raw.shutdown().catch(() => undefined);
    await engine.close();
  }
  return results;
}
