import { f, type Section } from '../config/fields.js';

/** `[server]`: the HTTP service. The short aliases are the ones the quick start documents. */
export const serverSection = {
  port: f.int(8080, 0, 65535, { aliases: ['SWITCHBOARD_PORT'] }),
  host: f.string('127.0.0.1', { nonEmpty: true, aliases: ['SWITCHBOARD_HOST'] }),
  /** Larger bodies are refused with 413 BODY_TOO_LARGE before they are parsed. */
  body_limit_bytes: f.int(1_048_576, 1024, 104_857_600),
  log_level: f.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
  /** After a shutdown signal, how long draining may take before the process is forced out. */
  shutdown_timeout_ms: f.int(15_000, 100, 600_000),
  /** How long /ready waits for one port's health check before calling it down. */
  ready_timeout_ms: f.int(2_000, 10, 60_000),
  ready_requires_key: f.boolean(false),
  /**
   * Who sees /ready's details (engines, file paths, versions, worker messages): `admin` (a
   * request with an admin key) or `public`. Everyone sees status and which ports fail.
   */
  ready_details: f.oneOf(['admin', 'public'] as const, 'admin'),
  /**
   * The key page tokens are signed with. Set it (the same on every replica) when several
   * processes serve one API; unset, a random key is kept in `data_dir/page-token.key`.
   */
  page_token_secret: f.optionalString({ secret: true }),
  /** A request (headers and body) must arrive within this; a stalled upload is cut off with 408. */
  request_timeout_ms: f.int(30_000, 1_000, 600_000),
  /** Headers must arrive within this (slow-loris protection); at most request_timeout_ms. */
  headers_timeout_ms: f.int(10_000, 1_000, 600_000),
  /** An idle keep-alive connection is closed after this. */
  keep_alive_timeout_ms: f.int(5_000, 100, 600_000),
  /** Most open connections at once; more are refused at accept (size it to the deployment). */
  max_connections: f.int(10_000, 16, 1_000_000),
  metrics_requires_key: f.boolean(false),
  docs_requires_key: f.boolean(false),
} as const satisfies Section;
