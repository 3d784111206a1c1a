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
      details: { dialect },
    });
  }
  if (isUnavailable(codeText, error.message)) {
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
      details: { dialect },
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

function isUnavailable(code: string, message: string): boolean {
  if (NETWORK_CODES.has(code) || code.startsWith('SQLITE_IOERR')) return true;
  // Class 08: connection exceptions; 57P01-57P03: server shutting down or starting;
  // 53300: too many connections.
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') {
    return true;
  }
  // pg reports its own socket failures without a code.
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable|Connection refused/i.test(
    message,
  );
}
