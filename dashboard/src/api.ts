import type { paths } from '../../src/client/api-types.gen.js';
/**
 * The dashboard's only way to the service: same origin, the API key from this tab's
 * sessionStorage (never localStorage, never a cookie: it goes when the tab does) sent as
 * `Authorization: Bearer`, as every other client sends it.
 */
const KEY = 'switchboard.apiKey';

export const session = {
  key: (): string | null => sessionStorage.getItem(KEY),
  signIn: (key: string) => sessionStorage.setItem(KEY, key),
  signOut: () => sessionStorage.removeItem(KEY),
};

/** A failed call, with the catalogue code the service answered (UNAUTHENTICATED, ...). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Called when the service refuses the key, so the app can return to sign-in. */
let onUnauthorized: () => void = () => {};
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

function headers(key = session.key()): HeadersInit {
  return key ? { authorization: `Bearer ${key}` } : {};
}

async function failure(res: Response): Promise<ApiError> {
  const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
  const code = body.error?.code ?? `HTTP_${res.status}`;
  return new ApiError(res.status, code, body.error?.message ?? res.statusText);
}

/** GET a JSON route. `okStatuses` lets /ready's 503 (a valid report of what fails) through. */
/**
 * The JSON body of a GET route's 200 answer, from the types generated from the service's
 * OpenAPI document (src/client), so the pages never restate a response shape by hand.
 */
export type ResponseOf<P extends keyof paths> = paths[P] extends {
  get: { responses: { 200: { content: { 'application/json': infer T } } } };
}
  ? T
  : never;

export async function getJson<T>(path: string, okStatuses: number[] = [], key?: string): Promise<T> {
  const res = await fetch(path, { headers: headers(key) });
  if (res.ok || okStatuses.includes(res.status)) return (await res.json()) as T;
  const error = await failure(res);
  if (res.status === 401 && key === undefined) onUnauthorized();
  throw error;
}

export async function getText(path: string): Promise<string> {
  const res = await fetch(path, { headers: headers() });
  if (!res.ok) throw await failure(res);
  return res.text();
}

export interface StreamHandle {
  close(): void;
}

/**
 * A Server-Sent Events stream read with fetch: EventSource cannot send the Authorization
 * header. Reconnects after a failure (the streams are live only, so the page reloads its
 * snapshot through `onOpen` each time), with a back-off capped at 15 s.
 */
export function openStream(
  path: string,
  handlers: {
    onEvent(type: string, data: unknown): void;
    onOpen?(): void;
    onError?(error: unknown): void;
  },
): StreamHandle {
  const controller = new AbortController();
  let delay = 1_000;
  const run = async (): Promise<void> => {
    while (!controller.signal.aborted) {
      try {
        const res = await fetch(path, { headers: headers(), signal: controller.signal });
        if (!res.ok || !res.body) throw await failure(res);
        delay = 1_000;
        handlers.onOpen?.();
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            dispatch(buffer.slice(0, end), handlers.onEvent);
            buffer = buffer.slice(end + 2);
          }
        }
      } catch (error) {
        if (controller.signal.aborted) return;
        if (error instanceof ApiError && error.status === 401) {
          onUnauthorized();
          return;
        }
        handlers.onError?.(error);
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 15_000);
    }
  };
  void run();
  return { close: () => controller.abort() };
}

function dispatch(block: string, onEvent: (type: string, data: unknown) => void): void {
  let type = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue; // comments: the connect line and keep-alives
    if (line.startsWith('event:')) type = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
  }
  if (data.length === 0) return;
  try {
    onEvent(type, JSON.parse(data.join('\n')));
  } catch {
    onEvent(type, data.join('\n'));
  }
}

/** Runs `tick` now and then every `ms` (never under 5 s: see the issue) until stopped. */
export function every(ms: number, tick: () => Promise<void> | void): () => void {
  const interval = Math.max(ms, 5_000);
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const loop = async () => {
    try {
      await tick();
    } finally {
      if (!stopped) timer = setTimeout(() => void loop(), interval);
    }
  };
  void loop();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
