import { createHash, randomBytes } from 'node:crypto';
import type { Client as CqlClient } from 'cassandra-driver';
import { SCHEMA_TABLE } from '../../src/ports/wide-column/cql/ddl.js';

/**
 * Which adapters module tests run on. By default every port is embedded. The vitest project
 * `modules (scale-out)` sets SWITCHBOARD_TEST_MODULES_ON=scale-out, and then each port whose
 * test server is configured (SWITCHBOARD_TEST_SCYLLA_CONTACT_POINTS, _POSTGRES_URL,
 * _REDIS_URL, _KAFKA_BROKERS) is switched to its scale-out adapter, by configuration alone,
 * exactly as a user would. Each data directory gets its own keyspace / schema / key prefix /
 * topic names, derived from the directory, so a test that reopens a data directory (restart
 * survival) reopens the same remote state, and tests never see each other's rows.
 *
 * On ScyllaDB/Cassandra the keyspace is one per test FILE, not per data directory: creating
 * every module's ~45 tables for each test cost most of the project's time on a real cluster
 * (each CREATE TABLE waits for schema agreement). The tables are created by the file's first
 * test; each NEW data directory then starts from empty tables (prepareScaleOut truncates the
 * tables that hold rows), as a new embedded data directory starts from an empty file. A data
 * directory reopened (restart survival) or shared by the tests of a describe (a beforeAll
 * fixture) keeps its rows.
 */
const fileKeyspace = `sbt_${randomBytes(6).toString('hex')}`;
export const onScaleOut = process.env.SWITCHBOARD_TEST_MODULES_ON === 'scale-out';

interface Created {
  scyllaKeyspace?: string;
  postgresSchema?: string;
  redisPrefix?: string;
}

const created = new Map<string, Created>();

function tag(dataDir: string): string {
  return `sbt_${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`;
}

/** `SWITCHBOARD_*` overrides that put the ports of a test on the configured scale-out servers. */
export function backendEnv(dataDir: string): NodeJS.ProcessEnv {
  if (!onScaleOut) return {};
  const env: NodeJS.ProcessEnv = {};
  const id = tag(dataDir);
  const record: Created = created.get(dataDir) ?? {};
  const t = process.env;
  if (t.SWITCHBOARD_TEST_SCYLLA_CONTACT_POINTS) {
    env.SWITCHBOARD_STORE_WIDE_COLUMN = 'scylladb';
    env.SWITCHBOARD_SCYLLA_CONTACT_POINTS = t.SWITCHBOARD_TEST_SCYLLA_CONTACT_POINTS;
    env.SWITCHBOARD_SCYLLA_KEYSPACE = fileKeyspace;
    env.SWITCHBOARD_SCYLLA_FLAVOR = t.SWITCHBOARD_TEST_SCYLLA_FLAVOR ?? 'scylla';
    for (const key of ['PORT', 'LOCAL_DATA_CENTER', 'USERNAME', 'PASSWORD']) {
      const value = t[`SWITCHBOARD_TEST_SCYLLA_${key}`];
      if (value !== undefined) env[`SWITCHBOARD_SCYLLA_${key}`] = value;
    }
    record.scyllaKeyspace = fileKeyspace;
  }
  if (t.SWITCHBOARD_TEST_POSTGRES_URL) {
    env.SWITCHBOARD_STORE_RELATIONAL = 'postgres';
    env.SWITCHBOARD_POSTGRES_URL = t.SWITCHBOARD_TEST_POSTGRES_URL;
    env.SWITCHBOARD_POSTGRES_SCHEMA = id;
    env.SWITCHBOARD_POSTGRES_POOL_SIZE = '4';
    record.postgresSchema = id;
  }
  if (t.SWITCHBOARD_TEST_REDIS_URL) {
    env.SWITCHBOARD_STORE_HOT_STATE = 'redis';
    env.SWITCHBOARD_REDIS_URL = t.SWITCHBOARD_TEST_REDIS_URL;
    env.SWITCHBOARD_REDIS_KEY_PREFIX = `${id}:`;
    record.redisPrefix = `${id}:`;
  }
  if (t.SWITCHBOARD_TEST_KAFKA_BROKERS) {
    env.SWITCHBOARD_STORE_EVENT_LOG = 'kafka';
    env.SWITCHBOARD_KAFKA_BROKERS = t.SWITCHBOARD_TEST_KAFKA_BROKERS;
    env.SWITCHBOARD_INTERACTIONS_TOPIC_STT = `${id}-stt-results`;
    env.SWITCHBOARD_INTERACTIONS_TOPIC_LLM = `${id}-llm-requests`;
    env.SWITCHBOARD_INTERACTIONS_TOPIC_TTS = `${id}-tts-results`;
    env.SWITCHBOARD_INTERACTIONS_CONSUMER_GROUP = `${id}-interactions`;
  }
  created.set(dataDir, record);
  return env;
}

/** A label for test titles: which adapters this run uses. */
export function backendLabel(): string {
  if (!onScaleOut) return 'embedded';
  const t = process.env;
  const parts = [
    t.SWITCHBOARD_TEST_SCYLLA_CONTACT_POINTS ? 'scylladb' : 'embedded wide-column',
    t.SWITCHBOARD_TEST_POSTGRES_URL ? 'postgres' : 'embedded relational',
    t.SWITCHBOARD_TEST_REDIS_URL ? 'redis' : 'embedded hot state',
    t.SWITCHBOARD_TEST_KAFKA_BROKERS ? 'kafka' : 'embedded log',
  ];
  return parts.join(' + ');
}

/** Drops every keyspace, schema and key prefix this test file created (run from afterAll). */
export async function dropScaleOutResources(): Promise<void> {
  const records = [...created.values()];
  created.clear();
  const t = process.env;
  const schemas = records.flatMap((r) => (r.postgresSchema ? [r.postgresSchema] : []));
  if (schemas.length > 0 && t.SWITCHBOARD_TEST_POSTGRES_URL) {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: t.SWITCHBOARD_TEST_POSTGRES_URL });
    await client.connect();
    try {
      for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  }
  const prefixes = records.flatMap((r) => (r.redisPrefix ? [r.redisPrefix] : []));
  if (prefixes.length > 0 && t.SWITCHBOARD_TEST_REDIS_URL) {
    const { createClient } = await import('redis');
    const client = createClient({ url: t.SWITCHBOARD_TEST_REDIS_URL });
    await client.connect();
    try {
      for (const prefix of prefixes) {
        for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
          if (keys.length > 0) await client.del(keys);
        }
      }
    } finally {
      client.destroy();
    }
  }
  const keyspaces = [...new Set(records.flatMap((r) => (r.scyllaKeyspace ? [r.scyllaKeyspace] : [])))];
  if (keyspaces.length > 0 && t.SWITCHBOARD_TEST_SCYLLA_CONTACT_POINTS) {
    const client = await cql();
    for (const keyspace of keyspaces) {
      await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`, [], { readTimeout: 120_000 });
    }
  }
  await cqlClient?.shutdown();
  cqlClient = undefined;
}

let cqlClient: CqlClient | undefined;

async function cql(): Promise<CqlClient> {
  if (cqlClient) return cqlClient;
  const t = process.env;
  const { default: cassandra } = await import('cassandra-driver');
  cqlClient = new cassandra.Client({
    contactPoints: t.SWITCHBOARD_TEST_SCYLLA_CONTACT_POINTS!.split(','),
    protocolOptions: { port: Number(t.SWITCHBOARD_TEST_SCYLLA_PORT ?? 9042) },
    localDataCenter: t.SWITCHBOARD_TEST_SCYLLA_LOCAL_DATA_CENTER ?? 'datacenter1',
    ...(t.SWITCHBOARD_TEST_SCYLLA_USERNAME
      ? {
          credentials: {
            username: t.SWITCHBOARD_TEST_SCYLLA_USERNAME,
            password: t.SWITCHBOARD_TEST_SCYLLA_PASSWORD ?? '',
          },
        }
      : {}),
  });
  return cqlClient;
}

/**
 * Call before opening ports on `dataDir` (createTestContext and createTestServer do): the first
 * time a data directory is seen, the tables of this file's keyspace that hold rows are emptied,
 * so the new directory starts as on a fresh keyspace. Only non-empty tables are truncated: a
 * TRUNCATE flushes and waits for every replica, while the probe is one single-row read.
 * Switchboard's own schema record stays, since the tables stay.
 */
export async function prepareScaleOut(dataDir: string): Promise<void> {
  if (!onScaleOut || !process.env.SWITCHBOARD_TEST_SCYLLA_CONTACT_POINTS) return;
  if (created.has(dataDir)) return;
  // Nothing created yet in this file: the keyspace may not even exist.
  if ([...created.values()].some((r) => r.scyllaKeyspace)) await truncateFileKeyspace();
}

async function truncateFileKeyspace(): Promise<void> {
  const client = await cql();
  const tables = await client.execute(
    'SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?',
    [fileKeyspace],
    { prepare: true },
  );
  await Promise.all(
    tables.rows
      .map((row) => String(row['table_name']))
      .filter((table) => table !== SCHEMA_TABLE)
      .map(async (table) => {
        const probe = await client.execute(`SELECT * FROM ${fileKeyspace}.${table} LIMIT 1`);
        if (probe.rowLength > 0) {
          await client.execute(`TRUNCATE ${fileKeyspace}.${table}`, [], { readTimeout: 120_000 });
        }
      }),
  );
}
