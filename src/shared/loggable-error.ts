import { ERROR_CATALOGUE, type ErrorCode } from '../errors/catalogue.js';

const SAFE_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

/** Client errors whose messages are fixed texts about the connection (node-redis, timers, pg). */
const CONNECTION_ERROR_NAMES = new Set([
  'SocketClosedUnexpectedlyError',
  'ClientClosedError',
  'ClientOfflineError',
  'ConnectionTimeoutError',
  'ReconnectStrategyError',
  'TimeoutError',
  'AbortError',
]);

/** SQLSTATEs of a refused or lost connection: their messages name the server's state, never row data. */
const CONNECTION_SQLSTATE = /^(08...|53...|57P0.|55000)$/;

/**
 * The message of an error when it is known to carry no user data (issue 23: a dependency
 * failure logged without its reason is useless): a Node system error (`connect ECONNREFUSED
 * 127.0.0.1:6379`), a client's connection error, a PostgreSQL connection-class error, and for
 * a SwitchboardError the catalogue's text for its code (its own message may quote input).
 */
function safeMessage(error: Error): string | undefined {
  const e = error as { syscall?: unknown; code?: unknown; name?: unknown };
  if (error.name === 'SwitchboardError' && typeof e.code === 'string' && e.code in ERROR_CATALOGUE) {
    return ERROR_CATALOGUE[e.code as ErrorCode].message;
  }
  if (typeof e.syscall === 'string') return error.message;
  if (CONNECTION_ERROR_NAMES.has(error.name) || CONNECTION_ERROR_NAMES.has(error.constructor?.name ?? '')) {
    return error.message;
  }
  if (typeof e.code === 'string' && CONNECTION_SQLSTATE.test(e.code)) return error.message;
  if (/^(Connection terminated|timeout exceeded when trying to connect)/.test(error.message))
    return error.message;
  return undefined;
}

/**
 * What the log may say about an unexpected error: its class, its code and where it was thrown,
 * never its message (except the connection-failure texts `safeMessage` knows carry no data). Messages of errors thrown by modules and drivers routinely carry the data
 * they failed on (a phone number, a message's text, a row's values in a driver's detail), and
 * pino's standard serializer would print the message, the stack's first line (the message
 * again) and every enumerable property. Stack frames name only files and functions.
 */
export function loggableError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) {
    // Already reduced (the HTTP error handler reduces before logging, then the serializer runs).
    if (isReduced(error)) return error;
    return { type: error === null ? 'null' : typeof error };
  }
  const out: Record<string, unknown> = { type: error.constructor?.name || error.name || 'Error' };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && SAFE_CODE.test(code)) out.code = code;
  const message = safeMessage(error);
  if (message !== undefined) out.message = message.slice(0, 300);
  // The failing port of a dependency error (`hot_state`, `relational`).
  const port = (error as { details?: { port?: unknown } }).details?.port;
  if (typeof port === 'string' && SAFE_CODE.test(port)) out.port = port;
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .slice(0, 20)
    .map((line) => line.trim());
  if (frames.length > 0) out.stack = frames.join('\n');
  if (error.cause !== undefined && depth < 3) out.cause = loggableError(error.cause, depth + 1);
  return out;
}

function isReduced(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const keys = Object.keys(value);
  return typeof (value as { type?: unknown }).type === 'string' && keys.every((k) => REDUCED_KEYS.has(k));
}

const REDUCED_KEYS = new Set(['type', 'code', 'message', 'port', 'stack', 'cause']);
