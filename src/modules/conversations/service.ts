import { randomUUID } from 'node:crypto';
import { SwitchboardError } from '../../errors/index.js';
import type { Clock } from '../../shared/clock.js';
import { KeyedQueue } from '../../shared/keyed-queue.js';
import { mapBounded } from './bounded.js';
import { tokenSource } from './page-token.js';
import { turnExists, type ChildRef, type ConversationStore } from './store.js';
import { TreeIndex } from './tree.js';
import type { Session, SessionPage, Step, Turn, TurnWithSteps } from './types.js';
import { checkId, checkSteps, checkText, type StepInput } from './validate.js';

export interface ConversationLimits {
  maxTurnsPerSession: number;
  maxDepth: number;
  maxStepsPerTurn: number;
  maxContentLength: number;
  loadMaxTurns: number;
  loadMaxSteps: number;
  loadConcurrency: number;
  deletedGraceSeconds: number;
}

export interface Conversation {
  session: Session;
  /** Root to leaf (active path) or in creation order (whole tree), each with its steps. */
  turns: TurnWithSteps[];
}

/**
 * Where the service reads and writes. A plain store, or the migration router (router.ts),
 * which also names the store that is the source of truth: writes are validated against it,
 * never against a copy that may be behind.
 */
export interface ConversationBackend extends ConversationStore {
  authority?(): ConversationStore;
  /** Runs a whole read on the side the migration phase chooses (router.ts). */
  read?<T>(
    key: string,
    fn: (store: ConversationStore) => Promise<T>,
    pin?: 'relational' | 'wide_column',
  ): Promise<T>;
}

/**
 * The conversation operations: sessions, appending turns and steps, branching, loading.
 * Every rule is checked here (tree.ts) before anything is written, so a refused request
 * leaves both stores untouched. Writes to one session run one at a time in this process
 * (the tree is read, checked and written as a unit); two processes writing one session at
 * the same instant can still race on `active_child`, and the last write wins.
 */
export class ConversationService {
  private readonly queue = new KeyedQueue();

  constructor(
    private readonly store: ConversationBackend,
    private readonly clock: Clock,
    readonly limits: ConversationLimits,
  ) {}

  /** Runs `fn` between this process's writes to the session (backfill and repair copy sessions so). */
  exclusive<T>(sessionUid: string, fn: () => Promise<T>): Promise<T> {
    return this.queue.run(sessionUid, fn);
  }

  private read<T>(
    key: string,
    fn: (store: ConversationStore) => Promise<T>,
    pin?: 'relational' | 'wide_column',
  ) {
    return this.store.read ? this.store.read(key, fn, pin) : fn(this.store);
  }

  private get authority(): ConversationStore {
    return this.store.authority?.() ?? this.store;
  }

  async createSession(
    accountUid: string,
    input: { title?: string; sessionUid?: string } = {},
  ): Promise<Session> {
    const session: Session = {
      sessionUid:
        input.sessionUid !== undefined ? checkId(input.sessionUid, 'body.sessionUid') : randomUUID(),
      accountUid: checkId(accountUid, 'body.accountUid'),
      title: checkText(input.title ?? '', 'body.title', 500, true),
      createdAt: this.clock.now(),
      deletedAt: null,
      activeChild: null,
    };
    if (input.sessionUid !== undefined && (await this.authority.getSession(session.sessionUid))) {
      throw new SwitchboardError('CONFLICT', `Session ${session.sessionUid} already exists`, {
        field: 'body.sessionUid',
      });
    }
    await this.store.insertSession(session);
    return session;
  }

  /** A session by id; a deleted one stays readable for the grace period, then is not found. */
  getSession(sessionUid: string): Promise<Session> {
    return this.read(sessionUid, (store) => this.sessionFrom(store, sessionUid));
  }

  private async sessionFrom(from: ConversationStore, sessionUid: string): Promise<Session> {
    const session = await from.getSession(checkId(sessionUid, 'params.sessionUid'));
    if (!session || this.pastGrace(session)) {
      throw new SwitchboardError('SESSION_NOT_FOUND', `No session ${sessionUid}`, {
        field: 'params.sessionUid',
      });
    }
    return session;
  }

  private pastGrace(session: Session): boolean {
    if (!session.deletedAt) return false;
    return this.clock.now().getTime() - session.deletedAt.getTime() > this.limits.deletedGraceSeconds * 1000;
  }

  /** A live (not deleted) session for a write, read from the source of truth. */
  private async liveSession(sessionUid: string): Promise<Session> {
    const session = await this.sessionFrom(this.authority, sessionUid);
    if (session.deletedAt) {
      throw new SwitchboardError('SESSION_NOT_FOUND', `Session ${sessionUid} is deleted`, {
        field: 'params.sessionUid',
      });
    }
    return session;
  }

  async listSessions(
    accountUid: string,
    options: { limit?: number; pageToken?: string } = {},
  ): Promise<SessionPage> {
    const limit = options.limit ?? 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw new SwitchboardError('VALIDATION_FAILED', 'limit must be an integer from 1 to 100', {
        field: 'querystring.limit',
      });
    }
    const account = checkId(accountUid, 'params.accountUid');
    const token = options.pageToken ?? null;
    const pin = token === null ? undefined : tokenSource(token) === 'r' ? 'relational' : 'wide_column';
    return this.read(account, (store) => store.listSessions(account, limit, token), pin);
  }

  renameSession(sessionUid: string, title: string): Promise<Session> {
    return this.queue.run(sessionUid, async () => {
      const session = await this.liveSession(sessionUid);
      const checked = checkText(title, 'body.title', 500, true);
      await this.store.updateSession(session, { title: checked });
      return { ...session, title: checked };
    });
  }

  /** Soft delete: hidden from lists at once, readable by id for `deleted_grace_seconds`. */
  deleteSession(sessionUid: string): Promise<Session> {
    return this.queue.run(sessionUid, async () => {
      const session = await this.liveSession(sessionUid);
      const deletedAt = this.clock.now();
      await this.store.updateSession(session, { deletedAt });
      return { ...session, deletedAt };
    });
  }

  private async tree(session: Session, from: ConversationStore): Promise<TreeIndex> {
    const turns = await from.sessionTurns(session.sessionUid, this.limits.maxTurnsPerSession + 1);
    return new TreeIndex(session, turns);
  }

  /**
   * Appends a turn under `parentUid` (default: the end of the active path). A parent that
   * already has children gets a sibling branch, and its active child moves to the new turn.
   */
  private appendTurn(
    sessionUid: string,
    type: 'human' | 'agent',
    input: { parentUid?: string; turnUid?: string },
    fill: (turn: Turn) => Turn,
    steps: StepInput[] = [],
  ): Promise<TurnWithSteps> {
    return this.queue.run(sessionUid, async () => {
      const session = await this.liveSession(sessionUid);
      const tree = await this.tree(session, this.authority);
      const parent =
        input.parentUid === undefined
          ? tree.activeLeaf()
          : tree.parent(checkId(input.parentUid, 'body.parentUid'), 'body.parentUid');
      const turnUid = input.turnUid !== undefined ? checkId(input.turnUid, 'body.turnUid') : undefined;
      tree.checkAppend(type, parent, turnUid, this.limits);
      this.checkStepCount(steps.length);
      // Turn ids are global (steps and branches are keyed by them): a chosen one must be free.
      if (
        turnUid !== undefined &&
        (await this.authority.claimTurn(turnUid, session.sessionUid)) !== session.sessionUid
      )
        throw turnExists(turnUid);
      const createdAt = tree.nextCreatedAt(this.clock.now());
      const turn = fill({
        turnUid: turnUid ?? randomUUID(),
        sessionUid: session.sessionUid,
        turnType: type,
        parentUid: 'turnUid' in parent ? parent.turnUid : session.sessionUid,
        createdAt,
        activeChild: null,
        prompt: null,
        liked: null,
        completed: false,
      });
      await this.store.insertTurn(turn, parent);
      const written = steps.map((s, idx) => ({ ...s, idx, turnUid: turn.turnUid, createdAt }));
      await this.store.insertSteps(session.sessionUid, written);
      return { ...turn, steps: written };
    });
  }

  private checkStepCount(count: number): void {
    if (count > this.limits.maxStepsPerTurn) {
      throw new SwitchboardError(
        'CONVERSATION_TOO_LARGE',
        `An agent turn may hold at most ${this.limits.maxStepsPerTurn} steps (conversations.max_steps_per_turn)`,
        { field: 'body.steps', details: { limit: this.limits.maxStepsPerTurn } },
      );
    }
  }

  async appendHumanTurn(sessionUid: string, input: { prompt: string; parentUid?: string; turnUid?: string }) {
    const prompt = checkText(input.prompt, 'body.prompt', this.limits.maxContentLength);
    return this.appendTurn(sessionUid, 'human', input, (t) => ({ ...t, prompt }));
  }

  /** An agent turn under a human turn; `completed` false (default) leaves it open for streaming steps. */
  async appendAgentTurn(
    sessionUid: string,
    input: { parentUid?: string; turnUid?: string; steps?: StepInput[]; completed?: boolean },
  ) {
    const steps = checkSteps(input.steps ?? [], 'body.steps', this.limits.maxContentLength);
    const completed = input.completed ?? false;
    return this.appendTurn(sessionUid, 'agent', input, (t) => ({ ...t, completed }), steps);
  }

  private async agentTurn(session: Session, turnUid: string): Promise<Turn> {
    const tree = await this.tree(session, this.authority);
    const turn = tree.turn(checkId(turnUid, 'params.turnUid'), 'params.turnUid');
    if (turn.turnType !== 'agent') {
      throw new SwitchboardError('NOT_AN_AGENT_TURN', `Turn ${turnUid} is a human turn`, {
        field: 'params.turnUid',
      });
    }
    return turn;
  }

  /** Steps streamed into an open agent turn; they take the next indexes. `complete` closes the turn. */
  async appendSteps(
    sessionUid: string,
    turnUid: string,
    input: { steps: StepInput[]; complete?: boolean },
  ): Promise<Step[]> {
    const steps = checkSteps(input.steps, 'body.steps', this.limits.maxContentLength);
    return this.queue.run(sessionUid, async () => {
      const session = await this.liveSession(sessionUid);
      const turn = await this.agentTurn(session, turnUid);
      if (turn.completed) {
        throw new SwitchboardError('TURN_COMPLETED', `Turn ${turnUid} is complete`, {
          field: 'params.turnUid',
        });
      }
      const last = await this.authority.lastStepIdx(turn.turnUid);
      this.checkStepCount(last + 1 + steps.length);
      const createdAt = this.clock.now();
      const written = steps.map((s, i) => ({ ...s, idx: last + 1 + i, turnUid: turn.turnUid, createdAt }));
      await this.store.insertSteps(session.sessionUid, written);
      if (input.complete) await this.store.updateTurn(turn, { completed: true });
      return written;
    });
  }

  completeTurn(sessionUid: string, turnUid: string): Promise<Turn> {
    return this.patchAgentTurn(sessionUid, turnUid, { completed: true });
  }

  /** Like (true) or unlike (false) an agent turn. */
  like(sessionUid: string, turnUid: string, liked: boolean): Promise<Turn> {
    return this.patchAgentTurn(sessionUid, turnUid, { liked });
  }

  private patchAgentTurn(
    sessionUid: string,
    turnUid: string,
    patch: { liked?: boolean; completed?: boolean },
  ) {
    return this.queue.run(sessionUid, async () => {
      const session = await this.liveSession(sessionUid);
      const turn = await this.agentTurn(session, turnUid);
      await this.store.updateTurn(turn, patch);
      return { ...turn, ...patch };
    });
  }

  /** Shows another branch: `childUid` becomes the active child of `parentUid` (a turn or the session id). */
  switchBranch(sessionUid: string, parentUid: string, childUid: string): Promise<void> {
    return this.queue.run(sessionUid, async () => {
      const session = await this.liveSession(sessionUid);
      const tree = await this.tree(session, this.authority);
      const parent = tree.parent(checkId(parentUid, 'body.parentUid'), 'body.parentUid');
      const child = tree.turn(checkId(childUid, 'body.childUid'), 'body.childUid');
      if (child.parentUid !== parentUid) {
        throw new SwitchboardError('NOT_A_CHILD', `Turn ${childUid} is not a child of ${parentUid}`, {
          field: 'body.childUid',
        });
      }
      await this.store.setActiveChild(parent, child.turnUid);
    });
  }

  /** A turn's children in creation order (the branch index), and which one is active. */
  async children(
    sessionUid: string,
    parentUid: string,
  ): Promise<{ children: ChildRef[]; activeChild: string | null }> {
    checkId(parentUid, 'params.turnUid');
    return this.read(sessionUid, async (store) => {
      const session = await this.sessionFrom(store, sessionUid);
      let activeChild = session.activeChild;
      if (parentUid !== session.sessionUid) {
        const tree = await this.tree(session, store);
        activeChild = tree.turn(parentUid, 'params.turnUid').activeChild;
      }
      const children = await store.children(parentUid, session.sessionUid, this.limits.loadMaxTurns);
      return { children, activeChild };
    });
  }

  /** The active path, root to leaf, with every turn's steps, in one call. */
  loadActivePath(sessionUid: string): Promise<Conversation> {
    return this.read(sessionUid, async (store) => {
      const { session, tree } = await this.sessionWithTree(store, sessionUid);
      return { session, turns: await this.withSteps(store, tree.activePath()) };
    });
  }

  /** Every turn of the session in creation order, with steps. */
  loadTree(sessionUid: string): Promise<Conversation> {
    return this.read(sessionUid, async (store) => {
      const { session, tree } = await this.sessionWithTree(store, sessionUid);
      return { session, turns: await this.withSteps(store, tree.turns) };
    });
  }

  /**
   * The session and its turns, read at once: on a cluster each read is a round trip, and a
   * load is then two dependent steps (these, then the path's steps) instead of three.
   */
  private async sessionWithTree(
    from: ConversationStore,
    sessionUid: string,
  ): Promise<{ session: Session; tree: TreeIndex }> {
    const uid = checkId(sessionUid, 'params.sessionUid');
    const [session, turns] = await Promise.all([
      this.sessionFrom(from, uid),
      from.sessionTurns(uid, this.limits.maxTurnsPerSession + 1),
    ]);
    return { session, tree: new TreeIndex(session, turns) };
  }

  private async withSteps(store: ConversationStore, turns: readonly Turn[]): Promise<TurnWithSteps[]> {
    const { loadMaxTurns, loadMaxSteps, loadConcurrency, maxStepsPerTurn } = this.limits;
    if (turns.length > loadMaxTurns) {
      throw new SwitchboardError(
        'CONVERSATION_TOO_LARGE',
        `The conversation has ${turns.length} turns to load; one load returns at most ${loadMaxTurns} (conversations.load_max_turns)`,
        { field: 'params.sessionUid', details: { turns: turns.length, limit: loadMaxTurns } },
      );
    }
    // Step partitions are read concurrently, a bounded number at a time (bounded.ts).
    const steps = await mapBounded(turns, loadConcurrency, (t) =>
      t.turnType === 'agent' ? store.steps(t.turnUid, maxStepsPerTurn) : Promise.resolve([]),
    );
    const total = steps.reduce((n, s) => n + s.length, 0);
    if (total > loadMaxSteps) {
      throw new SwitchboardError(
        'CONVERSATION_TOO_LARGE',
        `The conversation has ${total} steps to load; one load returns at most ${loadMaxSteps} (conversations.load_max_steps)`,
        { field: 'params.sessionUid', details: { steps: total, limit: loadMaxSteps } },
      );
    }
    return turns.map((t, i) => ({ ...t, steps: steps[i]! }));
  }
}
