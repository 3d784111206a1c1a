import createFetchClient, { type Client } from 'openapi-fetch';
import type { operations, paths } from './api-types.gen.js';
import { SwitchboardApiError } from './errors.js';
import { allItems } from './pagination.js';
import { retryingFetch } from './retry.js';

export { SwitchboardApiError, isSwitchboardApiError, type ErrorCode } from './errors.js';
export { allItems, type Page } from './pagination.js';
export type { components, operations, paths } from './api-types.gen.js';

type JsonOf<T> = T extends { content: { 'application/json': infer B } } ? B : never;
/** The JSON body an operation takes, by operationId: `RequestBody<'voice.createSession'>`. */
export type RequestBody<K extends keyof operations> = operations[K] extends { requestBody?: infer R }
  ? JsonOf<NonNullable<R>>
  : never;
/** What an operation answers on success (its 200, 201 or 202), by operationId. */
export type ResponseBody<K extends keyof operations> = JsonOf<
  operations[K]['responses'][Extract<keyof operations[K]['responses'], 200 | 201 | 202>]
>;

export interface SwitchboardClientOptions {
  /** Where `switchboard serve` listens, e.g. `http://localhost:8080`. */
  baseUrl: string;
  /** An API key (`sb_...`, from `switchboard keys create`), sent as a bearer token. */
  apiKey?: string;
  /**
   * Extra attempts (default 2): GET/HEAD after a network error, 429, 502, 503 or 504; PUT and
   * DELETE after a 429 or 503 only; never POST or PATCH.
   */
  retries?: number;
  /** First retry backoff in ms, doubling (default 200); a Retry-After header wins. */
  retryDelayMs?: number;
  /** Another fetch (a proxy agent, a test double). */
  fetch?: (request: Request) => Promise<Response>;
  headers?: Record<string, string>;
}

/** What openapi-fetch returns for every call. */
interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a successful call; a SwitchboardApiError otherwise. */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok)
    throw new SwitchboardApiError(response.status, error, response.headers.get('x-request-id') ?? undefined);
  return data as T;
}

export type SwitchboardClient = ReturnType<typeof createSwitchboardClient>;

/**
 * A typed client for the Switchboard HTTP API. `api` reaches every operation of the OpenAPI
 * document with its path, parameters, body and answers typed (openapi-fetch; the types are
 * generated from the document at build time). The resource helpers below return the data
 * itself, throw SwitchboardApiError for any answer outside 2xx, and page lists for you.
 */
export function createSwitchboardClient(options: SwitchboardClientOptions) {
  const api: Client<paths> = createFetchClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers: {
      ...options.headers,
      ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
    },
    fetch: retryingFetch(options.fetch ?? ((request) => fetch(request)), {
      retries: options.retries ?? 2,
      baseDelayMs: options.retryDelayMs ?? 200,
    }),
  });
  const user = (userId: string) => ({ 'x-user-id': userId });

  return {
    api,
    voice: {
      sessions: {
        create: (body: RequestBody<'voice.createSession'>) =>
          unwrap(api.POST('/v1/voice/sessions', { body })),
        get: (sessionId: string) =>
          unwrap(api.GET('/v1/voice/sessions/{sessionId}', { params: { path: { sessionId } } })),
        /** A caller's live sessions, newest first, every page. */
        list: (phone: string, pageSize = 50) =>
          allItems(async (pageToken: string | undefined) => {
            const page = await unwrap(
              api.GET('/v1/voice/sessions', {
                params: { query: { phone, limit: pageSize, ...(pageToken ? { pageToken } : {}) } },
              }),
            );
            return { items: page.sessions, next: page.nextPageToken ?? undefined };
          }),
      },
    },
    channels: {
      create: (userId: string, body: RequestBody<'messaging.createChannel'>) =>
        unwrap(api.POST('/v1/channels', { params: { header: user(userId) }, body })),
      get: (userId: string, channelId: string) =>
        unwrap(
          api.GET('/v1/channels/{channelId}', { params: { header: user(userId), path: { channelId } } }),
        ),
    },
    messages: {
      send: (userId: string, channelId: string, body: RequestBody<'messaging.sendMessage'>) =>
        unwrap(
          api.POST('/v1/channels/{channelId}/messages', {
            params: { header: user(userId), path: { channelId } },
            body,
          }),
        ),
      /** A channel's history, newest first, as far back as the loop goes. */
      list: (userId: string, channelId: string, pageSize = 50) =>
        allItems(async (before: string | undefined) => {
          const page = await unwrap(
            api.GET('/v1/channels/{channelId}/messages', {
              params: {
                header: user(userId),
                path: { channelId },
                query: { limit: String(pageSize), ...(before ? { before } : {}) },
              },
            }),
          );
          const items = [...page.messages].sort((a, b) => compareIds(b.id, a.id));
          return { items, next: page.hasOlder && items.length > 0 ? items[items.length - 1]!.id : undefined };
        }),
    },
    conversations: {
      sessions: {
        create: (body: RequestBody<'conversations.createSession'>) =>
          unwrap(api.POST('/v1/conversations/sessions', { body })),
        /** An account's sessions, every page. */
        list: (accountUid: string, pageSize = 50) =>
          allItems(async (pageToken: string | undefined) => {
            const page = await unwrap(
              api.GET('/v1/conversations/accounts/{accountUid}/sessions', {
                params: {
                  path: { accountUid },
                  query: { limit: pageSize, ...(pageToken ? { pageToken } : {}) },
                },
              }),
            );
            return { items: page.sessions, next: page.nextPageToken ?? undefined };
          }),
      },
    },
    interactions: {
      record: (body: RequestBody<'interactions.record'>) => unwrap(api.POST('/v1/interactions', { body })),
    },
    callcenter: {
      agents: {
        create: (body: RequestBody<'callcenter.agents.create'>) =>
          unwrap(api.POST('/v1/callcenter/agents', { body })),
        get: (agentId: string) =>
          unwrap(api.GET('/v1/callcenter/agents/{agentId}', { params: { path: { agentId } } })),
      },
    },
  };
}

/** Snowflake ids are decimal strings up to 19 digits: longer is larger, then lexical. */
function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
