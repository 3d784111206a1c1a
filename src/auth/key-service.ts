import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { isSwitchboardError, SwitchboardError } from '../errors/index.js';
import type { RelationalStore } from '../ports/relational/store.js';
import type { Clock } from '../shared/clock.js';
import { parseConfiguredKey } from './config.js';
import type { ApiKeysTable, AuthDatabase } from './migrations.js';
import { impliedScopes, isScope, scopeAllows, strongestScope, type Scope } from './scopes.js';
import { KEY_PREFIX, generateSecret, hashSecret, newKeyId } from './secrets.js';

/** A key as shown to administrators: never the secret, never the hash. */
export interface ApiKey {
  id: string;
  name: string;
  scope: Scope;
  scopes: Scope[];
  /** `config` keys come from `[auth] keys` and cannot be revoked through the API. */
  source: 'store' | 'config';
  createdAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

/** Returned once, at creation: the only time the secret exists outside the caller's hands. */
export interface CreatedApiKey extends ApiKey {
  secret: string;
}

export interface ApiKeyServiceOptions {
  relational: RelationalStore;
  clock: Clock;
  logger: Logger;
  /** `[auth] keys` entries ("name:scope:secret"). */
  configuredKeys?: readonly string[];
  cacheTtlMs?: number;
  /**
   * How long after its last successful check a key stays usable while the relational store is
   * unreachable (`[auth] stale_key_window_ms`, default 5 minutes; 0 turns it off).
   */
  staleWindowMs?: number;
  /** Milliseconds (default Date.now); tests step it. */
  now?: () => number;
}

/** Most keys remembered for the stale window; the least recently verified is dropped first. */
const MAX_REMEMBERED_KEYS = 10_000;
/** After a failed lookup, how long stale keys are served without asking the store again. */
const STORE_BACKOFF_MS = 1_000;

function storeUnreachable(error: unknown): boolean {
  return (
    isSwitchboardError(error) &&
    (error.code === 'STORE_UNAVAILABLE' || error.code === 'STORE_TIMEOUT' || error.code === 'CIRCUIT_OPEN')
  );
}

const BOOTSTRAP_ID = 'bootstrap-admin';
const NAME = /^[A-Za-z0-9_.\- ]{1,64}$/;

function toDate(value: string | Date | null): Date | null {
  return value === null ? null : value instanceof Date ? value : new Date(value);
}

function fromRow(row: ApiKeysTable): ApiKey {
  const scope = strongestScope(row.scopes.split(',')) ?? 'read';
  return {
    id: row.id,
    name: row.name,
    scope,
    scopes: impliedScopes(scope),
    source: 'store',
    createdAt: toDate(row.created_at),
    revokedAt: toDate(row.revoked_at),
    lastUsedAt: toDate(row.last_used_at),
  };
}

/**
 * API keys: issue, list, revoke, and verify a presented key. Verified keys are cached for a
 * few seconds (by hash) so a busy client does not cost a store read per request; a revoke in
 * this process clears the cache at once, one in another process takes at most `cacheTtlMs`.
 *
 * The stale window (issue 23): while the relational store is unreachable (STORE_UNAVAILABLE,
 * STORE_TIMEOUT, CIRCUIT_OPEN), a key verified within the last `staleWindowMs` is still
 * accepted with the scope it had, so routes that do not use the relational store keep working
 * through its outage. A key never verified by this process, or verified longer ago, gets the
 * store's 503. Revocations made elsewhere during the outage apply as soon as the store
 * answers again (the next lookup after the cache period reads the row).
 */
export class ApiKeyService {
  private readonly db: Kysely<AuthDatabase>;
  private readonly configured = new Map<string, ApiKey>();
  private readonly cache = new Map<string, { key: ApiKey; expiresAt: number; verifiedAt: number }>();
  private readonly cacheTtlMs: number;
  private readonly staleWindowMs: number;
  private readonly now: () => number;
  /** Until then, after a failed lookup, stale keys are served without asking the store. */
  private storeDownUntil = 0;

  constructor(private readonly options: ApiKeyServiceOptions) {
    this.db = options.relational.db as Kysely<AuthDatabase>;
    this.cacheTtlMs = options.cacheTtlMs ?? 5_000;
    this.staleWindowMs = options.staleWindowMs ?? 300_000;
    this.now = options.now ?? Date.now;
    for (const raw of options.configuredKeys ?? []) {
      const parsed = parseConfiguredKey(raw);
      if (!parsed) {
        throw new SwitchboardError(
          'CONFIG_INVALID',
          'Invalid entry in auth.keys: expected "name:scope:secret"',
          {
            field: 'auth.keys',
          },
        );
      }
      this.configured.set(hashSecret(parsed.secret), {
        id: `config:${parsed.name}`,
        name: parsed.name,
        scope: parsed.scope,
        scopes: impliedScopes(parsed.scope),
        source: 'config',
        createdAt: null,
        revokedAt: null,
        lastUsedAt: null,
      });
    }
  }

  async create(input: { name: string; scope: Scope }, options: { id?: string } = {}): Promise<CreatedApiKey> {
    const name = input.name.trim();
    if (!NAME.test(name)) {
      throw new SwitchboardError(
        'VALIDATION_FAILED',
        'A key name is 1 to 64 letters, digits, spaces or ._-',
        {
          field: 'name',
        },
      );
    }
    if (!isScope(input.scope)) {
      throw new SwitchboardError('VALIDATION_FAILED', 'scope must be read, write or admin', {
        field: 'scope',
      });
    }
    const secret = generateSecret();
    const now = this.options.clock.now();
    const row: ApiKeysTable = {
      id: options.id ?? newKeyId(),
      name,
      hash: hashSecret(secret),
      scopes: impliedScopes(input.scope).join(','),
      created_at: now.toISOString(),
      revoked_at: null,
      last_used_at: null,
    };
    await this.db.insertInto('api_keys').values(row).execute();
    return { ...fromRow({ ...row, created_at: now }), secret };
  }

  /** Configured keys first, then stored ones by creation time. */
  async list(): Promise<ApiKey[]> {
    const rows = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return [...this.configured.values(), ...rows.map(fromRow)];
  }

  async get(id: string): Promise<ApiKey | null> {
    const configured = [...this.configured.values()].find((k) => k.id === id);
    if (configured) return configured;
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  /**
   * Revokes a stored key (idempotent: revoking twice keeps the first time). The last active
   * admin key is refused (409 LAST_ADMIN_KEY) unless a configured admin key exists: without
   * one no one could create or revoke keys again. The check and the revoke share a
   * transaction; on PostgreSQL it locks the active admin rows first, so two admins revoking
   * each other's keys at once leave one.
   */
  async revoke(id: string): Promise<ApiKey> {
    const existing = await this.get(id);
    if (!existing) throw new SwitchboardError('NOT_FOUND', `No API key with id ${id}`, { field: 'id' });
    if (existing.source === 'config') {
      throw new SwitchboardError(
        'CONFLICT',
        'A key from configuration is revoked by removing it from auth.keys',
        {
          field: 'id',
        },
      );
    }
    if (existing.revokedAt === null) {
      const configuredAdmin = [...this.configured.values()].some((k) => k.scope === 'admin');
      await this.options.relational.transaction(async (trx) => {
        const db = trx as Kysely<AuthDatabase>;
        if (existing.scope === 'admin' && !configuredAdmin) {
          let query = db
            .selectFrom('api_keys')
            .select(['id', 'scopes'])
            .where('revoked_at', 'is', null)
            .orderBy('id');
          if (this.options.relational.dialect === 'postgres') query = query.forUpdate();
          const active = (await query.execute()).filter(
            (r) => r.id !== id && strongestScope(r.scopes.split(',')) === 'admin',
          );
          const self = await db
            .selectFrom('api_keys')
            .select('revoked_at')
            .where('id', '=', id)
            .executeTakeFirst();
          if (self?.revoked_at === null && active.length === 0) {
            throw new SwitchboardError(
              'LAST_ADMIN_KEY',
              'This is the last active admin key; create another admin key before revoking it',
              { field: 'id' },
            );
          }
        }
        await db
          .updateTable('api_keys')
          .set({ revoked_at: this.options.clock.now().toISOString() })
          .where('id', '=', id)
          .where('revoked_at', 'is', null)
          .execute();
      });
    }
    // Cached entries are keyed by hash, which we do not keep in ApiKey: drop them all.
    this.cache.clear();
    return (await this.get(id)) as ApiKey;
  }

  /** Resolves a presented key or throws UNAUTHENTICATED / API_KEY_REVOKED. */
  async authenticate(secret: string | undefined): Promise<ApiKey> {
    if (!secret || secret.length > 200) throw new SwitchboardError('UNAUTHENTICATED');
    const hash = hashSecret(secret);
    const configured = this.configured.get(hash);
    if (configured) return configured;
    // Issued keys always carry the prefix; anything else cannot be in the store.
    if (!secret.startsWith(KEY_PREFIX)) throw new SwitchboardError('UNAUTHENTICATED');
    const now = this.now();
    const cached = this.cache.get(hash);
    const stale = cached && now - cached.verifiedAt <= this.staleWindowMs ? cached.key : undefined;
    let key: ApiKey;
    if (cached && cached.expiresAt > now) {
      key = cached.key;
    } else if (stale && now < this.storeDownUntil) {
      key = stale;
    } else {
      let row: ApiKeysTable | undefined;
      try {
        row = await this.db.selectFrom('api_keys').selectAll().where('hash', '=', hash).executeTakeFirst();
      } catch (error) {
        if (!stale || !storeUnreachable(error)) throw error;
        this.storeDownUntil = now + STORE_BACKOFF_MS;
        return this.checkRevoked(stale);
      }
      this.storeDownUntil = 0;
      if (!row) {
        this.cache.delete(hash);
        throw new SwitchboardError('UNAUTHENTICATED');
      }
      key = fromRow(row);
      this.remember(hash, key, now);
      if (key.revokedAt === null) await this.touch(key.id);
    }
    return this.checkRevoked(key);
  }

  private checkRevoked(key: ApiKey): ApiKey {
    if (key.revokedAt !== null) throw new SwitchboardError('API_KEY_REVOKED');
    return key;
  }

  /** Caches a verified key for the cache period and remembers it for the stale window. */
  private remember(hash: string, key: ApiKey, now: number): void {
    if (this.cacheTtlMs <= 0 && this.staleWindowMs <= 0) return;
    this.cache.delete(hash); // re-inserted last: the map's order is the order of verification
    this.cache.set(hash, { key, expiresAt: now + this.cacheTtlMs, verifiedAt: now });
    if (this.cache.size > MAX_REMEMBERED_KEYS) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }

  /** Authenticates and checks the scope: FORBIDDEN_SCOPE when the key is too weak. */
  async authorize(secret: string | undefined, required: Scope): Promise<ApiKey> {
    const key = await this.authenticate(secret);
    if (!scopeAllows(key.scope, required)) {
      throw new SwitchboardError(
        'FORBIDDEN_SCOPE',
        `This route needs the ${required} scope; the key has ${key.scope}`,
        {
          details: { required, granted: key.scope },
        },
      );
    }
    return key;
  }

  /**
   * Creates the first admin key when there is no key at all (none stored, revoked or not,
   * and none configured). The fixed id makes two processes starting together create one.
   */
  async ensureBootstrapKey(): Promise<CreatedApiKey | null> {
    if (this.configured.size > 0) return null;
    const any = await this.db.selectFrom('api_keys').select('id').limit(1).executeTakeFirst();
    if (any) return null;
    try {
      return await this.create({ name: 'bootstrap admin', scope: 'admin' }, { id: BOOTSTRAP_ID });
    } catch (error) {
      const again = await this.db
        .selectFrom('api_keys')
        .select('id')
        .where('id', '=', BOOTSTRAP_ID)
        .executeTakeFirst();
      if (again) return null;
      throw error;
    }
  }

  clearCache(): void {
    this.cache.clear();
  }

  /** Records use at most once per cache period; a failure here must not refuse the request. */
  private async touch(id: string): Promise<void> {
    try {
      await this.db
        .updateTable('api_keys')
        .set({ last_used_at: this.options.clock.now().toISOString() })
        .where('id', '=', id)
        .execute();
    } catch (error) {
      this.options.logger.debug({ err: error }, 'could not record API key use');
    }
  }
}
