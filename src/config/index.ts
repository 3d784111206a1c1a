export {
  loadConfig,
  envName,
  listEnvironmentKeys,
  type KeyReference,
  type LoadConfigOptions,
  type DeepPartial,
} from './load.js';
export { configSchema, type SwitchboardConfig, type ScyllaConfig } from './schema.js';
export { f, type Field, type Section, type ConfigOf } from './fields.js';
