import type { Database, Statement } from 'better-sqlite3';
import type { TableDef } from '../declare.js';
import { writtenColumns, type CheckedShapedRow, type InsertShape } from '../insert-shape.js';
import type { CqlType } from '../types.js';
import {
  decoderFor,
  encoderFor,
  needsSafeIntegers,
  sqlTypeOf,
  type Decoder,
  type Encoder,
  type SqlType,
} from './codec.js';
import { deleteRowSql, getSql, insertSql, shapeOfTable, type TableShape } from './sql.js';

/** Column sets per write kind that `writeStatement` scans before falling back to a keyed lookup. */
const MAX_SCANNED_COLUMN_SETS = 16;

/** What an insert shape needs at run time: an encoder per value and a statement per set of unset cells. */
interface CompiledShape {
  encoders: readonly Encoder[];
  /** By `CheckedShapedRow.unset` ('' = every cell written). */
  statements: Map<string, Statement>;
}

/**
 * Everything the engine needs to run queries on one declared table, built once on the
 * table's first use: per-column encoders and decoders, and a cache of prepared statements
 * keyed by operation and column set, so a hot path never builds SQL or re-prepares.
 */
export class CompiledTable {
  readonly shape: TableShape;
  readonly keyLength: number;
  readonly partitionLength: number;
  readonly clusteringLength: number;
  /** Encoders of the primary-key columns, in primary-key order. */
  readonly keyEncoders: readonly Encoder[];
  /** Stored SQL types of the clustering columns (page tokens carry stored values). */
  readonly clusteringSqlTypes: readonly SqlType[];
  readonly encoders: Readonly<Record<string, Encoder>>;
  readonly getStatement: Statement;
  readonly deleteStatement: Statement;
  private readonly names: readonly string[];
  private readonly decoders: readonly Decoder[];
  private readonly readsBigints: boolean;
  private readonly statements = new Map<string, Statement>();
  private readonly byColumns = new Map<string, { columns: readonly string[]; statement: Statement }[]>();
  private readonly shapes = new WeakMap<InsertShape, CompiledShape>();

  constructor(
    private readonly db: Database,
    readonly def: TableDef,
    private readonly onPrepare: () => void,
  ) {
    this.shape = shapeOfTable(def);
    const types = def.columns as Readonly<Record<string, CqlType>>;
    this.partitionLength = def.partitionKey.length;
    this.clusteringLength = def.clusteringKey.length;
    this.keyLength = def.primaryKey.length;
    this.keyEncoders = def.primaryKey.map((c) => encoderFor(types[c]!));
    this.clusteringSqlTypes = def.clusteringKey.map((c) => sqlTypeOf(types[c.column]!));
    const encoders: Record<string, Encoder> = {};
    for (const [column, type] of Object.entries(types)) encoders[column] = encoderFor(type);
    this.encoders = encoders;
    this.names = [...def.primaryKey, ...def.regularColumns];
    this.decoders = this.names.map((c) => decoderFor(types[c]!));
    this.readsBigints = Object.values(types).some(needsSafeIntegers);
    this.getStatement = this.prepare('get', getSql(this.shape), true);
    this.deleteStatement = this.prepare('delete', deleteRowSql(this.shape), false);
  }

  /**
   * The statement for a write naming `columns` (`kind`: i = insert, u = update, c = increment),
   * found by comparing column lists instead of building a `kind:a,b,c` key string per write:
   * a table sees few distinct column sets, and their names are interned strings, so the scan
   * is a handful of pointer comparisons. Tables written with many column sets fall back to
   * the keyed cache.
   */
  writeStatement(kind: 'i' | 'u' | 'c', columns: readonly string[], sql: () => string): Statement {
    let known = this.byColumns.get(kind);
    if (known === undefined) this.byColumns.set(kind, (known = []));
    for (const entry of known) {
      const names = entry.columns;
      if (names.length !== columns.length) continue;
      let same = true;
      for (let i = 0; i < names.length; i += 1) {
        if (names[i] !== columns[i]) {
          same = false;
          break;
        }
      }
      if (same) return entry.statement;
    }
    const key = `${kind}:${columns.join(',')}`;
    const statement = this.statements.get(key) ?? this.prepare(key, sql(), false);
    if (known.length < MAX_SCANNED_COLUMN_SETS) known.push({ columns: [...columns], statement });
    return statement;
  }

  /**
   * The INSERT of a checked row of `shape` and its encoded arguments: the statement leaves out
   * the row's unset cells, null is bound as null (a tombstone). Shapes are made once per writer,
   * so finding the statement is a WeakMap lookup and (nearly always) a lookup of ''.
   */
  shapedWrite(shape: InsertShape, row: CheckedShapedRow): { statement: Statement; args: unknown[] } {
    let compiled = this.shapes.get(shape);
    if (compiled === undefined) {
      if (shape.table !== this.def)
        throw new Error(`insert shape of ${shape.table.name} used on ${this.def.name}`);
      compiled = { encoders: shape.columns.map((c) => this.encoders[c]!), statements: new Map() };
      this.shapes.set(shape, compiled);
    }
    let statement = compiled.statements.get(row.unset);
    if (statement === undefined) {
      const columns = writtenColumns(shape, row.unset);
      statement = this.writeStatement('i', columns, () => insertSql(this.shape, columns));
      compiled.statements.set(row.unset, statement);
    }
    const encoders = compiled.encoders;
    const args: unknown[] = [];
    for (let i = 0; i < row.values.length; i += 1) {
      const value = row.values[i];
      if (value !== undefined) args.push(value === null ? null : encoders[i]!(value));
    }
    return { statement, args };
  }

  /** A cached statement, or undefined; callers build the SQL only on a miss (`?? table.prepare(...)`). */
  cached(key: string): Statement | undefined {
    return this.statements.get(key);
  }

  prepare(key: string, sql: string, reads: boolean): Statement {
    const statement = this.db.prepare(sql);
    if (reads) {
      // Rows come back as arrays decoded by position; bigint columns need exact 64-bit integers.
      statement.raw(true);
      if (this.readsBigints) statement.safeIntegers(true);
    }
    this.statements.set(key, statement);
    this.onPrepare();
    return statement;
  }

  /** Encodes primary-key values (as returned by checkPrimaryKey) in place. */
  encodeKey(values: unknown[]): unknown[] {
    const encoders = this.keyEncoders;
    for (let i = 0; i < values.length; i += 1) values[i] = encoders[i]!(values[i]);
    return values;
  }

  /** Appends encoded regular-column values (null stays null: a tombstone) to `out`. */
  appendValues(out: unknown[], columns: readonly string[], values: readonly unknown[]): unknown[] {
    const encoders = this.encoders;
    for (let i = 0; i < columns.length; i += 1) {
      const value = values[i];
      out.push(value === null ? null : encoders[columns[i]!]!(value));
    }
    return out;
  }

  decodeRow(raw: readonly unknown[]): Record<string, unknown> {
    const names = this.names;
    const decoders = this.decoders;
    const row: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i += 1) {
      const value = raw[i];
      row[names[i]!] = value === null || value === undefined ? null : decoders[i]!(value);
    }
    return row;
  }

  get statementCount(): number {
    return this.statements.size;
  }
}
