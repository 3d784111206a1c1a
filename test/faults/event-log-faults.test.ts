import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../helpers/server.js';
import { eventually } from '../helpers/services.js';
import { makeEvent } from '../modules/interactions/helpers.js';
import {
  call,
  checkOutcomes,
  errorOf,
  freePort,
  listen,
  loop,
  OwnKafka,
  REQUEST_TIMEOUT_MS,
  type Outcome,
} from './harness.js';

/**
 * Issue 23 for the event log: a Kafka broker the test owns (test/servers' jars, its own ports
 * and data) is killed with SIGKILL under a steady load of interaction publishes (need the log),
 * voice-session writes and API-key reads (do not), then restarted on the same data. Runs where
 * the shared Kafka was started by test/servers/start.sh (so its jars are here); CI requires it.
 */
const lib = join(process.env.SWITCHBOARD_SERVERS_DIR ?? join(process.cwd(), '.servers'), 'kafka', 'lib');
const enabled =
  Boolean(process.env.SWITCHBOARD_TEST_KAFKA_BROKERS) && (existsSync(lib) || process.env.CI === 'true');
const OUTAGE_MS = 8_000;

describe.skipIf(!enabled)('event log (Kafka) killed and restarted under load (issue 23)', () => {
  let kafka: OwnKafka;
  let dir: string;
  let t: TestServer;
  let base: string;
  let headers: Record<string, string>;
  const outcomes: Outcome[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-kafka-faults-'));
    kafka = new OwnKafka(await freePort(), await freePort(), dir, lib);
    await kafka.start();
    t = await createTestServer({
      env: {
        SWITCHBOARD_STORE_EVENT_LOG: 'kafka',
        SWITCHBOARD_KAFKA_BROKERS: kafka.brokers,
        SWITCHBOARD_KAFKA_REQUEST_TIMEOUT_MS: '2000',
        SWITCHBOARD_KAFKA_SESSION_TIMEOUT_MS: '6000',
        SWITCHBOARD_INTERACTIONS_CONSUMER_THREAD: 'false',
        SWITCHBOARD_STORE_RELATIONAL: 'embedded',
        SWITCHBOARD_STORE_HOT_STATE: 'embedded',
        SWITCHBOARD_STORE_WIDE_COLUMN: 'embedded',
        SWITCHBOARD_SERVER_READY_TIMEOUT_MS: '1500',
      },
    });
    await t.switchboard.startWorkers();
    base = await listen(t);
    headers = { ...t.auth(t.adminKey), 'x-user-id': 'alice' };
  }, 180_000);

  afterAll(async () => {
    await t?.close().catch(() => {});
    await kafka?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const ready = async () => {
    const r = await call(base, 'GET', '/ready', {});
    return { status: r.status, failing: (r.body as { failing?: string[] }).failing ?? [] };
  };
  let n = 0;
  const publish = () => {
    const session = `kf-${(n += 1)}`;
    return {
      session,
      request: call(base, 'POST', '/v1/interactions', headers, {
        stage: 'llm',
        ...makeEvent('llm', session, { timestamp: new Date().toISOString() }),
      }),
    };
  };

  it('loses no acknowledged publish after a produce whose outcome was unknown (a paused broker)', async () => {
    // A produce that times out may still be written by the broker. The next publish must not
    // reuse its sequence numbers: the broker would take it for a retry, drop it as a duplicate
    // and acknowledge it all the same (an acknowledged publish lost; seen once in CI).
    const log = t.switchboard.context.eventLog;
    const topic = 'producer-unknown-outcome';
    await log.ensureTopics([{ name: topic, partitions: 1 }]);
    await log.publish(topic, [{ key: 'k', value: 'before' }]);
    kafka.pause();
    let timedOut = false;
    try {
      await log.publish(topic, [{ key: 'k', value: 'during' }]);
    } catch {
      timedOut = true;
    } finally {
      kafka.resume();
    }
    expect(timedOut, 'a publish to a paused broker fails').toBe(true);
    const acknowledged: string[] = ['before'];
    for (let i = 0; acknowledged.length < 4 && i < 40; i += 1) {
      const value = `after-${i}`;
      await log.publish(topic, [{ key: 'k', value }]).then(
        () => acknowledged.push(value),
        () => new Promise((resolve) => setTimeout(resolve, 250)),
      );
    }
    expect(acknowledged.length).toBe(4);

    const read: string[] = [];
    const reader = log.consumer({ group: `read-${randomUUID()}`, topics: [topic] });
    void reader.run(async (batch) => {
      for (const m of batch.messages) read.push(m.value.toString());
    });
    const all = await eventually(async () => acknowledged.every((v) => read.includes(v)), 20_000);
    await reader.stop();
    expect(all, `acknowledged ${JSON.stringify(acknowledged)}, read ${JSON.stringify(read)}`).toBe(true);
  }, 120_000);

  it('answers 503 naming event_log (never 500), keeps other routes up, loses no accepted event, recovers', async () => {
    const started = Date.now();
    const accepted: string[] = [];
    const record = (op: string, at: number, r: { status: number; body: unknown; ms: number }) =>
      outcomes.push({ op, instance: 'kafka', at, ms: r.ms, status: r.status, ...errorOf(r.body) });
    const loops = [
      loop(async () => {
        const at = Date.now() - started;
        const { session, request } = publish();
        const r = await request;
        record('publish', at, r);
        if (r.status === 202) accepted.push(session);
      }, 120_000),
      loop(async () => {
        const at = Date.now() - started;
        record('session', at, await call(base, 'POST', '/v1/voice/sessions', headers, {}));
      }, 120_000),
      loop(async () => {
        const at = Date.now() - started;
        record('keys', at, await call(base, 'GET', '/v1/keys', headers));
      }, 120_000),
    ];
    const figures: Record<string, number> = {};
    try {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const cutAt = Date.now();
      await kafka.kill();
      expect(await eventually(async () => (await ready()).failing.includes('event_log'), 10_000)).toBe(true);
      figures['/ready 503 naming event_log after, ms'] = Date.now() - cutAt;
      const blocked = await eventually(async () => {
        const r = await publish().request;
        return r.status === 503 && errorOf(r.body).port === 'event_log';
      }, 10_000);
      expect(blocked).toBe(true);
      figures['publishes refused naming event_log after, ms'] = Date.now() - cutAt;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, cutAt + OUTAGE_MS - Date.now())));

      const restartedAt = Date.now();
      await kafka.start();
      figures['broker answering again, ms after restart began'] = Date.now() - restartedAt;
      const recovered = await eventually(
        async () => (await ready()).status === 200 && (await publish().request).status === 202,
        30_000,
        200,
      );
      expect(recovered).toBe(true);
      figures['recovered (ready, publish), ms after the broker answered'] =
        Date.now() - restartedAt - figures['broker answering again, ms after restart began']!;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    } finally {
      await Promise.all(loops.map((l) => l.stop()));
    }

    checkOutcomes(outcomes, 'event_log', figures, (slowest, bad) => {
      expect(bad).toEqual([]);
      expect(slowest).toBeLessThan(REQUEST_TIMEOUT_MS);
    });
    expect(outcomes.filter((o) => o.op !== 'publish' && o.status >= 300)).toEqual([]);
    expect(outcomes.filter((o) => o.op === 'publish' && o.status === 503).length).toBeGreaterThan(0);

    // Every accepted event is stored by the consumer once the log is back.
    const queries = t.switchboard.services.interactions.queries;
    let missing: string[] = [];
    const stored = await eventually(
      async () => {
        missing = [];
        for (const session of accepted) {
          const { interactions } = await queries.sessionInteractions(session);
          if (interactions.length !== 1) missing.push(session);
        }
        return missing.length === 0;
      },
      60_000,
      500,
    );
    const consumer = t.switchboard.services.interactions.consumer;
    // Which of the missing events the log holds (read from the start by a fresh group).
    const inLog: string[] = [];
    if (!stored) {
      const probe = t.switchboard.context.eventLog.consumer({
        group: `diag-${Date.now()}`,
        topics: ['llm-requests'],
      });
      void probe.run(async (batch) => {
        for (const m of batch.messages)
          if (m.key && missing.includes(m.key)) inLog.push(`${m.key}@${m.partition}:${m.offset}`);
      });
      await new Promise((resolve) => setTimeout(resolve, 8_000));
      await probe.stop();
    }
    const why = stored
      ? ''
      : JSON.stringify({
          inLog,
          missing: missing.slice(0, 10),
          health: await consumer.health(),
          lag: (await consumer.lag())?.map((l) => `${l.topic}/${l.partition}: ${l.committed}/${l.end}`),
        });
    expect(stored, `${accepted.length} accepted events stored, ${missing.length} missing ${why}`).toBe(true);
  }, 240_000);
});
