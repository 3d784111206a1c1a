/** Safe to send again whatever happened to the first attempt (RFC 9110 section 9.2.1). */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
/**
 * Idempotent but not safe: sent again only when the service said it did not act (429, 503).
 * After a lost connection or a gateway's 502/504 the first attempt may have been applied, and
 * a second would answer for a different state (a versioned memory write: 409 VERSION_CONFLICT
 * for a write that succeeded; a delete: 404).
 */
const IDEMPOTENT = new Set(['PUT', 'DELETE']);
/** "Not done, try later" from the service itself. */
const REFUSED = new Set([429, 503]);
/** Also retried for safe methods: a gateway that lost its upstream. */
const GATEWAY = new Set([502, 504]);
/** Longest Retry-After waited for; a longer one is handed back to the caller as the answer. */
const MAX_RETRY_AFTER_MS = 30_000;

export interface RetryOptions {
  /** Extra attempts (0 disables retries). */
  retries: number;
  /** First backoff; doubles per attempt, with jitter, unless the service sends Retry-After. */
  baseDelayMs: number;
}

/**
 * A fetch that retries what can be retried: GET, HEAD and OPTIONS after a network error or a
 * 429/502/503/504; PUT and DELETE after a 429 or 503 only. POST and PATCH are never retried.
 * Waits for Retry-After when the service sends one (it does with 503), else backs off.
 */
export function retryingFetch(
  fetchImpl: (request: Request) => Promise<Response>,
  options: RetryOptions,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const safe = SAFE.has(request.method);
    if (options.retries <= 0 || !(safe || IDEMPOTENT.has(request.method))) return fetchImpl(request);
    for (let attempt = 0; ; attempt += 1) {
      const last = attempt >= options.retries;
      // A body can be read once: every attempt but the last sends a copy.
      const sent = last ? request : request.clone();
      let response: Response;
      try {
        response = await fetchImpl(sent);
      } catch (error) {
        if (last || !safe || request.signal.aborted) throw error;
        await sleep(backoff(options.baseDelayMs, attempt), request.signal);
        continue;
      }
      const retryable = REFUSED.has(response.status) || (safe && GATEWAY.has(response.status));
      if (last || !retryable) return response;
      const wait = retryAfterMs(response.headers.get('retry-after')) ?? backoff(options.baseDelayMs, attempt);
      if (wait > MAX_RETRY_AFTER_MS) return response;
      await response.body?.cancel();
      await sleep(wait, request.signal);
    }
  };
}

/** Retry-After as delay-seconds or an HTTP date (RFC 9110 section 10.2.3); undefined if absent or unreadable. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function backoff(baseMs: number, attempt: number): number {
  const ceiling = baseMs * 2 ** attempt;
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
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
