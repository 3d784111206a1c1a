import type { Kysely } from 'kysely';
import type { RelationalStore } from '../../ports/relational/store.js';
import type { ConversationDatabase } from './migrations.js';

/**
 * Sessions whose copy on the secondary side may be behind: a wide-column write that failed
 * during dual-write, a failed hand-off to the event log, or a verify mismatch. Kept in the
 * relational store (the source of truth while it is written), one row per session however
 * often it failed; `switchboard conversations repair` rewrites each and removes its row.
 */
export class RepairLog {
  constructor(private readonly store: RelationalStore) {}

  private get db(): Kysely<ConversationDatabase> {
    return this.store.db as Kysely<ConversationDatabase>;
  }

  async record(sessionUid: string, reason: string, at: Date = new Date()): Promise<void> {
    await this.db
      .insertInto('conversation_repairs')
      .values({ session_uid: sessionUid, reason, recorded_at: at.toISOString(), attempts: 1 })
      .onConflict((oc) =>
        oc.column('session_uid').doUpdateSet((eb) => ({
          reason,
          recorded_at: at.toISOString(),
          attempts: eb('conversation_repairs.attempts', '+', 1),
        })),
      )
      .execute();
  }

  /** Session ids after `after` in id order (a stable cursor for a resumable repair). */
  async list(after: string | null, limit: number): Promise<{ sessionUid: string; reason: string }[]> {
    let q = this.db.selectFrom('conversation_repairs').select(['session_uid', 'reason']);
    if (after !== null) q = q.where('session_uid', '>', after);
    const rows = await q.orderBy('session_uid').limit(limit).execute();
    return rows.map((r) => ({ sessionUid: r.session_uid, reason: r.reason }));
  }

  /** Removes the entry only if it was not recorded again since `before` (a write failing mid-repair stays). */
  async resolve(sessionUid: string, before: Date): Promise<void> {
    await this.db
      .deleteFrom('conversation_repairs')
      .where('session_uid', '=', sessionUid)
      .where('recorded_at', '<=', before.toISOString())
      .execute();
  }

  async backlog(): Promise<number> {
    const row = await this.db
      .selectFrom('conversation_repairs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
