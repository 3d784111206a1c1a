import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Figures } from '../../../src/modules/callcenter/analytics.js';
import type { CallRecord } from '../../../src/modules/callcenter/types.js';
import { backendLabel } from '../../helpers/backends.js';
import { caller, callcenterHarness, expectCode, type CallCenterHarness } from './helpers.js';

/** A small deterministic random source, so a failure can be replayed. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The figures, computed here from the raw records, independently of the SQL. */
function expected(records: CallRecord[], thresholdSeconds: number): Figures {
  const answered = records.filter((r) => r.answeredAt !== null);
  const waits = answered.map((r) => r.waitSeconds).sort((a, b) => a - b);
  const mean = (xs: number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
  return {
    total: records.length,
    answered: answered.length,
    abandoned: records.filter((r) => r.abandoned).length,
    avgWaitSeconds: mean(waits),
    p90WaitSeconds: waits.length === 0 ? null : waits[Math.ceil(0.9 * waits.length) - 1]!,
    avgHandleSeconds: mean(answered.map((r) => r.talkSeconds + r.holdSeconds + (r.wrapUpSeconds ?? 0))),
    serviceLevelPercent:
      records.length === 0
        ? null
        : (answered.filter((r) => r.waitSeconds <= thresholdSeconds).length / records.length) * 100,
  };
}

function expectFigures(actual: Figures | undefined, wanted: Figures, label: string): void {
  expect(actual, label).toBeDefined();
  for (const key of Object.keys(wanted) as (keyof Figures)[]) {
    const w = wanted[key];
    const a = actual![key];
    if (w === null) expect(a, `${label} ${key}`).toBeNull();
    else expect(a, `${label} ${key}`).toBeCloseTo(w, 2);
  }
}

describe(`callcenter analytics against independently computed figures (${backendLabel()})`, () => {
  let h: CallCenterHarness;
  // A time range no other test of the file uses: the figures cover every record in it.
  const start = new Date(Date.UTC(2031, 0, 1 + Math.floor(Math.random() * 3000), 8));
  beforeAll(async () => {
    h = await callcenterHarness({ start, env: { SWITCHBOARD_CALLCENTER_WRAP_UP_SECONDS: '60' } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('totals, waits, p90, handle time and service level overall, per queue, per agent, per hour and day', async () => {
    const random = lcg(42);
    const queues = [h.queue('sales'), h.queue('support')];
    const agents = [h.id('an-1'), h.id('an-2'), h.id('an-3')];
    for (const id of agents) {
      await h.svc.agents.create({ agentId: id, username: `${id}-u` });
      await h.svc.agents.setStatus(id, 'available');
    }
    const seconds = (min: number, max: number) => Math.round((min + random() * (max - min)) * 1000);
    for (let i = 0; i < 90; i += 1) {
      const callId = h.id(`an-call-${i}`);
      const queue = queues[i % 2]!;
      await h.svc.queue.enqueue({ callId, queue, caller: caller(), priority: i % 3 });
      h.clock.advance(seconds(0, 45));
      if (random() < 0.2) {
        await h.svc.queue.abandon(callId);
      } else {
        const agentId = agents[Math.floor(random() * agents.length)]!;
        await h.svc.assignment.assign(callId, agentId);
        h.clock.advance(seconds(1, 6));
        await h.svc.calls.answer(callId);
        h.clock.advance(seconds(30, 300));
        if (random() < 0.3) {
          await h.svc.calls.hold(callId);
          h.clock.advance(seconds(5, 60));
          await h.svc.calls.resume(callId);
          h.clock.advance(seconds(10, 60));
        }
        await h.svc.calls.end(callId, random() < 0.8 ? 'resolved' : 'callback');
        h.clock.advance(seconds(5, 40));
        await h.svc.agents.finishWrapUp(agentId);
      }
      // Now and then a quiet spell, so the calls span several hours and two days.
      h.clock.advance(i === 45 ? 14 * 3_600_000 : seconds(0, 600));
    }
    const from = start;
    const to = new Date(h.clock.now().getTime() + 1000);
    const records = await h.svc.records.list({ from, to, limit: 1000 });
    expect(records).toHaveLength(90);
    expect(records.every((r) => r.wrapUpSeconds !== null)).toBe(true);

    for (const threshold of [20, 35]) {
      const result = await h.svc.analytics.history({
        from,
        to,
        groupBy: 'hour',
        serviceLevelSeconds: threshold,
      });
      expect(result.serviceLevelSeconds).toBe(threshold);
      expectFigures(result.overall, expected(records, threshold), 'overall');
      expect(result.byQueue.map((q) => q.queue).sort()).toEqual([...queues].sort());
      for (const q of result.byQueue) {
        expectFigures(
          q,
          expected(
            records.filter((r) => r.queue === q.queue),
            threshold,
          ),
          q.queue,
        );
      }
      expect(result.byAgent.map((a) => a.agentId).sort()).toEqual(
        [...new Set(records.flatMap((r) => (r.agentId ? [r.agentId] : [])))].sort(),
      );
      for (const a of result.byAgent) {
        expectFigures(
          a,
          expected(
            records.filter((r) => r.agentId === a.agentId),
            threshold,
          ),
          a.agentId,
        );
      }
      const hours = [...new Set(records.map((r) => r.enqueuedAt.slice(0, 13)))].sort();
      expect(result.byPeriod.map((p) => p.period)).toEqual(hours);
      for (const p of result.byPeriod) {
        expectFigures(
          p,
          expected(
            records.filter((r) => r.enqueuedAt.startsWith(p.period)),
            threshold,
          ),
          p.period,
        );
      }
    }
    const daily = await h.svc.analytics.history({ from, to, groupBy: 'day' });
    const days = [...new Set(records.map((r) => r.enqueuedAt.slice(0, 10)))].sort();
    expect(days.length).toBe(2);
    expect(daily.byPeriod.map((p) => p.period)).toEqual(days);
    for (const p of daily.byPeriod) {
      expectFigures(
        p,
        expected(
          records.filter((r) => r.enqueuedAt.startsWith(p.period)),
          20,
        ),
        p.period,
      );
    }
    // One queue only.
    const sales = await h.svc.analytics.history({ from, to, queue: queues[0]! });
    expectFigures(
      sales.overall,
      expected(
        records.filter((r) => r.queue === queues[0]),
        20,
      ),
      'sales only',
    );
  });

  it('answers an empty range with zero counts and null averages', async () => {
    const from = new Date(start.getTime() - 10 * 86_400_000);
    const result = await h.svc.analytics.history({ from, to: new Date(from.getTime() + 3_600_000) });
    expect(result.overall).toEqual({
      total: 0,
      answered: 0,
      abandoned: 0,
      avgWaitSeconds: null,
      p90WaitSeconds: null,
      avgHandleSeconds: null,
      serviceLevelPercent: null,
    });
    expect(result.byQueue).toEqual([]);
  });

  it('refuses a records range the way analytics refuses it', async () => {
    const from = new Date('2026-01-02T00:00:00Z');
    const cases: [Date, Date, string][] = [
      [from, new Date('2026-01-01T00:00:00Z'), 'querystring.to'],
      [from, from, 'querystring.to'],
      [from, new Date('not a date'), 'querystring.to'],
      [new Date('not a date'), from, 'querystring.from'],
    ];
    for (const [f, t, field] of cases) {
      const records = await expectCode(h.svc.records.list({ from: f, to: t }), 'VALIDATION_FAILED', field);
      const analytics = await expectCode(
        h.svc.analytics.history({ from: f, to: t }),
        'VALIDATION_FAILED',
        field,
      );
      expect(records.message).toBe(analytics.message);
    }
    await expectCode(
      h.svc.records.list({ from, to: new Date('2026-01-03T00:00:00Z'), queue: 'Not A Queue' }),
      'VALIDATION_FAILED',
      'querystring.queue',
    );
    // No span limit on a listing, which reads at most `limit` records.
    await expect(
      h.svc.records.list({ from: new Date(0), to: new Date(Date.UTC(2100, 0)), limit: 1 }),
    ).resolves.toBeInstanceOf(Array);
  });

  it('shows queue depth, longest wait and agents per status in real time', async () => {
    const queue = h.queue('rt');
    const before = await h.svc.analytics.realTime();
    await h.svc.queue.enqueue({ callId: h.id('rt-1'), queue, caller: caller() });
    h.clock.advance(30_000);
    await h.svc.queue.enqueue({ callId: h.id('rt-2'), queue, caller: caller() });
    const id = h.id('rt-agent');
    await h.svc.agents.create({ agentId: id, username: `${id}-u` });
    const view = await h.svc.analytics.realTime();
    expect(view.queues.find((q) => q.queue === queue)).toEqual({ queue, depth: 2, longestWaitSeconds: 30 });
    expect(view.agents.offline).toBe(before.agents.offline + 1);
  });
});
