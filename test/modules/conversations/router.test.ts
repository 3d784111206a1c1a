import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConversationServices } from '../../../src/modules/conversations/services.js';
import { bucketOf } from '../../../src/modules/conversations/router.js';
import { backendLabel } from '../../helpers/backends.js';
import { faultyEngine, type Faults } from './faulty-engine.js';
import { account, conversationHarness, type ConversationHarness } from './helpers.js';

let h: ConversationHarness;
beforeAll(async () => {
  h = await conversationHarness({
    env: {
      SWITCHBOARD_CONVERSATIONS_READ_LATENCY_BUDGET_MS: '50',
      SWITCHBOARD_CONVERSATIONS_BREAKER_FAILURE_THRESHOLD: '2',
      SWITCHBOARD_CONVERSATIONS_BREAKER_RESET_MS: '60000',
      SWITCHBOARD_CONVERSATIONS_SHADOW_READ_SAMPLE: '0',
    },
  });
});
afterAll(async () => h.close());

describe(`wide_column_reads fallback (${backendLabel()})`, () => {
  it('falls back on a missing session, a slow read, failures, then stops trying (breaker)', async () => {
    const faults: Faults = { writes: false, reads: false, readDelayMs: 0 };
    const svc = createConversationServices(
      { ...h.ctx, wideColumn: faultyEngine(h.ctx.wideColumn, faults) },
      { mode: 'dual_write' },
    );
    const reasons = async () =>
      Object.fromEntries((await svc.metrics.fallbacks.get()).values.map((v) => [v.labels.reason, v.value]));
    const s = await svc.conversations.createSession(account(), { title: 'fallback' });
    await svc.conversations.appendHumanTurn(s.sessionUid, { prompt: 'hello' });
    // Only on the relational side, as a session written before dual-write and not backfilled.
    const old = { ...s, sessionUid: `${s.sessionUid}-old` };
    await svc.relational.insertSession(old);
    await svc.router.setMode('wide_column_reads');

    expect((await svc.conversations.loadActivePath(s.sessionUid)).turns).toHaveLength(1);
    expect((await svc.conversations.getSession(old.sessionUid)).sessionUid).toBe(old.sessionUid);
    expect((await reasons()).missing).toBe(1);

    faults.readDelayMs = 120;
    expect((await svc.conversations.loadActivePath(s.sessionUid)).turns).toHaveLength(1);
    expect((await reasons()).latency).toBe(1);
    faults.readDelayMs = 0;

    faults.reads = true;
    for (let i = 0; i < 4; i += 1) {
      expect((await svc.conversations.loadActivePath(s.sessionUid)).turns).toHaveLength(1);
    }
    const r = await reasons();
    // One failure after the slow read opens the breaker (threshold 2); the rest do not try.
    expect(r.error).toBe(1);
    expect(r.breaker).toBe(3);
    // While the breaker is open, dual writes skip the wide-column side and are recorded for repair.
    faults.reads = false;
    await svc.conversations.appendHumanTurn(s.sessionUid, { parentUid: s.sessionUid, prompt: 'edit' });
    expect((await svc.repairs.list(null, 1000)).map((x) => x.sessionUid)).toContain(s.sessionUid);
    await svc.router.settle();
  });

  it('chooses the wide-column side for a stable share of sessions', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `session-${i}`);
    const under30 = ids.filter((id) => bucketOf(id) < 30).length / ids.length;
    expect(under30).toBeGreaterThan(0.25);
    expect(under30).toBeLessThan(0.35);
    expect(ids.map(bucketOf)).toEqual(ids.map(bucketOf));
  });
});
