import { Counter, Gauge, type Registry } from 'prom-client';
import { isSwitchboardError } from '../../errors/index.js';
import { LATENCY_BUCKETS, getOrCreate } from '../../shared/metrics.js';
import type { BatchOp, WideColumnEngine } from './engine.js';

/**
 * Store metrics around any wide-column engine:
 * - `switchboard_store_operations_total{engine,table,operation}`
 * - `switchboard_store_errors_total{engine,table,operation,code}`
 * - `switchboard_store_operation_seconds{engine,table,operation}` (histogram)
 * - `switchboard_store_prepared_statements{engine}` when the engine reports it.
 *
 * The embedded engine answers a point read in a few microseconds, and prom-client's labelled
 * `inc`/`observe` cost about a microsecond together (label validation and hashing on every
 * call), which alone would add a third to the cost of a read. So the hot path only bumps
 * plain numbers in a per-(table, operation) cell; the operations counter takes them when
 * scraped (its `collect` hook) and the histogram is a small metric of our own that renders
 * exactly as a prom-client histogram.
 */

const OPERATIONS = 'switchboard_store_operations_total';
const ERRORS = 'switchboard_store_errors_total';
const LATENCY = 'switchboard_store_operation_seconds';
const PREPARED = 'switchboard_store_prepared_statements';
const LABELS = ['engine', 'table', 'operation'] as const;

interface Cell {
  labels: { engine: string; table: string; operation: string };
  /** Operations not yet handed to the prom-client counter. */
  pendingOps: number;
  /** Non-cumulative bucket counts; the last slot is +Inf. */
  buckets: Float64Array;
  sum: number;
  count: number;
}

/** A histogram whose observations are plain array increments; rendered in prom-client's histogram format. */
class CellHistogram {
  readonly name = LATENCY;
  readonly help = 'Latency of wide-column store operations, in seconds';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly cells: Cell[] = [];

  get(): { name: string; help: string; type: string; aggregator: string; values: unknown[] } {
    const values: unknown[] = [];
    for (const cell of this.cells) {
      let cumulative = 0;
      for (let i = 0; i < LATENCY_BUCKETS.length; i += 1) {
        cumulative += cell.buckets[i]!;
        values.push({
          labels: { ...cell.labels, le: LATENCY_BUCKETS[i] },
          value: cumulative,
          metricName: `${LATENCY}_bucket`,
        });
      }
      values.push({
        labels: { ...cell.labels, le: '+Inf' },
        value: cell.count,
        metricName: `${LATENCY}_bucket`,
      });
      values.push({ labels: cell.labels, value: cell.sum, metricName: `${LATENCY}_sum` });
      values.push({ labels: cell.labels, value: cell.count, metricName: `${LATENCY}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    for (const cell of this.cells) {
      cell.buckets.fill(0);
      cell.sum = 0;
      cell.count = 0;
    }
  }
}

/** Shared per registry, so two engines (or two instrumentations) in one registry feed the same metrics. */
interface StoreMetrics {
  operations: Counter<(typeof LABELS)[number]>;
  errors: Counter<(typeof LABELS)[number] | 'code'>;
  latency: CellHistogram;
  cells: Map<string, Cell>;
  preparedSources: Map<string, () => number>;
  /** Increment the operations counter on every call (slower) instead of when scraped. */
  eager: boolean;
}

const perRegistry = new WeakMap<Registry, StoreMetrics>();
/** Operation counters created here, which take pending counts when scraped. */
const flushedOnCollect = new WeakSet<object>();

function storeMetrics(registry: Registry): StoreMetrics {
  const known = perRegistry.get(registry);
  if (known) return known;
  const cells = new Map<string, Cell>();
  const preparedSources = new Map<string, () => number>();
  const operations = getOrCreate(registry, OPERATIONS, () => {
    const counter = new Counter({
      name: OPERATIONS,
      help: 'Wide-column store operations by engine, table and operation',
      labelNames: LABELS,
      registers: [registry],
      collect() {
        for (const cell of cells.values()) {
          if (cell.pendingOps === 0) continue;
          this.inc(cell.labels, cell.pendingOps);
          cell.pendingOps = 0;
        }
      },
    });
    flushedOnCollect.add(counter);
    return counter;
  });
  const errors = getOrCreate(
    registry,
    ERRORS,
    () =>
      new Counter({
        name: ERRORS,
        help: 'Failed wide-column store operations by engine, table, operation and error code',
        labelNames: [...LABELS, 'code'],
        registers: [registry],
      }),
  );
  const latency = getOrCreate<unknown>(registry, LATENCY, () => {
    const histogram = new CellHistogram();
    registry.registerMetric(histogram as never);
    return histogram;
  });
  if (!(latency instanceof CellHistogram)) {
    throw new Error(`${LATENCY} is already registered by other code; only instrumentEngine may define it`);
  }
  getOrCreate(
    registry,
    PREPARED,
    () =>
      new Gauge({
        name: PREPARED,
        help: 'Prepared statements held by the wide-column engine',
        labelNames: ['engine'],
        registers: [registry],
        collect() {
          for (const [engine, count] of preparedSources) this.set({ engine }, count());
        },
      }),
  );
  // If other code registered the operations counter first, it has no collect hook: count eagerly.
  const eager = !flushedOnCollect.has(operations);
  const metrics = { operations, errors, latency, cells, preparedSources, eager };
  perRegistry.set(registry, metrics);
  return metrics;
}

function cellFor(metrics: StoreMetrics, engine: string, table: string, operation: string): Cell {
  const id = `${engine}\u0000${table}\u0000${operation}`;
  let cell = metrics.cells.get(id);
  if (!cell) {
    cell = {
      labels: { engine, table, operation },
      pendingOps: 0,
      buckets: new Float64Array(LATENCY_BUCKETS.length + 1),
      sum: 0,
      count: 0,
    };
    metrics.cells.set(id, cell);
    metrics.latency.cells.push(cell);
  }
  return cell;
}

function observe(metrics: StoreMetrics, cell: Cell, started: number): void {
  const seconds = (performance.now() - started) / 1000;
  let i = 0;
  while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i += 1;
  cell.buckets[i]! += 1;
  cell.sum += seconds;
  cell.count += 1;
  if (metrics.eager) metrics.operations.inc(cell.labels);
  else cell.pendingOps += 1;
}

type Operation =
  | 'insert'
  | 'get'
  | 'slice'
  | 'update'
  | 'delete'
  | 'deleteSlice'
  | 'deletePartition'
  | 'increment'
  | 'batch'
  | 'applySchema';

export interface InstrumentOptions {
  /** How many prepared statements the engine holds (reported as a gauge). */
  preparedStatements?: () => number;
}

/** Wraps an engine so every operation is counted, timed and, on failure, counted by error code. */
export function instrumentEngine(
  engine: WideColumnEngine,
  registry: Registry,
  options: InstrumentOptions = {},
): WideColumnEngine {
  const metrics = storeMetrics(registry);
  if (options.preparedStatements) metrics.preparedSources.set(engine.kind, options.preparedStatements);
  // One map per operation keyed by table name: the hot path does one Map lookup, no string building.
  const byOperation = new Map<Operation, Map<string, Cell>>();
  const cell = (operation: Operation, table: string): Cell => {
    let tables = byOperation.get(operation);
    if (!tables) {
      tables = new Map();
      byOperation.set(operation, tables);
    }
    let found = tables.get(table);
    if (!found) {
      found = cellFor(metrics, engine.kind, table, operation);
      tables.set(table, found);
    }
    return found;
  };
  const failed = (c: Cell, started: number, error: unknown): void => {
    observe(metrics, c, started);
    const code = isSwitchboardError(error) ? error.code : 'INTERNAL';
    metrics.errors.inc({ ...c.labels, code });
  };
  const tableOf = (ops: readonly BatchOp[]): string => {
    const first = ops[0]?.table.name;
    return first !== undefined && ops.every((op) => op.table.name === first) ? first : '*';
  };

  // Each method repeats the same few lines instead of sharing a generic wrapper, which would
  // need a closure and rest arguments per call.
  const wrapped: WideColumnEngine = {
    kind: engine.kind,
    async applySchema(tables) {
      const c = cell('applySchema', '*');
      const started = performance.now();
      try {
        const result = await engine.applySchema(tables);
        observe(metrics, c, started);
        return result;
      } catch (error) {
        failed(c, started, error);
        throw error;
      }
    },
    schemaStatus: (tables) => engine.schemaStatus(tables),
    async insert(table, row, options) {
      const c = cell('insert', table.name);
      const started = performance.now();
      try {
        const result = await engine.insert(table, row, options);
        observe(metrics, c, started);
        return result;
      } catch (error) {
        failed(c, started, error);
        throw error;
      }
    },
    async get(table, key) {
      const c = cell('get', table.name);
      const started = performance.now();
      try {
        const result = await engine.get(table, key);
        observe(metrics, c, started);
        return result;
      } catch (error) {
        failed(c, started, error);
        throw error;
      }
    },
    async slice(table, query) {
      const c = cell('slice', table.name);
      const started = performance.now();
      try {
        const result = await engine.slice(table, query);
        observe(metrics, c, started);
        return result;
      } catch (error) {
        failed(c, started, error);
        throw error;
      }
    },
    async update(table, key, set, options) {
      const c = cell('update', table.name);
      const started = performance.now();
      try {
        const result = await engine.update(table, key, set, options);
        observe(metrics, c, started);
        return result;
      } catch (error) {
        failed(c, started, error);
        throw error;
      }
    },
    async delete(table, key, options) {
      const c = cell('delete', table.name);
      const started = performance.now();
      try {
        const result = await engine.delete(table, key, options);
        observe(metrics, c, started);
        return result;
      } catch (error) {
        failed(c, started, error);
        throw error;
      }
    },
    async deleteSlice(table, query) {
      const c = cell('deleteSlice', table.name);
      const started = performance.now();
      try {
        await engine.deleteSlice(table, query);
        observe(metrics, c, started);
      } catch (error) {
        failed(c, started, error);
        throw error;
      }
    },
    async deletePartition(table, key) {
      const c = cell('deletePartition', table.name);
      const started = performance.now();
      try {
        await engine.deletePartition(table, key);
        observe(metrics, c, started);
      } catch (error) {
        failed(c, started, error);
        throw error;
      }
    },
    async increment(table, key, deltas) {
      const c = cell('increment', table.name);
      const started = performance.now();
      try {
        await engine.increment(table, key, deltas);
        observe(metrics, c, started);
      } catch (error) {
        failed(c, started, error);
        throw error;
      }
    },
    async batch(ops, options) {
      const c = cell('batch', tableOf(ops));
      const started = performance.now();
      try {
        await engine.batch(ops, options);
        observe(metrics, c, started);
      } catch (error) {
        failed(c, started, error);
        throw error;
      }
    },
    health: () => engine.health(),
    async close() {
      metrics.preparedSources.delete(engine.kind);
      await engine.close();
    },
  };
  return wrapped;
}
