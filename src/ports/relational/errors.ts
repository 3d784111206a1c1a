import { SwitchboardError } from '../../errors/index.js';
import type { Dialect } from './store.js';

/**
 * Translates driver errors into the catalogue, identically for both dialects, so a module
 * handles "duplicate key" or "database down" once instead of learning each driver's codes.
 * SQL mistakes (syntax, unknown column) pass through unchanged: they are programming errors
 * and the driver's message is the useful one.
 */
export function mapRelationalError(dialect: Dialect, error: unknown): unknown {
  if (error instanceof SwitchboardError) return error;
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  const constraint = (error as { constraint?: unknown }).constraint;
  const codeText = typeof code === 'string' ? code : '';

  if (
    codeText === 'SQLITE_CONSTRAINT_UNIQUE' ||
    codeText === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    codeText === '23505'
  ) {
    return conflict('unique', dialect, error, constraint);
  }
  if (codeText === 'SQLITE_CONSTRAINT_FOREIGNKEY' || codeText === '23503') {
    return conflict('foreign_key', dialect, error, constraint);
  }
  if (codeText === '25P02') {
    return new SwitchboardError('TRANSACTION_ABORTED', undefined, { cause: error, details: { dialect } });
  }
  // 57014: statement_timeout (or a cancel); SQLITE_BUSY: busy_timeout ran out waiting for a lock.
  if (codeText === '57014' || codeText.startsWith('SQLITE_BUSY') || codeText.startsWith('SQLITE_LOCKED')) {
    return new SwitchboardError('STORE_TIMEOUT', `The relational store (${dialect}) did not answer in time`, {
      cause: error,
      details: { dialect, port: 'relational' },
    });
  }
  if (isUnavailable(codeText, error.message, (error as { severity?: unknown }).severity)) {
    return unavailable(dialect, error);
  }
  return error;
}

export function unavailable(dialect: Dialect, error: unknown): SwitchboardError {
  const message = error instanceof Error ? error.message : String(error);
  return new SwitchboardError(
    'STORE_UNAVAILABLE',
    `The relational store (${dialect}) is unavailable: ${message}`,
    {
      cause: error,
      details: { dialect, port: 'relational' },
    },
  );
}

function conflict(
  kind: 'unique' | 'foreign_key',
  dialect: Dialect,
  error: Error,
  constraint: unknown,
): SwitchboardError {
  // The driver's own message can quote the offending values (PostgreSQL's `detail` does), so
  // only the constraint's name travels on.
  const name = typeof constraint === 'string' ? constraint : undefined;
  const what = kind === 'unique' ? 'A unique constraint' : 'A foreign key constraint';
  return new SwitchboardError('CONFLICT', `${what} was violated${name ? ` (${name})` : ''}`, {
    cause: error,
    details: { constraint: kind, ...(name ? { name } : {}), dialect },
  });
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'SQLITE_CANTOPEN',
  'SQLITE_NOTADB',
  'SQLITE_CORRUPT',
  'SQLITE_FULL',
  'SQLITE_READONLY',
]);

/**
 * PostgreSQL says "the store is not there for you" by SQLSTATE class, not by message: class 08
 * (connection exceptions), class 53 (insufficient resources: 53300 too many connections, 53100
 * disk full, 53200 out of memory), 57P01-57P05 (admin or crash shutdown, cannot connect now,
 * database dropped, idle session timeout) and a FATAL 55000 at connection start ("database is
 * not currently accepting connections", ALLOW_CONNECTIONS false). A FATAL error always ends the
 * session, so any other FATAL one is unavailability too. 57014 (statement timeout) is mapped to
 * STORE_TIMEOUT above.
 */
export function isUnavailableSqlState(code: string, severity?: unknown): boolean {
  if (!/^[0-9A-Z]{5}$/.test(code)) return false;
  if (code.startsWith('08') || code.startsWith('53') || /^57P0[1-5]$/.test(code)) return true;
  return severity === 'FATAL' || severity === 'PANIC';
}

function isUnavailable(code: string, message: string, severity: unknown): boolean {
  if (NETWORK_CODES.has(code) || code.startsWith('SQLITE_IOERR')) return true;
  if (isUnavailableSqlState(code, severity)) return true;
  // pg reports its own socket failures without a code.
  return (
    code === '' &&
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable|Connection refused/i.test(
      message,
    )
  );
}
