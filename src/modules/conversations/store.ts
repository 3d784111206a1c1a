import { SwitchboardError } from '../../errors/index.js';
import type { Session, SessionPage, SessionSnapshot, Step, Turn, TurnPatch, TurnType } from './types.js';

/** A child as the branch index (`turns_by_parent`) knows it. */
export interface ChildRef {
  turnUid: string;
  turnType: TurnType;
  createdAt: Date;
}

/**
 * The storage primitives of a conversation, implemented once on the relational model
 * (relational-store.ts) and once on the wide-column tables (wide-store.ts). Everything
 * with a rule in it (tree validation, bounds, active path, branching) lives above, in the
 * service and tree.ts, so both stores answer to the same logic. Stores check nothing: the
 * service has validated every write before it gets here.
 */
export interface ConversationStore {
  readonly kind: 'relational' | 'wide_column';
  insertSession(session: Session): Promise<void>;
  /** The session whether or not it is soft-deleted (the service applies the grace period). */
  getSession(sessionUid: string): Promise<Session | null>;
  /** Sessions not deleted, newest first. */
  listSessions(accountUid: string, limit: number, pageToken: string | null): Promise<SessionPage>;
  updateSession(session: Session, patch: { title?: string; deletedAt?: Date }): Promise<void>;
  /** The session's turns in creation order, at most `limit`. */
  sessionTurns(sessionUid: string, limit: number): Promise<Turn[]>;
  /**
   * Claims a caller-chosen turn id for a session, unless another session holds it already;
   * returns the session that holds it (this one when the claim applied, or had before).
   */
  claimTurn(turnUid: string, sessionUid: string): Promise<string>;
  /**
   * Writes the turn and moves its parent's (turn or session) active child to it, atomically.
   * A turn id another session holds is refused with TURN_EXISTS, nothing written.
   */
  insertTurn(turn: Turn, parent: Session | Turn): Promise<void>;
  setActiveChild(parent: Session | Turn, childUid: string): Promise<void>;
  updateTurn(turn: Turn, patch: TurnPatch): Promise<void>;
  /** The highest step index of the turn, -1 when it has none. */
  lastStepIdx(turnUid: string): Promise<number>;
  insertSteps(sessionUid: string, steps: readonly Step[]): Promise<void>;
  steps(turnUid: string, limit: number): Promise<Step[]>;
  /** Children of a turn (or root turns of a session, given its id) in creation order. */
  children(parentUid: string, sessionUid: string, limit: number): Promise<ChildRef[]>;
  /** Writes a whole session as given, idempotently (backfill, repair, the async copy). */
  putSnapshot(snapshot: SessionSnapshot): Promise<void>;
}

export function isSession(parent: Session | Turn): parent is Session {
  return !('turnUid' in parent);
}

/** A turn id that another conversation holds. */
export function turnExists(turnUid: string): SwitchboardError {
  return new SwitchboardError('TURN_EXISTS', `Turn ${turnUid} already exists in another conversation`, {
    field: 'body.turnUid',
  });
}
