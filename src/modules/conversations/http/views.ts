import type { Session, Step, Turn, TurnWithSteps } from '../types.js';

/** JSON views: instants as ISO-8601 strings. */
export const sessionView = (s: Session) => ({
  ...s,
  createdAt: s.createdAt.toISOString(),
  deletedAt: s.deletedAt ? s.deletedAt.toISOString() : null,
});

export const stepView = (s: Step) => ({
  idx: s.idx,
  tpe: s.tpe,
  content: s.content,
  createdAt: s.createdAt.toISOString(),
});

export const turnView = (t: Turn | TurnWithSteps) => ({
  turnUid: t.turnUid,
  sessionUid: t.sessionUid,
  turnType: t.turnType,
  parentUid: t.parentUid,
  createdAt: t.createdAt.toISOString(),
  activeChild: t.activeChild,
  prompt: t.prompt,
  liked: t.liked,
  completed: t.completed,
  ...('steps' in t ? { steps: t.steps.map(stepView) } : {}),
});
