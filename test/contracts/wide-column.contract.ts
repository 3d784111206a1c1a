import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSwitchboardError, type ErrorCode } from '../../src/errors/index.js';
import { defineTable, type TableDef } from '../../src/ports/wide-column/declare.js';
import { batchOp, type Page, type WideColumnEngine } from '../../src/ports/wide-column/engine.js';
import { insertShape } from '../../src/ports/wide-column/insert-shape.js';

/**
 * The wide-column contract, written once and run against every engine that is reachable.
 * It asserts only what ScyllaDB guarantees too (no exact size of a last page, TTL checks
 * with a margin for ScyllaDB's second-granularity expiry), so the embedded engine cannot
 * drift into behaviour production would not have.
 */

export interface ContractOptions {
  /** Extra wait after a TTL should have passed (ScyllaDB expires on whole seconds). Default 1500 ms. */
  ttlGraceMs?: number;
}

const M = 'contract';

export const allTypes = defineTable({
  name: 'sbc_all_types',
  module: M,
  columns: {
    id: 'text',
    t: 'text',
    i: 'int',
    b: 'bigint',
    d: 'double',
    dec: 'decimal',
    flag: 'boolean',
    ts: 'timestamp',
    day: 'date',
    u: 'uuid',
    tu: 'timeuuid',
    bytes: 'blob',
    m: 'map<text,text>',
    s: 'set<text>',
    l: 'list<text>',
  },
  partitionKey: ['id'],
});

/** Composite partition key; clustering DESC then ASC. */
export const events = defineTable({
  name: 'sbc_events',
  module: M,
  columns: { tenant: 'text', bucket: 'int', at: 'timestamp', seq: 'int', body: 'text', tags: 'set<text>' },
  partitionKey: ['tenant', 'bucket'],
  clusteringKey: [
    { column: 'at', order: 'DESC' },
    { column: 'seq', order: 'ASC' },
  ],
});

const kvShape = {
  module: M,
  columns: { k: 'text', c: 'int', v: 'text', n: 'int', extra: 'text' },
  partitionKey: ['k'],
  clusteringKey: [{ column: 'c', order: 'ASC' }],
} as const;

export const kv = defineTable({ ...kvShape, name: 'sbc_kv', usesLwt: true });

/** kv without lightweight transactions: its plain writes keep the driver's timestamps, so it batches with other such tables. */
export const kvPlain = defineTable({ ...kvShape, name: 'sbc_kv_plain' });

export const counters = defineTable({
  name: 'sbc_counters',
  module: M,
  columns: { page: 'text', day: 'date', views: 'counter', likes: 'counter' },
  partitionKey: ['page'],
  clusteringKey: [{ column: 'day', order: 'ASC' }],
});

export const expiring = defineTable({
  name: 'sbc_expiring',
  module: M,
  columns: { id: 'text', v: 'text' },
  partitionKey: ['id'],
  defaultTtlSeconds: 2,
});

/** Only key columns: rows exist through the INSERT row marker alone. Also UTF-8 ordering. */
export const names = defineTable({
  name: 'sbc_names',
  module: M,
  columns: { p: 'text', name: 'text' },
  partitionKey: ['p'],
  clusteringKey: [{ column: 'name', order: 'ASC' }],
});

export const ordered = defineTable({
  name: 'sbc_ordered',
  module: M,
  columns: { p: 'text', n: 'bigint', tu: 'timeuuid', v: 'text' },
  partitionKey: ['p'],
  clusteringKey: [
    { column: 'n', order: 'ASC' },
    { column: 'tu', order: 'DESC' },
  ],
});

export const evolveV1 = defineTable({
  name: 'sbc_evolve',
  module: M,
  columns: { id: 'text', a: 'text' },
  partitionKey: ['id'],
});

const evolveV2 = defineTable({
  name: 'sbc_evolve',
  module: M,
  columns: { id: 'text', a: 'text', b: 'int' },
  partitionKey: ['id'],
});

const evolveNewKey = defineTable({
  name: 'sbc_evolve',
  module: M,
  columns: { id: 'text', a: 'text', b: 'int' },
  partitionKey: ['id', 'b'],
});

const evolveNewType = defineTable({
  name: 'sbc_evolve',
  module: M,
  columns: { id: 'text', a: 'int', b: 'int' },
  partitionKey: ['id'],
});

export const CONTRACT_TABLES: readonly TableDef[] = [
  allTypes,
  events,
  kv,
  kvPlain,
  counters,
  expiring,
  names,
  ordered,
  evolveV1,
];

const GREGORIAN_OFFSET_MS = 12_219_292_800_000n;

/** A version-1 UUID for a given time, clock sequence and node (deterministic, for ordering tests). */
export function makeTimeUuid(ms: number, clockSeq = 0, node: Uint8Array = randomBytes(6)): string {
  const ticks = (BigInt(ms) + GREGORIAN_OFFSET_MS) * 10_000n;
  const hex = (v: bigint, n: number) => v.toString(16).padStart(n, '0');
  const low = hex(ticks & 0xffffffffn, 8);
  const mid = hex((ticks >> 32n) & 0xffffn, 4);
  const hi = hex(((ticks >> 48n) & 0x0fffn) | 0x1000n, 4);
  const seq = hex(BigInt((clockSeq & 0x3fff) | 0x8000), 4);
  return `${low}-${mid}-${hi}-${seq}-${Buffer.from(node).toString('hex')}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const id = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (!isSwitchboardError(error)) throw error;
    expect(error.code, error.message).toBe(code);
    return error;
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}

/** Reads every page of a slice and returns the rows in order, checking tokens advance. */
async function readAll<T extends TableDef>(
  engine: WideColumnEngine,
  table: T,
  query: Parameters<WideColumnEngine['slice']>[1],
): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  let token: string | null = null;
  for (let pages = 0; pages < 10_000; pages += 1) {
    const page: Page<unknown> = await engine.slice(table, { ...query, pageToken: token } as never);
    expect(page.rows.length).toBeLessThanOrEqual(query.limit ?? 100);
    rows.push(...(page.rows as Record<string, unknown>[]));
    if (page.nextPageToken === null) return rows;
    expect(page.nextPageToken).not.toBe(token);
    token = page.nextPageToken;
  }
  throw new Error('slice did not end');
}

async function inChunks<T>(
  items: readonly T[],
  size: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

export function wideColumnContract(
  name: string,
  factory: () => Promise<{ engine: WideColumnEngine; cleanup(): Promise<void> }>,
  options: ContractOptions = {},
): void {
  const grace = options.ttlGraceMs ?? 1500;

  describe(`wide-column contract: ${name}`, () => {
    let engine: WideColumnEngine;
    let cleanup: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      const opened = await factory();
      engine = opened.engine;
      cleanup = opened.cleanup;
      await engine.applySchema(CONTRACT_TABLES);
    }, 180_000);

    afterAll(async () => {
      await cleanup?.();
    }, 60_000);

    describe('schema', () => {
      it('applies idempotently and reports nothing pending', async () => {
        const report = await engine.applySchema(CONTRACT_TABLES);
        expect(report.changes.map((c) => c.action)).toEqual(CONTRACT_TABLES.map(() => 'unchanged'));
        expect((await engine.schemaStatus(CONTRACT_TABLES)).pending).toEqual([]);
      });

      it('adds a new column, and refuses a changed key or column type', async () => {
        expect((await engine.schemaStatus([evolveV2])).pending).toEqual(['sbc_evolve']);
        const report = await engine.applySchema([evolveV2]);
        expect(report.changes).toHaveLength(1);
        expect(report.changes[0]!.action).toBe('add-columns');
        expect((await engine.schemaStatus([evolveV2])).pending).toEqual([]);
        await engine.insert(evolveV2, { id: 'x', a: 'A', b: 7 });
        expect(await engine.get(evolveV2, { id: 'x' })).toEqual({ id: 'x', a: 'A', b: 7 });

        const key = await expectCode(engine.applySchema([evolveNewKey]), 'SCHEMA_UNSAFE_CHANGE');
        expect(key.message).toContain('sbc_evolve');
        expect(key.message).toMatch(/key/i);
        const type = await expectCode(engine.applySchema([evolveNewType]), 'SCHEMA_UNSAFE_CHANGE');
        expect(type.message).toContain('sbc_evolve');
        // The refused changes left the table as it was.
        expect(await engine.get(evolveV2, { id: 'x' })).toEqual({ id: 'x', a: 'A', b: 7 });
      });
    });

    describe('rows', () => {
      it('inserts, reads by full key, updates chosen columns and deletes', async () => {
        const k = id('crud');
        expect(await engine.get(kv, { k, c: 1 })).toBeNull();
        expect(await engine.insert(kv, { k, c: 1, v: 'one', n: 1 })).toEqual({ applied: true });
        expect(await engine.get(kv, { k, c: 1 })).toEqual({ k, c: 1, v: 'one', n: 1, extra: null });

        // INSERT writes only the columns it names; the others keep their values.
        await engine.insert(kv, { k, c: 1, extra: 'x' });
        expect(await engine.get(kv, { k, c: 1 })).toEqual({ k, c: 1, v: 'one', n: 1, extra: 'x' });

        expect(await engine.update(kv, { k, c: 1 }, { v: 'uno', extra: null })).toEqual({ applied: true });
        expect(await engine.get(kv, { k, c: 1 })).toEqual({ k, c: 1, v: 'uno', n: 1, extra: null });

        // UPDATE of a missing row creates it (an upsert), as in CQL.
        await engine.update(kv, { k, c: 2 }, { v: 'two' });
        expect(await engine.get(kv, { k, c: 2 })).toEqual({ k, c: 2, v: 'two', n: null, extra: null });

        expect(await engine.delete(kv, { k, c: 1 })).toEqual({ applied: true });
        expect(await engine.get(kv, { k, c: 1 })).toBeNull();
        expect(await engine.get(kv, { k, c: 2 })).not.toBeNull();
      });

      it('stores rows with only key columns', async () => {
        const p = id('keys');
        await engine.insert(names, { p, name: 'solo' });
        expect(await engine.get(names, { p, name: 'solo' })).toEqual({ p, name: 'solo' });
        const page = await engine.slice(names, { key: { p } });
        expect(page.rows).toEqual([{ p, name: 'solo' }]);
      });

      it('deletes a clustering slice, a range and a whole partition', async () => {
        const tenant = id('del');
        const base = Date.UTC(2024, 0, 1);
        for (let at = 0; at < 4; at += 1) {
          for (let seq = 0; seq < 3; seq += 1) {
            await engine.insert(events, {
              tenant,
              bucket: 1,
              at: new Date(base + at * 1000),
              seq,
              body: `${at}/${seq}`,
            });
          }
        }
        await engine.insert(events, {
          tenant,
          bucket: 2,
          at: new Date(base),
          seq: 0,
          body: 'other partition',
        });

        await engine.deleteSlice(events, { key: { tenant, bucket: 1, at: new Date(base + 3000) } });
        await engine.deleteSlice(events, {
          key: { tenant, bucket: 1, at: new Date(base + 2000) },
          range: { column: 'seq', gte: 1 },
        });
        const left = await readAll(engine, events, { key: { tenant, bucket: 1 }, limit: 100 });
        expect(left.map((r) => r.body)).toEqual(['2/0', '1/0', '1/1', '1/2', '0/0', '0/1', '0/2']);

        await engine.deleteSlice(events, {
          key: { tenant, bucket: 1 },
          range: { column: 'at', lt: new Date(base + 1000) },
        });
        const left2 = await readAll(engine, events, { key: { tenant, bucket: 1 }, limit: 100 });
        expect(left2.map((r) => r.body)).toEqual(['2/0', '1/0', '1/1', '1/2']);

        await engine.deletePartition(events, { tenant, bucket: 1 });
        expect((await engine.slice(events, { key: { tenant, bucket: 1 } })).rows).toEqual([]);
        expect((await engine.slice(events, { key: { tenant, bucket: 2 } })).rows).toHaveLength(1);
      });
    });

    describe('types', () => {
      it('round-trips every type exactly', async () => {
        const key = id('types');
        const tu = makeTimeUuid(Date.UTC(2024, 5, 1, 12, 0, 0, 123), 77);
        const u = randomUUID();
        const bytes = Uint8Array.from([0, 1, 127, 128, 254, 255]);
        await engine.insert(allTypes, {
          id: key,
          t: 'héllo wörld 🌍 \u0000 end',
          i: -2147483648,
          b: 2n ** 62n + 1n,
          d: 3.141592653589793,
          dec: '12345678901234567890.123456789',
          flag: true,
          ts: new Date('2024-02-29T23:59:59.987Z'),
          day: '2024-02-29',
          u: u.toUpperCase(),
          tu,
          bytes,
          m: { zeta: 'z', alpha: 'a', 'mid key': 'm' },
          s: ['pear', 'apple', 'pear', 'fig'],
          l: ['x', 'x', 'y'],
        });
        const row = await engine.get(allTypes, { id: key });
        expect(row).not.toBeNull();
        expect(row!.t).toBe('héllo wörld 🌍 \u0000 end');
        expect(row!.i).toBe(-2147483648);
        expect(row!.b).toBe(2n ** 62n + 1n);
        expect(row!.d).toBe(3.141592653589793);
        expect(row!.dec).toBe('12345678901234567890.123456789');
        expect(row!.flag).toBe(true);
        expect(row!.ts).toBeInstanceOf(Date);
        expect(row!.ts!.toISOString()).toBe('2024-02-29T23:59:59.987Z');
        expect(row!.day).toBe('2024-02-29');
        expect(row!.u).toBe(u.toLowerCase());
        expect(row!.tu).toBe(tu);
        expect(Buffer.from(row!.bytes!)).toEqual(Buffer.from(bytes));
        expect(row!.m).toEqual({ alpha: 'a', 'mid key': 'm', zeta: 'z' });
        expect(row!.s).toEqual(['apple', 'fig', 'pear']);
        expect(row!.l).toEqual(['x', 'x', 'y']);

        await engine.update(
          allTypes,
          { id: key },
          {
            i: 2147483647,
            b: -(2n ** 62n) - 7n,
            d: -0.5e-300,
            dec: '7500.00',
            flag: false,
            ts: new Date(0),
            day: '1970-01-01',
          },
        );
        const row2 = await engine.get(allTypes, { id: key });
        expect(row2!.i).toBe(2147483647);
        expect(row2!.b).toBe(-(2n ** 62n) - 7n);
        expect(row2!.d).toBe(-0.5e-300);
        expect(row2!.dec).toBe('7500.00');
        expect(row2!.flag).toBe(false);
        expect(row2!.ts!.getTime()).toBe(0);
        expect(row2!.day).toBe('1970-01-01');

        // Decimals come back in ScyllaDB's canonical form: scale kept, no leading zeros, no "-0".
        for (const [written, read] of [
          ['007.50', '7.50'],
          ['-0.00', '0.00'],
          ['-0012', '-12'],
          ['0.000000000000000000000000000001', '0.000000000000000000000000000001'],
        ] as const) {
          await engine.update(allTypes, { id: key }, { dec: written });
          expect((await engine.get(allTypes, { id: key }))!.dec).toBe(read);
        }
      });

      it('reads empty collections and unset columns as null', async () => {
        const key = id('empty');
        await engine.insert(allTypes, { id: key, m: {}, s: [], l: [] });
        expect(await engine.get(allTypes, { id: key })).toEqual({
          id: key,
          t: null,
          i: null,
          b: null,
          d: null,
          dec: null,
          flag: null,
          ts: null,
          day: null,
          u: null,
          tu: null,
          bytes: null,
          m: null,
          s: null,
          l: null,
        });
        await engine.update(allTypes, { id: key }, { s: ['a'] });
        await engine.update(allTypes, { id: key }, { s: [] });
        expect((await engine.get(allTypes, { id: key }))!.s).toBeNull();
      });

      it('rejects a value that does not fit its column', async () => {
        await expectCode(engine.insert(kv, { k: 'x', c: 1, n: 'five' as never }), 'VALUE_INVALID');
        await expectCode(engine.insert(kv, { k: 'x', c: 2 ** 40 }), 'VALUE_INVALID');
        await expectCode(engine.insert(allTypes, { id: 'x', dec: '1e5' }), 'VALUE_INVALID');
        await expectCode(engine.insert(allTypes, { id: 'x', tu: randomUUID() }), 'VALUE_INVALID');
        expect(await engine.get(kv, { k: 'x', c: 1 })).toBeNull();
      });
    });

    describe('slices and paging', () => {
      it('orders by the declared clustering order, or its full reverse', async () => {
        const tenant = id('order');
        const base = Date.UTC(2024, 0, 1);
        const expected: string[] = [];
        for (let at = 0; at < 5; at += 1) for (let seq = 0; seq < 3; seq += 1) expected.push(`${at}/${seq}`);
        await inChunks(expected, 50, (body) => {
          const [at, seq] = body.split('/').map(Number) as [number, number];
          return engine.insert(events, { tenant, bucket: 7, at: new Date(base + at * 60_000), seq, body });
        });
        // Table order: at DESC, then seq ASC.
        const tableOrder = [...expected].sort((a, b) => {
          const [aa, as] = a.split('/').map(Number) as [number, number];
          const [ba, bs] = b.split('/').map(Number) as [number, number];
          return ba - aa || as - bs;
        });
        const asc = await readAll(engine, events, { key: { tenant, bucket: 7 }, limit: 4 });
        expect(asc.map((r) => r.body)).toEqual(tableOrder);
        const same = await readAll(engine, events, { key: { tenant, bucket: 7 }, order: 'DESC', limit: 4 });
        expect(same.map((r) => r.body)).toEqual(tableOrder);
        const reversed = await readAll(engine, events, {
          key: { tenant, bucket: 7 },
          order: 'ASC',
          limit: 4,
        });
        expect(reversed.map((r) => r.body)).toEqual([...tableOrder].reverse());
        expect(asc[0]!.at).toEqual(new Date(base + 4 * 60_000));
      });

      it('ranges on the clustering column after the prefix (gt, gte, lt, lte)', async () => {
        const tenant = id('range');
        const base = Date.UTC(2024, 0, 1);
        for (let at = 0; at < 3; at += 1) {
          for (let seq = 0; seq < 10; seq += 1) {
            await engine.insert(events, {
              tenant,
              bucket: 1,
              at: new Date(base + at * 1000),
              seq,
              body: `${at}/${seq}`,
            });
          }
        }
        const at1 = new Date(base + 1000);
        const seqs = async (range: Record<string, unknown>, order?: 'ASC' | 'DESC') =>
          (
            await readAll(engine, events, {
              key: { tenant, bucket: 1, at: at1 },
              range: { column: 'seq', ...range },
              order,
              limit: 3,
            } as never)
          ).map((r) => r.seq);
        expect(await seqs({ gt: 3, lt: 7 })).toEqual([4, 5, 6]);
        expect(await seqs({ gte: 3, lte: 7 })).toEqual([3, 4, 5, 6, 7]);
        expect(await seqs({ gt: 7 })).toEqual([8, 9]);
        expect(await seqs({ lte: 1 })).toEqual([0, 1]);
        // `order` names the first clustering column's direction (at is DESC): ASC reverses everything.
        expect(await seqs({ gte: 3, lt: 6 }, 'ASC')).toEqual([5, 4, 3]);
        expect(await seqs({ gte: 3, lt: 6 }, 'DESC')).toEqual([3, 4, 5]);
        expect(await seqs({ gt: 20 })).toEqual([]);

        const byTime = await readAll(engine, events, {
          key: { tenant, bucket: 1 },
          range: { column: 'at', gte: new Date(base + 1000) },
          limit: 7,
        });
        expect(byTime.map((r) => r.body)).toEqual([
          ...Array.from({ length: 10 }, (_, s) => `2/${s}`),
          ...Array.from({ length: 10 }, (_, s) => `1/${s}`),
        ]);
      });

      it('pages through 3000 rows in both orders, every row exactly once', async () => {
        const k = id('paging');
        const all = Array.from({ length: 3000 }, (_, c) => c);
        await inChunks(all, 200, (c) => engine.insert(kv, { k, c, v: `v${c}` }));
        const forward = await readAll(engine, kv, { key: { k }, limit: 100 });
        expect(forward.map((r) => r.c)).toEqual(all);
        expect(forward[1234]).toEqual({ k, c: 1234, v: 'v1234', n: null, extra: null });
        const backward = await readAll(engine, kv, { key: { k }, order: 'DESC', limit: 100 });
        expect(backward.map((r) => r.c)).toEqual([...all].reverse());
        const window = await readAll(engine, kv, {
          key: { k },
          range: { column: 'c', gte: 1000, lt: 2000 },
          order: 'DESC',
          limit: 100,
        });
        expect(window.map((r) => r.c)).toEqual(all.slice(1000, 2000).reverse());
        const first = await engine.slice(kv, { key: { k }, limit: 100 });
        expect(first.rows).toHaveLength(100);
        expect(first.nextPageToken).toEqual(expect.any(String));
      });

      it('orders bigint and timeuuid clustering columns as CQL does', async () => {
        const p = id('ord');
        const ns = [2n ** 62n + 1n, -(2n ** 62n), 0n, -1n, 2n ** 53n + 1n, 1n, 2n ** 53n];
        const t0 = Date.UTC(2023, 0, 1);
        // Times chosen so the hex text of the uuid sorts differently from its time.
        const times = [t0 + 1, t0 + 2 ** 33, t0 + 2 ** 20, t0];
        const tus = times.map((t) => makeTimeUuid(t, 5));
        for (const n of ns) for (const tu of tus) await engine.insert(ordered, { p, n, tu, v: `${n}` });
        const rows = await readAll(engine, ordered, { key: { p }, limit: 5 });
        const sortedNs = [...ns].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        const byTimeDesc = [...times].sort((a, b) => b - a).map((t) => tus[times.indexOf(t)]);
        expect(rows.map((r) => r.n)).toEqual(sortedNs.flatMap((n) => tus.map(() => n)));
        expect(rows.slice(0, 4).map((r) => r.tu)).toEqual(byTimeDesc);
        const positive = await readAll(engine, ordered, {
          key: { p },
          range: { column: 'n', gt: 0n },
          limit: 3,
        });
        expect(new Set(positive.map((r) => r.n))).toEqual(
          new Set([1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 62n + 1n]),
        );
        const inTime = await readAll(engine, ordered, {
          key: { p, n: 1n },
          range: { column: 'tu', gt: tus[3]!, lt: tus[1]! },
        });
        expect(inTime.map((r) => r.tu)).toEqual([tus[2], tus[0]]);
      });

      it('orders text by UTF-8 bytes', async () => {
        const p = id('utf8');
        const words = ['z', 'B', 'a', 'é', '\u{1F600}', '\uFB00', 'aa', 'A b'];
        for (const name of words) await engine.insert(names, { p, name });
        const rows = await readAll(engine, names, { key: { p }, limit: 3 });
        const expected = [...words].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        expect(rows.map((r) => r.name)).toEqual(expected);
      });

      it('refuses a page token that is not its own', async () => {
        const k = id('tok');
        for (let c = 0; c < 5; c += 1) await engine.insert(kv, { k, c, v: 'x' });
        const page = await engine.slice(kv, { key: { k }, limit: 2 });
        expect(page.nextPageToken).not.toBeNull();
        await expectCode(
          engine.slice(kv, { key: { k }, limit: 2, pageToken: 'not-a-token' }),
          'INVALID_PAGE_TOKEN',
        );
        // Another partition's token: refused, and the message names no table.
        const other = await engine
          .slice(kv, { key: { k: id('tok2') }, limit: 2, pageToken: page.nextPageToken })
          .catch((e: unknown) => e);
        expect(other).toMatchObject({ code: 'INVALID_PAGE_TOKEN', status: 400 });
        expect((other as Error).message).not.toContain(kv.name);
        const resumed = await engine.slice(kv, { key: { k }, limit: 2, pageToken: page.nextPageToken });
        expect(resumed.rows.map((r) => r.c)).toEqual([2, 3]);
      });
    });

    describe('conditional writes', () => {
      it('IF NOT EXISTS reports whether it applied and the current row', async () => {
        const k = id('ine');
        expect(await engine.insert(kv, { k, c: 1, v: 'first' }, { ifNotExists: true })).toEqual({
          applied: true,
        });
        const second = await engine.insert(kv, { k, c: 1, v: 'second' }, { ifNotExists: true });
        expect(second.applied).toBe(false);
        expect(second.current).toMatchObject({ k, c: 1, v: 'first' });
        expect((await engine.get(kv, { k, c: 1 }))!.v).toBe('first');
      });

      it('IF NOT EXISTS: of 20 racing writers exactly one applies', async () => {
        const k = id('race');
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            engine.insert(kv, { k, c: 0, v: `w${i}`, n: i }, { ifNotExists: true }),
          ),
        );
        const winners = results.map((r, i) => (r.applied ? i : -1)).filter((i) => i >= 0);
        expect(winners).toHaveLength(1);
        const row = await engine.get(kv, { k, c: 0 });
        expect(row!.v).toBe(`w${winners[0]}`);
        expect(row!.n).toBe(winners[0]);
      });

      it('IF EXISTS applies only to an existing row', async () => {
        const k = id('ife');
        const missing = await engine.update(kv, { k, c: 1 }, { v: 'x' }, { ifExists: true });
        expect(missing.applied).toBe(false);
        expect(missing.current ?? null).toBeNull();
        expect(await engine.get(kv, { k, c: 1 })).toBeNull();

        await engine.insert(kv, { k, c: 1, v: 'a' });
        expect((await engine.update(kv, { k, c: 1 }, { v: 'b' }, { ifExists: true })).applied).toBe(true);
        expect((await engine.get(kv, { k, c: 1 }))!.v).toBe('b');

        expect((await engine.delete(kv, { k, c: 2 }, { ifExists: true })).applied).toBe(false);
        expect((await engine.delete(kv, { k, c: 1 }, { ifExists: true })).applied).toBe(true);
        expect(await engine.get(kv, { k, c: 1 })).toBeNull();
      });

      it('keeps a conditional update made right after a plain write of the same cell, under load', async () => {
        // Many writes in flight make a driver hand out many timestamps per millisecond; a
        // Paxos round's ballot comes from the coordinator's clock. Plain writes to a table
        // that takes conditional writes are timestamped by the coordinator (executor.ts), so
        // the later conditional write is the one that stays.
        let stop = false;
        let n = 0;
        const noise = (async () => {
          while (!stop)
            await Promise.all(
              Array.from({ length: 20 }, () => engine.insert(kv, { k: id('noise'), c: (n += 1), v: 'x' })),
            );
        })();
        const lost: string[] = [];
        try {
          for (let i = 0; i < 200; i += 1) {
            const k = id('mix');
            await engine.insert(kv, { k, c: 1, v: 'a' });
            expect((await engine.update(kv, { k, c: 1 }, { v: 'b' }, { ifExists: true })).applied).toBe(true);
            if ((await engine.get(kv, { k, c: 1 }))?.v !== 'b') lost.push(k);
          }
        } finally {
          stop = true;
          await noise;
        }
        expect(lost).toEqual([]);
      });

      it('IF column = value applies only when every condition holds', async () => {
        const k = id('ifc');
        await engine.insert(kv, { k, c: 1, v: 'draft', n: 1 });
        const wrong = await engine.update(kv, { k, c: 1 }, { v: 'sent' }, { if: { v: 'queued' } });
        expect(wrong.applied).toBe(false);
        expect(wrong.current).toMatchObject({ v: 'draft' });
        expect((await engine.get(kv, { k, c: 1 }))!.v).toBe('draft');

        const both = await engine.update(kv, { k, c: 1 }, { v: 'sent', n: 2 }, { if: { v: 'draft', n: 1 } });
        expect(both.applied).toBe(true);
        expect(await engine.get(kv, { k, c: 1 })).toMatchObject({ v: 'sent', n: 2 });

        const unset = await engine.update(kv, { k, c: 1 }, { extra: 'e' }, { if: { extra: null } });
        expect(unset.applied).toBe(true);
        const partly = await engine.update(kv, { k, c: 1 }, { v: 'x' }, { if: { v: 'sent', n: 99 } });
        expect(partly.applied).toBe(false);
        expect(await engine.get(kv, { k, c: 1 })).toEqual({ k, c: 1, v: 'sent', n: 2, extra: 'e' });
      });
    });

    describe('counters', () => {
      it('adds and subtracts exactly under concurrent increments', async () => {
        const page = id('ctr');
        const day = '2024-03-01';
        const ops = [
          ...Array.from({ length: 200 }, () => ({ views: 1 })),
          ...Array.from({ length: 30 }, () => ({ views: -1, likes: 2n })),
        ];
        await Promise.all(ops.map((deltas) => engine.increment(counters, { page, day }, deltas)));
        expect(await engine.get(counters, { page, day })).toEqual({ page, day, views: 170n, likes: 60n });
        await engine.increment(counters, { page, day: '2024-03-02' }, { likes: -5 });
        const rows = await readAll(engine, counters, { key: { page } });
        expect(rows).toEqual([
          { page, day, views: 170n, likes: 60n },
          { page, day: '2024-03-02', views: null, likes: -5n },
        ]);
      });
    });

    describe('batches', () => {
      it('applies writes across tables together', async () => {
        const k = id('batch');
        await engine.insert(kvPlain, { k, c: 9, v: 'to delete' });
        await engine.batch([
          batchOp.insert(kvPlain, { k, c: 1, v: 'one' }),
          batchOp.update(kvPlain, { k, c: 2 }, { v: 'two' }),
          batchOp.delete(kvPlain, { k, c: 9 }),
          batchOp.insert(allTypes, { id: k, t: 'batched' }),
          batchOp.insert(names, { p: k, name: 'n' }),
        ]);
        expect((await readAll(engine, kvPlain, { key: { k } })).map((r) => r.v)).toEqual(['one', 'two']);
        expect((await engine.get(allTypes, { id: k }))!.t).toBe('batched');
        expect(await engine.get(names, { p: k, name: 'n' })).toEqual({ p: k, name: 'n' });
      });

      it('writes nothing when one operation is invalid', async () => {
        const k = id('batchbad');
        await expectCode(
          engine.batch([
            batchOp.insert(kvPlain, { k, c: 1, v: 'one' }),
            batchOp.insert(allTypes, { id: k, t: 'x' }),
            batchOp.insert(kvPlain, { k, c: 2, n: 'not a number' as never }),
          ]),
          'VALUE_INVALID',
        );
        await expectCode(
          engine.batch([
            batchOp.insert(kvPlain, { k, c: 1, v: 'one' }),
            batchOp.insert(kvPlain, { k, nope: 1 } as never),
          ]),
          'QUERY_REJECTED',
        );
        expect(await engine.get(kvPlain, { k, c: 1 })).toBeNull();
        expect(await engine.get(allTypes, { id: k })).toBeNull();
      });

      it('writes shaped rows exactly as inserts of the same row objects', async () => {
        const regular = [
          't',
          'i',
          'b',
          'd',
          'dec',
          'flag',
          'ts',
          'day',
          'u',
          'tu',
          'bytes',
          'm',
          's',
          'l',
        ] as const;
        const shape = insertShape(allTypes, regular);
        const tu = makeTimeUuid(Date.UTC(2024, 5, 1, 12, 0, 0, 123), 9);
        const u = randomUUID();
        const fields = {
          t: 'héllo 🌍',
          i: -7,
          b: 42n,
          d: 0.25,
          dec: '007.50',
          flag: false,
          ts: new Date('2024-02-29T23:59:59.987Z'),
          day: '2024-02-29',
          u: u.toUpperCase(),
          tu,
          bytes: Uint8Array.from([0, 255]),
          m: { b: '2', a: '1' },
          s: ['pear', 'apple', 'pear'],
          l: ['x', 'x'],
        };
        const [byObject, byShape] = [id('obj'), id('shaped')];
        await engine.insert(allTypes, { id: byObject, ...fields });
        await engine.batch([batchOp.insertShaped(shape, [byShape, ...regular.map((c) => fields[c])])]);
        const expected = await engine.get(allTypes, { id: byObject });
        expect(expected).toMatchObject({ b: 42n, dec: '7.50', u: u.toLowerCase(), s: ['apple', 'pear'] });
        expect(await engine.get(allTypes, { id: byShape })).toEqual({ ...expected, id: byShape });
      });

      it('leaves undefined cells of a shaped row alone, clears null ones, and keeps key-only rows', async () => {
        const k = id('shapedcells');
        await engine.insert(kv, { k, c: 1, v: 'kept', n: 1, extra: 'cleared' });
        const shape = insertShape(kv, ['v', 'n', 'extra']);
        await engine.batch([
          batchOp.insertShaped(shape, [k, 1, undefined, 2, null]),
          batchOp.insertShaped(shape, [k, 2, 'new', undefined, undefined]),
        ]);
        expect(await readAll(engine, kv, { key: { k } })).toEqual([
          { k, c: 1, v: 'kept', n: 2, extra: null },
          { k, c: 2, v: 'new', n: null, extra: null },
        ]);
        const p = id('shapedkeys');
        await engine.batch([batchOp.insertShaped(insertShape(names, []), [p, 'solo'])]);
        expect(await engine.get(names, { p, name: 'solo' })).toEqual({ p, name: 'solo' });
      });

      it('refuses a bad shape or shaped row, and then writes nothing of the batch', async () => {
        const rejected = (fn: () => unknown) => {
          try {
            fn();
          } catch (error) {
            expect(isSwitchboardError(error, 'QUERY_REJECTED'), String(error)).toBe(true);
            return;
          }
          throw new Error('expected QUERY_REJECTED');
        };
        rejected(() => insertShape(kv, ['nope' as never]));
        rejected(() => insertShape(kv, ['c' as never]));
        rejected(() => insertShape(kv, ['v', 'v']));
        rejected(() => insertShape(counters as never, []));

        const k = id('shapedbad');
        const shape = insertShape(kv, ['v', 'n']);
        const bad = await expectCode(
          engine.batch([
            batchOp.insertShaped(shape, [k, 1, 'one', 1]),
            batchOp.insertShaped(shape, [k, 2, 'two', 'x']),
          ]),
          'VALUE_INVALID',
        );
        expect((bad as { field?: string }).field).toBe('n');
        await expectCode(engine.batch([batchOp.insertShaped(shape, [k, 1, 'one'])]), 'QUERY_REJECTED');
        await expectCode(engine.batch([batchOp.insertShaped(shape, [k, null, 'one', 1])]), 'QUERY_REJECTED');
        await expectCode(
          engine.batch([batchOp.insertShaped(shape, [k, 1, 'one', 1], { ttlSeconds: -1 })]),
          'QUERY_REJECTED',
        );
        expect(await readAll(engine, kv, { key: { k } })).toEqual([]);
      });

      it('writes a non-atomic batch whole, and refuses one with a bad operation before writing any of it', async () => {
        const k = id('loose');
        await engine.batch(
          [
            batchOp.insert(kv, { k, c: 1, v: 'one' }),
            batchOp.insert(kv, { k: `${k}-other`, c: 2, v: 'two' }),
            batchOp.update(kv, { k, c: 3 }, { v: 'three' }),
          ],
          { atomic: false },
        );
        expect((await readAll(engine, kv, { key: { k } })).map((r) => r.v)).toEqual(['one', 'three']);
        expect((await readAll(engine, kv, { key: { k: `${k}-other` } })).map((r) => r.v)).toEqual(['two']);
        const bad = id('loosebad');
        await expectCode(
          engine.batch(
            [
              batchOp.insert(kv, { k: bad, c: 1, v: 'x' }),
              batchOp.insert(kv, { k: bad, c: 2, n: 'NaN' as never }),
            ],
            { atomic: false },
          ),
          'VALUE_INVALID',
        );
        expect(await readAll(engine, kv, { key: { k: bad } })).toEqual([]);
      });

      it('batches counter increments with each other only', async () => {
        const page = id('cbatch');
        await engine.batch([
          batchOp.increment(counters, { page, day: '2024-01-01' }, { views: 2 }),
          batchOp.increment(counters, { page, day: '2024-01-02' }, { views: 3, likes: 1 }),
        ]);
        expect((await readAll(engine, counters, { key: { page } })).map((r) => r.views)).toEqual([2n, 3n]);
        await expectCode(
          engine.batch([
            batchOp.increment(counters, { page, day: '2024-01-01' }, { views: 1 }),
            batchOp.insert(kv, { k: page, c: 1, v: 'x' }),
          ]),
          'QUERY_REJECTED',
        );
        expect((await engine.get(counters, { page, day: '2024-01-01' }))!.views).toBe(2n);
        expect(await engine.get(kv, { k: page, c: 1 })).toBeNull();
      });

      it('keeps one timestamp source per logged batch: an LWT table only with tables declared serverTimestamps', async () => {
        const k = id('tsmix');
        await expectCode(
          engine.batch([batchOp.insert(kv, { k, c: 1, v: 'x' }), batchOp.insert(names, { p: k, name: 'n' })]),
          'QUERY_REJECTED',
        );
        expect(await engine.get(kv, { k, c: 1 })).toBeNull();
        expect(await engine.get(names, { p: k, name: 'n' })).toBeNull();
        // Rows that need not agree are separate statements, each with its table's own source.
        await engine.batch(
          [batchOp.insert(kv, { k, c: 1, v: 'x' }), batchOp.insert(names, { p: k, name: 'n' })],
          {
            atomic: false,
          },
        );
        expect((await engine.get(kv, { k, c: 1 }))!.v).toBe('x');
        expect((await engine.get(names, { p: k, name: 'n' }))!.name).toBe('n');
      });

      it('mixes counter increments with other writes only in a non-atomic batch', async () => {
        const page = id('cmixed');
        await engine.batch(
          [
            batchOp.increment(counters, { page, day: '2024-01-01' }, { views: 4 }),
            batchOp.insert(kv, { k: page, c: 1, v: 'beside a counter' }),
          ],
          { atomic: false },
        );
        expect((await engine.get(counters, { page, day: '2024-01-01' }))!.views).toBe(4n);
        expect((await engine.get(kv, { k: page, c: 1 }))!.v).toBe('beside a counter');
      });
    });

    describe('expiry (real time)', () => {
      it.concurrent('a per-write TTL expires the row', async () => {
        const k = id('ttl');
        await engine.insert(kv, { k, c: 1, v: 'brief' }, { ttlSeconds: 2 });
        await engine.insert(kv, { k, c: 2, v: 'lasting' });
        expect((await engine.get(kv, { k, c: 1 }))!.v).toBe('brief');
        await sleep(2000 + grace);
        expect(await engine.get(kv, { k, c: 1 })).toBeNull();
        expect((await readAll(engine, kv, { key: { k } })).map((r) => r.c)).toEqual([2]);
      });

      it.concurrent('a shaped insert takes its TTL like an insert', async () => {
        const k = id('ttls');
        const shape = insertShape(kv, ['v']);
        await engine.batch([
          batchOp.insertShaped(shape, [k, 1, 'brief'], { ttlSeconds: 2 }),
          batchOp.insertShaped(shape, [k, 2, 'lasting']),
        ]);
        expect((await engine.get(kv, { k, c: 1 }))!.v).toBe('brief');
        await sleep(2000 + grace);
        expect((await readAll(engine, kv, { key: { k } })).map((r) => r.c)).toEqual([2]);
      });

      it.concurrent('an UPDATE with TTL expires only the cells it wrote', async () => {
        const k = id('ttlu');
        await engine.insert(kv, { k, c: 1, v: 'kept', n: 1 });
        await engine.update(kv, { k, c: 1 }, { n: 2 }, { ttlSeconds: 2 });
        // A row created only by an UPDATE has no row marker: it goes when its cells expire.
        await engine.update(kv, { k, c: 2 }, { v: 'update only' }, { ttlSeconds: 2 });
        // An INSERT with TTL, then a cell written without TTL: the row lives on through that cell.
        await engine.insert(kv, { k, c: 3, v: 'short', n: 3 }, { ttlSeconds: 2 });
        await engine.update(kv, { k, c: 3 }, { extra: 'forever' });
        expect(await engine.get(kv, { k, c: 1 })).toMatchObject({ v: 'kept', n: 2 });
        expect((await engine.get(kv, { k, c: 2 }))!.v).toBe('update only');
        await sleep(2000 + grace);
        expect(await engine.get(kv, { k, c: 1 })).toEqual({ k, c: 1, v: 'kept', n: null, extra: null });
        expect(await engine.get(kv, { k, c: 2 })).toBeNull();
        expect(await engine.get(kv, { k, c: 3 })).toEqual({ k, c: 3, v: null, n: null, extra: 'forever' });
        expect((await readAll(engine, kv, { key: { k } })).map((r) => r.c)).toEqual([1, 3]);
      });

      it.concurrent('the table default TTL applies unless the write sets its own (0 = never)', async () => {
        const a = id('dttl');
        const b = id('dttl0');
        const c = id('dttlu');
        await engine.insert(expiring, { id: a, v: 'default' });
        await engine.insert(expiring, { id: b, v: 'kept' }, { ttlSeconds: 0 });
        await engine.update(expiring, { id: c }, { v: 'updated' });
        expect((await engine.get(expiring, { id: a }))!.v).toBe('default');
        await sleep(2000 + grace);
        expect(await engine.get(expiring, { id: a })).toBeNull();
        expect(await engine.get(expiring, { id: c })).toBeNull();
        expect(await engine.get(expiring, { id: b })).toEqual({ id: b, v: 'kept' });
      });
    });

    describe('rules (QUERY_REJECTED)', () => {
      const rejected = (promise: Promise<unknown>) => expectCode(promise, 'QUERY_REJECTED');

      it('requires the whole partition key and the whole primary key for a row', async () => {
        await rejected(engine.get(events, { tenant: 't', at: new Date(), seq: 1 } as never));
        await rejected(engine.slice(events, { key: { tenant: 't' } as never }));
        await rejected(engine.get(kv, { k: 'x' } as never));
        await rejected(engine.delete(kv, { k: 'x' } as never));
        await rejected(engine.update(kv, { k: 'x' } as never, { v: 'y' }));
        await rejected(engine.insert(kv, { k: 'x', v: 'no clustering value' } as never));
      });

      it('allows restrictions only on a clustering prefix, and ranges only on the next column', async () => {
        const key = { tenant: 't', bucket: 1 };
        await rejected(engine.slice(events, { key: { ...key, seq: 1 } }));
        await rejected(engine.slice(events, { key, range: { column: 'seq', gt: 1 } }));
        await rejected(
          engine.slice(events, { key: { ...key, at: new Date() }, range: { column: 'at', gt: new Date() } }),
        );
        await rejected(engine.deleteSlice(events, { key: { ...key, seq: 1 } }));
      });

      it('refuses filtering on regular columns', async () => {
        await rejected(engine.slice(events, { key: { tenant: 't', bucket: 1, body: 'x' } as never }));
        await rejected(engine.get(kv, { k: 'x', c: 1, v: 'y' } as never));
      });

      it('keeps counters in counter tables, without TTL, and out of other batches', async () => {
        await rejected(engine.increment(kv, { k: 'x', c: 1 }, { n: 1 } as never));
        await rejected(engine.insert(counters, { page: 'p', day: '2024-01-01', views: 1n } as never));
        await rejected(engine.update(counters, { page: 'p', day: '2024-01-01' }, { views: 1n } as never));
        await rejected(
          engine.update(counters, { page: 'p', day: '2024-01-01' }, { views: 1n } as never, {
            ttlSeconds: 10,
          }),
        );
        await rejected(engine.increment(counters, { page: 'p', day: '2024-01-01' }, { nope: 1 } as never));
        await rejected(
          engine.batch([
            batchOp.insert(kv, { k: 'x', c: 1 }),
            batchOp.increment(counters, { page: 'p', day: '2024-01-01' }, { views: 1 }),
          ]),
        );
        expect(await engine.get(kv, { k: 'x', c: 1 })).toBeNull();
      });

      it('allows lightweight transactions only on tables declared usesLwt', async () => {
        await rejected(
          engine.insert(events, { tenant: 't', bucket: 1, at: new Date(), seq: 1 }, { ifNotExists: true }),
        );
        await rejected(
          engine.update(
            events,
            { tenant: 't', bucket: 1, at: new Date(), seq: 1 },
            { body: 'x' },
            { ifExists: true },
          ),
        );
        await rejected(
          engine.update(
            events,
            { tenant: 't', bucket: 1, at: new Date(), seq: 1 },
            { body: 'x' },
            { if: { body: 'y' } },
          ),
        );
        await rejected(
          engine.delete(events, { tenant: 't', bucket: 1, at: new Date(), seq: 1 }, { ifExists: true }),
        );
        await rejected(engine.update(kv, { k: 'x', c: 1 }, { v: 'y' }, { ifExists: true, if: { v: 'z' } }));
        const page = await engine.slice(events, { key: { tenant: 't', bucket: 1 } });
        expect(page.rows).toEqual([]);
      });

      it('checks limits, TTLs, unknown columns and key updates', async () => {
        for (const limit of [0, -1, 1.5, 10_001])
          await rejected(engine.slice(kv, { key: { k: 'x' }, limit }));
        await rejected(engine.insert(kv, { k: 'x', c: 1 }, { ttlSeconds: -1 }));
        await rejected(engine.insert(kv, { k: 'x', c: 1 }, { ttlSeconds: 1.5 }));
        await rejected(engine.insert(kv, { k: 'x', c: 1, nope: 'y' } as never));
        await rejected(engine.update(kv, { k: 'x', c: 1 }, { c: 2 } as never));
        await rejected(engine.update(kv, { k: 'x', c: 1 }, {}));
        expect(await engine.get(kv, { k: 'x', c: 1 })).toBeNull();
      });
    });

    it('reports health', async () => {
      const health = await engine.health();
      expect(health.ok).toBe(true);
      expect(health.detail.length).toBeGreaterThan(0);
      expect(health.latencyMs).toBeGreaterThanOrEqual(0);
    });
  });
}
