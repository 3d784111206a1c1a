import { describe, expect, it } from 'vitest';
import { TransactionScope } from '../../src/ports/relational/transaction-scope.js';

/** Lets `turns` turns of the event loop pass. */
const later = (turns = 1) =>
  new Promise<void>((resolve) => {
    let left = turns;
    const tick = () => (--left <= 0 ? resolve() : setImmediate(tick));
    setImmediate(tick);
  });

describe('TransactionScope', () => {
  it('knows its own transactions, across awaits, and nothing outside them', async () => {
    const scope = new TransactionScope();
    expect(scope.inside).toBe(false);
    const seen = await scope.run(async () => {
      const before = scope.inside;
      await later(2);
      const nested = await Promise.all([(async () => scope.inside)(), later().then(() => scope.inside)]);
      return [before, ...nested];
    });
    expect(seen).toEqual([true, true, true]);
    expect(scope.inside).toBe(false);
  });

  it('still tells inside from outside after it was switched off between transactions', async () => {
    const scope = new TransactionScope();
    for (let round = 0; round < 3; round += 1) {
      // Work started between transactions is outside the one that opens while it runs.
      const outsider = later(3).then(() => scope.inside);
      const inside = await scope.run(async () => {
        await later(5);
        return scope.inside;
      });
      expect(inside).toBe(true);
      expect(await outsider).toBe(false);
      expect(scope.inside).toBe(false);
    }
  });

  it('a callback a transaction left behind is outside, even while another transaction is open', async () => {
    const scope = new TransactionScope();
    let straggler: Promise<boolean> | undefined;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await scope.run(async () => {
      straggler = gate.then(() => scope.inside);
    });
    const [during, fromStraggler] = await scope.run(async () => {
      release();
      const lateAnswer = await straggler!;
      return [scope.inside, lateAnswer];
    });
    expect(during).toBe(true);
    expect(fromStraggler).toBe(false);
  });

  it('overlapping transactions each stay inside until their own end', async () => {
    const scope = new TransactionScope();
    let releaseFirst!: () => void;
    const firstMayEnd = new Promise<void>((resolve) => (releaseFirst = resolve));
    const first = scope.run(async () => {
      await firstMayEnd;
      return scope.inside;
    });
    const second = scope.run(async () => {
      releaseFirst();
      // The first transaction ends while this one is still open.
      await first;
      await later(2);
      return scope.inside;
    });
    expect(await first).toBe(true);
    expect(await second).toBe(true);
    expect(scope.inside).toBe(false);
  });
});
