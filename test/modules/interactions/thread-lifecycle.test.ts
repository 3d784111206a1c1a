import type { Worker as Thread } from 'node:worker_threads';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ThreadedConsumer } from '../../../src/modules/interactions/thread/threaded-consumer.js';
import type * as Threads from '../../../src/shared/threads.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';
import { TEST_ENV, until } from './helpers.js';

/**
 * The main-thread side of the consumer thread under overlapping calls: start() and stop()
 * while the other is in flight, stop() while a restart is pending or launching, crashes
 * after start. Every thread the consumer starts is tracked (startThread is wrapped), so a
 * test can tell "no thread is left running" and "never two at once" from the outside.
 */
const tracked = vi.hoisted(() => ({
  threads: [] as Thread[],
  exited: new Set<Thread>(),
  /** Most threads alive at the same time since the test began. */
  maxAlive: 0,
}));

vi.mock('../../../src/shared/threads.js', async (importOriginal) => {
  const actual = await importOriginal<typeof Threads>();
  return {
    ...actual,
    startThread: (...args: Parameters<typeof actual.startThread>) => {
      const thread = actual.startThread(...args);
      tracked.threads.push(thread);
      thread.once('exit', () => tracked.exited.add(thread));
      tracked.maxAlive = Math.max(tracked.maxAlive, alive().length);
      return thread;
    },
  };
});

function alive(): Thread[] {
  return tracked.threads.filter((t) => !tracked.exited.has(t));
}

/** Long enough for a wrongly scheduled restart (retry_initial_ms is 20 here) to have started its thread. */
const settle = () => new Promise((r) => setTimeout(r, 400));

let server: TestServer | undefined;
const consumers: ThreadedConsumer[] = [];

afterEach(async () => {
  for (const c of consumers.splice(0)) await c.stop();
  await server?.close();
  server = undefined;
  // A failed test may have leaked threads: do not let them outlive it.
  await Promise.all(alive().map((t) => t.terminate()));
  tracked.threads.length = 0;
  tracked.exited.clear();
  tracked.maxAlive = 0;
});

async function threadedConsumer(
  env: NodeJS.ProcessEnv = {},
  logger = pino({ level: 'silent' }),
): Promise<ThreadedConsumer> {
  server = await createTestServer({
    env: { ...TEST_ENV, SWITCHBOARD_INTERACTIONS_CONSUMER_THREAD: 'true', ...env },
  });
  const consumer = new ThreadedConsumer({ config: server.switchboard.config, instance: 'test', logger });
  consumers.push(consumer);
  return consumer;
}

const current = (c: ThreadedConsumer) => (c as unknown as { thread: Thread | undefined }).thread;

// Each test starts and stops real worker threads (and on Kafka waits for group rejoins): on a busy
// 2-core machine that takes longer than the project's 30 s default, so these waits get 2 minutes.
describe('the consumer thread under overlapping start / stop / crash', { timeout: 120_000 }, () => {
  it('runs one thread when start() is called twice at once', async () => {
    const consumer = await threadedConsumer();
    await Promise.all([consumer.start(), consumer.start()]);
    expect(tracked.threads).toHaveLength(1);
    expect(tracked.maxAlive).toBe(1);
    expect((await consumer.health()).ok).toBe(true);
  });

  it('leaves no thread running when stop() comes while start() is still launching', async () => {
    const consumer = await threadedConsumer();
    const starting = consumer.start();
    await consumer.stop();
    await starting;
    await settle();
    expect(alive()).toHaveLength(0);
    expect(tracked.threads).toHaveLength(1);
    expect(await consumer.health()).toEqual({ ok: false, detail: 'stopped' });
  });

  it('answers health() while the thread is starting without waiting for it', async () => {
    const consumer = await threadedConsumer();
    const starting = consumer.start();
    const asked = Date.now();
    expect(await consumer.health()).toEqual({ ok: false, detail: 'starting' });
    // Not queued behind the thread opening its stores (that is what /ready would wait on).
    expect(Date.now() - asked).toBeLessThan(100);
    await starting;
    expect((await consumer.health()).ok).toBe(true);
  });

  it('waits for a stop() in flight before start() launches, so two threads never run at once', async () => {
    const consumer = await threadedConsumer();
    await consumer.start();
    const stopping = consumer.stop();
    await consumer.start();
    await stopping;
    await settle();
    expect(tracked.maxAlive).toBe(1);
    expect(alive()).toHaveLength(1);
    expect((await consumer.health()).ok).toBe(true);
    // It is the consumer's running thread, so it is restarted when it dies.
    await current(consumer)!.terminate();
    await until('the restarted thread', async () => (await consumer.health()).ok);
    expect(tracked.threads).toHaveLength(3);
  });

  it('posts one stop to the thread when stop() is called twice', async () => {
    const consumer = await threadedConsumer();
    await consumer.start();
    const thread = current(consumer)!;
    const posted = vi.spyOn(thread, 'postMessage');
    await Promise.all([consumer.stop(), consumer.stop()]);
    expect(posted.mock.calls.filter(([m]) => (m as { type: string }).type === 'stop')).toHaveLength(1);
    expect(alive()).toHaveLength(0);
  });

  it('starts no thread when stop() comes while a restart is scheduled', async () => {
    const consumer = await threadedConsumer({ SWITCHBOARD_INTERACTIONS_RETRY_INITIAL_MS: '300' });
    await consumer.start();
    await current(consumer)!.terminate();
    expect((await consumer.health()).detail).toMatch(/restarting/);
    await consumer.stop();
    await new Promise((r) => setTimeout(r, 600));
    expect(tracked.threads).toHaveLength(1);
    expect(await consumer.health()).toEqual({ ok: false, detail: 'stopped' });
  });

  it("leaves no thread running when stop() comes during a restart's launch", async () => {
    const consumer = await threadedConsumer();
    await consumer.start();
    await current(consumer)!.terminate();
    await until('the restart to launch a thread', () => tracked.threads.length === 2);
    await consumer.stop();
    await settle();
    expect(alive()).toHaveLength(0);
    expect(tracked.threads).toHaveLength(2);
    expect(await consumer.health()).toEqual({ ok: false, detail: 'stopped' });
  });

  it('reports and restarts a thread that fails with an uncaught error after it started', async () => {
    const consumer = await threadedConsumer({ SWITCHBOARD_INTERACTIONS_RETRY_INITIAL_MS: '300' });
    await consumer.start();
    // A message the thread does not understand throws in its message handler: uncaught.
    current(consumer)!.postMessage(null);
    await until('the thread to die', () => alive().length === 0);
    const during = await consumer.health();
    expect(during.ok).toBe(false);
    expect(during.detail).toMatch(/exited \(.+\); restarting/);
    await until('the restarted thread', async () => (await consumer.health()).ok);
    expect(tracked.threads).toHaveLength(2);
  });

  it('backs off further each time a thread dies soon after it started', async () => {
    const lines: { msg: string; delayMs?: number }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    // "Soon" is anything under retry_max_ms. On Kafka a restarted thread is healthy only after
    // the group let the dead member's session expire and rejoined (6 s here, more under load),
    // so the window is wide enough for that; the delays themselves stay 20, 40, 80 ms.
    const consumer = await threadedConsumer({ SWITCHBOARD_INTERACTIONS_RETRY_MAX_MS: '60000' }, logger);
    await consumer.start();
    for (let i = 0; i < 3; i += 1) {
      await current(consumer)!.terminate();
      await until('the restarted thread', async () => (await consumer.health()).ok, 45_000);
    }
    const delays = lines.filter((l) => l.msg.includes('restarting it')).map((l) => l.delayMs);
    // Each thread started and died within retry_max_ms: a crash loop, not a recovery.
    expect(delays).toEqual([20, 40, 80]);
  });
});
