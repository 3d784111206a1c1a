import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConversationServices } from '../../../src/modules/conversations/services.js';
import { readSnapshot } from '../../../src/modules/conversations/sync.js';
import { backendLabel } from '../../helpers/backends.js';
import { account, conversationHarness, type ConversationHarness } from './helpers.js';

let h: ConversationHarness;
beforeAll(async () => {
  h = await conversationHarness();
});
afterAll(async () => h.close());

describe(`migration tools (${backendLabel()})`, () => {
  it('an interrupted backfill resumes from its checkpoint and copies every session once more at most', async () => {
    const svc = createConversationServices(h.ctx, { mode: 'relational' });
    const ids: string[] = [];
    const acct = account();
    for (let i = 0; i < 9; i += 1) {
      const s = await svc.conversations.createSession(acct, { title: `b${i}` });
      await svc.conversations.appendHumanTurn(s.sessionUid, { prompt: `p${i}` });
      ids.push(s.sessionUid);
    }
    await svc.router.setMode('dual_write');
    const abort = new AbortController();
    const seen: number[] = [];
    const first = await svc.tools.backfill({
      batchSize: 2,
      restart: true,
      signal: abort.signal,
      onProgress: (p) => {
        seen.push(p.done);
        if (p.done >= 4) abort.abort(); // interrupted after two batches
      },
    });
    const cp = await svc.tools.loadCheckpoint('backfill');
    expect(cp?.done).toBe(false);
    expect(seen.at(-1)).toBe(4);
    const second = await svc.tools.backfill({ batchSize: 2 });
    expect(second.copied).toBeGreaterThanOrEqual(first.copied);
    expect((await svc.tools.loadCheckpoint('backfill'))?.done).toBe(true);
    for (const id of ids) expect(await readSnapshot(svc.wide, id)).not.toBeNull();
    const report = await svc.tools.verify({ restart: true });
    expect(report.differing.filter((d) => ids.includes(d.sessionUid))).toEqual([]);
  });

  it('wide_column mode: writes go to the wide-column side and reach the relational side through the event log', async () => {
    const svc = createConversationServices(h.ctx, { mode: 'wide_column' });
    await svc.relationalCopy.start();
    try {
      const s = await svc.conversations.createSession(account(), { title: 'async' });
      const t = await svc.conversations.appendHumanTurn(s.sessionUid, { prompt: 'hello' });
      expect(await readSnapshot(svc.wide, s.sessionUid)).not.toBeNull();
      await svc.router.settle();
      const deadline = Date.now() + 10_000;
      let copy = await readSnapshot(svc.relational, s.sessionUid);
      // The copy is asynchronous: the turn and the session's active child arrive as separate
      // events, so wait for both (the first alone raced the second under load in CI).
      while (
        ((copy?.turns.length ?? 0) < 1 || copy?.session.activeChild !== t.turnUid) &&
        Date.now() < deadline
      ) {
        await new Promise((r) => setTimeout(r, 50));
        copy = await readSnapshot(svc.relational, s.sessionUid);
      }
      expect(copy?.turns.map((x) => x.turnUid)).toEqual([t.turnUid]);
      expect(copy?.session.activeChild).toBe(t.turnUid);
    } finally {
      await svc.relationalCopy.stop();
    }
  });
});
