import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Db } from '../../../src/modules/callcenter/rows.js';
import { createCallCenterServices } from '../../../src/modules/callcenter/services.js';
import {
  DRAIN_MARGIN_SECONDS,
  ScaledClock,
  simulateCallCenter,
  type SimulationResult,
} from '../../../src/modules/callcenter/simulate.js';
import { backendLabel } from '../../helpers/backends.js';
import { callcenterHarness, storedTimes, type CallCenterHarness } from './helpers.js';

describe('ScaledClock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts its span in the past, keeps pace until scaling, then catches up with the wall clock and stays on it', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.parse('2030-05-01T12:00:00.000Z');
    vi.setSystemTime(t0);
    const clock = new ScaledClock(61, 600);
    expect(clock.now().getTime()).toBe(t0 - 600_000);
    // Before scaling (the agents signing in): 1×.
    vi.setSystemTime(t0 + 10_000);
    expect(clock.now().getTime()).toBe(t0 - 590_000);
    clock.startScaling();
    vi.setSystemTime(t0 + 15_000);
    expect(clock.now().getTime()).toBe(t0 - 590_000 + 5 * 61_000);
    // 600 s behind, gaining 60 s a second: level with the wall clock 10 s after scaling...
    vi.setSystemTime(t0 + 20_000);
    expect(clock.now().getTime()).toBe(t0 + 20_000);
    // ...and clamped to it from then on: never ahead.
    for (const later of [1, 1000, 3_600_000]) {
      vi.setSystemTime(t0 + 20_000 + later);
      expect(t0 - 590_000 + (10_000 + later) * 61).toBeGreaterThan(Date.now());
      expect(clock.now().getTime()).toBe(Date.now());
    }
  });

  it("forRun: the run's arrivals at its scale plus the drain margin before the real time", () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.parse('2030-05-01T12:00:00.000Z');
    vi.setSystemTime(t0);
    const clock = ScaledClock.forRun({ durationSeconds: 30, timeScale: 60 });
    expect(clock.scale).toBe(60);
    expect(clock.now().getTime()).toBe(t0 - (30 * 60 + DRAIN_MARGIN_SECONDS) * 1000);
    clock.startScaling();
    // When the 30 s of arrivals end, the margin (less those 30 s) is still to go.
    vi.setSystemTime(t0 + 30_000);
    expect(clock.now().getTime()).toBe(t0 + 30_000 - (DRAIN_MARGIN_SECONDS + 30) * 1000);
  });
});

describe(`simulateCallCenter on a service's data (${backendLabel()})`, () => {
  let h: CallCenterHarness;
  beforeAll(async () => {
    // Real time: the harness's own services (on a manual clock) are not used.
    h = await callcenterHarness({ start: new Date() });
  });
  afterAll(async () => {
    await h.close();
  });

  const run = async (seed: number): Promise<SimulationResult> => {
    const options = { agents: 3, callsPerSecond: 4, durationSeconds: 1.5, timeScale: 600, seed };
    const clock = ScaledClock.forRun(options);
    const services = createCallCenterServices(h.ctx, { clock });
    return simulateCallCenter(services, clock, options);
  };

  it('leaves nothing after the real time or live, and reports the calls of each run only', async () => {
    const first = await run(7);
    const second = await run(8);
    const finishedAt = new Date().toISOString();
    const services = createCallCenterServices(h.ctx);

    for (const result of [first, second]) {
      const a = result.analytics;
      expect(result.enqueued, result.runId).toBeGreaterThan(0);
      // The printed count and the figures agree: this run's calls, each once.
      expect(a.overall.total, result.runId).toBe(result.enqueued);
      expect(a.overall.answered, result.runId).toBe(result.answered);
      expect(a.overall.abandoned, result.runId).toBe(result.abandoned);
      expect(a.overall.answered + a.overall.abandoned, result.runId).toBe(result.enqueued);
      expect(
        a.byPeriod.reduce((n, p) => n + p.total, 0),
        result.runId,
      ).toBe(result.enqueued);
      expect(
        a.byQueue.reduce((n, q) => n + q.total, 0),
        result.runId,
      ).toBe(result.enqueued);
      expect(
        a.byQueue.every((q) => result.queues.includes(q.queue)),
        result.runId,
      ).toBe(true);
      expect(a.to <= finishedAt, `${a.to} after ${finishedAt}`).toBe(true);
      // Per queue, the figures are the analytics service's own for that queue alone.
      const range = { from: new Date(a.from), to: new Date(a.to) };
      for (const q of a.byQueue) {
        const service = (await services.analytics.history({ ...range, queue: q.queue })).overall;
        expect({ ...q, queue: undefined }, q.queue).toEqual({ ...service, queue: undefined });
      }
    }
    // The two runs' simulated periods overlap: unscoped analytics of the second's period also
    // count the first run's calls, which its report leaves out.
    const unscoped = await services.analytics.history({
      from: new Date(second.analytics.from),
      to: new Date(second.analytics.to),
    });
    expect(unscoped.overall.total).toBeGreaterThanOrEqual(first.enqueued + second.enqueued);

    const db = h.ctx.relational.db as Db;
    const runIds = [first.runId, second.runId];
    const mine = (id: string) => runIds.some((r) => id.startsWith(`${r}-`));
    const records = (await db.selectFrom('cc_call_records').selectAll().execute()).filter((r) =>
      mine(r.call_id),
    );
    const agents = (await db.selectFrom('cc_agents').selectAll().execute()).filter((a) => mine(a.agent_id));
    expect(records).toHaveLength(first.enqueued + second.enqueued);
    expect(agents).toHaveLength(6);
    const times = storedTimes(records, agents);
    expect(times.filter((t) => t > finishedAt)).toEqual([]);
    // Signed out, wrap-ups closed, nothing left in a queue or with an agent.
    expect(agents.filter((a) => a.status !== 'offline').map((a) => `${a.agent_id} ${a.status}`)).toEqual([]);
    expect(records.filter((r) => r.wrap_up_ms === null).map((r) => r.call_id)).toEqual([]);
    const live = [
      ...(await db.selectFrom('cc_call_queue').select('call_id').execute()),
      ...(await db.selectFrom('cc_active_calls').select('call_id').execute()),
    ].filter((c) => mine(c.call_id));
    expect(live).toEqual([]);
  }, 120_000);

  it("copes with a service's sweeper, which judges the simulated (older) times by the real clock", async () => {
    // The sweeper of a `serve` sharing the data: its clock is the real one.
    const { sweeper } = createCallCenterServices(h.ctx);
    let sweeps = 0;
    let swept = { offersWithdrawn: 0, agentsAway: 0, wrapUpsEnded: 0 };
    let sweeping = true;
    const loop = (async () => {
      while (sweeping) {
        const report = await sweeper.sweep();
        swept = {
          offersWithdrawn: swept.offersWithdrawn + report.offersWithdrawn,
          agentsAway: swept.agentsAway + report.agentsAway,
          wrapUpsEnded: swept.wrapUpsEnded + report.wrapUpsEnded,
        };
        sweeps += 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const result = await run(9).finally(() => {
      sweeping = false;
    });
    await loop;
    expect(sweeps).toBeGreaterThan(0);
    // It did act on the run's agents: they came back and the run finished.
    expect(swept.agentsAway, JSON.stringify(swept)).toBeGreaterThan(0);
    expect(result.analytics.overall.total).toBe(result.enqueued);
    expect(result.analytics.overall.answered).toBe(result.answered);
    expect(result.analytics.overall.abandoned).toBe(result.abandoned);
    const db = h.ctx.relational.db as Db;
    const agents = await db
      .selectFrom('cc_agents')
      .select(['agent_id', 'status'])
      .where('agent_id', 'like', `${result.runId}-%`)
      .execute();
    expect(agents.map((a) => a.status)).toEqual(['offline', 'offline', 'offline']);
  }, 120_000);
});
