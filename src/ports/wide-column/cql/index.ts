export * from './ddl.js';
export * from './identifiers.js';
export * from './statements.js';
