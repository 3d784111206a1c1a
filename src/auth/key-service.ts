import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { SwitchboardError } from '../errors/index.js';
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
 */
export class ApiKeyService {
  private readonly db: Kysely<AuthDatabase>;
  private readonly configured = new Map<string, ApiKey>();
  private readonly cache = new Map<string, { key: ApiKey; expiresAt: number }>();
  private readonly cacheTtlMs: number;

  constructor(private readonly options: ApiKeyServiceOptions) {
    this.db = options.relational.db as Kysely<AuthDatabase>;
    this.cacheTtlMs = options.cacheTtlMs ?? 5_000;
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

  /** Revokes a stored key (idempotent: revoking twice keeps the first time). */
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
      await this.db
        .updateTable('api_keys')
        .set({ revoked_at: this.options.clock.now().toISOString() })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
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
    const now = Date.now();
    const cached = this.cache.get(hash);
    let key: ApiKey;
    if (cached && cached.expiresAt > now) {
      key = cached.key;
    } else {
      const row = await this.db
        .selectFrom('api_keys')
        .selectAll()
        .where('hash', '=', hash)
        .executeTakeFirst();
      if (!row) {
        this.cache.delete(hash);
        throw new SwitchboardError('UNAUTHENTICATED');
      }
      key = fromRow(row);
      if (this.cacheTtlMs > 0) this.cache.set(hash, { key, expiresAt: now + this.cacheTtlMs });
      if (key.revokedAt === null) await this.touch(key.id);
    }
    if (key.revokedAt !== null) throw new SwitchboardError('API_KEY_REVOKED');
    return key;
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
