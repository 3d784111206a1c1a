import { TimeoutError } from '@platformatic/kafka';
import { SwitchboardError } from '../../../errors/index.js';

interface KafkaLikeError extends Error {
  code?: string;
  findBy?: (property: string, value: unknown) => unknown;
}

/** Whether a @platformatic/kafka error carries the Kafka protocol error `apiId` (e.g. 'OFFSET_OUT_OF_RANGE'). */
export function hasProtocolError(error: unknown, apiId: string): boolean {
  const e = error as KafkaLikeError;
  return typeof e?.findBy === 'function' && e.findBy('apiId', apiId) !== null;
}

/**
 * Maps a client error to the catalogue: timeouts to STORE_TIMEOUT, everything else from the
 * broker or the network to STORE_UNAVAILABLE (the caller may retry; nothing half-done is hidden).
 */
export function toSwitchboardError(error: unknown, action: string): SwitchboardError {
  if (error instanceof SwitchboardError) return error;
  const e = error as KafkaLikeError;
  const message = `Kafka ${action} failed: ${e?.message ?? String(error)}`;
  const timeout = isTimeout(error) || /timed? ?out/i.test(e?.message ?? '');
  return new SwitchboardError(timeout ? 'STORE_TIMEOUT' : 'STORE_UNAVAILABLE', message, {
    cause: error,
    details: { port: 'event_log', engine: 'kafka' },
  });
}

/**
 * Whether the error is, or wraps, a timeout. The library's TimeoutError carries the code
 * PLT_KFK_NETWORK, not PLT_KFK_TIMEOUT (errors.js: `super(NetworkError.code, ...)`), so it is
 * recognised by class; a broker's REQUEST_TIMED_OUT is a timeout too.
 */
export function isTimeout(error: unknown, depth = 0): boolean {
  if (error instanceof TimeoutError) return true;
  if (hasProtocolError(error, 'REQUEST_TIMED_OUT')) return true;
  const nested = (error as { errors?: unknown })?.errors;
  return depth < 5 && Array.isArray(nested) && nested.some((inner) => isTimeout(inner, depth + 1));
}

/** Rejects with STORE_TIMEOUT when `promise` does not settle in `ms` (the client's own retries can take longer). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, action: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new SwitchboardError('STORE_TIMEOUT', `Kafka ${action} did not answer within ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
