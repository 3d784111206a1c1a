import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { handleSignals, type RunningServer } from '../../src/server/lifecycle.js';

/** A running server whose shutdown finishes when the test says so. */
function fakeServer() {
  let finish!: (error?: Error) => void;
  let calls = 0;
  const server = {
    app: { log: pino({ level: 'silent' }) },
    address: 'http://127.0.0.1:0',
    port: 0,
    shutdown: () => {
      calls++;
      return new Promise<void>((resolve, reject) => (finish = (e) => (e ? reject(e) : resolve())));
    },
  } as unknown as RunningServer;
  return { server, finish: (e?: Error) => finish(e), calls: () => calls };
}

const tick = () => new Promise((r) => setTimeout(r, 10));

describe('handleSignals', () => {
  it('shuts down once and exits 0 when draining completes', async () => {
    const f = fakeServer();
    const codes: number[] = [];
    const off = handleSignals(f.server, {
      timeoutMs: 5_000,
      exit: (c) => codes.push(c),
      signals: ['SIGUSR2'],
    });
    try {
      process.emit('SIGUSR2', 'SIGUSR2');
      await tick();
      expect(f.calls()).toBe(1);
      expect(codes).toEqual([]);
      f.finish();
      await tick();
      expect(codes).toEqual([0]);
    } finally {
      off();
    }
  });

  it('a second signal forces exit 1 without waiting', async () => {
    const f = fakeServer();
    const codes: number[] = [];
    const off = handleSignals(f.server, {
      timeoutMs: 5_000,
      exit: (c) => codes.push(c),
      signals: ['SIGUSR2'],
    });
    try {
      process.emit('SIGUSR2', 'SIGUSR2');
      process.emit('SIGUSR2', 'SIGUSR2');
      await tick();
      expect(codes).toEqual([1]);
      expect(f.calls()).toBe(1);
    } finally {
      off();
    }
  });

  it('exits 1 when draining outlasts the timeout, or fails', async () => {
    const slow = fakeServer();
    const codes: number[] = [];
    const off = handleSignals(slow.server, {
      timeoutMs: 50,
      exit: (c) => codes.push(c),
      signals: ['SIGUSR2'],
    });
    try {
      process.emit('SIGUSR2', 'SIGUSR2');
      await new Promise((r) => setTimeout(r, 120));
      expect(codes).toEqual([1]);
    } finally {
      off();
    }
    const failing = fakeServer();
    const codes2: number[] = [];
    const off2 = handleSignals(failing.server, {
      timeoutMs: 5_000,
      exit: (c) => codes2.push(c),
      signals: ['SIGUSR2'],
    });
    try {
      process.emit('SIGUSR2', 'SIGUSR2');
      await tick();
      failing.finish(new Error('port close failed'));
      await tick();
      expect(codes2).toEqual([1]);
    } finally {
      off2();
    }
  });
});
