import { randomUUID } from 'node:crypto';
import { SwitchboardError } from '../../../errors/index.js';
import type { UpdateSet } from '../../../ports/wide-column/engine.js';
import type { Clock } from '../../../shared/clock.js';
import type { sessions } from '../tables.js';
import { normalisePhone } from '../phone.js';
import { invalid, isPlainObject, optionalText, pageLimit, parseStoredJson } from '../validate.js';
import type { SessionRepository, SessionRow } from './repository.js';

export interface VoiceSession {
  sessionId: string;
  customerPhone: string | null;
  customerSegment: string | null;
  language: string | null;
  conversationStage: string | null;
  /** The agent's JSON memory (an object); `memoryVersion` is what a write must quote. */
  memory: Record<string, unknown>;
  memoryVersion: number;
  metadata: Record<string, unknown> | null;
  createdAt: Date;
  updatedAt: Date;
  /** When the session and all its cells expire. */
  expiresAt: Date;
}

export interface CreateSessionInput {
  /** Caller-chosen id (e.g. the call id); a UUID is generated when absent. */
  sessionId?: string;
  customerPhone?: string | null;
  customerSegment?: string | null;
  language?: string | null;
  conversationStage?: string | null;
  memory?: Record<string, unknown>;
  metadata?: Record<string, unknown> | null;
}

export interface UpdateSessionInput {
  customerSegment?: string | null;
  language?: string | null;
  conversationStage?: string | null;
  metadata?: Record<string, unknown> | null;
}

export interface SessionServiceOptions {
  ttlSeconds: number;
  maxMemoryBytes: number;
  defaultRegion: string;
  clock: Clock;
}

const SESSION_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;
const SHORT_TEXT = 64;
const EXPIRY_CACHE_SIZE = 10_000;

/**
 * Voice sessions: a row per call with stage, language, segment and a JSON memory.
 *
 * Expiry: every write carries the TTL left until `expires_at` (CQL TTLs are per cell, so a
 * write without it would outlive the rest of the row), rounded up to whole seconds, and
 * rewrites `expires_at` itself; reads treat a row past `expires_at`, or without it, as gone,
 * which hides the cells that outlive the row by that rounding.
 *
 * Concurrency: memory writes are `UPDATE ... IF memory_version = v`. Two turns that read
 * version v both try to write v+1; exactly one applies, the other gets VERSION_CONFLICT with
 * the current version and re-reads (or `updateMemory` does that for it), so no write is lost.
 */
export class SessionService {
  /**
   * expires_at by session id. It is fixed at creation, so a turn that has just read the
   * session can write its memory without reading it again; an entry already in the past is
   * never trusted (the id may have been reused after expiry) and the row is read instead.
   */
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly repo: SessionRepository,
    private readonly options: SessionServiceOptions,
  ) {}

  async create(input: CreateSessionInput = {}): Promise<VoiceSession> {
    const sessionId = input.sessionId ?? randomUUID();
    if (typeof sessionId !== 'string' || !SESSION_ID_RE.test(sessionId)) {
      throw invalid('sessionId', 'must be 1-128 characters of A-Z a-z 0-9 . _ : -');
    }
    const phone =
      input.customerPhone === undefined || input.customerPhone === null
        ? null
        : normalisePhone(input.customerPhone, this.options.defaultRegion, 'customerPhone');
    const memory = input.memory ?? {};
    const memoryJson = this.encodeMemory(memory);
    const metadataJson = this.encodeMetadata(input.metadata);
    const row = {
      customerSegment: optionalText(input.customerSegment, 'customerSegment', SHORT_TEXT),
      language: optionalText(input.language, 'language', SHORT_TEXT),
      conversationStage: optionalText(input.conversationStage, 'conversationStage', SHORT_TEXT),
    };
    const now = this.options.clock.now();
    const ttl = this.options.ttlSeconds;
    const expiresAt = new Date(now.getTime() + ttl * 1000);
    const result = await this.repo.create(
      {
        session_id: sessionId,
        created_at: now,
        updated_at: now,
        expires_at: expiresAt,
        customer_phone: phone,
        customer_segment: row.customerSegment,
        language: row.language,
        conversation_stage: row.conversationStage,
        memory_json: memoryJson,
        metadata_json: metadataJson,
        memory_version: 1,
      },
      ttl,
    );
    if (!result.applied) {
      throw new SwitchboardError('CONFLICT', `sessionId: a session "${sessionId}" already exists`, {
        field: 'sessionId',
      });
    }
    this.remember(sessionId, expiresAt);
    // The index is written after the session: at worst a crash leaves a session missing from
    // the phone listing, never a listing entry without a session.
    if (phone) await this.repo.indexByPhone(phone, now, sessionId, expiresAt, ttl);
    return {
      sessionId,
      customerPhone: phone,
      ...row,
      memory: memory as Record<string, unknown>,
      memoryVersion: 1,
      metadata: input.metadata ?? null,
      createdAt: now,
      updatedAt: now,
      expiresAt,
    };
  }

  /** The session, or null when it does not exist or has expired. */
  async find(sessionId: string): Promise<VoiceSession | null> {
    if (typeof sessionId !== 'string' || !SESSION_ID_RE.test(sessionId)) return null;
    const row = await this.repo.get(sessionId);
    if (!row || !this.isLive(row)) return null;
    return toSession(row);
  }

  async get(sessionId: string): Promise<VoiceSession> {
    const session = await this.find(sessionId);
    if (!session) throw notFound(sessionId);
    return session;
  }

  /** Updates stage, language, segment or metadata; fields left undefined keep their value. */
  async update(sessionId: string, input: UpdateSessionInput): Promise<VoiceSession> {
    const set: UpdateSet<typeof sessions> = {};
    if (input.customerSegment !== undefined) {
      set.customer_segment = optionalText(input.customerSegment, 'customerSegment', SHORT_TEXT);
    }
    if (input.language !== undefined) set.language = optionalText(input.language, 'language', SHORT_TEXT);
    if (input.conversationStage !== undefined) {
      set.conversation_stage = optionalText(input.conversationStage, 'conversationStage', SHORT_TEXT);
    }
    if (input.metadata !== undefined) set.metadata_json = this.encodeMetadata(input.metadata);
    if (Object.keys(set).length === 0) {
      throw invalid(
        'body',
        'must set at least one of customerSegment, language, conversationStage, metadata',
      );
    }
    const row = await this.liveRow(sessionId);
    const now = this.options.clock.now();
    set.updated_at = now;
    set.expires_at = row.expires_at;
    const result = await this.repo.update(
      sessionId,
      set,
      this.remainingTtl(sessionId, row.expires_at!.getTime(), now),
      'exists',
    );
    if (!result.applied) throw notFound(sessionId);
    return this.get(sessionId);
  }

  async readMemory(sessionId: string): Promise<{ memory: Record<string, unknown>; version: number }> {
    const session = await this.get(sessionId);
    return { memory: session.memory, version: session.memoryVersion };
  }

  /**
   * Replaces the memory if it is still at `expectedVersion`; returns the new version.
   * A stale version fails with VERSION_CONFLICT (details.currentVersion) and writes nothing.
   */
  async writeMemory(
    sessionId: string,
    memory: Record<string, unknown>,
    expectedVersion: number,
  ): Promise<{ memory: Record<string, unknown>; version: number; updatedAt: Date }> {
    if (!Number.isInteger(expectedVersion) || expectedVersion < 1) {
      throw invalid('version', 'must be the positive integer memoryVersion last read');
    }
    const memoryJson = this.encodeMemory(memory);
    const now = this.options.clock.now();
    let expiresAt = this.expiries.get(sessionId);
    if (expiresAt === undefined || expiresAt <= now.getTime()) {
      expiresAt = (await this.liveRow(sessionId)).expires_at!.getTime();
    }
    const version = expectedVersion + 1;
    const result = await this.repo.update(
      sessionId,
      { memory_json: memoryJson, memory_version: version, updated_at: now, expires_at: new Date(expiresAt) },
      this.remainingTtl(sessionId, expiresAt, now),
      { memory_version: expectedVersion },
    );
    if (!result.applied) {
      if (!result.current) throw notFound(sessionId);
      const currentVersion = result.current.memory_version ?? null;
      throw new SwitchboardError(
        'VERSION_CONFLICT',
        `version: the memory is at version ${currentVersion}, not ${expectedVersion}; read it again and retry`,
        { field: 'version', details: { currentVersion, expectedVersion } },
      );
    }
    return { memory, version, updatedAt: now };
  }

  /**
   * Read-modify-write with retry: `change` gets the current memory and returns the next one;
   * on a version conflict it is called again on the fresh memory (up to `attempts` times).
   */
  async updateMemory(
    sessionId: string,
    change: (memory: Record<string, unknown>) => Record<string, unknown>,
    attempts = 5,
  ): Promise<{ memory: Record<string, unknown>; version: number; updatedAt: Date }> {
    for (let attempt = 1; ; attempt += 1) {
      const current = await this.readMemory(sessionId);
      try {
        return await this.writeMemory(sessionId, change(structuredClone(current.memory)), current.version);
      } catch (error) {
        if (!(error instanceof SwitchboardError && error.code === 'VERSION_CONFLICT') || attempt >= attempts)
          throw error;
      }
    }
  }

  /** A caller's live sessions, newest first. */
  async listByPhone(
    phone: string,
    options: { limit?: number; pageToken?: string | null } = {},
  ): Promise<{ sessions: VoiceSession[]; nextPageToken: string | null }> {
    const e164 = normalisePhone(phone, this.options.defaultRegion, 'phone');
    const limit = pageLimit(options.limit, 20, 100);
    const page = await this.repo.listByPhone(e164, limit, options.pageToken);
    const found = await Promise.all(page.rows.map((r) => this.find(r.session_id)));
    return {
      sessions: found.filter((s): s is VoiceSession => s !== null && s.customerPhone === e164),
      nextPageToken: page.nextPageToken,
    };
  }

  private async liveRow(sessionId: string): Promise<SessionRow> {
    const row =
      typeof sessionId === 'string' && SESSION_ID_RE.test(sessionId) ? await this.repo.get(sessionId) : null;
    if (!row || !this.isLive(row)) throw notFound(sessionId);
    return row;
  }

  /**
   * Every write sets expires_at, so a row without it, or past it, is the remnant of an expired
   * session: cells rewritten late carry a TTL rounded up to the second and may outlive the
   * rest of the row by under a second.
   */
  private isLive(row: SessionRow): boolean {
    if (row.expires_at === null || row.expires_at.getTime() <= this.options.clock.now().getTime())
      return false;
    this.remember(row.session_id, row.expires_at);
    return true;
  }

  /** Seconds left until expires_at, rounded up, so updated cells expire with the rest of the row. */
  private remainingTtl(sessionId: string, expiresAt: number, now: Date): number {
    const seconds = Math.ceil((expiresAt - now.getTime()) / 1000);
    if (seconds <= 0) throw notFound(sessionId);
    return seconds;
  }

  private remember(sessionId: string, expiresAt: Date): void {
    this.expiries.delete(sessionId);
    this.expiries.set(sessionId, expiresAt.getTime());
    if (this.expiries.size > EXPIRY_CACHE_SIZE) this.expiries.delete(this.expiries.keys().next().value!);
  }

  private encodeMemory(memory: unknown): string {
    if (!isPlainObject(memory)) throw invalid('memory', 'must be a JSON object');
    const json = JSON.stringify(memory);
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > this.options.maxMemoryBytes) {
      throw new SwitchboardError(
        'MEMORY_TOO_LARGE',
        `memory is ${bytes} bytes of JSON; at most ${this.options.maxMemoryBytes} are allowed`,
        { field: 'memory', details: { bytes, maxBytes: this.options.maxMemoryBytes } },
      );
    }
    return json;
  }

  private encodeMetadata(metadata: unknown): string | null {
    if (metadata === undefined || metadata === null) return null;
    if (!isPlainObject(metadata)) throw invalid('metadata', 'must be a JSON object');
    const json = JSON.stringify(metadata);
    if (Buffer.byteLength(json, 'utf8') > 16_384)
      throw invalid('metadata', 'must be at most 16384 bytes of JSON');
    return json;
  }
}

function notFound(sessionId: string): SwitchboardError {
  return new SwitchboardError('NOT_FOUND', `No live session "${sessionId}"`, { field: 'sessionId' });
}

function toSession(row: SessionRow): VoiceSession {
  const memory = parseStoredJson(row.memory_json);
  const metadata = parseStoredJson(row.metadata_json);
  return {
    sessionId: row.session_id,
    customerPhone: row.customer_phone,
    customerSegment: row.customer_segment,
    language: row.language,
    conversationStage: row.conversation_stage,
    memory: isPlainObject(memory) ? memory : {},
    memoryVersion: row.memory_version ?? 1,
    metadata: isPlainObject(metadata) ? metadata : null,
    createdAt: row.created_at ?? new Date(0),
    updatedAt: row.updated_at ?? row.created_at ?? new Date(0),
    expiresAt: row.expires_at ?? new Date(0),
  };
}
