import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteRelationalStore } from '../../src/ports/relational/sqlite.js';
import type { RelationalStore } from '../../src/ports/relational/store.js';

/**
 * The embedded relational store reuses prepared statements (sqlite.ts). A reused statement
 * must behave as a freshly prepared one: after the schema changes under it, after a run that
 * failed, and after it was evicted from the bounded cache.
 */
describe('embedded relational store: reused prepared statements', () => {
  let store: RelationalStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  const open = async () => {
    store = await createSqliteRelationalStore({ path: ':memory:' });
    return store.db;
  };

  it('reads the new shape of a table altered, or dropped and made again, since the statement was first run', async () => {
    const db = await open();
    await sql`create table t (a integer)`.execute(db);
    await sql`insert into t (a) values (1)`.execute(db);
    const read = () => sql<Record<string, unknown>>`select * from t`.execute(db).then((r) => r.rows);
    expect(await read()).toEqual([{ a: 1 }]);
    await sql`alter table t add column b integer default 2`.execute(db);
    expect(await read()).toEqual([{ a: 1, b: 2 }]);
    await sql`drop table t`.execute(db);
    await expect(read()).rejects.toThrow();
    await sql`create table t (c text)`.execute(db);
    await sql`insert into t (c) values ('x')`.execute(db);
    expect(await read()).toEqual([{ c: 'x' }]);
  });

  it('runs a statement again after a run of it failed', async () => {
    const db = await open();
    await sql`create table u (id integer primary key)`.execute(db);
    const insert = (id: number) => sql`insert into u (id) values (${id})`.execute(db);
    await insert(1);
    await expect(insert(1)).rejects.toThrow();
    await insert(2);
    const { rows } = await sql<{ id: number }>`select id from u order by id`.execute(db);
    expect(rows).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('answers correctly across more distinct statements than it keeps', async () => {
    const db = await open();
    // 600 distinct texts, more than the 500 kept: the first ones are evicted, then prepared again.
    for (let round = 0; round < 2; round += 1) {
      for (let n = 0; n < 600; n += 1) {
        const { rows } = await sql<{ v: number }>`select ${sql.raw(String(n))} + ${round} as v`.execute(db);
        expect(rows[0]!.v).toBe(n + round);
      }
    }
  });
});
