import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { isSwitchboardError } from '../../src/errors/index.js';
import { defineTable } from '../../src/ports/wide-column/declare.js';
import { decodeTimeUuid, encodeTimeUuid } from '../../src/ports/wide-column/embedded/codec.js';
import { sqliteSchemaStatements } from '../../src/ports/wide-column/embedded/ddl.js';
import { createEmbeddedEngine, openEmbeddedEngine } from '../../src/ports/wide-column/embedded/engine.js';
import type { WideColumnEngine } from '../../src/ports/wide-column/engine.js';
import { createMetricsRegistry } from '../../src/shared/metrics.js';
import { CONTRACT_TABLES, kv, makeTimeUuid, wideColumnContract } from './wide-column.contract.js';

// ---- embedded: always, on a file in a temporary data directory, instrumented as users get it ----

wideColumnContract('embedded (sqlite)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-wc-'));
  const engine = await createEmbeddedEngine({
    path: join(dir, 'nested', 'wide-column.db'),
    registry: createMetricsRegistry(),
    purgeIntervalMs: 500,
  });
  return {
    engine,
    async cleanup() {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

// ---- ScyllaDB / Cassandra: when a server is configured, each run in a fresh keyspace ----

const contactPoints = process.env.SWITCHBOARD_TEST_SCYLLA_CONTACT_POINTS;

describe.skipIf(!contactPoints)(
  contactPoints
    ? 'wide-column contract: scylladb'
    : 'wide-column contract: scylladb (skipped: set SWITCHBOARD_TEST_SCYLLA_CONTACT_POINTS to run)',
  () => {
    wideColumnContract(
      `scylladb (${process.env.SWITCHBOARD_TEST_SCYLLA_FLAVOR ?? 'scylla'})`,
      async () => {
        const keyspace = `sb_test_${randomBytes(5).toString('hex')}`;
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
        const config = loadConfig({ env });
        const { createScyllaEngine } = await import('../../src/ports/wide-column/scylla/engine.js');
        const engine = await createScyllaEngine(config.scylla, { registry: createMetricsRegistry() });
        return {
          engine,
          async cleanup() {
            await engine.close();
            await dropKeyspace(config.scylla, keyspace);
          },
        };
      },
      { ttlGraceMs: 2000 },
    );
  },
);

async function dropKeyspace(
  scylla: ReturnType<typeof loadConfig>['scylla'],
  keyspace: string,
): Promise<void> {
  const { default: cassandra } = await import('cassandra-driver');
  const client = new cassandra.Client({
    contactPoints: scylla.contact_points,
    protocolOptions: { port: scylla.port },
    localDataCenter: scylla.local_data_center,
    ...(scylla.username
      ? { authProvider: new cassandra.auth.PlainTextAuthProvider(scylla.username, scylla.password ?? '') }
      : {}),
  });
  try {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  } finally {
    await client.shutdown();
  }
}

// ---- behaviour only the embedded engine has (its file, purge, tokens, metrics) ----

describe('embedded engine specifics', () => {
  const opened: { close(): Promise<void> }[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const engine of opened.splice(0)) await engine.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-wc-'));
    dirs.push(dir);
    return dir;
  };
  const track = <T extends { close(): Promise<void> }>(engine: T): T => {
    opened.push(engine);
    return engine;
  };

  it('keeps its data in one WAL file that survives a reopen', async () => {
    const path = join(tempDir(), 'data', 'wide-column.db');
    const first = await createEmbeddedEngine({ path });
    await first.applySchema(CONTRACT_TABLES);
    await first.insert(kv, { k: 'persist', c: 1, v: 'kept' });
    await first.close();
    expect(existsSync(path)).toBe(true);
    const second = track(await createEmbeddedEngine({ path }));
    expect((await second.schemaStatus(CONTRACT_TABLES)).pending).toEqual([]);
    expect((await second.get(kv, { k: 'persist', c: 1 }))!.v).toBe('kept');
  });

  it('refuses operations on a table whose schema is not applied', async () => {
    const engine = track(await createEmbeddedEngine({ path: ':memory:' }));
    expect((await engine.schemaStatus([kv])).pending).toEqual(['sbc_kv']);
    const error = await engine.get(kv, { k: 'a', c: 1 }).catch((e: unknown) => e);
    expect(isSwitchboardError(error, 'SCHEMA_NOT_APPLIED')).toBe(true);
    expect((error as Error).message).toContain('sbc_kv');
    expect((error as Error).message).toContain('schema apply');

    await engine.applySchema([kv]);
    const wider = defineTable({
      name: 'sbc_kv',
      module: 'contract',
      columns: { k: 'text', c: 'int', v: 'text', n: 'int', extra: 'text', later: 'text' },
      partitionKey: ['k'],
      clusteringKey: [{ column: 'c', order: 'ASC' }],
    });
    const missing = await engine.insert(wider, { k: 'a', c: 1, later: 'x' }).catch((e: unknown) => e);
    expect(isSwitchboardError(missing, 'SCHEMA_NOT_APPLIED')).toBe(true);
    expect((missing as Error).message).toContain('later');
  });

  it('hides expired rows at once and purges them physically', async () => {
    let now = Date.UTC(2024, 0, 1);
    const engine = track(openEmbeddedEngine({ path: ':memory:', now: () => now, purgeIntervalMs: 0 }));
    await engine.applySchema([kv]);
    await engine.insert(kv, { k: 'p', c: 1, v: 'short' }, { ttlSeconds: 10 });
    await engine.insert(kv, { k: 'p', c: 2, v: 'long' });
    now += 9_999;
    expect(await engine.get(kv, { k: 'p', c: 1 })).not.toBeNull();
    now += 1;
    expect(await engine.get(kv, { k: 'p', c: 1 })).toBeNull();
    expect(await engine.purgeExpired()).toBe(1);
    expect(await engine.purgeExpired()).toBe(0);
    expect((await engine.slice(kv, { key: { k: 'p' } })).rows.map((r) => r.c)).toEqual([2]);
  });

  it('refuses a page token from another table, partition or direction', async () => {
    const engine = track(await createEmbeddedEngine({ path: ':memory:' }));
    await engine.applySchema(CONTRACT_TABLES);
    for (let c = 0; c < 5; c += 1) await engine.insert(kv, { k: 'a', c });
    const token = (await engine.slice(kv, { key: { k: 'a' }, limit: 2 })).nextPageToken!;
    const rejected = async (promise: Promise<unknown>) => {
      const error = await promise.catch((e: unknown) => e);
      expect(isSwitchboardError(error, 'INVALID_PAGE_TOKEN')).toBe(true);
      // A caller's mistake (400) whose message names no table.
      expect((error as Error).message).not.toMatch(/sbc_/);
    };
    await rejected(engine.slice(kv, { key: { k: 'b' }, limit: 2, pageToken: token }));
    await rejected(engine.slice(kv, { key: { k: 'a' }, order: 'DESC', limit: 2, pageToken: token }));
    const other = CONTRACT_TABLES.find((t) => t.name === 'sbc_names')!;
    await rejected(engine.slice(other, { key: { p: 'a' }, pageToken: token }));
    await rejected(
      engine.slice(kv, {
        key: { k: 'a' },
        pageToken: Buffer.from('[1,"sbc_kv","x",[1]]').toString('base64url'),
      }),
    );
  });

  it('stores timeuuids so that text order is CQL order (time, then signed bytes)', () => {
    const t = Date.UTC(2024, 0, 1);
    const node = (first: number) => Uint8Array.from([first, 0, 0, 0, 0, 1]);
    const a = makeTimeUuid(t, 7, node(0x80)); // node byte 0x80 is -128 as a signed byte
    const b = makeTimeUuid(t, 7, node(0x7f));
    const c = makeTimeUuid(t - 1, 0x3fff, node(0xff));
    const d = makeTimeUuid(t + 2 ** 33, 0, node(0));
    const ids = [d, b, a, c];
    const byStored = [...ids].sort((x, y) => (encodeTimeUuid(x) < encodeTimeUuid(y) ? -1 : 1));
    expect(byStored).toEqual([c, a, b, d]);
    expect([...ids].sort(cqlCompare)).toEqual([c, a, b, d]);
    for (const id of ids) expect(decodeTimeUuid(encodeTimeUuid(id))).toBe(id);
  });

  it('records operations, errors, latency and prepared statements in the registry', async () => {
    const registry = createMetricsRegistry();
    const engine: WideColumnEngine = track(await createEmbeddedEngine({ path: ':memory:', registry }));
    await engine.applySchema([kv]);
    await engine.insert(kv, { k: 'm', c: 1, v: 'x' });
    await engine.get(kv, { k: 'm', c: 1 });
    await engine.get(kv, { k: 'm', c: 2 });
    await engine.get(kv, { k: 'm' } as never).catch(() => undefined);
    const text = await registry.metrics();
    expect(text).toContain(
      'switchboard_store_operations_total{engine="embedded",table="sbc_kv",operation="get"} 3',
    );
    expect(text).toContain(
      'switchboard_store_errors_total{engine="embedded",table="sbc_kv",operation="get",code="QUERY_REJECTED"} 1',
    );
    expect(text).toContain(
      'switchboard_store_operation_seconds_bucket{engine="embedded",table="sbc_kv",operation="insert",le="+Inf"} 1',
    );
    expect(text).toMatch(
      /switchboard_store_operation_seconds_count\{engine="embedded",table="sbc_kv",operation="get"\} 3/,
    );
    expect(text).toMatch(/switchboard_store_prepared_statements\{engine="embedded"\} [1-9]/);
    // A scrape hands pending counts over once; a second scrape does not double them.
    expect(await registry.metrics()).toContain(
      'switchboard_store_operations_total{engine="embedded",table="sbc_kv",operation="get"} 3',
    );
    // A second engine in the same registry shares the metrics instead of clashing.
    track(await createEmbeddedEngine({ path: ':memory:', registry }));
  });

  it('fails with STORE_UNAVAILABLE after close', async () => {
    const engine = await createEmbeddedEngine({ path: ':memory:' });
    await engine.applySchema([kv]);
    await engine.close();
    const error = await engine.get(kv, { k: 'a', c: 1 }).catch((e: unknown) => e);
    expect(isSwitchboardError(error, 'STORE_UNAVAILABLE')).toBe(true);
  });

  it('prints its DDL for schema print --sqlite', () => {
    const ddl = sqliteSchemaStatements(CONTRACT_TABLES).join(';\n');
    expect(ddl).toContain('CREATE TABLE IF NOT EXISTS "_switchboard_schema"');
    expect(ddl).toMatch(
      /CREATE TABLE IF NOT EXISTS "sbc_events" \([\s\S]*PRIMARY KEY \("tenant", "bucket", "at", "seq"\)\n\) STRICT, WITHOUT ROWID/,
    );
    expect(ddl).toContain('"_exp_body" INTEGER');
    expect(ddl).not.toContain('"_exp_views"');
  });
});

/** Cassandra's TimeUUIDType order: 60-bit timestamp, then the last 8 bytes as signed bytes. */
function cqlCompare(a: string, b: string): number {
  const ts = (u: string) => BigInt(`0x${u.slice(15, 18)}${u.slice(9, 13)}${u.slice(0, 8)}`);
  if (ts(a) !== ts(b)) return ts(a) < ts(b) ? -1 : 1;
  const rest = (u: string) => Buffer.from(u.slice(19).replace('-', ''), 'hex');
  const ra = rest(a);
  const rb = rest(b);
  for (let i = 0; i < 8; i += 1) {
    const d = ((ra[i]! << 24) >> 24) - ((rb[i]! << 24) >> 24);
    if (d !== 0) return d;
  }
  return 0;
}
