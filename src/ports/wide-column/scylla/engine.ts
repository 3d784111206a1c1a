import cassandra from 'cassandra-driver';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ScyllaConfig } from '../../../config/schema.js';
import { SwitchboardError } from '../../../errors/index.js';
import type { KeyspaceOptions, Replication } from '../cql/ddl.js';
import { isValidKeyspaceName } from '../cql/identifiers.js';
import {
  HEALTH_CQL,
  deletePartitionCql,
  deleteRowCql,
  deleteSliceCql,
  incrementCql,
  insertCql,
  selectRowCql,
  selectSliceCql,
  updateCql,
  type ClusteringShape,
  type UpdateCondition,
} from '../cql/statements.js';
import type { PartitionKeyOf, PrimaryKeyOf, Row, RowInput, SliceKeyOf, TableDef } from '../declare.js';
import type {
  BatchOp,
  BatchOptions,
  ClusteringRange,
  CounterDeltas,
  HealthReport,
  Page,
  SchemaReport,
  SchemaStatus,
  SliceQuery,
  UpdateOptions,
  UpdateSet,
  WideColumnEngine,
  WriteOptions,
  WriteResult,
} from '../engine.js';
import {
  checkBatch,
  checkLwt,
  checkUpdateCondition,
  checkDeltas,
  checkLimit,
  checkPrimaryKey,
  checkRow,
  checkSet,
  checkSlice,
  checkTtl,
  rejectQuery,
  type CheckedSlice,
} from '../rules.js';
import type { CqlType } from '../types.js';
import { checkShapedRow, writtenColumns, type InsertShape } from '../insert-shape.js';
import { instrumentEngine } from '../instrumented.js';
import { clientOptions } from './client-options.js';
import { decodePartialRow, decodeRow, encodeValue } from './codec.js';
import { CqlExecutor, type OperationClass, type Query, type ResultSet } from './executor.js';
import { createScyllaMetrics } from './metrics.js';
import { decodePageToken, encodePageToken, sliceFingerprint } from './page-token.js';
import { applyScyllaSchema, scyllaSchemaStatus, type SchemaContext } from './schema.js';

/**
 * The wide-column port on ScyllaDB or Cassandra through cassandra-driver. Queries are
 * validated by the same rules as the embedded engine (rules.ts) before any CQL is built, so
 * both engines refuse the same queries with the same errors.
 */

export interface ScyllaEngineDeps {
  registry?: Registry;
  logger?: Logger;
  /**
   * Do not connect at creation; the first call connects (and fails with STORE_UNAVAILABLE
   * while the cluster is unreachable). For a service that must start, and report not ready,
   * while ScyllaDB is down. Default: connect now and fail fast.
   */
  lazyConnect?: boolean;
}

/** A write ready to execute alone or inside a batch. */
interface Planned extends Query {
  kind: OperationClass;
}

/** Per-table state: column types and statement texts by shape, so text is built once per shape. */
interface TableState {
  columns: [string, CqlType][];
  statements: Map<string, string>;
}

function keyspaceOptionsOf(config: ScyllaConfig): KeyspaceOptions {
  if (!isValidKeyspaceName(config.keyspace)) {
    throw new SwitchboardError(
      'CONFIG_INVALID',
      `scylla.keyspace: "${config.keyspace}" is not a valid keyspace name; expected a letter then up to 47 letters, digits or underscores`,
      { field: 'scylla.keyspace' },
    );
  }
  const replication: Replication =
    config.replication_strategy === 'SimpleStrategy'
      ? { strategy: 'SimpleStrategy', factor: config.replication_factor }
      : { strategy: 'NetworkTopologyStrategy', dcFactors: config.replication_dc_factors };
  return { keyspace: config.keyspace, flavor: config.flavor, replication };
}

function shapeOf(slice: CheckedSlice): ClusteringShape {
  return {
    prefixLength: slice.prefix.length,
    ...(slice.range?.lower ? { lower: slice.range.lower.inclusive ? '>=' : '>' } : {}),
    ...(slice.range?.upper ? { upper: slice.range.upper.inclusive ? '<=' : '<' } : {}),
  } as ClusteringShape;
}

/** The class of a plain write to `table` (executor.ts: why a table with LWTs differs). */
function plainWrite(table: TableDef): 'write' | 'server-time-write' {
  return table.serverTimestamps ? 'server-time-write' : 'write';
}

export class ScyllaWideColumnEngine implements WideColumnEngine {
  readonly kind = 'scylladb' as const;
  private readonly keyspace: string;
  private readonly tables = new WeakMap<TableDef, TableState>();
  private readonly schemaContext: SchemaContext;

  constructor(
    private readonly executor: CqlExecutor,
    private readonly config: ScyllaConfig,
    keyspaceOptions: KeyspaceOptions,
    logger: Logger | undefined,
  ) {
    this.keyspace = keyspaceOptions.keyspace;
    this.schemaContext = { executor, keyspaceOptions, logger };
  }

  /** Distinct statements prepared so far. */
  preparedStatements(): number {
    return this.executor.preparedStatements();
  }

  private state(table: TableDef): TableState {
    let state = this.tables.get(table);
    if (!state) {
      state = { columns: Object.entries(table.columns) as [string, CqlType][], statements: new Map() };
      this.tables.set(table, state);
    }
    return state;
  }

  private statement(table: TableDef, shape: string, build: () => string): string {
    const statements = this.state(table).statements;
    let cql = statements.get(shape);
    if (cql === undefined) {
      cql = build();
      statements.set(shape, cql);
    }
    return cql;
  }

  private encodeAll(table: TableDef, columns: readonly string[], values: readonly unknown[]): unknown[] {
    return values.map((value, i) => encodeValue(table.columns[columns[i]!]!, value));
  }

  private encodeKey(table: TableDef, values: readonly unknown[]): unknown[] {
    return this.encodeAll(table, table.primaryKey, values);
  }

  /** Partition values, prefix values and range bounds, encoded, in the order the slice statements bind them. */
  private sliceParams(table: TableDef, slice: CheckedSlice): unknown[] {
    const clustering = table.clusteringKey.map((c) => c.column as string);
    const params = [
      ...this.encodeAll(table, table.partitionKey, slice.partition),
      ...this.encodeAll(table, clustering, slice.prefix),
    ];
    if (slice.range) {
      const type = table.columns[slice.range.column]!;
      if (slice.range.lower) params.push(encodeValue(type, slice.range.lower.value));
      if (slice.range.upper) params.push(encodeValue(type, slice.range.upper.value));
    }
    return params;
  }

  private decode<T extends TableDef>(table: T, row: Record<string, unknown>): Row<T> {
    return decodeRow(table, row) as Row<T>;
  }

  /**
   * The outcome of a conditional write. For `IF [NOT] EXISTS` both engines return every
   * column of the old row, ScyllaDB as all nulls when there is none, Cassandra as `[applied]`
   * alone. For `IF col = ?` both return only the condition columns (no key), Cassandra none
   * at all when the row does not exist, ScyllaDB nulls (cql3/statements/cas_request.cc
   * `build_cas_result_set`): then "no row" and "a row whose condition columns are null" look
   * alike, and `ambiguous` says so.
   */
  private outcome<T extends TableDef>(
    table: T,
    result: ResultSet,
    keyValues: unknown[],
  ): WriteResult<T> & { ambiguous?: boolean } {
    if (result.wasApplied()) return { applied: true };
    const row = result.first() as Record<string, unknown> | null;
    const names = (result.columns ?? []).map((c) => c.name).filter((n) => n !== '[applied]');
    if (!row || names.length === 0) return { applied: false, current: null };
    const current = decodePartialRow(table, row, names);
    const keyReturned = table.primaryKey.filter((c) => names.includes(c));
    if (keyReturned.length > 0 && keyReturned.every((c) => current[c] === null))
      return { applied: false, current: null };
    const key = Object.fromEntries(table.primaryKey.map((c, i) => [c, keyValues[i]]));
    const ambiguous = keyReturned.length === 0 && Object.values(current).every((v) => v === null);
    return { applied: false, current: { ...current, ...key } as Partial<Row<T>>, ambiguous };
  }

  /**
   * Settles an ambiguous `IF col = ?` outcome with a linearizable (SERIAL) read of the key, so
   * both engines report `current: null` for a row that does not exist.
   */
  private async settle<T extends TableDef>(
    table: T,
    outcome: WriteResult<T> & { ambiguous?: boolean },
    keyValues: unknown[],
  ): Promise<WriteResult<T>> {
    const { ambiguous, ...result } = outcome;
    if (!ambiguous) return result;
    const query = this.statement(table, 'g', () => selectRowCql(this.keyspace, table));
    const read = await this.executor.execute(query, this.encodeKey(table, keyValues), 'serial', {
      table: table.name,
      operation: 'update',
    });
    return read.first() ? result : { applied: false, current: null };
  }

  // ---- schema ----

  applySchema(tables: readonly TableDef[]): Promise<SchemaReport> {
    return applyScyllaSchema(this.schemaContext, tables);
  }

  schemaStatus(tables: readonly TableDef[]): Promise<SchemaStatus> {
    return scyllaSchemaStatus(this.schemaContext, tables);
  }

  // ---- writes ----

  private planInsert(
    table: TableDef,
    row: Record<string, unknown>,
    ttlSeconds: number | undefined,
    ifNotExists: boolean,
  ): Planned & { keyValues: unknown[] } {
    const checked = checkRow(table, row);
    return this.insertOf(table, checked.key, checked.columns, checked.values, ttlSeconds, ifNotExists);
  }

  /** A shaped insert runs the same statement as `planInsert` for the same cells. */
  private planInsertShaped(
    shape: InsertShape,
    values: readonly unknown[],
    ttlSeconds: number | undefined,
  ): Planned {
    const checked = checkShapedRow(shape, values);
    const keyLength = shape.table.primaryKey.length;
    const written = checked.values.slice(keyLength).filter((v) => v !== undefined);
    return this.insertOf(
      shape.table,
      checked.values.slice(0, keyLength),
      writtenColumns(shape, checked.unset),
      written,
      ttlSeconds,
      false,
    );
  }

  private insertOf(
    table: TableDef,
    keyValues: unknown[],
    regular: readonly string[],
    regularValues: readonly unknown[],
    ttlSeconds: number | undefined,
    ifNotExists: boolean,
  ): Planned & { keyValues: unknown[] } {
    const ttl = checkTtl(table, ttlSeconds);
    const columns = [...table.primaryKey, ...regular];
    const withTtl = ttl !== undefined;
    const query = this.statement(
      table,
      `i|${withTtl ? 1 : 0}${ifNotExists ? 1 : 0}|${regular.join(',')}`,
      () => insertCql(this.keyspace, table, columns, { ttl: withTtl, ifNotExists }),
    );
    const params = this.encodeAll(table, columns, [...keyValues, ...regularValues]);
    if (withTtl) params.push(ttl);
    return { query, params, kind: ifNotExists ? 'lwt' : plainWrite(table), keyValues };
  }

  async insert<T extends TableDef>(
    table: T,
    row: RowInput<T>,
    options: WriteOptions = {},
  ): Promise<WriteResult<T>> {
    const ifNotExists = options.ifNotExists === true;
    if (ifNotExists) checkLwt(table, 'INSERT ... IF NOT EXISTS');
    const plan = this.planInsert(table, row as Record<string, unknown>, options.ttlSeconds, ifNotExists);
    const result = await this.executor.execute(plan.query, plan.params, plan.kind, {
      table: table.name,
      operation: 'insert',
    });
    if (!ifNotExists) return { applied: true };
    const { ambiguous: _ambiguous, ...outcome } = this.outcome(table, result, plan.keyValues);
    return outcome;
  }

  private planUpdate(
    table: TableDef,
    key: Record<string, unknown>,
    set: Record<string, unknown>,
    ttlSeconds: number | undefined,
    condition: { ifExists: boolean; conditions?: Record<string, unknown> | undefined },
  ): Planned & { keyValues: unknown[] } {
    const keyValues = checkPrimaryKey(table, key);
    const checkedSet = checkSet(table, set);
    const ttl = checkTtl(table, ttlSeconds);
    const checked = checkUpdateCondition(table, condition.ifExists, condition.conditions);
    let cond: UpdateCondition = { kind: 'none' };
    let condValues: unknown[] = [];
    if (checked.kind === 'exists') cond = { kind: 'exists' };
    if (checked.kind === 'columns') {
      cond = { kind: 'columns', columns: checked.columns };
      condValues = this.encodeAll(table, checked.columns, checked.values);
    }
    const withTtl = ttl !== undefined;
    const condShape = cond.kind === 'columns' ? `c:${cond.columns.join(',')}` : cond.kind;
    const query = this.statement(
      table,
      `u|${withTtl ? 1 : 0}|${checkedSet.columns.join(',')}|${condShape}`,
      () => updateCql(this.keyspace, table, checkedSet.columns, { ttl: withTtl, condition: cond }),
    );
    const params: unknown[] = withTtl ? [ttl] : [];
    params.push(
      ...this.encodeAll(table, checkedSet.columns, checkedSet.values),
      ...this.encodeKey(table, keyValues),
      ...condValues,
    );
    return { query, params, kind: cond.kind === 'none' ? plainWrite(table) : 'lwt', keyValues };
  }

  async update<T extends TableDef>(
    table: T,
    key: PrimaryKeyOf<T>,
    set: UpdateSet<T>,
    options: UpdateOptions<T> = {},
  ): Promise<WriteResult<T>> {
    const plan = this.planUpdate(
      table,
      key as Record<string, unknown>,
      set as Record<string, unknown>,
      options.ttlSeconds,
      {
        ifExists: options.ifExists === true,
        conditions: options.if as Record<string, unknown> | undefined,
      },
    );
    const result = await this.executor.execute(plan.query, plan.params, plan.kind, {
      table: table.name,
      operation: 'update',
    });
    if (plan.kind !== 'lwt') return { applied: true };
    if (options.ifExists) return result.wasApplied() ? { applied: true } : { applied: false, current: null };
    return this.settle(table, this.outcome(table, result, plan.keyValues), plan.keyValues);
  }

  private planDelete(table: TableDef, key: Record<string, unknown>, ifExists: boolean): Planned {
    const keyValues = checkPrimaryKey(table, key);
    if (ifExists) checkLwt(table, 'DELETE ... IF EXISTS');
    const query = this.statement(table, `d|${ifExists ? 1 : 0}`, () =>
      deleteRowCql(this.keyspace, table, { ifExists }),
    );
    return { query, params: this.encodeKey(table, keyValues), kind: ifExists ? 'lwt' : plainWrite(table) };
  }

  async delete<T extends TableDef>(
    table: T,
    key: PrimaryKeyOf<T>,
    options: { ifExists?: boolean } = {},
  ): Promise<WriteResult<T>> {
    const ifExists = options.ifExists === true;
    const plan = this.planDelete(table, key as Record<string, unknown>, ifExists);
    const result = await this.executor.execute(plan.query, plan.params, plan.kind, {
      table: table.name,
      operation: 'delete',
    });
    if (!ifExists || result.wasApplied()) return { applied: true };
    return { applied: false, current: null };
  }

  async deleteSlice<T extends TableDef>(
    table: T,
    query: { key: SliceKeyOf<T>; range?: ClusteringRange<T> },
  ): Promise<void> {
    const slice = checkSlice(
      table,
      query.key as Record<string, unknown>,
      query.range as ClusteringRange<TableDef> | undefined,
    );
    const shape = shapeOf(slice);
    const cql = this.statement(
      table,
      `ds|${shape.prefixLength}|${shape.lower ?? ''}|${shape.upper ?? ''}`,
      () => deleteSliceCql(this.keyspace, table, shape),
    );
    await this.executor.execute(cql, this.sliceParams(table, slice), plainWrite(table), {
      table: table.name,
      operation: 'deleteSlice',
    });
  }

  private planDeletePartition(table: TableDef, key: Record<string, unknown>): Planned {
    const slice = checkSlice(
      table,
      Object.fromEntries(table.partitionKey.map((c) => [c, key[c]])),
      undefined,
    );
    for (const column of Object.keys(key)) {
      if (key[column] !== undefined && !table.partitionKey.includes(column)) {
        throw rejectQuery(
          table,
          `"${column}" is not a partition key column; deletePartition takes the partition key only`,
          column,
        );
      }
    }
    const query = this.statement(table, 'dp', () => deletePartitionCql(this.keyspace, table));
    return {
      query,
      params: this.encodeAll(table, table.partitionKey, slice.partition),
      kind: plainWrite(table),
    };
  }

  async deletePartition<T extends TableDef>(table: T, key: PartitionKeyOf<T>): Promise<void> {
    const plan = this.planDeletePartition(table, key as Record<string, unknown>);
    await this.executor.execute(plan.query, plan.params, plan.kind, {
      table: table.name,
      operation: 'deletePartition',
    });
  }

  private planIncrement(
    table: TableDef,
    key: Record<string, unknown>,
    deltas: Record<string, unknown>,
  ): Planned {
    const checked = checkDeltas(table, deltas);
    const keyValues = checkPrimaryKey(table, key);
    const query = this.statement(table, `c|${checked.columns.join(',')}`, () =>
      incrementCql(this.keyspace, table, checked.columns),
    );
    return { query, params: [...checked.deltas, ...this.encodeKey(table, keyValues)], kind: 'counter' };
  }

  async increment<T extends TableDef>(
    table: T,
    key: PrimaryKeyOf<T>,
    deltas: CounterDeltas<T>,
  ): Promise<void> {
    const plan = this.planIncrement(table, key as Record<string, unknown>, deltas as Record<string, unknown>);
    await this.executor.execute(plan.query, plan.params, plan.kind, {
      table: table.name,
      operation: 'increment',
    });
  }

  async batch(ops: readonly BatchOp[], options: BatchOptions = {}): Promise<void> {
    const kind = checkBatch(ops, options.atomic !== false);
    if (kind === 'empty') return;
    // Every operation is validated before anything is sent: a bad one fails the whole batch.
    const queries = ops.map((op): Planned => {
      switch (op.kind) {
        case 'insert':
          return this.planInsert(op.table, op.row, op.ttlSeconds, false);
        case 'insertShaped':
          return this.planInsertShaped(op.shape, op.values, op.ttlSeconds);
        case 'update':
          return this.planUpdate(op.table, op.key, op.set, op.ttlSeconds, { ifExists: false });
        case 'delete':
          return this.planDelete(op.table, op.key, false);
        case 'deletePartition':
          return this.planDeletePartition(op.table, op.key);
        case 'increment':
          return this.planIncrement(op.table, op.key, op.deltas);
      }
    });
    if (options.atomic === false || queries.length === 1) {
      // Rows that need not agree: one statement each, all at once. No batchlog write and no
      // coordinator holding the whole batch; each statement goes to its own replicas. A batch
      // of one statement is that statement: nothing else to agree with.
      await Promise.all(
        queries.map((q, i) =>
          this.executor.execute(q.query, q.params, q.kind, { table: ops[i]!.table.name, operation: 'batch' }),
        ),
      );
      return;
    }
    const tables = [...new Set(ops.map((op) => op.table.name))].join(',');
    await this.executor.batch(
      queries.map((q) => ({ query: q.query, params: q.params })),
      kind === 'counter',
      { table: tables, operation: 'batch' },
      // checkBatch let through only batches whose tables all agree.
      queries[0]!.kind === 'server-time-write',
    );
  }

  // ---- reads ----

  async get<T extends TableDef>(table: T, key: PrimaryKeyOf<T>): Promise<Row<T> | null> {
    const keyValues = checkPrimaryKey(table, key as Record<string, unknown>);
    const query = this.statement(table, 'g', () => selectRowCql(this.keyspace, table));
    const result = await this.executor.execute(query, this.encodeKey(table, keyValues), 'read', {
      table: table.name,
      operation: 'get',
    });
    const row = result.first() as Record<string, unknown> | null;
    return row ? this.decode(table, row) : null;
  }

  async slice<T extends TableDef>(table: T, query: SliceQuery<T>): Promise<Page<Row<T>>> {
    const slice = checkSlice(
      table,
      query.key as Record<string, unknown>,
      query.range as ClusteringRange<TableDef> | undefined,
    );
    const limit = checkLimit(table, query.limit);
    const order = query.order;
    if (order !== undefined && order !== 'ASC' && order !== 'DESC') {
      throw rejectQuery(table, `order must be ASC or DESC, got ${String(order)}`, 'order');
    }
    const first = table.clusteringKey[0];
    const reversed = order !== undefined && first !== undefined && order !== first.order;
    const shape = { ...shapeOf(slice), reversed };
    const cql = this.statement(
      table,
      `s|${shape.prefixLength}|${shape.lower ?? ''}|${shape.upper ?? ''}|${reversed ? 1 : 0}`,
      () => selectSliceCql(this.keyspace, table, shape),
    );
    const fingerprint = sliceFingerprint([...slice.partition, ...slice.prefix], reversed);
    let pageState =
      query.pageToken === undefined || query.pageToken === null
        ? undefined
        : decodePageToken(table, query.pageToken, fingerprint);
    const params = this.sliceParams(table, slice);
    const rows: Row<T>[] = [];
    // ScyllaDB may return short pages (page byte limits, tombstones); keep fetching until the
    // page is full or the slice ends, so a page has `limit` rows unless it is the last.
    do {
      const result = await this.executor.execute(
        cql,
        params,
        'read',
        { table: table.name, operation: 'slice' },
        {
          fetchSize: limit - rows.length,
          pageState,
        },
      );
      for (const row of result.rows) rows.push(this.decode(table, row as unknown as Record<string, unknown>));
      pageState = result.pageState ?? undefined;
    } while (pageState !== undefined && rows.length < limit);
    return {
      rows,
      nextPageToken: pageState === undefined ? null : encodePageToken(table, fingerprint, pageState),
    };
  }

  // ---- lifecycle ----

  async health(): Promise<HealthReport> {
    const started = performance.now();
    const product = this.config.flavor === 'scylla' ? 'ScyllaDB' : 'Cassandra';
    try {
      const result = await this.executor.execute(HEALTH_CQL, [], 'read', {
        table: 'system.local',
        operation: 'health',
      });
      const version = (result.first() as Record<string, unknown> | null)?.['release_version'] ?? 'unknown';
      return {
        ok: true,
        detail: `${product} release_version ${String(version)}; breaker ${this.executor.breaker.state}`,
        latencyMs: performance.now() - started,
      };
    } catch (error) {
      const code = error instanceof SwitchboardError ? error.code : 'INTERNAL';
      const message = error instanceof Error ? error.message : String(error);
      return {
        ok: false,
        detail: `${code}: ${message}; breaker ${this.executor.breaker.state}`,
        latencyMs: performance.now() - started,
      };
    }
  }

  async close(): Promise<void> {
    await this.executor.shutdown();
  }
}

/**
 * Opens the ScyllaDB/Cassandra engine. Connects without a keyspace (applySchema creates it)
 * and, unless `lazyConnect`, fails fast with STORE_UNAVAILABLE when no node answers.
 */
export async function createScyllaEngine(
  config: ScyllaConfig,
  deps: ScyllaEngineDeps = {},
): Promise<WideColumnEngine> {
  const keyspaceOptions = keyspaceOptionsOf(config);
  const client = new cassandra.Client(clientOptions(config));
  if (deps.logger) {
    const logger = deps.logger;
    client.on('log', (level: string, _className: string, message: string) => {
      if (level === 'error' || level === 'warning') logger.warn({ engine: 'scylladb' }, message);
    });
  }
  const executor = new CqlExecutor(client, config, createScyllaMetrics(deps.registry), deps.logger);
  const engine = new ScyllaWideColumnEngine(executor, config, keyspaceOptions, deps.logger);
  if (!deps.lazyConnect) {
    try {
      await executor.connect();
    } catch (error) {
      await executor.shutdown().catch(() => undefined);
      throw error;
    }
  }
  // Operations, errors and latency under the same names and labels as the embedded engine.
  return deps.registry
    ? instrumentEngine(engine, deps.registry, { preparedStatements: () => engine.preparedStatements() })
    : engine;
}
