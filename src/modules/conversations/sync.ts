import { mapBounded } from './bounded.js';
import type { ConversationStore } from './store.js';
import type { SessionSnapshot, Step } from './types.js';

const ALL = 1_000_000;

/** A whole session as one store holds it (deleted or not); null when the store lacks it. */
export async function readSnapshot(
  store: ConversationStore,
  sessionUid: string,
  concurrency = 8,
): Promise<SessionSnapshot | null> {
  const session = await store.getSession(sessionUid);
  if (!session) return null;
  const turns = await store.sessionTurns(sessionUid, ALL);
  const agents = turns.filter((t) => t.turnType === 'agent');
  const steps: Step[] = (await mapBounded(agents, concurrency, (t) => store.steps(t.turnUid, ALL))).flat();
  return { session, turns, steps };
}

/** Copies a session from `source` to `target` as the source has it. False when the source lacks it. */
export async function copySession(
  source: ConversationStore,
  target: ConversationStore,
  sessionUid: string,
): Promise<boolean> {
  const snapshot = await readSnapshot(source, sessionUid);
  if (!snapshot) return false;
  await target.putSnapshot(snapshot);
  return true;
}

/** A canonical form for comparing two stores' copies of a session: ordered, key by key. */
export function canonical(snapshot: SessionSnapshot | null): string {
  if (!snapshot) return 'missing';
  const { session, turns, steps } = snapshot;
  return JSON.stringify({
    session,
    turns: [...turns].sort((a, b) => (a.turnUid < b.turnUid ? -1 : 1)),
    steps: [...steps].sort((a, b) =>
      a.turnUid === b.turnUid ? a.idx - b.idx : a.turnUid < b.turnUid ? -1 : 1,
    ),
  });
}

/** Whether two copies differ, and a short reason for the verify report. */
export function difference(a: SessionSnapshot | null, b: SessionSnapshot | null): string | null {
  if (canonical(a) === canonical(b)) return null;
  if (!a || !b) return a ? 'missing in target' : 'missing in source';
  if (a.turns.length !== b.turns.length) return `turns ${a.turns.length} vs ${b.turns.length}`;
  if (a.steps.length !== b.steps.length) return `steps ${a.steps.length} vs ${b.steps.length}`;
  return 'cells differ';
}
