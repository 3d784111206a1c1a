import cassandra from 'cassandra-driver';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { isSwitchboardError } from '../../src/errors/index.js';
import { defineTable } from '../../src/ports/wide-column/declare.js';
import { batchOp } from '../../src/ports/wide-column/engine.js';
import { insertShape } from '../../src/ports/wide-column/insert-shape.js';
import { diffTable, serializeDeclaration, snapshotOf } from '../../src/ports/wide-column/schema-diff.js';
import { clientOptions } from '../../src/ports/wide-column/scylla/client-options.js';
import { engineOver } from '../helpers/scylla-fake.js';
import {
  decodePartialRow,
  decodeRow,
  decodeValue,
  encodeValue,
} from '../../src/ports/wide-column/scylla/codec.js';
import type { ScyllaWideColumnEngine } from '../../src/ports/wide-column/scylla/engine.js';
import { createScyllaEngine } from '../../src/ports/wide-column/scylla/engine.js';
import {
  isStoreFailure,
  isTabletsOptionRejected,
  toSwitchboardError,
} from '../../src/ports/wide-column/scylla/errors.js';
import {
  decodePageToken,
  encodePageToken,
  sliceFingerprint,
} from '../../src/ports/wide-column/scylla/page-token.js';
import { snapshotFromCatalog, type CatalogColumn } from '../../src/ports/wide-column/scylla/schema.js';
import type { CqlType } from '../../src/ports/wide-column/types.js';

const { types, errors } = cassandra;
const dt = types.dataTypes;

/** The driver's own encoder, configured like the engine's client, to check values survive the wire format. */
interface WireEncoder {
  encode(value: unknown, type: object): Buffer | null;
  decode(bytes: Buffer, type: object): unknown;
}
// Exported by cassandra-driver at run time, though not in its type definitions.
const { Encoder } = cassandra as unknown as {
  Encoder: new (version: number, options: object) => WireEncoder;
};
const encoder = new Encoder(4, { encoding: { useBigIntAsLong: true } });
const TYPE_INFO: Record<CqlType, object> = {
  text: { code: dt.varchar },
  int: { code: dt.int },
  bigint: { code: dt.bigint },
  double: { code: dt.double },
  decimal: { code: dt.decimal },
  boolean: { code: dt.boolean },
  timestamp: { code: dt.timestamp },
  date: { code: dt.date },
  uuid: { code: dt.uuid },
  timeuuid: { code: dt.timeuuid },
  blob: { code: dt.blob },
  'map<text,text>': { code: dt.map, info: [{ code: dt.varchar }, { code: dt.varchar }] },
  'set<text>': { code: dt.set, info: { code: dt.varchar } },
  'list<text>': { code: dt.list, info: { code: dt.varchar } },
  counter: { code: dt.counter },
};

function roundTrip(type: CqlType, value: unknown): unknown {
  const bytes = encoder.encode(encodeValue(type, value), TYPE_INFO[type]);
  return decodeValue(type, bytes === null ? null : encoder.decode(bytes, TYPE_INFO[type]));
}

const config = (env: Record<string, string> = {}) => loadConfig({ env, path: undefined }).scylla;

describe('scylla codec through the driver wire format', () => {
  it.each<[CqlType, unknown]>([
    ['text', 'héllo ☎'],
    ['int', -2147483648],
    ['bigint', 9007199254740993n],
    ['bigint', -(2n ** 63n)],
    ['counter', 2n ** 62n + 1n],
    ['double', 0.1 + 0.2],
    ['decimal', '7500.00'],
    ['decimal', '-0.5'],
    ['decimal', '123456789012345678901234567890.123456789'],
    ['boolean', false],
    ['date', '2024-02-29'],
    ['date', '0999-03-01'],
    ['uuid', '0fa1b2c3-0000-4000-8000-00000000abcd'],
    ['timeuuid', '5a3c7e40-e5b7-11ee-8c90-0242ac120002'],
    ['map<text,text>', { a: '1', 'b c': 'two' }],
    ['set<text>', ['a', 'b', 'é']],
    ['list<text>', ['z', 'a', 'z']],
  ])('%s %s round-trips exactly', (type, value) => {
    expect(roundTrip(type, value)).toEqual(value);
  });

  it('keeps timestamps to the millisecond', () => {
    const at = new Date('2024-05-06T07:08:09.123Z');
    const back = roundTrip('timestamp', at) as Date;
    expect(back).toBeInstanceOf(Date);
    expect(back.getTime()).toBe(at.getTime());
  });

  it('sends a plain Uint8Array blob as a Buffer and reads a Buffer back', () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    expect(Buffer.isBuffer(encodeValue('blob', bytes))).toBe(true);
    const back = roundTrip('blob', bytes) as Buffer;
    expect(Buffer.isBuffer(back)).toBe(true);
    expect([...back]).toEqual([...bytes]);
  });

  it('encodes driver types the server expects', () => {
    expect(encodeValue('decimal', '1.50')).toBeInstanceOf(types.BigDecimal);
    expect(encodeValue('date', '2024-01-02')).toBeInstanceOf(types.LocalDate);
    expect(encodeValue('uuid', '0fa1b2c3-0000-4000-8000-00000000abcd')).toBeInstanceOf(types.Uuid);
    expect(encodeValue('timeuuid', '5a3c7e40-e5b7-11ee-8c90-0242ac120002')).toBeInstanceOf(types.TimeUuid);
    expect(encodeValue('bigint', 5)).toBe(5n);
    expect(encodeValue('text', null)).toBeNull();
  });

  it('copies prototype-less maps, which the driver could not walk', () => {
    const map = Object.assign(Object.create(null) as Record<string, string>, { k: 'v' });
    expect(roundTrip('map<text,text>', map)).toEqual({ k: 'v' });
  });

  it('reads empty collections as null, sets in UTF-8 order, Longs as bigint, negative-scale decimals plainly', () => {
    expect(decodeValue('set<text>', [])).toBeNull();
    expect(decodeValue('list<text>', [])).toBeNull();
    expect(decodeValue('map<text,text>', {})).toBeNull();
    expect(decodeValue('set<text>', ['b', '\u{1F600}', 'ÿ', 'a'])).toEqual(['a', 'b', 'ÿ', '\u{1F600}']);
    expect(decodeValue('bigint', types.Long.fromString('9223372036854775807'))).toBe(9223372036854775807n);
    expect(decodeValue('decimal', new types.BigDecimal(12, -3))).toBe('12000');
    expect(decodeValue('uuid', types.Uuid.fromString('0FA1B2C3-0000-4000-8000-00000000ABCD'))).toBe(
      '0fa1b2c3-0000-4000-8000-00000000abcd',
    );
  });

  it('decodes a full row with absent columns as null, and an LWT row without [applied]', () => {
    const table = defineTable({
      name: 't',
      module: 'm',
      columns: { id: 'uuid', n: 'bigint', tags: 'set<text>' },
      partitionKey: ['id'],
    });
    const id = types.Uuid.fromString('0fa1b2c3-0000-4000-8000-00000000abcd');
    expect(decodeRow(table, { id, n: 3n })).toEqual({ id: id.toString(), n: 3n, tags: null });
    expect(decodePartialRow(table, { '[applied]': false, n: 4n }, ['[applied]', 'n'])).toEqual({ n: 4n });
  });
});

describe('driver error mapping', () => {
  const ctx = { table: 'messages', operation: 'insert' };

  it('maps unreachable hosts to STORE_UNAVAILABLE and timeouts to STORE_TIMEOUT, with the cause', () => {
    const refused = new errors.NoHostAvailableError({ '10.0.0.1:9042': new Error('connect ECONNREFUSED') });
    const mapped = toSwitchboardError(refused, ctx);
    expect(mapped.code).toBe('STORE_UNAVAILABLE');
    expect(mapped.message).toContain('10.0.0.1:9042: connect ECONNREFUSED');
    expect(mapped.cause).toBe(refused);
    expect(isStoreFailure(mapped)).toBe(true);

    const timedOut = new errors.NoHostAvailableError({ h: new errors.OperationTimedOutError('slow', 'h') });
    expect(toSwitchboardError(timedOut, ctx).code).toBe('STORE_TIMEOUT');
    expect(toSwitchboardError(new errors.OperationTimedOutError('slow', 'h'), ctx).code).toBe(
      'STORE_TIMEOUT',
    );
    expect(
      toSwitchboardError(new errors.ResponseError(types.responseErrorCodes.writeTimeout, 'wt'), ctx).code,
    ).toBe('STORE_TIMEOUT');
    expect(
      toSwitchboardError(new errors.ResponseError(types.responseErrorCodes.unavailableException, 'u'), ctx)
        .code,
    ).toBe('STORE_UNAVAILABLE');
  });

  it('maps refused statements to errors that do not count against the breaker', () => {
    const invalid = toSwitchboardError(
      new errors.ResponseError(types.responseErrorCodes.invalid, 'bad'),
      ctx,
    );
    expect(invalid.code).toBe('QUERY_REJECTED');
    expect(isStoreFailure(invalid)).toBe(false);
    const missing = toSwitchboardError(
      new errors.ResponseError(types.responseErrorCodes.invalid, 'unconfigured table messages'),
      ctx,
    );
    expect(missing.code).toBe('SCHEMA_NOT_APPLIED');
    expect(isStoreFailure(missing)).toBe(false);
    const denied = toSwitchboardError(
      new errors.ResponseError(types.responseErrorCodes.unauthorized, 'no'),
      ctx,
    );
    expect(denied.code).toBe('STORE_UNAVAILABLE');
    expect(isStoreFailure(denied)).toBe(false);
    const dc = toSwitchboardError(new errors.ArgumentError("localDataCenter was configured as 'x'"), ctx);
    expect(dc.code).toBe('CONFIG_INVALID');
  });

  it('maps a missing table or keyspace to SCHEMA_NOT_APPLIED in every server spelling', () => {
    for (const message of [
      'unconfigured table switchboard_schema', // ScyllaDB, Cassandra 3.x
      'table switchboard_schema does not exist', // Cassandra 4.0+
      'keyspace sb_test_1 does not exist', // Cassandra 4.0+
      "Keyspace 'sb_test_1' does not exist",
      'Undefined column name later in table ks.t',
    ]) {
      const mapped = toSwitchboardError(
        new errors.ResponseError(types.responseErrorCodes.invalid, message),
        ctx,
      );
      expect(mapped.code, message).toBe('SCHEMA_NOT_APPLIED');
      expect(isStoreFailure(mapped)).toBe(false);
    }
  });

  it('recognises a server that does not know the tablets option', () => {
    const unknown = new errors.ResponseError(
      types.responseErrorCodes.configError,
      "Unknown property 'tablets'",
    );
    expect(isTabletsOptionRejected(toSwitchboardError(unknown, ctx))).toBe(true);
    const other = new errors.ResponseError(types.responseErrorCodes.configError, 'something else');
    expect(isTabletsOptionRejected(other)).toBe(false);
  });
});

describe('page tokens', () => {
  const table = defineTable({
    name: 'pages',
    module: 'm',
    columns: { p: 'text', c: 'int' },
    partitionKey: ['p'],
    clusteringKey: [{ column: 'c', order: 'ASC' }],
  });

  it('round-trip the driver paging state for the same query and refuse it for another', () => {
    const fp = sliceFingerprint(['a'], false);
    const token = encodePageToken(table, fp, '0a0b0c');
    expect(decodePageToken(table, token, fp)).toBe('0a0b0c');
    expect(() => decodePageToken(table, token, sliceFingerprint(['b'], false))).toThrow(/another partition/);
    expect(() => decodePageToken(table, token, sliceFingerprint(['a'], true))).toThrow(/another partition/);
    expect(() => decodePageToken(table, 'garbage', fp)).toThrow(
      expect.objectContaining({ code: 'INVALID_PAGE_TOKEN', status: 400, field: 'pageToken' }),
    );
    // The table's name never reaches a caller.
    const foreign = encodePageToken({ ...table, name: 'api_keys' }, fp, '0a');
    expect(() => decodePageToken(table, foreign, fp)).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('api_keys') }),
    );
  });
});

describe('schema diff', () => {
  const v1 = defineTable({
    name: 'sessions',
    module: 'voice',
    columns: { id: 'uuid', stage: 'text' },
    partitionKey: ['id'],
    defaultTtlSeconds: 60,
  });

  it('adds new columns and alters changed options', () => {
    const v2 = defineTable({
      ...v1,
      columns: { ...v1.columns, memory: 'map<text,text>' },
      defaultTtlSeconds: 120,
    });
    const diff = diffTable(snapshotOf(v1), v2);
    expect(diff.unsafe).toEqual([]);
    expect(diff.addColumns).toEqual([{ column: 'memory', type: 'map<text,text>' }]);
    expect(diff.options).toEqual({ defaultTtlSeconds: 120 });
  });

  it('treats engine spellings of a type as the same type', () => {
    const live = { ...snapshotOf(v1), columns: { id: 'uuid', stage: 'varchar' } };
    expect(diffTable(live, v1)).toEqual({ unsafe: [], addColumns: [], options: {} });
  });

  it('refuses key changes, type changes and removed columns, naming each', () => {
    const v2 = defineTable({
      name: 'sessions',
      module: 'voice',
      columns: { id: 'uuid', at: 'timestamp', stage: 'int' },
      partitionKey: ['id'],
      clusteringKey: [{ column: 'at', order: 'DESC' }],
    });
    const before = { ...snapshotOf(v1), columns: { ...snapshotOf(v1).columns, gone: 'text' } };
    const unsafe = diffTable(before, v2).unsafe.join('\n');
    expect(unsafe).toContain('clustering key changed from (none) to (at DESC)');
    expect(unsafe).toContain('column stage changed type from text to int');
    expect(unsafe).toContain('column gone was removed');
  });

  it('reads the live catalogue of ScyllaDB (upper-case clustering order) and Cassandra (lower-case) alike', () => {
    const events = defineTable({
      name: 'events',
      module: 'm',
      columns: {
        tenant: 'text',
        bucket: 'int',
        at: 'timestamp',
        seq: 'int',
        tags: 'set<text>',
        m: 'map<text,text>',
      },
      partitionKey: ['tenant', 'bucket'],
      clusteringKey: [
        { column: 'at', order: 'DESC' },
        { column: 'seq', order: 'ASC' },
      ],
      defaultTtlSeconds: 60,
      compaction: { kind: 'time-window', windowSize: 1, windowUnit: 'DAYS' },
    });
    const rows = (order: (o: string) => string): CatalogColumn[] => [
      { column_name: 'seq', kind: 'clustering', position: 1, type: 'int', clustering_order: order('asc') },
      {
        column_name: 'm',
        kind: 'regular',
        position: -1,
        type: 'map<text, text>',
        clustering_order: order('none'),
      },
      {
        column_name: 'bucket',
        kind: 'partition_key',
        position: 1,
        type: 'int',
        clustering_order: order('none'),
      },
      {
        column_name: 'at',
        kind: 'clustering',
        position: 0,
        type: 'timestamp',
        clustering_order: order('desc'),
      },
      {
        column_name: 'tags',
        kind: 'regular',
        position: -1,
        type: 'set<text>',
        clustering_order: order('none'),
      },
      {
        column_name: 'tenant',
        kind: 'partition_key',
        position: 0,
        type: 'text',
        clustering_order: order('none'),
      },
    ];
    const scyllaTable = {
      default_time_to_live: 60,
      comment: '',
      compaction: {
        class: 'TimeWindowCompactionStrategy',
        compaction_window_unit: 'DAYS',
        compaction_window_size: '1',
      },
    };
    const cassandraTable = {
      ...scyllaTable,
      compaction: {
        ...scyllaTable.compaction,
        class: 'org.apache.cassandra.db.compaction.TimeWindowCompactionStrategy',
        max_threshold: '32',
        min_threshold: '4',
      },
    };
    const scylla = snapshotFromCatalog(
      'events',
      rows((o) => o.toUpperCase()),
      scyllaTable,
    );
    const cassandra = snapshotFromCatalog(
      'events',
      rows((o) => o),
      cassandraTable,
    );
    for (const live of [scylla, cassandra]) {
      expect(live.partitionKey).toEqual(['tenant', 'bucket']);
      expect(live.clusteringKey).toEqual([
        { column: 'at', order: 'DESC' },
        { column: 'seq', order: 'ASC' },
      ]);
      // Re-applying the same declaration to the live table changes nothing.
      expect(diffTable(live, events)).toEqual({ unsafe: [], addColumns: [], options: {} });
    }
    expect(
      snapshotFromCatalog(
        'events',
        rows((o) => o),
        null,
      ),
    ).toMatchObject({
      defaultTtlSeconds: 0,
      compaction: null,
      comment: '',
    });
  });

  it('records declarations independently of column order', () => {
    const reordered = defineTable({ ...v1, columns: { stage: 'text', id: 'uuid' } });
    expect(serializeDeclaration(reordered)).toBe(serializeDeclaration(v1));
  });
});

describe('client options', () => {
  it('follow the configuration', () => {
    const options = clientOptions(
      config({
        SCYLLA_CONTACT_POINTS: 'n1,n2',
        SCYLLA_PORT: '19042',
        SCYLLA_USERNAME: 'sb',
        SCYLLA_PASSWORD: 'secret',
        SWITCHBOARD_SCYLLA_POOL_SIZE: '4',
        SWITCHBOARD_SCYLLA_REQUEST_TIMEOUT_MS: '1234',
        SWITCHBOARD_SCYLLA_LOCAL_DATA_CENTER: 'eu1',
      }),
    );
    expect(options.contactPoints).toEqual(['n1', 'n2']);
    expect(options.protocolOptions?.port).toBe(19042);
    expect(options.localDataCenter).toBe('eu1');
    expect(options.keyspace).toBeUndefined();
    expect(options.authProvider).toBeInstanceOf(cassandra.auth.PlainTextAuthProvider);
    expect(options.encoding?.useBigIntAsLong).toBe(true);
    expect(options.pooling?.coreConnectionsPerHost?.[types.distance.local]).toBe(4);
    expect(options.socketOptions?.readTimeout).toBe(1234);
    expect(options.queryOptions?.prepare).toBe(true);
    expect(options.queryOptions?.consistency).toBe(types.consistencies.localOne);
    expect(options.queryOptions?.serialConsistency).toBe(types.consistencies.localSerial);
  });
});

describe('the engine without a server', () => {
  const unreachable = () =>
    config({
      SCYLLA_CONTACT_POINTS: '127.0.0.1',
      SCYLLA_PORT: '1',
      SWITCHBOARD_SCYLLA_BREAKER_FAILURE_THRESHOLD: '3',
    });
  const table = defineTable({
    name: 'things',
    module: 'm',
    columns: { id: 'text', at: 'timestamp', n: 'int' },
    partitionKey: ['id'],
    clusteringKey: [{ column: 'at', order: 'DESC' }],
  });

  it('fails fast with STORE_UNAVAILABLE when no node answers', async () => {
    const started = Date.now();
    const error = await createScyllaEngine(unreachable()).catch((e: unknown) => e);
    expect(isSwitchboardError(error, 'STORE_UNAVAILABLE')).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses an invalid keyspace name as configuration', async () => {
    await expect(
      createScyllaEngine({ ...unreachable(), keyspace: 'bad-name' }, { lazyConnect: true }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', field: 'scylla.keyspace' });
  });

  it('reports unhealthy, opens the breaker after the threshold, and shows it in metrics', async () => {
    const registry = new Registry();
    const engine = await createScyllaEngine(unreachable(), { registry, lazyConnect: true });
    try {
      for (let i = 0; i < 3; i += 1) {
        const health = await engine.health();
        expect(health.ok).toBe(false);
        expect(health.detail).toContain('STORE_UNAVAILABLE');
      }
      const open = await engine.health();
      expect(open.detail).toContain('CIRCUIT_OPEN');
      expect(open.detail).toContain('breaker open');
      await expect(engine.get(table, { id: 'a', at: new Date() })).rejects.toMatchObject({
        code: 'CIRCUIT_OPEN',
      });
      const text = await registry.metrics();
      expect(text).toContain('switchboard_store_breaker_state{engine="scylladb"} 2');
      // The health probe and the point read: two distinct statements.
      expect(text).toMatch(/switchboard_scylla_prepared_statements 2/);
      expect(text).toContain(
        'switchboard_store_errors_total{engine="scylladb",table="things",operation="get",code="CIRCUIT_OPEN"} 1',
      );
    } finally {
      await engine.close();
    }
  });

  it('rejects rule violations before touching the network, without counting them as failures', async () => {
    const engine = await createScyllaEngine(unreachable(), { lazyConnect: true });
    try {
      for (let i = 0; i < 5; i += 1) {
        await expect(engine.slice(table, { key: { n: 1 } as never })).rejects.toMatchObject({
          code: 'QUERY_REJECTED',
        });
        await expect(engine.insert(table, { id: 'a', at: new Date(), n: 1.5 })).rejects.toMatchObject({
          code: 'VALUE_INVALID',
        });
        await expect(
          engine.increment(table as never, { id: 'a' } as never, { n: 1 } as never),
        ).rejects.toMatchObject({
          code: 'QUERY_REJECTED',
        });
      }
      // Fifteen refused calls did not open the breaker: the next call still reaches the driver.
      expect((await engine.health()).detail).toMatch(/^STORE_UNAVAILABLE: .*; breaker closed$/s);
      await expect(
        engine.update(table, { id: 'a', at: new Date() }, { n: 2 }, { ifExists: true, if: { n: 1 } }),
      ).rejects.toMatchObject({ code: 'QUERY_REJECTED' });
    } finally {
      await engine.close();
    }
  });

  it('refuses calls after close', async () => {
    const engine = await createScyllaEngine(unreachable(), { lazyConnect: true });
    await engine.close();
    await expect(engine.get(table, { id: 'a', at: new Date() })).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    });
  });
});

describe('conditional write outcomes as each server reports them', () => {
  const kv = defineTable({
    name: 'kv',
    module: 'm',
    columns: { k: 'text', c: 'int', v: 'text', n: 'int' },
    partitionKey: ['k'],
    clusteringKey: [{ column: 'c', order: 'ASC' }],
    usesLwt: true,
  });

  /** A driver result: `[applied]` first, then the named columns (as the server's metadata lists them). */
  const result = (applied: boolean, row: Record<string, unknown> | null) => {
    const rows = row ? [{ '[applied]': applied, ...row }] : [{ '[applied]': applied }];
    return {
      rows,
      columns: Object.keys(rows[0]!).map((name) => ({ name })),
      first: () => rows[0],
      wasApplied: () => applied,
    };
  };

  /** A plain SELECT result. */
  const select = (rows: Record<string, unknown>[]) => ({
    rows,
    columns: [],
    first: () => rows[0] ?? null,
    wasApplied: () => true,
  });

  /** An engine over a fake executor that answers each call with the next scripted result. */
  function engineAnswering(...answers: ReturnType<typeof result | typeof select>[]) {
    const calls: { cql: string; kind: string }[] = [];
    const engine = engineOver({
      execute: (cql: string, _params: unknown[], kind: string) => {
        calls.push({ cql, kind });
        const next = answers.shift();
        if (!next) throw new Error(`unexpected call: ${cql}`);
        return Promise.resolve(next);
      },
    });
    return { engine, calls };
  }

  it('IF col = ?: a row that exists reports its condition columns and key, without another read', async () => {
    const { engine, calls } = engineAnswering(result(false, { v: 'draft' }));
    const out = await engine.update(kv, { k: 'a', c: 1 }, { v: 'sent' }, { if: { v: 'queued' } });
    expect(out).toEqual({ applied: false, current: { k: 'a', c: 1, v: 'draft' } });
    expect(calls.map((c) => c.kind)).toEqual(['lwt']);
  });

  it('IF col = ? on a missing row: ScyllaDB answers nulls, settled by a SERIAL read to current null', async () => {
    const { engine, calls } = engineAnswering(
      result(false, { v: null, n: null }),
      select([{ k: 'a', c: 1, v: null, n: null }]),
    );
    const scyllaMissing = engineAnswering(result(false, { v: null, n: null }), select([]));
    const out = await scyllaMissing.engine.update(kv, { k: 'a', c: 1 }, { v: 'x' }, { if: { v: 'y', n: 1 } });
    expect(out).toEqual({ applied: false, current: null });
    expect(scyllaMissing.calls.map((c) => c.kind)).toEqual(['lwt', 'serial']);
    expect(scyllaMissing.calls[1]!.cql).toBe('SELECT k, c, v, n FROM ks.kv WHERE k = ? AND c = ?');

    // The row exists, its condition columns are null: the serial read finds it.
    const exists = await engine.update(kv, { k: 'a', c: 1 }, { v: 'x' }, { if: { v: 'y', n: 1 } });
    expect(exists).toEqual({ applied: false, current: { k: 'a', c: 1, v: null, n: null } });
    expect(calls.map((c) => c.kind)).toEqual(['lwt', 'serial']);
  });

  it('IF col = ? on a missing row: Cassandra answers [applied] alone', async () => {
    const { engine, calls } = engineAnswering(result(false, null));
    expect(await engine.update(kv, { k: 'a', c: 1 }, { v: 'x' }, { if: { v: 'y' } })).toEqual({
      applied: false,
      current: null,
    });
    expect(calls).toHaveLength(1);
  });

  it('IF NOT EXISTS: the existing row from either server; ScyllaDB nulls when applied', async () => {
    const { engine } = engineAnswering(
      result(false, { k: 'a', c: 1, v: 'first', n: null }),
      result(true, { k: null, c: null, v: null, n: null }),
    );
    expect(await engine.insert(kv, { k: 'a', c: 1, v: 'second' }, { ifNotExists: true })).toEqual({
      applied: false,
      current: { k: 'a', c: 1, v: 'first', n: null },
    });
    expect(await engine.insert(kv, { k: 'b', c: 1, v: 'x' }, { ifNotExists: true })).toEqual({
      applied: true,
    });
  });

  it('IF EXISTS: not applied means no row, whatever columns came back', async () => {
    const { engine } = engineAnswering(
      result(false, { k: null, c: null, v: null, n: null }),
      result(false, null),
    );
    expect(await engine.update(kv, { k: 'a', c: 1 }, { v: 'x' }, { ifExists: true })).toEqual({
      applied: false,
      current: null,
    });
    expect(await engine.delete(kv, { k: 'a', c: 1 }, { ifExists: true })).toEqual({
      applied: false,
      current: null,
    });
  });
});

describe('shaped inserts on ScyllaDB', () => {
  const table = defineTable({
    name: 'events',
    module: 'm',
    columns: { k: 'text', at: 'timestamp', v: 'text', n: 'bigint', tags: 'set<text>' },
    partitionKey: ['k'],
    clusteringKey: [{ column: 'at', order: 'ASC' }],
  });

  /** The statements and bind values a batch sends, from a fake executor (no server here). */
  async function sent(ops: Parameters<ScyllaWideColumnEngine['batch']>[0]) {
    const batches: { query: string; params: unknown[] }[][] = [];
    const engine = engineOver({
      batch: (queries: { query: string; params: unknown[] }[]) => {
        batches.push(queries);
        return Promise.resolve();
      },
    });
    await engine.batch(ops);
    return batches.flat();
  }

  it('sends the same statement and values as an insert of the same row object', async () => {
    const at = new Date('2024-01-02T03:04:05.678Z');
    const shape = insertShape(table, ['v', 'n', 'tags']);
    const byObject = await sent([
      batchOp.insert(table, { k: 'a', at, v: 'x', n: 5n, tags: ['b', 'a', 'b'] }, { ttlSeconds: 60 }),
      batchOp.insert(table, { k: 'a', at, n: 6n, tags: [] }),
    ]);
    const byShape = await sent([
      batchOp.insertShaped(shape, ['a', at, 'x', 5n, ['b', 'a', 'b']], { ttlSeconds: 60 }),
      batchOp.insertShaped(shape, ['a', at, undefined, 6n, []]),
    ]);
    expect(byShape).toEqual(byObject);
    expect(byShape.map((q) => q.query)).toEqual([
      'INSERT INTO ks.events (k, at, v, n, tags) VALUES (?, ?, ?, ?, ?) USING TTL ?',
      'INSERT INTO ks.events (k, at, n, tags) VALUES (?, ?, ?, ?)',
    ]);
    // Set values are sorted and de-duplicated, an empty set is written as null (a tombstone).
    expect(byShape[0]!.params.slice(4)).toEqual([['a', 'b'], 60]);
    expect(byShape[1]!.params[3]).toBeNull();
  });
});
