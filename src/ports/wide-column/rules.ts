import { SwitchboardError } from '../../errors/index.js';
import type { TableDef } from './declare.js';
import type { BatchOp, ClusteringRange } from './engine.js';
import type { CqlType } from './types.js';
import { checkValue, isEmptyCollection } from './values.js';

/**
 * ScyllaDB's query rules, checked once for every engine. The embedded engine could answer
 * many of these queries (SQLite can filter anything), but code that relies on that would
 * break on ScyllaDB, so such queries are refused here with a message that says which rule.
 */

export const MAX_PAGE_SIZE = 10_000;
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_TTL_SECONDS = 630_720_000;

export function rejectQuery(table: TableDef, message: string, field?: string): SwitchboardError {
  return new SwitchboardError('QUERY_REJECTED', `${table.name}: ${message}`, {
    field: field ?? table.name,
    details: { table: table.name },
  });
}

export function typeOf(table: TableDef, column: string): CqlType {
  const type = table.columns[column];
  if (type === undefined) throw rejectQuery(table, `unknown column "${column}"`, column);
  return type;
}

export function missingKeyColumn(table: TableDef, column: string): SwitchboardError {
  return rejectQuery(table, `the full primary key is required; "${column}" is missing`, column);
}

export function keyColumnSet(table: TableDef, column: string): SwitchboardError {
  return rejectQuery(table, `primary key column "${column}" cannot be set`, column);
}

/** A regular cell's value as written: null for null or an empty collection (CQL reads both as null). */
export function regularCell(table: TableDef, column: string, type: CqlType, value: unknown): unknown {
  return value === null || isEmptyCollection(type, value)
    ? null
    : checkValue(table.name, column, type, value);
}

/** Validates a full primary key and returns its values in primary-key order. */
export function checkPrimaryKey(table: TableDef, key: Record<string, unknown>): unknown[] {
  for (const column in key) {
    if (!table.primaryKey.includes(column)) {
      throw rejectQuery(
        table,
        `"${column}" is not a primary key column; filtering by other columns is not allowed`,
        column,
      );
    }
  }
  return checkKeyValues(table, key);
}

/** The primary key values of `source` (a key or a whole row) in primary-key order; on the write hot path. */
function checkKeyValues(table: TableDef, source: Record<string, unknown>): unknown[] {
  const out = new Array<unknown>(table.primaryKey.length);
  for (let i = 0; i < table.primaryKey.length; i += 1) {
    const column = table.primaryKey[i]!;
    const value = source[column];
    if (value === undefined || value === null) throw missingKeyColumn(table, column);
    out[i] = checkValue(table.name, column, typeOf(table, column), value);
  }
  return out;
}

/**
 * Lightweight transactions are allowed only on tables declared `usesLwt: true`: the
 * declaration drives vendor options (ScyllaDB keyspaces with LWT keep tablets off), so an
 * undeclared LWT would work on one deployment and fail on another.
 */
export function checkLwt(table: TableDef, what: string): void {
  if (!table.usesLwt) {
    throw rejectQuery(table, `${what} is a lightweight transaction; declare the table with usesLwt: true`);
  }
}

export type UpdateCondition =
  | { kind: 'none' }
  | { kind: 'exists' }
  | { kind: 'columns'; columns: string[]; values: unknown[] };

/** Validates the IF part of an UPDATE: IF EXISTS or column conditions (CQL cannot combine them). */
export function checkUpdateCondition(
  table: TableDef,
  ifExists: boolean | undefined,
  conditions: Record<string, unknown> | undefined,
): UpdateCondition {
  if (ifExists && conditions !== undefined) {
    throw rejectQuery(
      table,
      'give ifExists or column conditions, not both (CQL has no IF EXISTS AND ...)',
      'if',
    );
  }
  if (ifExists) {
    checkLwt(table, 'UPDATE ... IF EXISTS');
    return { kind: 'exists' };
  }
  if (conditions === undefined) return { kind: 'none' };
  checkLwt(table, 'UPDATE ... IF');
  return { kind: 'columns', ...checkConditions(table, conditions) };
}

export interface CheckedRange {
  column: string;
  lower?: { value: unknown; inclusive: boolean };
  upper?: { value: unknown; inclusive: boolean };
}

export interface CheckedSlice {
  /** Partition key values, in partition-key order. */
  partition: unknown[];
  /** Equality values for the leading clustering columns, in clustering order. */
  prefix: unknown[];
  range: CheckedRange | undefined;
}

/** Validates a partition key plus clustering prefix and optional range on the next clustering column. */
export function checkSlice(
  table: TableDef,
  key: Record<string, unknown>,
  range: ClusteringRange<TableDef> | undefined,
): CheckedSlice {
  const clustering = table.clusteringKey.map((c) => c.column as string);
  for (const column of Object.keys(key)) {
    if (key[column] === undefined) continue;
    if (!table.partitionKey.includes(column) && !clustering.includes(column)) {
      throw rejectQuery(
        table,
        `"${column}" is not a key column; filtering by other columns is not allowed`,
        column,
      );
    }
  }
  const partition = table.partitionKey.map((column) => {
    const value = key[column];
    if (value === undefined || value === null) {
      throw rejectQuery(table, `every partition key column is required; "${column}" is missing`, column);
    }
    return checkValue(table.name, column, typeOf(table, column), value);
  });
  const prefix: unknown[] = [];
  let gap: string | undefined;
  for (const column of clustering) {
    const value = key[column];
    if (value === undefined) {
      gap ??= column;
      continue;
    }
    if (gap !== undefined) {
      throw rejectQuery(
        table,
        `clustering column "${column}" is restricted but "${gap}" before it is not; restrictions must form a prefix`,
        column,
      );
    }
    if (value === null) throw rejectQuery(table, `clustering column "${column}" cannot be null`, column);
    prefix.push(checkValue(table.name, column, typeOf(table, column), value));
  }
  let checkedRange: CheckedRange | undefined;
  if (range) {
    const expected = clustering[prefix.length];
    if (range.column !== expected) {
      throw rejectQuery(
        table,
        expected === undefined
          ? `a range on "${String(range.column)}" is not possible: every clustering column is already fixed`
          : `a range is only allowed on "${expected}", the clustering column after the prefix; got "${String(range.column)}"`,
        String(range.column),
      );
    }
    if (range.gt !== undefined && range.gte !== undefined)
      throw rejectQuery(table, 'give gt or gte, not both', expected);
    if (range.lt !== undefined && range.lte !== undefined)
      throw rejectQuery(table, 'give lt or lte, not both', expected);
    const type = typeOf(table, expected);
    const lowerRaw = range.gt ?? range.gte;
    const upperRaw = range.lt ?? range.lte;
    checkedRange = { column: expected };
    if (lowerRaw !== undefined) {
      checkedRange.lower = {
        value: checkValue(table.name, expected, type, lowerRaw),
        inclusive: range.gte !== undefined,
      };
    }
    if (upperRaw !== undefined) {
      checkedRange.upper = {
        value: checkValue(table.name, expected, type, upperRaw),
        inclusive: range.lte !== undefined,
      };
    }
    if (!checkedRange.lower && !checkedRange.upper)
      throw rejectQuery(table, 'a range needs at least one bound', expected);
  }
  return { partition, prefix, range: checkedRange };
}

export function checkLimit(table: TableDef, limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw rejectQuery(table, `limit must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${limit}`, 'limit');
  }
  return limit;
}

/** Returns the TTL to write: the explicit one, else the table default; undefined means "no USING TTL". */
export function checkTtl(table: TableDef, ttlSeconds: number | undefined): number | undefined {
  if (ttlSeconds === undefined) return undefined;
  if (table.isCounterTable) throw rejectQuery(table, 'counter tables cannot take a TTL', 'ttlSeconds');
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 0 || ttlSeconds > MAX_TTL_SECONDS) {
    throw rejectQuery(
      table,
      `ttlSeconds must be an integer from 0 to ${MAX_TTL_SECONDS}, got ${ttlSeconds}`,
      'ttlSeconds',
    );
  }
  return ttlSeconds;
}

/** The effective TTL of a write in seconds (0 = none), applying the table default. */
export function effectiveTtl(table: TableDef, ttlSeconds: number | undefined): number {
  return ttlSeconds ?? table.defaultTtlSeconds;
}

export interface CheckedRow {
  /** Primary key values in primary-key order. */
  key: unknown[];
  /** Regular columns named by the write, with normalised values (null = tombstone). */
  columns: string[];
  values: unknown[];
}

/** Validates a row for INSERT. Counter tables cannot be inserted into: use `increment`. */
export function checkRow(table: TableDef, row: Record<string, unknown>): CheckedRow {
  if (table.isCounterTable) throw rejectQuery(table, 'counter tables accept only increments, not inserts');
  const key = checkKeyValues(table, row);
  const { columns, values } = checkRegular(table, row, true);
  return { key, columns, values };
}

/** Validates the SET part of an UPDATE. */
export function checkSet(
  table: TableDef,
  set: Record<string, unknown>,
): { columns: string[]; values: unknown[] } {
  if (table.isCounterTable) throw rejectQuery(table, 'counter columns change only through increment');
  for (const column of Object.keys(set)) {
    if (table.primaryKey.includes(column)) {
      throw rejectQuery(table, `primary key column "${column}" cannot be updated`, column);
    }
  }
  const checked = checkRegular(table, set, false);
  if (checked.columns.length === 0) throw rejectQuery(table, 'an update must set at least one column');
  return checked;
}

function checkRegular(
  table: TableDef,
  source: Record<string, unknown>,
  skipKey: boolean,
): { columns: string[]; values: unknown[] } {
  const columns: string[] = [];
  const values: unknown[] = [];
  // for-in over own properties visits exactly what Object.entries would, in the same order,
  // without allocating an entry array per column (this runs for every row written).
  for (const column in source) {
    if (!Object.hasOwn(source, column)) continue;
    const value = source[column];
    if (value === undefined) continue;
    if (table.primaryKey.includes(column)) {
      if (skipKey) continue;
      throw keyColumnSet(table, column);
    }
    columns.push(column);
    values.push(regularCell(table, column, typeOf(table, column), value));
  }
  return { columns, values };
}

/** Validates counter deltas; returns bigint deltas per column. */
export function checkDeltas(
  table: TableDef,
  deltas: Record<string, unknown>,
): { columns: string[]; deltas: bigint[] } {
  if (!table.isCounterTable) throw rejectQuery(table, 'increment is only allowed on counter tables');
  const columns: string[] = [];
  const out: bigint[] = [];
  for (const [column, delta] of Object.entries(deltas)) {
    if (delta === undefined) continue;
    if (table.columns[column] !== 'counter')
      throw rejectQuery(table, `"${column}" is not a counter column`, column);
    columns.push(column);
    out.push(checkValue(table.name, column, 'counter', delta) as bigint);
  }
  if (columns.length === 0) throw rejectQuery(table, 'an increment must name at least one counter column');
  return { columns, deltas: out };
}

/** Validates `IF col = value` conditions. */
export function checkConditions(
  table: TableDef,
  conditions: Record<string, unknown>,
): { columns: string[]; values: unknown[] } {
  const columns: string[] = [];
  const values: unknown[] = [];
  for (const [column, value] of Object.entries(conditions)) {
    if (value === undefined) continue;
    if (table.primaryKey.includes(column))
      throw rejectQuery(table, `conditions cannot name key column "${column}"`, column);
    const type = typeOf(table, column);
    if (type === 'counter') throw rejectQuery(table, 'conditions on counters are not allowed', column);
    columns.push(column);
    values.push(value === null ? null : checkValue(table.name, column, type, value));
  }
  if (columns.length === 0) throw rejectQuery(table, 'a conditional update needs at least one condition');
  return { columns, values };
}

/**
 * In an atomic batch, counter operations may only be batched with counter operations (a CQL
 * COUNTER BATCH). A non-atomic batch is separate statements on ScyllaDB, so it may mix them:
 * 'mixed' says so.
 */
export function checkBatch(ops: readonly BatchOp[], atomic = true): 'logged' | 'counter' | 'mixed' | 'empty' {
  if (ops.length === 0) return 'empty';
  const counters = ops.filter((op) => op.kind === 'increment').length;
  if (counters > 0 && counters !== ops.length) {
    if (!atomic) return 'mixed';
    const first = ops.find((op) => op.kind === 'increment')!;
    throw rejectQuery(first.table, 'counter increments cannot be batched with other writes');
  }
  if (atomic && counters === 0) {
    // One timestamp source per logged batch, and per table (declare.ts serverTimestamps).
    const server = ops.filter((op) => op.table.serverTimestamps);
    if (server.length > 0 && server.length !== ops.length) {
      const plain = ops.find((op) => !op.table.serverTimestamps)!;
      throw rejectQuery(
        plain.table,
        `a logged batch with "${server[0]!.table.name}" (coordinator timestamps) may only hold tables declared serverTimestamps`,
      );
    }
  }
  return counters > 0 ? 'counter' : 'logged';
}
