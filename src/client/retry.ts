/** Methods a client may send twice without changing the outcome (RFC 9110 section 9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
/** Answers that say "try again later": rate limited, or the service or a store is unavailable. */
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
/** Longest wait honoured from a Retry-After header. */
const MAX_RETRY_AFTER_MS = 30_000;

export interface RetryOptions {
  /** Extra attempts for an idempotent request (0 disables retries). */
  retries: number;
  /** First backoff; doubles per attempt, with jitter, unless the service sends Retry-After. */
  baseDelayMs: number;
}

/**
 * A fetch that retries idempotent requests after a network error or a 429/502/503/504,
 * waiting for Retry-After when the service sends one (it does with 503 and 429). POST and
 * PATCH are never retried: the first attempt may have been applied.
 */
export function retryingFetch(
  fetchImpl: (request: Request) => Promise<Response>,
  options: RetryOptions,
): (request: Request) => Promise<Response> {
  return async (request) => {
    if (options.retries <= 0 || !IDEMPOTENT.has(request.method)) return fetchImpl(request);
    for (let attempt = 0; ; attempt += 1) {
      const last = attempt >= options.retries;
      // A body can be read once: every attempt but the last sends a copy.
      const sent = last ? request : request.clone();
      let response: Response;
      try {
        response = await fetchImpl(sent);
      } catch (error) {
        if (last || request.signal.aborted) throw error;
        await sleep(backoff(options.baseDelayMs, attempt, null), request.signal);
        continue;
      }
      if (last || !RETRYABLE_STATUS.has(response.status)) return response;
      await response.body?.cancel();
      await sleep(backoff(options.baseDelayMs, attempt, response.headers.get('retry-after')), request.signal);
    }
  };
}

function backoff(baseMs: number, attempt: number, retryAfter: string | null): number {
  const seconds = retryAfter === null ? NaN : Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, MAX_RETRY_AFTER_MS);
  const ceiling = baseMs * 2 ** attempt;
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
