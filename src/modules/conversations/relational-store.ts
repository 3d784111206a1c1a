import type { Kysely } from 'kysely';
import { isSwitchboardError } from '../../errors/index.js';
import type { Executor, RelationalStore } from '../../ports/relational/store.js';
import type { ConversationDatabase } from './migrations.js';
import { decodeToken, encodeToken } from './page-token.js';
import { isSession, turnExists, type ChildRef, type ConversationStore } from './store.js';
import type { Session, SessionPage, SessionSnapshot, Step, StepType, Turn, TurnPatch } from './types.js';

type Db = Kysely<ConversationDatabase>;
type SessionRow = ConversationDatabase['sessions'];
type HumanRow = ConversationDatabase['human_turns'];
type AgentRow = ConversationDatabase['agent_turns'];
type StepRow = ConversationDatabase['steps'];

const iso = (d: Date): string => d.toISOString();
const date = (v: string | Date): Date => (v instanceof Date ? v : new Date(v));
const CHUNK = 100;

function sessionOf(r: SessionRow): Session {
  return {
    sessionUid: r.uid,
    accountUid: r.account_uid,
    title: r.title,
    createdAt: date(r.created_at),
    deletedAt: r.deleted_at === null ? null : date(r.deleted_at),
    activeChild: r.active_child,
  };
}

function humanOf(r: HumanRow): Turn {
  return {
    turnUid: r.uid,
    sessionUid: r.session_uid,
    turnType: 'human',
    parentUid: r.parent_uid ?? r.session_uid,
    createdAt: date(r.created_at),
    activeChild: r.active_child,
    prompt: r.prompt,
    liked: null,
    completed: false,
  };
}

function agentOf(r: AgentRow): Turn {
  return {
    turnUid: r.uid,
    sessionUid: r.session_uid,
    turnType: 'agent',
    parentUid: r.human_turn_uid,
    createdAt: date(r.created_at),
    activeChild: r.active_child,
    prompt: null,
    liked: r.liked === null ? null : r.liked === 1,
    completed: r.completed === 1,
  };
}

function stepOf(r: StepRow): Step {
  return {
    turnUid: r.agent_turn_uid,
    idx: r.idx,
    tpe: r.tpe as StepType,
    content: r.content,
    createdAt: date(r.created_at),
  };
}

/** Creation order, the turn id breaking ties (the service keeps times distinct per session). */
function byCreation(
  a: { createdAt: Date; turnUid: string },
  b: { createdAt: Date; turnUid: string },
): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || (a.turnUid < b.turnUid ? -1 : 1);
}

/**
 * The conversation store on the relational model (migrations.ts): the seed's current
 * system. A root turn's parent is NULL here and the session id in the service's model.
 */
export class RelationalConversationStore implements ConversationStore {
  readonly kind = 'relational' as const;
  constructor(private readonly store: RelationalStore) {}

  private get db(): Db {
    return this.store.db as Db;
  }

  async insertSession(s: Session): Promise<void> {
    await this.db.insertInto('sessions').values(this.sessionRow(s)).execute();
  }

  private sessionRow(s: Session): SessionRow {
    return {
      uid: s.sessionUid,
      account_uid: s.accountUid,
      title: s.title,
      created_at: iso(s.createdAt),
      deleted_at: s.deletedAt ? iso(s.deletedAt) : null,
      active_child: s.activeChild,
    };
  }

  async getSession(sessionUid: string): Promise<Session | null> {
    const row = await this.db
      .selectFrom('sessions')
      .selectAll()
      .where('uid', '=', sessionUid)
      .executeTakeFirst();
    return row ? sessionOf(row) : null;
  }

  async listSessions(accountUid: string, limit: number, pageToken: string | null): Promise<SessionPage> {
    const token = pageToken ? decodeToken(pageToken, 'r') : null;
    const after = token ? { c: token.c ?? '', u: token.u ?? '' } : null;
    let q = this.db
      .selectFrom('sessions')
      .selectAll()
      .where('account_uid', '=', accountUid)
      .where('deleted_at', 'is', null);
    if (after) {
      q = q.where((eb) =>
        eb.or([
          eb('created_at', '<', after.c),
          eb.and([eb('created_at', '=', after.c), eb('uid', '>', after.u)]),
        ]),
      );
    }
    const rows = await q
      .orderBy('created_at', 'desc')
      .orderBy('uid', 'asc')
      .limit(limit + 1)
      .execute();
    // The list view carries no active child, as on the wide-column side (sessions_by_user).
    const sessions = rows.slice(0, limit).map((r) => ({ ...sessionOf(r), activeChild: null }));
    const last = sessions.at(-1);
    return {
      sessions,
      nextPageToken:
        rows.length > limit && last ? encodeToken('r', { c: iso(last.createdAt), u: last.sessionUid }) : null,
    };
  }

  async updateSession(session: Session, patch: { title?: string; deletedAt?: Date }): Promise<void> {
    await this.db
      .updateTable('sessions')
      .set({
        ...(patch.title !== undefined ? { title: patch.title } : {}),
        ...(patch.deletedAt !== undefined ? { deleted_at: iso(patch.deletedAt) } : {}),
      })
      .where('uid', '=', session.sessionUid)
      .execute();
  }

  async sessionTurns(sessionUid: string, limit: number): Promise<Turn[]> {
    const [humans, agents] = await Promise.all([
      this.db
        .selectFrom('human_turns')
        .selectAll()
        .where('session_uid', '=', sessionUid)
        .orderBy('created_at')
        .limit(limit)
        .execute(),
      this.db
        .selectFrom('agent_turns')
        .selectAll()
        .where('session_uid', '=', sessionUid)
        .orderBy('created_at')
        .limit(limit)
        .execute(),
    ]);
    return [...humans.map(humanOf), ...agents.map(agentOf)].sort(byCreation).slice(0, limit);
  }

  /** The turn tables' primary keys are the claim: this only says who holds an id already. */
  async claimTurn(turnUid: string, sessionUid: string): Promise<string> {
    const holder = await this.db
      .selectFrom('human_turns')
      .select('session_uid')
      .where('uid', '=', turnUid)
      .unionAll(this.db.selectFrom('agent_turns').select('session_uid').where('uid', '=', turnUid))
      .executeTakeFirst();
    return holder?.session_uid ?? sessionUid;
  }

  async insertTurn(turn: Turn, parent: Session | Turn): Promise<void> {
    try {
      await this.store.transaction(async (trx) => {
        await this.writeTurn(trx as Db, turn, false);
        await this.setActive(trx as Db, parent, turn.turnUid);
      });
    } catch (error) {
      // Another session took the id between the claim and this write.
      const constraint = isSwitchboardError(error, 'CONFLICT') ? error.details?.['constraint'] : undefined;
      if (constraint === 'unique') throw turnExists(turn.turnUid);
      throw error;
    }
  }

  private async writeTurn(db: Db, turn: Turn, upsert: boolean): Promise<void> {
    if (turn.turnType === 'human') {
      const row: HumanRow = {
        uid: turn.turnUid,
        session_uid: turn.sessionUid,
        parent_uid: turn.parentUid === turn.sessionUid ? null : turn.parentUid,
        prompt: turn.prompt ?? '',
        created_at: iso(turn.createdAt),
        active_child: turn.activeChild,
      };
      const q = db.insertInto('human_turns').values(row);
      await (
        upsert
          ? q.onConflict((oc) =>
              oc.column('uid').doUpdateSet({ prompt: row.prompt, active_child: row.active_child }),
            )
          : q
      ).execute();
    } else {
      const row: AgentRow = {
        uid: turn.turnUid,
        session_uid: turn.sessionUid,
        human_turn_uid: turn.parentUid,
        created_at: iso(turn.createdAt),
        active_child: turn.activeChild,
        liked: turn.liked === null ? null : turn.liked ? 1 : 0,
        completed: turn.completed ? 1 : 0,
      };
      const q = db.insertInto('agent_turns').values(row);
      await (
        upsert
          ? q.onConflict((oc) =>
              oc
                .column('uid')
                .doUpdateSet({ active_child: row.active_child, liked: row.liked, completed: row.completed }),
            )
          : q
      ).execute();
    }
  }

  private async setActive(db: Db, parent: Session | Turn, childUid: string): Promise<void> {
    if (isSession(parent)) {
      await db
        .updateTable('sessions')
        .set({ active_child: childUid })
        .where('uid', '=', parent.sessionUid)
        .execute();
    } else {
      const table = parent.turnType === 'human' ? 'human_turns' : 'agent_turns';
      await db.updateTable(table).set({ active_child: childUid }).where('uid', '=', parent.turnUid).execute();
    }
  }

  async setActiveChild(parent: Session | Turn, childUid: string): Promise<void> {
    await this.setActive(this.db, parent, childUid);
  }

  async updateTurn(turn: Turn, patch: TurnPatch): Promise<void> {
    if (patch.activeChild !== undefined) await this.setActive(this.db, turn, patch.activeChild);
    if (turn.turnType !== 'agent' || (patch.liked === undefined && patch.completed === undefined)) return;
    await this.db
      .updateTable('agent_turns')
      .set({
        ...(patch.liked !== undefined ? { liked: patch.liked ? 1 : 0 } : {}),
        ...(patch.completed !== undefined ? { completed: patch.completed ? 1 : 0 } : {}),
      })
      .where('uid', '=', turn.turnUid)
      .execute();
  }

  async lastStepIdx(turnUid: string): Promise<number> {
    const row = await this.db
      .selectFrom('steps')
      .select((eb) => eb.fn.max('idx').as('m'))
      .where('agent_turn_uid', '=', turnUid)
      .executeTakeFirst();
    return row?.m === null || row?.m === undefined ? -1 : Number(row.m);
  }

  async insertSteps(_sessionUid: string, steps: readonly Step[]): Promise<void> {
    await this.writeSteps(this.db, steps, false);
  }

  private async writeSteps(db: Executor<ConversationDatabase>, steps: readonly Step[], upsert: boolean) {
    for (let i = 0; i < steps.length; i += CHUNK) {
      const rows = steps.slice(i, i + CHUNK).map((s) => ({
        agent_turn_uid: s.turnUid,
        idx: s.idx,
        tpe: s.tpe,
        content: s.content,
        created_at: iso(s.createdAt),
      }));
      const q = db.insertInto('steps').values(rows);
      await (
        upsert
          ? q.onConflict((oc) =>
              oc.columns(['agent_turn_uid', 'idx']).doUpdateSet((eb) => ({
                tpe: eb.ref('excluded.tpe'),
                content: eb.ref('excluded.content'),
                created_at: eb.ref('excluded.created_at'),
              })),
            )
          : q
      ).execute();
    }
  }

  async steps(turnUid: string, limit: number): Promise<Step[]> {
    const rows = await this.db
      .selectFrom('steps')
      .selectAll()
      .where('agent_turn_uid', '=', turnUid)
      .orderBy('idx')
      .limit(limit)
      .execute();
    return rows.map(stepOf);
  }

  async children(parentUid: string, sessionUid: string, limit: number): Promise<ChildRef[]> {
    const root = parentUid === sessionUid;
    let humans = this.db.selectFrom('human_turns').select(['uid', 'created_at']);
    humans = root
      ? humans.where('session_uid', '=', sessionUid).where('parent_uid', 'is', null)
      : humans.where('parent_uid', '=', parentUid).where('session_uid', '=', sessionUid);
    const [h, a] = await Promise.all([
      humans.orderBy('created_at').limit(limit).execute(),
      root
        ? Promise.resolve([])
        : this.db
            .selectFrom('agent_turns')
            .select(['uid', 'created_at'])
            .where('human_turn_uid', '=', parentUid)
            .where('session_uid', '=', sessionUid)
            .orderBy('created_at')
            .limit(limit)
            .execute(),
    ]);
    const refs: ChildRef[] = [
      ...h.map((r) => ({ turnUid: r.uid, turnType: 'human' as const, createdAt: date(r.created_at) })),
      ...a.map((r) => ({ turnUid: r.uid, turnType: 'agent' as const, createdAt: date(r.created_at) })),
    ];
    return refs.sort(byCreation).slice(0, limit);
  }

  async putSnapshot(snapshot: SessionSnapshot): Promise<void> {
    await this.store.transaction(async (trx) => {
      const db = trx as Db;
      const row = this.sessionRow(snapshot.session);
      await db
        .insertInto('sessions')
        .values(row)
        .onConflict((oc) =>
          oc
            .column('uid')
            .doUpdateSet({ title: row.title, deleted_at: row.deleted_at, active_child: row.active_child }),
        )
        .execute();
      // Creation order puts every parent before its children, as the foreign keys need.
      for (const turn of [...snapshot.turns].sort(byCreation)) await this.writeTurn(db, turn, true);
      await this.writeSteps(db, snapshot.steps, true);
    });
  }
}
