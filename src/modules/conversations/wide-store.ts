import { newRow, type Row } from '../../ports/wide-column/declare.js';
import { batchOp, type BatchOp, type Page, type WideColumnEngine } from '../../ports/wide-column/engine.js';
import { mapBounded } from './bounded.js';
import { decodeToken, encodeToken } from './page-token.js';
import { isSession, type ChildRef, type ConversationStore } from './store.js';
import {
  sessionById,
  sessionsByUser,
  stepsByTurn,
  turnOwners,
  turnsByParent,
  turnsBySession,
} from './tables.js';
import type {
  Session,
  SessionPage,
  SessionSnapshot,
  Step,
  StepType,
  Turn,
  TurnPatch,
  TurnType,
} from './types.js';

function sessionOf(r: Row<typeof sessionById>): Session {
  return {
    sessionUid: r.session_uid,
    accountUid: r.account_uid ?? '',
    title: r.title ?? '',
    createdAt: r.created_at ?? new Date(0),
    deletedAt: r.deleted_at,
    activeChild: r.active_child,
  };
}

function turnOf(r: Row<typeof turnsBySession>): Turn {
  return {
    turnUid: r.turn_uid,
    sessionUid: r.session_uid,
    turnType: (r.turn_type ?? 'human') as TurnType,
    parentUid: r.parent_uid ?? r.session_uid,
    createdAt: r.created_at,
    activeChild: r.active_child,
    prompt: r.prompt,
    liked: r.liked,
    completed: r.completed ?? false,
  };
}

function stepOf(r: Row<typeof stepsByTurn>): Step {
  return {
    turnUid: r.turn_uid,
    idx: r.idx,
    tpe: (r.tpe ?? 'text') as StepType,
    content: r.content ?? '',
    createdAt: r.created_at ?? new Date(0),
  };
}

const PAGE = 1000;
const SNAPSHOT_BATCH_OPS = 50;
const SNAPSHOT_BATCH_BYTES = 24_000;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The conversation store on the seed's wide-column tables (tables.ts). Every read names one
 * partition; a turn's two copies and its parent's new active child go in one logged batch.
 */
export class WideColumnConversationStore implements ConversationStore {
  readonly kind = 'wide_column' as const;
  constructor(
    private readonly engine: WideColumnEngine,
    private readonly concurrency = 16,
  ) {}

  private sessionOps(s: Session): BatchOp[] {
    return [
      batchOp.insert(
        sessionById,
        newRow({
          session_uid: s.sessionUid,
          account_uid: s.accountUid,
          created_at: s.createdAt,
          title: s.title,
          deleted_at: s.deletedAt ?? undefined,
          active_child: s.activeChild ?? undefined,
        }),
      ),
      batchOp.insert(
        sessionsByUser,
        newRow({
          account_uid: s.accountUid,
          created_at: s.createdAt,
          session_uid: s.sessionUid,
          title: s.title,
          deleted_at: s.deletedAt ?? undefined,
        }),
      ),
    ];
  }

  async insertSession(s: Session): Promise<void> {
    await this.engine.batch(this.sessionOps(s));
  }

  async getSession(sessionUid: string): Promise<Session | null> {
    const row = await this.engine.get(sessionById, { session_uid: sessionUid });
    return row && row.account_uid !== null ? sessionOf(row) : null;
  }

  async listSessions(accountUid: string, limit: number, pageToken: string | null): Promise<SessionPage> {
    let token: string | null = pageToken ? (decodeToken(pageToken, 'w').t ?? null) : null;
    const sessions: Session[] = [];
    // Deleted sessions are skipped here (no filtering on a regular column in CQL). Each engine
    // page asks only for the rows still missing, so the engine token never skips a row.
    do {
      const page = await this.engine.slice(sessionsByUser, {
        key: { account_uid: accountUid },
        limit: limit - sessions.length,
        pageToken: token,
      });
      for (const r of page.rows) {
        if (r.deleted_at !== null) continue;
        sessions.push({
          sessionUid: r.session_uid,
          accountUid: r.account_uid,
          title: r.title ?? '',
          createdAt: r.created_at,
          deletedAt: null,
          activeChild: null,
        });
      }
      token = page.nextPageToken;
    } while (token !== null && sessions.length < limit);
    // The list view carries no active child (sessions_by_user does not hold it): read by id for that.
    return { sessions, nextPageToken: token === null ? null : encodeToken('w', { t: token }) };
  }

  async updateSession(s: Session, patch: { title?: string; deletedAt?: Date }): Promise<void> {
    const set = newRow({ title: patch.title, deleted_at: patch.deletedAt });
    await this.engine.batch([
      batchOp.update(sessionById, { session_uid: s.sessionUid }, set),
      batchOp.update(
        sessionsByUser,
        { account_uid: s.accountUid, created_at: s.createdAt, session_uid: s.sessionUid },
        set,
      ),
    ]);
  }

  async sessionTurns(sessionUid: string, limit: number): Promise<Turn[]> {
    const turns: Turn[] = [];
    let token: string | null = null;
    do {
      const page: Page<Row<typeof turnsBySession>> = await this.engine.slice(turnsBySession, {
        key: { session_uid: sessionUid },
        limit: Math.min(PAGE, limit - turns.length),
        pageToken: token,
      });
      for (const r of page.rows) turns.push(turnOf(r));
      token = page.nextPageToken;
    } while (token !== null && turns.length < limit);
    return turns;
  }

  private turnOps(turn: Turn): BatchOp[] {
    return [
      batchOp.insert(
        turnsBySession,
        newRow({
          session_uid: turn.sessionUid,
          created_at: turn.createdAt,
          turn_uid: turn.turnUid,
          turn_type: turn.turnType,
          parent_uid: turn.parentUid,
          active_child: turn.activeChild ?? undefined,
          prompt: turn.prompt ?? undefined,
          liked: turn.liked ?? undefined,
          completed: turn.turnType === 'agent' ? turn.completed : undefined,
        }),
      ),
      batchOp.insert(turnsByParent, {
        parent_uid: turn.parentUid,
        created_at: turn.createdAt,
        turn_uid: turn.turnUid,
        session_uid: turn.sessionUid,
        turn_type: turn.turnType,
      }),
    ];
  }

  private activeOp(parent: Session | Turn, childUid: string): BatchOp {
    return isSession(parent)
      ? batchOp.update(sessionById, { session_uid: parent.sessionUid }, { active_child: childUid })
      : batchOp.update(
          turnsBySession,
          { session_uid: parent.sessionUid, created_at: parent.createdAt, turn_uid: parent.turnUid },
          { active_child: childUid },
        );
  }

  async claimTurn(turnUid: string, sessionUid: string): Promise<string> {
    const claim = await this.engine.insert(
      turnOwners,
      { turn_uid: turnUid, session_uid: sessionUid },
      { ifNotExists: true },
    );
    return claim.applied ? sessionUid : (claim.current?.session_uid ?? sessionUid);
  }

  private ownerOp(turn: Turn): BatchOp {
    return batchOp.insert(turnOwners, { turn_uid: turn.turnUid, session_uid: turn.sessionUid });
  }

  async insertTurn(turn: Turn, parent: Session | Turn): Promise<void> {
    // One logged batch: both copies of the turn and the parent's new active child, or none.
    // Beside it, not in it, the turn's owner (a chosen id was claimed already; a generated one
    // is a random UUID nobody else can name): it takes the coordinator's timestamps (usesLwt),
    // which a logged batch may not mix with the driver's.
    await Promise.all([
      this.engine.batch([this.ownerOp(turn)]),
      this.engine.batch([...this.turnOps(turn), this.activeOp(parent, turn.turnUid)]),
    ]);
  }

  async setActiveChild(parent: Session | Turn, childUid: string): Promise<void> {
    await this.engine.batch([this.activeOp(parent, childUid)]);
  }

  async updateTurn(turn: Turn, patch: TurnPatch): Promise<void> {
    const set = newRow({ active_child: patch.activeChild, liked: patch.liked, completed: patch.completed });
    await this.engine.update(
      turnsBySession,
      { session_uid: turn.sessionUid, created_at: turn.createdAt, turn_uid: turn.turnUid },
      set,
    );
  }

  async lastStepIdx(turnUid: string): Promise<number> {
    const page = await this.engine.slice(stepsByTurn, {
      key: { turn_uid: turnUid },
      order: 'DESC',
      limit: 1,
    });
    return page.rows[0]?.idx ?? -1;
  }

  private stepOps(steps: readonly Step[]): BatchOp[] {
    return steps.map((s) =>
      batchOp.insert(stepsByTurn, {
        turn_uid: s.turnUid,
        idx: s.idx,
        tpe: s.tpe,
        content: s.content,
        created_at: s.createdAt,
      }),
    );
  }

  async insertSteps(_sessionUid: string, steps: readonly Step[]): Promise<void> {
    if (steps.length > 0) await this.engine.batch(this.stepOps(steps));
  }

  async steps(turnUid: string, limit: number): Promise<Step[]> {
    const steps: Step[] = [];
    let token: string | null = null;
    do {
      const page: Page<Row<typeof stepsByTurn>> = await this.engine.slice(stepsByTurn, {
        key: { turn_uid: turnUid },
        limit: Math.min(PAGE, limit - steps.length),
        pageToken: token,
      });
      for (const r of page.rows) steps.push(stepOf(r));
      token = page.nextPageToken;
    } while (token !== null && steps.length < limit);
    return steps;
  }

  async children(parentUid: string, sessionUid: string, limit: number): Promise<ChildRef[]> {
    const page = await this.engine.slice(turnsByParent, {
      key: { parent_uid: parentUid },
      limit: Math.min(limit, 10_000),
    });
    // Only this session's: a parent id may also name a turn or session elsewhere (rows written
    // before turn ids were claimed, or a turn id equal to another session's id).
    return page.rows
      .filter((r) => r.session_uid === null || r.session_uid === sessionUid)
      .map((r) => ({
        turnUid: r.turn_uid,
        turnType: (r.turn_type ?? 'human') as TurnType,
        createdAt: r.created_at,
      }));
  }

  async putSnapshot(snapshot: SessionSnapshot): Promise<void> {
    // Owners in batches of their own: they take coordinator timestamps, which the others do not.
    await mapBounded(chunks(snapshot.turns, SNAPSHOT_BATCH_OPS), this.concurrency, (turns) =>
      this.engine.batch(
        turns.map((turn) => this.ownerOp(turn)),
        { atomic: false },
      ),
    );
    const ops = [
      ...this.sessionOps(snapshot.session),
      ...snapshot.turns.flatMap((turn) => this.turnOps(turn)),
      ...this.stepOps(snapshot.steps),
    ];
    // A few batches rather than one per row (one commit each on the embedded engine), but not
    // one huge batch either: ScyllaDB warns on, then refuses, batches of many kilobytes.
    const batches: BatchOp[][] = [];
    let current: BatchOp[] = [];
    let bytes = 0;
    for (const op of ops) {
      const size = op.kind === 'insert' ? JSON.stringify(op.row).length : 100;
      if (
        current.length > 0 &&
        (current.length >= SNAPSHOT_BATCH_OPS || bytes + size > SNAPSHOT_BATCH_BYTES)
      ) {
        batches.push(current);
        current = [];
        bytes = 0;
      }
      current.push(op);
      bytes += size;
    }
    if (current.length > 0) batches.push(current);
    await mapBounded(batches, this.concurrency, (batch) => this.engine.batch(batch));
  }
}
