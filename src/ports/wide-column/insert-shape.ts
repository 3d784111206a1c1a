import type { RegularColumnOf, TableDef } from './declare.js';
import { keyColumnSet, missingKeyColumn, regularCell, rejectQuery, typeOf } from './rules.js';
import type { CqlType } from './types.js';
import { checkValue } from './values.js';

/**
 * A prepared INSERT: one table and a fixed list of columns, checked once when the shape is
 * made. A row written through it is an array of values in `columns` order instead of an
 * object, the way a driver's prepared statement takes positional bind values.
 *
 * It exists for writers that insert many rows of the same shape (the interactions consumer
 * writes two per event): checking a row object costs a property walk, a key lookup and a
 * type lookup per column, and building it costs an object with dynamic keys. With a shape,
 * both engines check each value against a type known in advance and pick their statement
 * without looking at column names. The rules are the same as `insert`'s (see checkShapedRow).
 */
export interface InsertShape<T extends TableDef = TableDef> {
  readonly table: T;
  /** The primary key columns in key order, then `regular`: the order of a row's values. */
  readonly columns: readonly string[];
  /** The regular columns the shape writes, in the caller's order. */
  readonly regular: readonly string[];
  /** The type of each of `columns`. */
  readonly types: readonly CqlType[];
}

/** Makes the shape of inserts into `table` that write `regular` (besides the whole primary key). */
export function insertShape<T extends TableDef>(
  table: T,
  regular: readonly RegularColumnOf<T>[],
): InsertShape<T> {
  if (table.isCounterTable) throw rejectQuery(table, 'counter tables accept only increments, not inserts');
  const seen = new Set<string>();
  for (const column of regular as readonly string[]) {
    typeOf(table, column); // refuses an unknown column
    if (table.primaryKey.includes(column)) throw keyColumnSet(table, column);
    if (seen.has(column)) throw rejectQuery(table, `column "${column}" is listed twice`, column);
    seen.add(column);
  }
  const columns = [...table.primaryKey, ...(regular as readonly string[])];
  return Object.freeze({
    table,
    columns: Object.freeze(columns),
    regular: Object.freeze([...(regular as readonly string[])]),
    types: Object.freeze(columns.map((c) => table.columns[c]!)),
  });
}

export interface CheckedShapedRow {
  /** Normalised values in shape order: undefined = the cell is not written, null = a tombstone. */
  values: unknown[];
  /**
   * Positions in `shape.regular` of the cells not written, joined with ','; '' when the row
   * writes every cell (the usual case). Engines key their statements on it.
   */
  unset: string;
}

/**
 * Checks a shaped row with `insert`'s rules: the whole primary key, then each regular value
 * against its column's type. As with a row object, an undefined value leaves its cell alone
 * and null (or an empty collection) clears it.
 */
export function checkShapedRow(shape: InsertShape, values: readonly unknown[]): CheckedShapedRow {
  const { table, columns, types } = shape;
  if (values.length !== columns.length) {
    throw rejectQuery(
      table,
      `a row of this insert shape has ${columns.length} values (${columns.join(', ')}), got ${values.length}`,
    );
  }
  const keyLength = table.primaryKey.length;
  const out = new Array<unknown>(columns.length);
  let unset = '';
  for (let i = 0; i < columns.length; i += 1) {
    const value = values[i];
    const column = columns[i]!;
    if (i < keyLength) {
      if (value === undefined || value === null) throw missingKeyColumn(table, column);
      out[i] = checkValue(table.name, column, types[i]!, value);
    } else if (value === undefined) {
      out[i] = undefined;
      unset = unset === '' ? `${i - keyLength}` : `${unset},${i - keyLength}`;
    } else {
      out[i] = regularCell(table, column, types[i]!, value);
    }
  }
  return { values: out, unset };
}

/** The regular columns a checked row writes (every one of `shape.regular` unless some are unset). */
export function writtenColumns(shape: InsertShape, unset: string): readonly string[] {
  if (unset === '') return shape.regular;
  const skipped = new Set(unset.split(',').map(Number));
  return shape.regular.filter((_, i) => !skipped.has(i));
}
