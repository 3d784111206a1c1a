import { join } from 'node:path';
import type { Worker as Thread } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { LoggingConsumer } from '../../../src/modules/interactions/consumer.js';
import { ThreadedConsumer } from '../../../src/modules/interactions/thread/threaded-consumer.js';
import { onScaleOut } from '../../helpers/backends.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';
import { TEST_ENV, makeEvent, until } from './helpers.js';

/**
 * The consumer as `serve` runs it by default: on its own thread with its own connections
 * (`[interactions] consumer_thread = true`). The consumer's logic is covered on the test's own
 * loop by the other files; these check what the thread adds: it stores what the main thread
 * publishes, reports health, lag and metrics across the thread boundary, commits on stop, and
 * is restarted without loss when it dies.
 */
let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function threadedServer(): Promise<TestServer> {
  server = await createTestServer({ env: { ...TEST_ENV, SWITCHBOARD_INTERACTIONS_CONSUMER_THREAD: 'true' } });
  return server;
}

const interactions = (s: TestServer) => s.switchboard.services.interactions;

/** Publishes `turns` STT -> LLM -> TTS turns for each session; returns the events per session. */
async function publishTurns(s: TestServer, sessions: string[], turns: number): Promise<Map<string, number>> {
  const published = new Map<string, number>();
  for (let t = 0; t < turns; t += 1) {
    for (const session of sessions) {
      await interactions(s).publisher.stt(makeEvent('stt', session));
      await interactions(s).publisher.llm(makeEvent('llm', session));
      await interactions(s).publisher.tts(makeEvent('tts', session));
      published.set(session, (published.get(session) ?? 0) + 3);
    }
  }
  return published;
}

/** Every session's stored rows and summary count match what was published: nothing lost, nothing twice. */
async function expectExactlyStored(s: TestServer, published: Map<string, number>): Promise<void> {
  for (const [session, count] of published) {
    const page = await interactions(s).queries.sessionInteractions(session, { limit: 1000 });
    expect(page.interactions).toHaveLength(count);
    const summary = await interactions(s).queries.sessionSummary(session);
    expect(summary?.event_count).toBe(count);
  }
}

/** Sum of a counter's series in Prometheus text. */
function counterTotal(text: string, name: string): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

async function lagIsZero(consumer: LoggingConsumer): Promise<boolean> {
  const lag = await consumer.lag();
  return lag !== null && lag.every((l) => l.lag === 0n);
}

describe('the interactions consumer on its own thread (serve default)', { timeout: 120_000 }, () => {
  it('stores what the main thread publishes, and reports health, lag and metrics across the thread', async () => {
    const s = await threadedServer();
    const consumer = interactions(s).consumer;
    expect(consumer).toBeInstanceOf(ThreadedConsumer);
    await s.switchboard.startWorkers();
    const published = await publishTurns(s, ['thread-a', 'thread-b', 'thread-c'], 4);
    await until('the thread to store every event', () => consumer.stored >= 36);
    await until('the thread to commit', () => lagIsZero(consumer));
    await expectExactlyStored(s, published);
    expect(consumer.timings().batches).toBeGreaterThan(0);

    const ready = await s.app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().workers['interactions-consumer']).toMatchObject({ ok: true });
    // The thread's own registry is merged into /metrics (the main registry has the same
    // series at 0: the publisher registers the module's instruments there).
    const metrics = await s.app.inject({ method: 'GET', url: '/metrics' });
    expect(counterTotal(metrics.body, 'switchboard_interactions_consumed_total')).toBe(36);
    expect(counterTotal(metrics.body, 'switchboard_interactions_published_total')).toBe(36);
  });

  it('commits its batch on stop, so a restarted thread redelivers nothing', async () => {
    const s = await threadedServer();
    const consumer = interactions(s).consumer;
    await consumer.start();
    await publishTurns(s, ['stop-a'], 5);
    await until('the thread to store every event', () => consumer.stored >= 15);
    await consumer.stop();
    expect(await consumer.lag()).toBeNull();

    await consumer.start();
    const handledBefore = consumer.handled;
    const published = await publishTurns(s, ['stop-a'], 1);
    // Exactly the new turn is handled: a redelivered batch would count its events again.
    await until('the new turn', () => consumer.handled >= handledBefore + 3);
    await until('the thread to commit', () => lagIsZero(consumer));
    expect(consumer.handled).toBe(handledBefore + 3);
    await expectExactlyStored(s, new Map([['stop-a', 15 + published.get('stop-a')!]]));
    await consumer.stop();
  });

  it('restarts a thread that died, reports it meanwhile, and loses nothing', async () => {
    const s = await threadedServer();
    const consumer = interactions(s).consumer;
    await s.switchboard.startWorkers();
    const first = await publishTurns(s, ['crash-a', 'crash-b'], 3);
    await until('the thread to store the first turns', () => consumer.stored >= 18);

    // A crash: the thread is gone without stopping (what an uncaught error or OOM would do).
    const thread = (consumer as unknown as { thread: Thread }).thread;
    await thread.terminate();
    const during = await consumer.health();
    expect(during.ok).toBe(false);
    expect(during.detail).toMatch(/restarting/);
    const ready = await s.app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(503);

    const second = await publishTurns(s, ['crash-a', 'crash-b'], 2);
    await until('the restarted thread to be healthy', async () => (await consumer.health()).ok);
    await until('the restarted thread to commit', () => lagIsZero(consumer));
    const total = new Map([...first].map(([k, v]) => [k, v + second.get(k)!]));
    await expectExactlyStored(s, total);
  });

  // The outage is made in the embedded store's file.
  const embeddedStore = !(onScaleOut && process.env.SWITCHBOARD_TEST_SCYLLA_CONTACT_POINTS);
  it.runIf(embeddedStore)(
    'stops promptly while paused on a store outage, and stores the batch after the next start',
    async () => {
      const s = await threadedServer();
      const consumer = interactions(s).consumer;
      await consumer.start();
      // An outage of the thread's own connection: every event write fails (not as the data's
      // fault), so the consumer pauses and retries with backoff; heartbeats still succeed.
      const db = new Database(join(s.dataDir, 'wide-column.db'));
      try {
        db.exec(
          "CREATE TRIGGER outage BEFORE INSERT ON voice_interactions BEGIN SELECT RAISE(ABORT, 'outage'); END",
        );
        const published = await publishTurns(s, ['outage-a'], 1);
        await until('the thread to pause', async () => /paused/.test((await consumer.health()).detail));
        const asked = Date.now();
        await consumer.stop();
        // The retry sleep is cut short: not a backoff or a shutdown timeout later.
        expect(Date.now() - asked).toBeLessThan(2_000);
        db.exec('DROP TRIGGER outage');
        await consumer.start();
        await until('the thread to commit', () => lagIsZero(consumer));
        await expectExactlyStored(s, published);
        await consumer.stop();
      } finally {
        db.close();
      }
    },
  );
});
