import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SwitchboardError } from '../../errors/index.js';

const MAC_BYTES = 16;
/** Query names a page token arrives under (`page_token` is the deprecated spelling). */
const TOKEN_PARAMS = ['pageToken', 'page_token'] as const;
/** Response fields that carry the next page's token. */
const NEXT_FIELDS = ['nextPageToken', 'next_page_token'] as const;

/**
 * Page tokens as the HTTP API hands them out: the store's own token (an engine's paging state,
 * a module's cursor) sealed with an HMAC under a server key and bound to the route that issued
 * it. A garbled or forged token, or one from another route, is the client's mistake: 400
 * INVALID_PAGE_TOKEN naming the parameter, never a 500 that names tables, raises the
 * store-error metrics or is logged as a dependency failure. Inside, modules keep their
 * tokens as they were; this layer seals every `nextPageToken` a /v1 route returns and opens
 * every `pageToken` it is given.
 */
export function installPageTokens(v1: FastifyInstance, secret: Buffer): void {
  v1.addHook('preHandler', async (request) => {
    const query = request.query as Record<string, unknown> | undefined;
    if (!query) return;
    for (const name of TOKEN_PARAMS) {
      const token = query[name];
      if (token === undefined) continue;
      query[name] = open(secret, routeKey(request), token, `query.${name}`);
    }
  });
  v1.addHook('preSerialization', async (request, _reply, payload: unknown) => {
    if (payload === null || typeof payload !== 'object') return payload;
    const body = payload as Record<string, unknown>;
    for (const name of NEXT_FIELDS) {
      const token = body[name];
      if (typeof token === 'string') body[name] = seal(secret, routeKey(request), token);
    }
    return body;
  });
}

function routeKey(request: FastifyRequest): string {
  return `${request.method} ${request.routeOptions.url ?? ''}`;
}

function mac(secret: Buffer, route: string, inner: Buffer): Buffer {
  return createHmac('sha256', secret)
    .update(route)
    .update('\u0000')
    .update(inner)
    .digest()
    .subarray(0, MAC_BYTES);
}

export function seal(secret: Buffer, route: string, inner: string): string {
  const bytes = Buffer.from(inner, 'utf8');
  return Buffer.concat([mac(secret, route, bytes), bytes]).toString('base64url');
}

export function open(secret: Buffer, route: string, token: unknown, field: string): string {
  const refuse = () => new SwitchboardError('INVALID_PAGE_TOKEN', undefined, { field });
  if (typeof token !== 'string' || token.length === 0 || !/^[A-Za-z0-9_-]+$/.test(token)) throw refuse();
  const raw = Buffer.from(token, 'base64url');
  if (raw.length <= MAC_BYTES) throw refuse();
  const inner = raw.subarray(MAC_BYTES);
  if (!timingSafeEqual(raw.subarray(0, MAC_BYTES), mac(secret, route, inner))) throw refuse();
  return inner.toString('utf8');
}

/**
 * The key page tokens are sealed with: `[server] page_token_secret` when set (required for
 * several replicas behind one load balancer, so a token from one is accepted by another), else
 * a random key kept in the data directory (`page-token.key`, created on first start), so
 * tokens survive a restart of a single process.
 */
export function pageTokenSecret(configured: string | undefined, dataDir: string): Buffer {
  if (configured !== undefined && configured !== '') return Buffer.from(configured, 'utf8');
  const path = join(dataDir, 'page-token.key');
  if (existsSync(path)) return Buffer.from(readFileSync(path, 'utf8').trim(), 'base64url');
  const key = randomBytes(32);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path, key.toString('base64url'), { mode: 0o600 });
  chmodSync(path, 0o600);
  return key;
}
