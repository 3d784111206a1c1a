import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSweepWorker, type Sweeper } from '../../src/modules/callcenter/sweeper.js';

/** A sweeper whose store answers or fails on demand. */
function fakeSweeper() {
  const state = { failing: false };
  const sweeper = {
    reconcile: async () => ({ agentsCorrected: 0, hotMovesResent: 0 }),
    sweep: async () => {
      if (state.failing) throw new Error('store unreachable');
      return { offersWithdrawn: 0, agentsAway: 0, wrapUpsEnded: 0 };
    },
  } as unknown as Sweeper;
  return { sweeper, state };
}

describe('callcenter sweeper health', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is healthy when not started (no workers run) and after a clean stop', async () => {
    const { sweeper } = fakeSweeper();
    const worker = createSweepWorker(sweeper, { intervalMs: 1_000, logger: pino({ level: 'silent' }) });
    expect(await worker.health!()).toEqual({ ok: true, detail: 'stopped' });
    await worker.start();
    expect(await worker.health!()).toEqual({ ok: true, detail: 'sweeping' });
    await worker.stop();
    expect(await worker.health!()).toEqual({ ok: true, detail: 'stopped' });
  });

  it('turns unhealthy, naming the error, after missed sweeps, and recovers', async () => {
    vi.useFakeTimers();
    const { sweeper, state } = fakeSweeper();
    const worker = createSweepWorker(sweeper, { intervalMs: 1_000, logger: pino({ level: 'silent' }) });
    await worker.start();
    state.failing = true;
    await vi.advanceTimersByTimeAsync(6_000);
    const down = await worker.health!();
    expect(down.ok).toBe(false);
    expect(down.detail).toMatch(/no successful sweep for \d+ ms: store unreachable/);
    state.failing = false;
    await vi.advanceTimersByTimeAsync(1_500);
    expect(await worker.health!()).toEqual({ ok: true, detail: 'sweeping' });
    await worker.stop();
  });
});
