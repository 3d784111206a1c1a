import { SwitchboardError } from '../../errors/index.js';
import type { Session, Turn, TurnType } from './types.js';

export interface TreeBounds {
  maxTurnsPerSession: number;
  maxDepth: number;
}

/**
 * A session's turns indexed as a tree: the one place the tree's rules are checked, whichever
 * store the turns came from. Built from the session's turns (one partition read on the
 * wide-column side, two indexed range reads on the relational side).
 */
export class TreeIndex {
  readonly byId = new Map<string, Turn>();

  constructor(
    readonly session: Session,
    readonly turns: readonly Turn[],
  ) {
    for (const t of turns) this.byId.set(t.turnUid, t);
  }

  /** The parent (turn or the session itself) named by `parentUid`, or UNKNOWN_PARENT. */
  parent(parentUid: string, field: string): Session | Turn {
    if (parentUid === this.session.sessionUid) return this.session;
    const turn = this.byId.get(parentUid);
    if (!turn) {
      throw new SwitchboardError(
        'UNKNOWN_PARENT',
        `Turn ${parentUid} is not in session ${this.session.sessionUid}`,
        {
          field,
        },
      );
    }
    return turn;
  }

  turn(turnUid: string, field: string): Turn {
    const turn = this.byId.get(turnUid);
    if (!turn) {
      throw new SwitchboardError(
        'TURN_NOT_FOUND',
        `Turn ${turnUid} is not in session ${this.session.sessionUid}`,
        {
          field,
        },
      );
    }
    return turn;
  }

  /** Turns from the root down to `turnUid` (inclusive). */
  ancestry(turnUid: string): Turn[] {
    const path: Turn[] = [];
    let current = this.byId.get(turnUid);
    // The guard bounds a walk over corrupted data (a stored cycle) to the number of turns.
    while (current && path.length <= this.turns.length) {
      path.push(current);
      current = this.byId.get(current.parentUid);
    }
    return path.reverse();
  }

  /** The active path: from the session's active root, following each turn's active child. */
  activePath(): Turn[] {
    const path: Turn[] = [];
    let next = this.session.activeChild;
    while (next !== null && path.length < this.turns.length) {
      const turn = this.byId.get(next);
      if (!turn) break;
      path.push(turn);
      next = turn.activeChild;
    }
    return path;
  }

  /** The last turn of the active path, or the session when it has no turn yet. */
  activeLeaf(): Session | Turn {
    return this.activePath().at(-1) ?? this.session;
  }

  /**
   * Checks that a new turn of `type` may hang under `parent`: a human turn under an agent
   * turn or the session (a root), an agent turn under a human turn; that its id (when the
   * caller chose one) is new and not an ancestor (a cycle); and the session's bounds.
   */
  checkAppend(
    type: TurnType,
    parent: Session | Turn,
    turnUid: string | undefined,
    bounds: TreeBounds,
  ): number {
    const parentType = 'turnUid' in parent ? parent.turnType : 'session';
    const allowed =
      type === 'human' ? parentType === 'agent' || parentType === 'session' : parentType === 'human';
    if (!allowed) {
      throw new SwitchboardError(
        'INVALID_PARENT_TYPE',
        type === 'human'
          ? `A human turn cannot follow a ${parentType} turn`
          : parentType === 'session'
            ? 'An agent turn needs a human turn as its parent'
            : 'An agent turn cannot follow another agent turn',
        { field: 'body.parentUid', details: { turnType: type, parentType } },
      );
    }
    const ancestors = 'turnUid' in parent ? this.ancestry(parent.turnUid) : [];
    if (turnUid !== undefined) {
      if (turnUid === this.session.sessionUid || ancestors.some((a) => a.turnUid === turnUid)) {
        throw new SwitchboardError('TURN_CYCLE', `Turn ${turnUid} would be its own ancestor`, {
          field: 'body.turnUid',
        });
      }
      if (this.byId.has(turnUid)) {
        throw new SwitchboardError('TURN_EXISTS', `Turn ${turnUid} already exists`, {
          field: 'body.turnUid',
        });
      }
    }
    if (this.turns.length + 1 > bounds.maxTurnsPerSession) {
      throw new SwitchboardError(
        'CONVERSATION_TOO_LARGE',
        `The session already has ${this.turns.length} turns, the most allowed (conversations.max_turns_per_session)`,
        { field: 'params.sessionUid', details: { limit: bounds.maxTurnsPerSession } },
      );
    }
    const depth = ancestors.length + 1;
    if (depth > bounds.maxDepth) {
      throw new SwitchboardError(
        'CONVERSATION_TOO_DEEP',
        `The turn would be ${depth} turns deep; at most ${bounds.maxDepth} are allowed (conversations.max_depth)`,
        { field: 'body.parentUid', details: { depth, limit: bounds.maxDepth } },
      );
    }
    return depth;
  }

  /** Children of a parent in creation order (from the turns, when they are loaded anyway). */
  childrenOf(parentUid: string): Turn[] {
    return this.turns.filter((t) => t.parentUid === parentUid);
  }

  /** A creation time after every turn of the session, so creation order is total per session. */
  nextCreatedAt(now: Date): Date {
    const last = this.turns.reduce((max, t) => Math.max(max, t.createdAt.getTime()), 0);
    return new Date(Math.max(now.getTime(), last + 1));
  }
}
