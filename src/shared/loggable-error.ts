const SAFE_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * What the log may say about an unexpected error: its class, its code and where it was thrown,
 * never its message. Messages of errors thrown by modules and drivers routinely carry the data
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

const REDUCED_KEYS = new Set(['type', 'code', 'stack', 'cause']);
