import type {
  ClusteringColumnOf,
  CounterColumnOf,
  PartitionKeyOf,
  PrimaryKeyOf,
  RegularColumnOf,
  Row,
  RowInput,
  SliceKeyOf,
  TableDef,
} from './declare.js';
import type { InsertShape } from './insert-shape.js';
import type { ValueOf } from './types.js';

/** A range on the clustering column that follows the equality prefix given in the key. */
export interface ClusteringRange<T extends TableDef> {
  column: ClusteringColumnOf<T>;
  gt?: unknown;
  gte?: unknown;
  lt?: unknown;
  lte?: unknown;
}

export interface SliceQuery<T extends TableDef> {
  /** The whole partition key, plus optionally a leading prefix of clustering columns (equality). */
  key: SliceKeyOf<T>;
  range?: ClusteringRange<T>;
  /**
   * Direction of the first clustering column, as in CQL `ORDER BY c1 ASC|DESC`; the other
   * clustering columns follow the table order or its full reverse. Default: table order.
   */
  order?: 'ASC' | 'DESC';
  /** Rows per page (default 100, at most 10 000). */
  limit?: number;
  /** Opaque token from a previous page; resumes exactly after its last row. */
  pageToken?: string | null;
}

export interface Page<R> {
  rows: R[];
  /** Null when the slice is exhausted. An engine may return an empty last page. */
  nextPageToken: string | null;
}

export interface WriteOptions {
  /** Per-write TTL in seconds; 0 means no expiry even if the table has a default TTL. */
  ttlSeconds?: number;
  /** `INSERT ... IF NOT EXISTS` (a lightweight transaction). */
  ifNotExists?: boolean;
}

/** Equality conditions for `UPDATE ... IF col = value` (`null` means the column is unset). */
export type Conditions<T extends TableDef> = { [N in RegularColumnOf<T>]?: ValueOf<T['columns'][N]> | null };

export interface UpdateOptions<T extends TableDef> {
  ttlSeconds?: number;
  /** `IF EXISTS`: apply only when the row exists. */
  ifExists?: boolean;
  /** `IF col = value AND ...`: apply only when every condition holds. */
  if?: Conditions<T>;
}

export interface WriteResult<T extends TableDef> {
  /** Always true for unconditional writes; for conditional writes whether the condition held. */
  applied: boolean;
  /**
   * For a conditional write that did not apply: the current values the engine reported.
   * Contains at least the key and the condition columns; null when the row does not exist.
   */
  current?: Partial<Row<T>> | null;
}

export type UpdateSet<T extends TableDef> = { [N in RegularColumnOf<T>]?: ValueOf<T['columns'][N]> | null };
export type CounterDeltas<T extends TableDef> = { [N in CounterColumnOf<T>]?: bigint | number };

export interface BatchOptions {
  /** false: the operations need not apply together (see WideColumnEngine.batch). Default true. */
  atomic?: boolean;
}

export type BatchOp =
  | { kind: 'insert'; table: TableDef; row: Record<string, unknown>; ttlSeconds?: number }
  /** An insert of a row given as values in the order of `shape.columns` (see insert-shape.ts). */
  | {
      kind: 'insertShaped';
      table: TableDef;
      shape: InsertShape;
      values: readonly unknown[];
      ttlSeconds?: number;
    }
  | {
      kind: 'update';
      table: TableDef;
      key: Record<string, unknown>;
      set: Record<string, unknown>;
      ttlSeconds?: number;
    }
  | { kind: 'delete'; table: TableDef; key: Record<string, unknown> }
  | { kind: 'deletePartition'; table: TableDef; key: Record<string, unknown> }
  | {
      kind: 'increment';
      table: TableDef;
      key: Record<string, unknown>;
      deltas: Record<string, bigint | number>;
    };

/** Typed constructors for batch operations. */
export const batchOp = {
  insert<T extends TableDef>(table: T, row: RowInput<T>, options: { ttlSeconds?: number } = {}): BatchOp {
    return { kind: 'insert', table, row: row as Record<string, unknown>, ...options };
  },
  /** An insert of `values`, in the order of `shape.columns`; undefined leaves a cell unwritten. */
  insertShaped<T extends TableDef>(
    shape: InsertShape<T>,
    values: readonly unknown[],
    options: { ttlSeconds?: number } = {},
  ): BatchOp {
    return { kind: 'insertShaped', table: shape.table, shape, values, ...options };
  },
  update<T extends TableDef>(
    table: T,
    key: PrimaryKeyOf<T>,
    set: UpdateSet<T>,
    options: { ttlSeconds?: number } = {},
  ): BatchOp {
    return {
      kind: 'update',
      table,
      key: key as Record<string, unknown>,
      set: set as Record<string, unknown>,
      ...options,
    };
  },
  delete<T extends TableDef>(table: T, key: PrimaryKeyOf<T>): BatchOp {
    return { kind: 'delete', table, key: key as Record<string, unknown> };
  },
  deletePartition<T extends TableDef>(table: T, key: PartitionKeyOf<T>): BatchOp {
    return { kind: 'deletePartition', table, key: key as Record<string, unknown> };
  },
  increment<T extends TableDef>(table: T, key: PrimaryKeyOf<T>, deltas: CounterDeltas<T>): BatchOp {
    return {
      kind: 'increment',
      table,
      key: key as Record<string, unknown>,
      deltas: deltas as Record<string, bigint>,
    };
  },
};

export interface HealthReport {
  ok: boolean;
  /** Engine-specific detail (release version, error message, breaker state). */
  detail: string;
  latencyMs: number;
}

export interface SchemaChange {
  table: string;
  action: 'create' | 'add-columns' | 'alter-options' | 'unchanged';
  statements: string[];
}

export interface SchemaReport {
  keyspace: string;
  changes: SchemaChange[];
}

export interface SchemaStatus {
  /** Tables declared but not applied, or applied with an older declaration. */
  pending: string[];
}

/**
 * The wide-column port. Both engines keep ScyllaDB's rules: a query names the whole
 * partition key, ranges are only on a clustering prefix, results come in clustering order
 * or its reverse, counters live only in counter tables, expired rows are invisible at once.
 * A query that breaks a rule is rejected with `QUERY_REJECTED`, never answered.
 */
export interface WideColumnEngine {
  readonly kind: 'embedded' | 'scylladb';
  /** Creates or upgrades the tables idempotently; refuses unsafe changes with `SCHEMA_UNSAFE_CHANGE`. */
  applySchema(tables: readonly TableDef[]): Promise<SchemaReport>;
  /** Which declared tables still need `applySchema`. */
  schemaStatus(tables: readonly TableDef[]): Promise<SchemaStatus>;

  insert<T extends TableDef>(table: T, row: RowInput<T>, options?: WriteOptions): Promise<WriteResult<T>>;
  get<T extends TableDef>(table: T, key: PrimaryKeyOf<T>): Promise<Row<T> | null>;
  slice<T extends TableDef>(table: T, query: SliceQuery<T>): Promise<Page<Row<T>>>;
  update<T extends TableDef>(
    table: T,
    key: PrimaryKeyOf<T>,
    set: UpdateSet<T>,
    options?: UpdateOptions<T>,
  ): Promise<WriteResult<T>>;
  delete<T extends TableDef>(
    table: T,
    key: PrimaryKeyOf<T>,
    options?: { ifExists?: boolean },
  ): Promise<WriteResult<T>>;
  /** Deletes rows of one partition whose clustering prefix (and optional range) match. */
  deleteSlice<T extends TableDef>(
    table: T,
    query: { key: SliceKeyOf<T>; range?: ClusteringRange<T> },
  ): Promise<void>;
  deletePartition<T extends TableDef>(table: T, key: PartitionKeyOf<T>): Promise<void>;
  /** Adds (or with negative deltas subtracts) to counter columns of a counter table. */
  increment<T extends TableDef>(table: T, key: PrimaryKeyOf<T>, deltas: CounterDeltas<T>): Promise<void>;
  /**
   * A logged batch: all operations apply or none do (atomic on the embedded engine; logged,
   * eventually all-applied on ScyllaDB). Counter operations may only be batched with each other.
   * Conditional writes are not allowed in batches.
   *
   * With `atomic: false` the caller says the rows need not agree: the embedded engine still
   * writes them in one transaction (cheaper there than several), ScyllaDB runs them as separate
   * statements at once, skipping the batchlog (its extra writes and round trip) altogether;
   * such a batch may mix counter increments with other writes.
   */
  batch(ops: readonly BatchOp[], options?: BatchOptions): Promise<void>;

  health(): Promise<HealthReport>;
  close(): Promise<void>;
}
