import pino, { type DestinationStream, type Logger } from 'pino';
import type { SwitchboardConfig } from '../config/index.js';
import { loggableError } from '../shared/loggable-error.js';

/**
 * Paths pino blanks in every log line. Request bodies are never logged at all; these catch
 * credentials that could ride along on headers or error objects.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  'authorization',
  'secret',
  '*.secret',
  'password',
  '*.password',
];

/**
 * The process logger: JSON lines, credentials redacted, level from `[server] log_level`.
 * Errors logged as `err` or `error` anywhere (workers, ports, shutdown) go through
 * `loggableError`: class, code and stack frames, never a message that may carry user data.
 */
export function createLogger(config: SwitchboardConfig, destination?: DestinationStream): Logger {
  const options = {
    level: config.server.log_level,
    base: { service: 'switchboard' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: loggableError, error: loggableError },
  };
  return destination ? pino(options, destination) : pino(options);
}
