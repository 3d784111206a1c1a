/**
 * The library: `createSwitchboard(config?)` opens the ports and returns every module's
 * services; the HTTP server and the CLI are built on the same handle.
 */
export {
  createSwitchboard,
  type Switchboard,
  type SwitchboardCore,
  type CreateSwitchboardOptions,
} from './app/create-switchboard.js';
export type { SwitchboardServices } from './app/services.js';
export type { Ports, PortName, PortHealth } from './app/ports.js';
export {
  allTables,
  allMigrations,
  allTopics,
  applySchema,
  schemaStatus,
  assertSchemaApplied,
  type ApplySchemaReport,
  type SchemaStatusReport,
} from './app/schema.js';
export {
  buildServer,
  startServer,
  handleSignals,
  type RunningServer,
  type StartServerOptions,
} from './server/index.js';

export { loadConfig, configSchema, type SwitchboardConfig, type LoadConfigOptions } from './config/index.js';
export { SwitchboardError, isSwitchboardError, ERROR_CATALOGUE, type ErrorCode } from './errors/index.js';
export { systemClock, ManualClock, type Clock } from './shared/clock.js';

export type { ModuleDefinition, SwitchboardContext, Worker, Scope } from './modules/module.js';
export { ApiKeyService, type ApiKey, type CreatedApiKey, type AuthServices } from './auth/index.js';

// Ports: the interfaces domain code and embedders program against.
export { defineTable, type TableDef, type Row, type RowInput } from './ports/wide-column/declare.js';
export { batchOp } from './ports/wide-column/engine.js';
export type {
  WideColumnEngine,
  HealthReport,
  Page,
  SliceQuery,
  WriteOptions,
  WriteResult,
  SchemaReport,
} from './ports/wide-column/engine.js';
export type { RelationalStore, Executor, Migration, Dialect } from './ports/relational/store.js';
export type { HotState, SetOptions } from './ports/hot-state/store.js';
export type {
  EventLog,
  Consumer,
  ConsumerOptions,
  LogMessage,
  OutgoingMessage,
  TopicSpec,
  Batch,
} from './ports/event-log/log.js';
