/** The wide-column port: declarations, the engine interface, and the factory that opens an engine. */
export {
  defineTable,
  type ClusteringOrder,
  type Columns,
  type Compaction,
  type TableSpec,
  type TableDef,
  type Row,
  type RowInput,
  type PartitionKeyOf,
  type PrimaryKeyOf,
  type SliceKeyOf,
  type ClusteringColumnOf,
  type RegularColumnOf,
  type CounterColumnOf,
} from './declare.js';
export { CQL_TYPES, KEY_TYPES, type CqlType, type CqlValueMap, type ValueOf } from './types.js';
export {
  batchOp,
  type BatchOp,
  type ClusteringRange,
  type Conditions,
  type CounterDeltas,
  type HealthReport,
  type Page,
  type SchemaChange,
  type SchemaReport,
  type SchemaStatus,
  type SliceQuery,
  type UpdateOptions,
  type UpdateSet,
  type WideColumnEngine,
  type WriteOptions,
  type WriteResult,
} from './engine.js';
export { insertShape, type InsertShape } from './insert-shape.js';
export { MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE, MAX_TTL_SECONDS } from './rules.js';
export { openWideColumnEngine } from './open.js';
export { instrumentEngine } from './instrumented.js';
export { createEmbeddedEngine, type EmbeddedEngineOptions } from './embedded/engine.js';
export { sqliteSchemaStatements } from './embedded/ddl.js';
