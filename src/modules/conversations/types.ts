/**
 * The conversation model both stores hold (docs/conversations.md). A session is a tree of
 * turns: human turns (a prompt) and agent turns (steps). A root turn is a human turn whose
 * parent is the session itself (`parentUid === sessionUid`), so editing the first prompt is
 * a branch like any other. Every parent (the session included) has an `activeChild`: the
 * branch shown, the one the active path follows.
 */
/**
 * `data`: any other structured part a chat UI keeps (sources, step boundaries, custom data
 * parts of the AI SDK), as JSON; the seed's five types plus the error type cover the rest.
 */
export const STEP_TYPES = [
  'text',
  'reasoning',
  'tool_call',
  'tool_result',
  'image',
  'error',
  'data',
] as const;
export type StepType = (typeof STEP_TYPES)[number];
export type TurnType = 'human' | 'agent';

export interface Session {
  sessionUid: string;
  accountUid: string;
  title: string;
  createdAt: Date;
  deletedAt: Date | null;
  /** The root turn on the active path; null before the first prompt. */
  activeChild: string | null;
}

export interface Turn {
  turnUid: string;
  sessionUid: string;
  turnType: TurnType;
  /** The parent turn, or the session id for a root turn. */
  parentUid: string;
  createdAt: Date;
  activeChild: string | null;
  /** Human turns only. */
  prompt: string | null;
  /** Agent turns only: null until liked or unliked. */
  liked: boolean | null;
  /** Agent turns only: true once marked complete (no more steps). */
  completed: boolean;
}

export interface Step {
  turnUid: string;
  idx: number;
  tpe: StepType;
  content: string;
  createdAt: Date;
}

export interface TurnWithSteps extends Turn {
  steps: Step[];
}

/** A whole session as stored: what backfill copies, verify compares and repair rewrites. */
export interface SessionSnapshot {
  session: Session;
  turns: Turn[];
  steps: Step[];
}

export interface SessionPage {
  sessions: Session[];
  nextPageToken: string | null;
}

/** A change to one turn's mutable cells; unnamed cells stay as they are. */
export interface TurnPatch {
  activeChild?: string;
  liked?: boolean;
  completed?: boolean;
}
