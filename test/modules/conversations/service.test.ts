import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../../../src/errors/index.js';
import { readSnapshot } from '../../../src/modules/conversations/sync.js';
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

let h: ConversationHarness;
beforeAll(async () => {
  h = await conversationHarness();
});
afterAll(async () => h.close());

async function refused(p: Promise<unknown>, code: string, field?: string): Promise<void> {
  try {
    await p;
  } catch (error) {
    if (!isSwitchboardError(error)) throw error;
    expect(error.code).toBe(code);
    expect(error.status).toBeGreaterThanOrEqual(400);
    expect(error.status).toBeLessThan(500);
    if (field !== undefined) expect(error.field).toBe(field);
    return;
  }
  throw new Error(`expected ${code}`);
}

describe.each(['relational', 'wide_column'] as const)(
  `conversation service on %s (${backendLabel()})`,
  (kind) => {
    const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
    const svc = () => serviceOn(pick(h, kind), clock);

    it('creates, renames, lists newest first with paging, soft-deletes with a grace period', async () => {
      const s = svc();
      const acct = account();
      const made = [];
      for (let i = 0; i < 5; i += 1) {
        clock.advance(1000);
        made.push(await s.createSession(acct, { title: `chat ${i}` }));
      }
      await s.renameSession(made[4]!.sessionUid, 'renamed');
      const first = await s.listSessions(acct, { limit: 2 });
      expect(first.sessions.map((x) => x.title)).toEqual(['renamed', 'chat 3']);
      const rest = [];
      let token = first.nextPageToken;
      while (token) {
        const page = await s.listSessions(acct, { limit: 2, pageToken: token });
        rest.push(...page.sessions.map((x) => x.title));
        token = page.nextPageToken;
      }
      expect(rest).toEqual(['chat 2', 'chat 1', 'chat 0']);
      await s.deleteSession(made[3]!.sessionUid);
      const after = await s.listSessions(acct, { limit: 20 });
      expect(after.sessions.map((x) => x.title)).toEqual(['renamed', 'chat 2', 'chat 1', 'chat 0']);
      // Readable by id during the grace period, then gone; never writable once deleted.
      expect((await s.getSession(made[3]!.sessionUid)).deletedAt).not.toBeNull();
      await refused(s.appendHumanTurn(made[3]!.sessionUid, { prompt: 'hi' }), 'SESSION_NOT_FOUND');
      clock.advance((testLimits.deletedGraceSeconds + 1) * 1000);
      await refused(s.getSession(made[3]!.sessionUid), 'SESSION_NOT_FOUND', 'params.sessionUid');
    });

    it('appends turns and streamed steps, branches, switches, lists children, loads path and tree', async () => {
      const s = svc();
      const session = await s.createSession(account(), { title: 't' });
      const id = session.sessionUid;
      const h1 = await s.appendHumanTurn(id, { prompt: 'hello' });
      const a1 = await s.appendAgentTurn(id, { steps: [{ tpe: 'reasoning', content: 'think' }] });
      expect(a1.parentUid).toBe(h1.turnUid);
      const more = await s.appendSteps(id, a1.turnUid, {
        steps: [
          { tpe: 'tool_call', content: '{"f":1}' },
          { tpe: 'text', content: 'hi!' },
        ],
        complete: true,
      });
      expect(more.map((x) => x.idx)).toEqual([1, 2]);
      await refused(
        s.appendSteps(id, a1.turnUid, { steps: [{ tpe: 'text', content: 'x' }] }),
        'TURN_COMPLETED',
      );
      // Regenerate: a second agent turn under h1 becomes the active sibling.
      const a2 = await s.appendAgentTurn(id, {
        parentUid: h1.turnUid,
        steps: [{ tpe: 'text', content: 'v2' }],
      });
      let path = await s.loadActivePath(id);
      expect(path.turns.map((t) => t.turnUid)).toEqual([h1.turnUid, a2.turnUid]);
      // Edit the first prompt: a second root.
      const h1b = await s.appendHumanTurn(id, { parentUid: id, prompt: 'hello again' });
      path = await s.loadActivePath(id);
      expect(path.turns.map((t) => t.turnUid)).toEqual([h1b.turnUid]);
      await s.switchBranch(id, id, h1.turnUid);
      await s.switchBranch(id, h1.turnUid, a1.turnUid);
      path = await s.loadActivePath(id);
      expect(path.turns.map((t) => t.turnUid)).toEqual([h1.turnUid, a1.turnUid]);
      expect(path.turns[1]!.steps.map((x) => [x.idx, x.tpe, x.content])).toEqual([
        [0, 'reasoning', 'think'],
        [1, 'tool_call', '{"f":1}'],
        [2, 'text', 'hi!'],
      ]);
      expect(path.turns[1]!.completed).toBe(true);
      const kids = await s.children(id, h1.turnUid);
      expect(kids.children.map((c) => c.turnUid)).toEqual([a1.turnUid, a2.turnUid]);
      expect(kids.activeChild).toBe(a1.turnUid);
      const roots = await s.children(id, id);
      expect(roots.children.map((c) => c.turnUid)).toEqual([h1.turnUid, h1b.turnUid]);
      await s.like(id, a2.turnUid, true);
      await s.like(id, a1.turnUid, false);
      const tree = await s.loadTree(id);
      expect(tree.turns.map((t) => t.turnUid)).toEqual([h1.turnUid, a1.turnUid, a2.turnUid, h1b.turnUid]);
      expect(tree.turns.map((t) => t.liked)).toEqual([null, false, true, null]);
      await refused(s.like(id, h1.turnUid, true), 'NOT_AN_AGENT_TURN', 'params.turnUid');
      await refused(s.switchBranch(id, h1.turnUid, h1b.turnUid), 'NOT_A_CHILD', 'body.childUid');
    });

    it('refuses every bad input with its code and field, writing nothing', async () => {
      const s = svc();
      const limits = { ...testLimits, maxDepth: 4, maxTurnsPerSession: 6 };
      const bounded = serviceOn(pick(h, kind), clock, limits);
      const session = await s.createSession(account());
      const id = session.sessionUid;
      const h1 = await s.appendHumanTurn(id, { prompt: 'p1', turnUid: `h1-${id}` });
      const a1 = await s.appendAgentTurn(id, { parentUid: h1.turnUid, turnUid: `a1-${id}` });
      const before = await readSnapshot(pick(h, kind), id);
      const cases: [() => Promise<unknown>, string, string][] = [
        [() => s.appendHumanTurn(id, { prompt: 'x', parentUid: 'nope' }), 'UNKNOWN_PARENT', 'body.parentUid'],
        [
          () => s.appendHumanTurn(id, { prompt: 'x', parentUid: h1.turnUid }),
          'INVALID_PARENT_TYPE',
          'body.parentUid',
        ],
        [() => s.appendAgentTurn(id, { parentUid: id }), 'INVALID_PARENT_TYPE', 'body.parentUid'],
        [() => s.appendAgentTurn(id, { parentUid: a1.turnUid }), 'INVALID_PARENT_TYPE', 'body.parentUid'],
        [
          () => s.appendHumanTurn(id, { prompt: 'x', parentUid: a1.turnUid, turnUid: h1.turnUid }),
          'TURN_CYCLE',
          'body.turnUid',
        ],
        [
          () => s.appendHumanTurn(id, { prompt: 'x', parentUid: a1.turnUid, turnUid: id }),
          'TURN_CYCLE',
          'body.turnUid',
        ],
        [
          () => s.appendAgentTurn(id, { parentUid: h1.turnUid, turnUid: a1.turnUid }),
          'TURN_EXISTS',
          'body.turnUid',
        ],
        [() => s.appendHumanTurn(id, { prompt: '' }), 'VALIDATION_FAILED', 'body.prompt'],
        [() => s.appendHumanTurn(id, { prompt: 'x'.repeat(201) }), 'CONTENT_TOO_LONG', 'body.prompt'],
        [
          () =>
            s.appendAgentTurn(id, {
              parentUid: h1.turnUid,
              steps: [{ tpe: 'bogus' as 'text', content: '' }],
            }),
          'VALIDATION_FAILED',
          'body.steps[0].tpe',
        ],
        [
          () =>
            s.appendAgentTurn(id, {
              parentUid: h1.turnUid,
              steps: Array.from({ length: 9 }, () => ({ tpe: 'text' as const, content: 'x' })),
            }),
          'CONVERSATION_TOO_LARGE',
          'body.steps',
        ],
        [
          () => s.appendHumanTurn('no-such-session', { prompt: 'x' }),
          'SESSION_NOT_FOUND',
          'params.sessionUid',
        ],
        [() => s.appendSteps(id, h1.turnUid, { steps: [] }), 'NOT_AN_AGENT_TURN', 'params.turnUid'],
        [() => s.appendSteps(id, 'ghost', { steps: [] }), 'TURN_NOT_FOUND', 'params.turnUid'],
      ];
      for (const [p, code, field] of cases) await refused(p(), code, field);
      // Depth: h1(1) a1(2) h2(3) a2(4), a fifth level is too deep.
      const h2 = await bounded.appendHumanTurn(id, { prompt: 'p2' });
      const a2 = await bounded.appendAgentTurn(id, {});
      const mid = await readSnapshot(pick(h, kind), id);
      await refused(
        bounded.appendHumanTurn(id, { prompt: 'p3', parentUid: a2.turnUid }),
        'CONVERSATION_TOO_DEEP',
        'body.parentUid',
      );
      // Size: six turns allowed; two more fit, the third does not.
      await bounded.appendHumanTurn(id, { prompt: 'edit', parentUid: a1.turnUid });
      await bounded.appendAgentTurn(id, { parentUid: h2.turnUid });
      const full = await readSnapshot(pick(h, kind), id);
      await refused(bounded.appendHumanTurn(id, { prompt: 'x', parentUid: id }), 'CONVERSATION_TOO_LARGE');
      expect(await readSnapshot(pick(h, kind), id)).toEqual(full);
      expect(mid!.turns.length).toBe(before!.turns.length + 2);
      expect(before!.turns.map((t) => t.turnUid)).toEqual([h1.turnUid, a1.turnUid]);
      // Loading more than load_max_turns is refused clearly.
      const small = serviceOn(pick(h, kind), clock, { ...testLimits, loadMaxTurns: 2 });
      await refused(small.loadTree(id), 'CONVERSATION_TOO_LARGE', 'params.sessionUid');
      await refused(small.loadActivePath(id), 'CONVERSATION_TOO_LARGE', 'params.sessionUid');
    });

    it('a chosen turn id is global: another session cannot take it, nor read or write through it', async () => {
      const s = svc();
      const tag = randomUUID().slice(0, 8);
      const victim = (await s.createSession(account())).sessionUid;
      const q = await s.appendHumanTurn(victim, { prompt: 'what is my balance', turnUid: `q-${tag}` });
      await s.appendAgentTurn(victim, {
        parentUid: q.turnUid,
        turnUid: `ans-${tag}`,
        steps: [{ tpe: 'text', content: 'Your balance is 9,87,654' }],
        completed: true,
      });
      const victimTree = await readSnapshot(pick(h, kind), victim);

      const other = (await s.createSession(account())).sessionUid;
      const hi = await s.appendHumanTurn(other, { prompt: 'hi', turnUid: `hi-${tag}` });
      const otherTree = await readSnapshot(pick(h, kind), other);
      await refused(
        s.appendAgentTurn(other, { parentUid: hi.turnUid, turnUid: `ans-${tag}` }),
        'TURN_EXISTS',
        'body.turnUid',
      );
      await refused(
        s.appendHumanTurn(other, { prompt: 'again', parentUid: other, turnUid: `q-${tag}` }),
        'TURN_EXISTS',
        'body.turnUid',
      );
      // Nothing written on either side, and neither sees the other's turns.
      expect(await readSnapshot(pick(h, kind), other)).toEqual(otherTree);
      expect(await readSnapshot(pick(h, kind), victim)).toEqual(victimTree);
      const loaded = await s.loadTree(other);
      expect(loaded.turns.flatMap((t) => t.steps.map((x) => x.content))).toEqual([]);
      await refused(s.children(other, `ans-${tag}`), 'TURN_NOT_FOUND', 'params.turnUid');
      // A fresh id still works, and a claim left by a failed write is this session's to use.
      await s.appendAgentTurn(other, { parentUid: hi.turnUid, turnUid: `own-${tag}` });
      expect(await pick(h, kind).claimTurn(`retry-${tag}`, victim)).toBe(victim);
      const retried = await s.appendHumanTurn(victim, {
        prompt: 'retried',
        parentUid: `ans-${tag}`,
        turnUid: `retry-${tag}`,
      });
      expect(retried.turnUid).toBe(`retry-${tag}`);
      expect(await pick(h, kind).claimTurn(`retry-${tag}`, other)).toBe(victim);
    });

    it("children are the session's own even where a parent id also names a turn elsewhere", async () => {
      const s = svc();
      const tag = randomUUID().slice(0, 8);
      const first = (await s.createSession(account())).sessionUid;
      const second = (await s.createSession(account())).sessionUid;
      // A turn whose id is another session's id: its children and that session's roots share
      // a parent id in the branch index.
      await s.appendHumanTurn(first, { prompt: 'root of first', turnUid: `r-${tag}` });
      const h2 = await s.appendHumanTurn(second, { prompt: 'named like a session', turnUid: first });
      const a2 = await s.appendAgentTurn(second, { parentUid: h2.turnUid, turnUid: `a-${tag}` });
      expect((await s.children(first, first)).children.map((c) => c.turnUid)).toEqual([`r-${tag}`]);
      expect((await s.children(second, first)).children.map((c) => c.turnUid)).toEqual([a2.turnUid]);
    });
  },
);
