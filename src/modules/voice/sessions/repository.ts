import { newRow, type Row, type RowInput } from '../../../ports/wide-column/declare.js';
import type {
  Conditions,
  Page,
  UpdateSet,
  WideColumnEngine,
  WriteResult,
} from '../../../ports/wide-column/engine.js';
import { sessions, sessionsByPhone } from '../tables.js';

export type SessionRow = Row<typeof sessions>;

/** Store access for sessions; no rules here beyond which table and key. */
export class SessionRepository {
  constructor(private readonly store: WideColumnEngine) {}

  /** INSERT IF NOT EXISTS: a session id is taken once. */
  create(row: RowInput<typeof sessions>, ttlSeconds: number): Promise<WriteResult<typeof sessions>> {
    return this.store.insert(sessions, newRow(row), { ttlSeconds, ifNotExists: true });
  }

  indexByPhone(
    phone: string,
    createdAt: Date,
    sessionId: string,
    expiresAt: Date,
    ttlSeconds: number,
  ): Promise<unknown> {
    return this.store.insert(
      sessionsByPhone,
      { customer_phone: phone, created_at: createdAt, session_id: sessionId, expires_at: expiresAt },
      { ttlSeconds },
    );
  }

  get(sessionId: string): Promise<SessionRow | null> {
    return this.store.get(sessions, { session_id: sessionId });
  }

  /**
   * A conditional update (always a lightweight transaction, so it never resurrects an
   * expired session as a half row): `IF EXISTS`, or `IF memory_version = v`.
   */
  update(
    sessionId: string,
    set: UpdateSet<typeof sessions>,
    ttlSeconds: number,
    condition: Conditions<typeof sessions> | 'exists',
  ): Promise<WriteResult<typeof sessions>> {
    return this.store.update(
      sessions,
      { session_id: sessionId },
      set,
      condition === 'exists' ? { ttlSeconds, ifExists: true } : { ttlSeconds, if: condition },
    );
  }

  listByPhone(
    phone: string,
    limit: number,
    pageToken?: string | null,
  ): Promise<Page<Row<typeof sessionsByPhone>>> {
    return this.store.slice(sessionsByPhone, {
      key: { customer_phone: phone },
      limit,
      pageToken: pageToken ?? null,
    });
  }
}
