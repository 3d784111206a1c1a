import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../../../src/errors/index.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { backendLabel } from '../../helpers/backends.js';
import {
  account,
  conversationHarness,
  pick,
  serviceOn,
  testLimits,
  type ConversationHarness,
} from './helpers.js';

/** A deterministic PRNG (mulberry32), so a failing seed can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ModelTurn {
  id: string;
  type: 'human' | 'agent';
  parent: string;
  children: string[];
  active: string | null;
  steps: number;
}

/** The in-memory tree the service is compared with: ChatGPT-style branching, written out plainly. */
class Model {
  turns = new Map<string, ModelTurn>();
  rootActive: string | null = null;
  roots: string[] = [];
  constructor(readonly sessionUid: string) {}

  add(id: string, type: 'human' | 'agent', parent: string, steps: number): void {
    this.turns.set(id, { id, type, parent, children: [], active: null, steps });
    if (parent === this.sessionUid) {
      this.roots.push(id);
      this.rootActive = id;
    } else {
      const p = this.turns.get(parent)!;
      p.children.push(id);
      p.active = id;
    }
  }

  switch(parent: string, child: string): void {
    if (parent === this.sessionUid) this.rootActive = child;
    else this.turns.get(parent)!.active = child;
  }

  path(): string[] {
    const out: string[] = [];
    let next = this.rootActive;
    while (next) {
      out.push(next);
      next = this.turns.get(next)!.active;
    }
    return out;
  }

  childrenOf(parent: string): string[] {
    return parent === this.sessionUid ? this.roots : this.turns.get(parent)!.children;
  }

  depth(id: string): number {
    let d = 0;
    for (let t = this.turns.get(id); t; t = this.turns.get(t.parent)) d += 1;
    return d;
  }
}

let h: ConversationHarness;
beforeAll(async () => {
  h = await conversationHarness();
});
afterAll(async () => h.close());

describe.each(['relational', 'wide_column'] as const)(`reference model on %s (${backendLabel()})`, (kind) => {
  it.each([1, 2, 3])(
    'random appends, edits, regenerations and switches agree with the model (seed %i)',
    async (seed) => {
      const random = rng(seed * 7919);
      const pickOne = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
      const clock = new ManualClock(new Date('2026-02-01T00:00:00Z'));
      const limits = { ...testLimits, maxDepth: 10, maxTurnsPerSession: 45, loadMaxTurns: 45 };
      const svc = serviceOn(pick(h, kind), clock, limits);
      const session = await svc.createSession(account(), { title: `seed ${seed}` });
      const id = session.sessionUid;
      const model = new Model(id);
      let refused = 0;
      for (let op = 0; op < 60; op += 1) {
        clock.advance(Math.floor(random() * 3)); // equal instants happen; creation order must still hold
        const all = [...model.turns.values()];
        const humans = all.filter((t) => t.type === 'human');
        const agents = all.filter((t) => t.type === 'agent');
        const roll = random();
        // What the bounds say about an append under `parent` (size is checked before depth).
        let predicted: string | null = null;
        const predict = (parent: string) => {
          predicted =
            model.turns.size + 1 > limits.maxTurnsPerSession
              ? 'CONVERSATION_TOO_LARGE'
              : model.depth(parent) + 1 > limits.maxDepth
                ? 'CONVERSATION_TOO_DEEP'
                : null;
          return parent;
        };
        try {
          if (roll < 0.3) {
            // Continue the conversation, or edit a prompt (a human sibling under the same parent).
            const parent = random() < 0.2 || agents.length === 0 ? id : pickOne(agents).id;
            const t = await svc.appendHumanTurn(id, { prompt: `p${op}`, parentUid: predict(parent) });
            model.add(t.turnUid, 'human', parent, 0);
          } else if (roll < 0.6 && humans.length > 0) {
            // Answer, or regenerate (an agent sibling under a human turn that already has one).
            const parent = predict(pickOne(humans).id);
            const steps = Math.floor(random() * 3);
            const t = await svc.appendAgentTurn(id, {
              parentUid: parent,
              steps: Array.from({ length: steps }, (_, i) => ({ tpe: 'text' as const, content: `s${i}` })),
            });
            model.add(t.turnUid, 'agent', parent, steps);
          } else if (roll < 0.7) {
            // Continue at the end of the active path (no parent given).
            const leaf = model.path().at(-1);
            const leafType = leaf ? model.turns.get(leaf)!.type : 'session';
            predict(leaf ?? id);
            predict(leaf ?? id);
            if (leafType === 'human') {
              const t = await svc.appendAgentTurn(id, {});
              model.add(t.turnUid, 'agent', leaf!, 0);
            } else {
              const t = await svc.appendHumanTurn(id, { prompt: `c${op}` });
              model.add(t.turnUid, 'human', leaf ?? id, 0);
            }
          } else if (roll < 0.9) {
            const parents = [id, ...all.map((t) => t.id)].filter((p) => model.childrenOf(p).length > 1);
            if (parents.length === 0) continue;
            const parent = pickOne(parents);
            const child = pickOne(model.childrenOf(parent));
            await svc.switchBranch(id, parent, child);
            model.switch(parent, child);
          } else if (agents.length > 0) {
            // A wrong request: a human under a human, or an agent under an agent. Nothing changes.
            const wrongParent = random() < 0.5 && humans.length > 0 ? pickOne(humans).id : pickOne(agents).id;
            const type = model.turns.get(wrongParent)!.type;
            const p =
              type === 'human'
                ? svc.appendHumanTurn(id, { prompt: 'x', parentUid: wrongParent })
                : svc.appendAgentTurn(id, { parentUid: wrongParent });
            await expect(p).rejects.toMatchObject({ code: 'INVALID_PARENT_TYPE' });
          }
        } catch (error) {
          // The bounds are part of the model: refusals must be exactly the bounded cases.
          if (!isSwitchboardError(error)) throw error;
          expect(error.code).toBe(predicted);
          refused += 1;
          predicted = null;
        }
        expect(predicted).toBeNull(); // an append the bounds forbid was accepted
        const path = await svc.loadActivePath(id);
        expect(path.turns.map((t) => t.turnUid)).toEqual(model.path());
      }
      const tree = await svc.loadTree(id);
      expect(tree.turns.map((t) => t.turnUid).sort()).toEqual([...model.turns.keys()].sort());
      for (const t of tree.turns) {
        const m = model.turns.get(t.turnUid)!;
        expect([t.turnType, t.parentUid, t.activeChild, t.steps.length]).toEqual([
          m.type,
          m.parent,
          m.active,
          m.steps,
        ]);
        const kids = await svc.children(id, t.turnUid);
        expect(kids.children.map((c) => c.turnUid)).toEqual(m.children);
      }
      expect((await svc.children(id, id)).children.map((c) => c.turnUid)).toEqual(model.roots);
      expect(model.turns.size + refused).toBeGreaterThan(10);
    },
  );
});
