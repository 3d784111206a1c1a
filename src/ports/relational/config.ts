import { f } from '../../config/fields.js';

/** `[postgres]`: read when `[store] relational = "postgres"`. */
export const postgresSection = {
  url: f.string('postgres://postgres@127.0.0.1:5432/postgres', { nonEmpty: true, secret: true }),
  /** Connections in the pool (pg `max`). */
  pool_size: f.int(10, 1, 1000),
  /** Server-side `statement_timeout` for every connection; a slower statement fails with STORE_TIMEOUT. */
  statement_timeout_ms: f.int(5000, 1, 3_600_000),
  /** Schema that holds Switchboard's tables (created if absent, set as `search_path`); default `public`. */
  schema: f.optionalString(),
} as const;
