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
  metrics_requires_key: f.boolean(false),
  docs_requires_key: f.boolean(false),
} as const satisfies Section;
