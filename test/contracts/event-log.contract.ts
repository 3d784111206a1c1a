import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type {
  Batch,
  Consumer,
  ConsumerOptions,
  EventLog,
  LogMessage,
} from '../../src/ports/event-log/log.js';
import { partitionForKey } from '../../src/ports/event-log/partitioner.js';

/**
 * The event-log contract, written once and run against every adapter. `open()` returns a log
 * on the harness's storage; calling it again after closing reopens the same storage (the
 * embedded file, the same Kafka cluster), which is how a restart is simulated.
 */
export interface EventLogHarness {
  open(): Promise<EventLog>;
  partitions: number;
  /** Generous per-adapter bound for "eventually" waits (a Kafka rebalance takes seconds). */
  settleMs: number;
  cleanup(): Promise<void>;
}

interface Received {
  batches: Batch[];
  messages: LogMessage[];
}

const id = (m: LogMessage) => `${m.topic}/${m.partition}/${m.offset}`;

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

async function eventually(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function eventLogContract(name: string, makeHarness: () => Promise<EventLogHarness>): void {
  describe(`event log contract: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      while (cleanups.length > 0) await cleanups.pop()!();
    });

    const unique = (label: string) => `sb-${label}-${randomBytes(5).toString('hex')}`;

    async function setup() {
      const harness = await makeHarness();
      let log = await harness.open();
      const consumers = new Set<Consumer>();
      cleanups.push(async () => {
        for (const c of consumers) await c.stop().catch(() => undefined);
        await log.close();
        await harness.cleanup();
      });
      return {
        harness,
        get log() {
          return log;
        },
        async reopen() {
          for (const c of consumers) await c.stop();
          consumers.clear();
          await log.close();
          log = await harness.open();
          return log;
        },
        /** Starts a consumer that records every batch; `handle` may throw or hang to simulate failures. */
        async consume(
          options: ConsumerOptions,
          handle?: (batch: Batch, received: Received) => Promise<void>,
        ) {
          const consumer = log.consumer(options);
          consumers.add(consumer);
          const received: Received = { batches: [], messages: [] };
          await consumer.run(async (batch) => {
            if (handle) await handle(batch, received);
            received.batches.push(batch);
            received.messages.push(...batch.messages);
          });
          return { consumer, received };
        },
      };
    }

    it('round-trips keyed messages with headers, on the partition the key hashes to', async () => {
      const t = await setup();
      const topic = unique('roundtrip');
      await t.log.ensureTopics([{ name: topic }]);
      await t.log.publish(topic, [
        { key: 'session-1', value: 'hello', headers: { kind: 'stt', trace: 'a1' } },
        { key: 'session-2', value: Buffer.from([0, 1, 2, 255]) },
        { key: 'session-1', value: 'again', timestamp: 1_700_000_000_000 },
      ]);
      const { received } = await t.consume({ group: unique('g'), topics: [topic], maxWaitMs: 20 });
      await eventually(() => received.messages.length >= 3, t.harness.settleMs, 'three messages');
      expect(received.messages).toHaveLength(3);
      const byValue = new Map(received.messages.map((m) => [m.value.toString('latin1'), m]));
      const hello = byValue.get('hello')!;
      expect(hello.key).toBe('session-1');
      expect(hello.headers).toEqual({ kind: 'stt', trace: 'a1' });
      expect(hello.topic).toBe(topic);
      expect(hello.partition).toBe(partitionForKey('session-1', t.harness.partitions));
      expect(byValue.get('again')!.timestamp).toBe(1_700_000_000_000);
      expect(byValue.get('again')!.offset).toBe(hello.offset + 1n);
      const binary = received.messages.find((m) => m.key === 'session-2')!;
      expect([...binary.value]).toEqual([0, 1, 2, 255]);
      expect(binary.headers).toEqual({});
      expect(binary.partition).toBe(partitionForKey('session-2', t.harness.partitions));
    });

    it('keeps the order of each key across many keys and publishes', async () => {
      const t = await setup();
      const topic = unique('order');
      const keys = 40;
      const perKey = 25;
      for (let round = 0; round < perKey; round += 1) {
        await t.log.publish(
          topic,
          Array.from({ length: keys }, (_, k) => ({
            key: `call-${k}`,
            value: JSON.stringify({ k, seq: round }),
          })),
        );
      }
      const { received } = await t.consume({
        group: unique('g'),
        topics: [topic],
        maxBatchSize: 64,
        maxWaitMs: 10,
      });
      await eventually(() => received.messages.length >= keys * perKey, t.harness.settleMs, 'all messages');
      expect(received.messages).toHaveLength(keys * perKey);
      const seqs = new Map<string, number[]>();
      const partitionsOfKey = new Map<string, Set<number>>();
      for (const m of received.messages) {
        const { seq } = JSON.parse(m.value.toString()) as { seq: number };
        seqs.set(m.key!, [...(seqs.get(m.key!) ?? []), seq]);
        partitionsOfKey.set(m.key!, (partitionsOfKey.get(m.key!) ?? new Set()).add(m.partition));
      }
      for (const [key, list] of seqs) {
        expect(list, key).toEqual(Array.from({ length: perKey }, (_, i) => i));
        expect(partitionsOfKey.get(key)!.size).toBe(1);
      }
    });

    it('never hands over more than maxBatchSize messages', async () => {
      const t = await setup();
      const topic = unique('batch');
      await t.log.publish(
        topic,
        Array.from({ length: 250 }, (_, i) => ({ key: `k${i % 7}`, value: String(i) })),
      );
      const { received } = await t.consume({
        group: unique('g'),
        topics: [topic],
        maxBatchSize: 40,
        maxWaitMs: 50,
      });
      await eventually(() => received.messages.length >= 250, t.harness.settleMs, '250 messages');
      expect(received.messages).toHaveLength(250);
      for (const b of received.batches) expect(b.messages.length).toBeLessThanOrEqual(40);
      expect(received.batches.some((b) => b.messages.length > 1)).toBe(true);
    });

    it('hands over a partial batch once maxWaitMs has passed', async () => {
      const t = await setup();
      const topic = unique('wait');
      await t.log.ensureTopics([{ name: topic }]);
      const { received } = await t.consume({
        group: unique('g'),
        topics: [topic],
        maxBatchSize: 1000,
        maxWaitMs: 100,
      });
      await new Promise((r) => setTimeout(r, 200));
      const started = Date.now();
      await t.log.publish(topic, [
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
        { key: 'c', value: '3' },
      ]);
      await eventually(() => received.messages.length >= 3, t.harness.settleMs, 'the partial batch');
      const elapsed = Date.now() - started;
      expect(received.batches.every((b) => b.messages.length < 1000)).toBe(true);
      // Not handed over before there was anything, and not held much past maxWaitMs.
      expect(elapsed).toBeLessThan(100 + 2000);
    });

    it('a consumer killed mid-batch loses nothing and redelivers only uncommitted messages', async () => {
      const t = await setup();
      const topic = unique('kill');
      const group = unique('g');
      const all = Array.from({ length: 120 }, (_, i) => ({ key: `s${i % 9}`, value: String(i) }));
      await t.log.publish(topic, all);

      const hang = deferred();
      let handled = 0;
      const first = await t.consume({ group, topics: [topic], maxBatchSize: 10, maxWaitMs: 10 }, async () => {
        handled += 1;
        if (handled === 4) await hang.promise; // the fourth batch never completes
      });
      await eventually(() => handled >= 4, t.harness.settleMs, 'the fourth batch');
      const committed = new Set(first.received.messages.map(id));
      expect(first.received.batches).toHaveLength(3);
      // Kill it: stop waits for the batch in flight, which then fails, so nothing more is committed.
      const stopped = first.consumer.stop();
      hang.reject(new Error('process killed'));
      await stopped;

      const second = await t.consume({ group, topics: [topic], maxBatchSize: 25, maxWaitMs: 10 });
      await eventually(
        () => second.received.messages.length >= all.length - committed.size,
        t.harness.settleMs,
        'the uncommitted messages',
      );
      await new Promise((r) => setTimeout(r, 100));
      const again = second.received.messages.map(id);
      expect(new Set(again).size).toBe(again.length); // each exactly once
      expect(again.filter((x) => committed.has(x))).toEqual([]); // nothing committed comes back
      expect(again.length + committed.size).toBe(all.length); // and nothing is lost
      const values = new Set(
        [...first.received.messages, ...second.received.messages].map((m) => m.value.toString()),
      );
      expect(values.size).toBe(all.length);
    });

    it('flags a batch that may hold messages handed over before, and retries a batch whose handler threw', async () => {
      const t = await setup();
      const topic = unique('retry');
      await t.log.publish(
        topic,
        Array.from({ length: 5 }, (_, i) => ({ key: 'one-key', value: String(i) })),
      );
      let attempts = 0;
      const seen: Batch[] = [];
      const { received } = await t.consume(
        { group: unique('g'), topics: [topic], maxBatchSize: 5, maxWaitMs: 20 },
        async (batch) => {
          attempts += 1;
          seen.push(batch);
          if (attempts === 1) throw new Error('transient failure');
        },
      );
      await eventually(() => received.messages.length >= 5, t.harness.settleMs, 'the retried batch');
      expect(attempts).toBe(2);
      expect(seen[1]!.mayContainRedeliveries).toBe(true);
      expect(seen[1]!.messages.map((m) => m.value.toString())).toEqual(['0', '1', '2', '3', '4']);
    });

    it('two consumers in one group split the partitions and process nothing twice', async () => {
      const t = await setup();
      const topic = unique('split');
      const group = unique('g');
      await t.log.ensureTopics([{ name: topic }]);
      const a = await t.consume({ group, topics: [topic], maxBatchSize: 20, maxWaitMs: 10 });
      const b = await t.consume({ group, topics: [topic], maxBatchSize: 20, maxWaitMs: 10 });
      await new Promise((r) => setTimeout(r, 200));
      const total = 300;
      for (let i = 0; i < total; i += 30) {
        await t.log.publish(
          topic,
          Array.from({ length: 30 }, (_, j) => ({ key: `caller-${(i + j) % 50}`, value: String(i + j) })),
        );
      }
      await eventually(
        () => a.received.messages.length + b.received.messages.length >= total,
        t.harness.settleMs,
        'all messages across both consumers',
      );
      await new Promise((r) => setTimeout(r, 200));
      const ids = [...a.received.messages, ...b.received.messages].map(id);
      expect(ids).toHaveLength(total);
      expect(new Set(ids).size).toBe(total);
      expect(a.received.messages.length).toBeGreaterThan(0);
      expect(b.received.messages.length).toBeGreaterThan(0);
      const partitionsA = new Set(a.received.messages.map((m) => m.partition));
      const partitionsB = new Set(b.received.messages.map((m) => m.partition));
      expect([...partitionsA].filter((p) => partitionsB.has(p))).toEqual([]);
    });

    it('takes over the partitions of a consumer that stops', async () => {
      const t = await setup();
      const topic = unique('handover');
      const group = unique('g');
      await t.log.ensureTopics([{ name: topic }]);
      const a = await t.consume({ group, topics: [topic], maxWaitMs: 10 });
      const b = await t.consume({ group, topics: [topic], maxWaitMs: 10 });
      await new Promise((r) => setTimeout(r, 200));
      await b.consumer.stop();
      await t.log.publish(
        topic,
        Array.from({ length: 60 }, (_, i) => ({ key: `k${i}`, value: String(i) })),
      );
      await eventually(
        () => a.received.messages.length >= 60,
        t.harness.settleMs,
        'a to take over every partition',
      );
      expect(new Set(a.received.messages.map(id)).size).toBe(60);
    });

    it('replays from an offset after seek', async () => {
      const t = await setup();
      const topic = unique('seek');
      const group = unique('g');
      await t.log.publish(
        topic,
        Array.from({ length: 10 }, (_, i) => ({ key: 'replayed', value: String(i) })),
      );
      const partition = partitionForKey('replayed', t.harness.partitions);
      const first = await t.consume({ group, topics: [topic], maxWaitMs: 10 });
      await eventually(() => first.received.messages.length >= 10, t.harness.settleMs, 'first pass');
      await first.consumer.stop();
      const base = first.received.messages[0]!.offset;

      const replay = t.log.consumer({ group, topics: [topic], maxWaitMs: 10 });
      await replay.seek(topic, partition, base + 4n);
      const got: Batch[] = [];
      await replay.run(async (batch) => {
        got.push(batch);
      });
      try {
        await eventually(() => got.flatMap((b) => b.messages).length >= 6, t.harness.settleMs, 'the replay');
        const values = got.flatMap((b) => b.messages).map((m) => m.value.toString());
        expect(values).toEqual(['4', '5', '6', '7', '8', '9']);
        expect(got[0]!.mayContainRedeliveries).toBe(true);
      } finally {
        await replay.stop();
      }
    });

    it('reports lag per partition against the committed offset', async () => {
      const t = await setup();
      const topic = unique('lag');
      const group = unique('g');
      await t.log.publish(
        topic,
        Array.from({ length: 10 }, () => ({ key: 'lagging', value: 'x' })),
      );
      const partition = partitionForKey('lagging', t.harness.partitions);
      const consumer = t.log.consumer({ group, topics: [topic], maxWaitMs: 10 });
      const before = await consumer.lag();
      expect(before).toHaveLength(t.harness.partitions);
      const p = before.find((l) => l.partition === partition)!;
      expect(p.lag).toBe(10n);
      expect(p.end - p.committed).toBe(10n);
      expect(before.filter((l) => l.partition !== partition).every((l) => l.lag === 0n)).toBe(true);

      let count = 0;
      await consumer.run(async (batch) => {
        count += batch.messages.length;
      });
      try {
        await eventually(() => count >= 10, t.harness.settleMs, 'consumption');
        await new Promise((r) => setTimeout(r, 100));
        const after = await consumer.lag();
        expect(after.find((l) => l.partition === partition)!.lag).toBe(0n);
        expect(after.find((l) => l.partition === partition)!.committed).toBe(p.end);
      } finally {
        await consumer.stop();
      }
    });

    it('reports nothing to consume for a topic nobody has published to yet', async () => {
      const t = await setup();
      const consumer = t.log.consumer({ group: unique('g'), topics: [unique('never')] });
      expect(await consumer.lag()).toEqual([]);
      expect(consumer.health().ok).toBe(true);
    });

    it('keeps timestamps exactly, however far apart within one publish', async () => {
      const t = await setup();
      const topic = unique('stamps');
      const now = Date.now();
      // One key, one partition, one produce request: the second and third are ~24.8 days and
      // years away from the first record of their batch.
      const stamps = [now, now - 2 ** 31 - 5, 1_000_000_000_000, now + 1_000];
      await t.log.publish(
        topic,
        stamps.map((timestamp, i) => ({ key: 'one', value: String(i), timestamp })),
      );
      const { received } = await t.consume({ group: unique('g'), topics: [topic], maxWaitMs: 10 });
      await eventually(() => received.messages.length >= stamps.length, t.harness.settleMs, 'four messages');
      expect(received.messages.map((m) => m.timestamp)).toEqual(stamps);
    });

    it('refuses a record timestamp more than an hour ahead or below zero, as Kafka brokers do', async () => {
      const t = await setup();
      const topic = unique('future');
      for (const timestamp of [Date.now() + 2 * 3_600_000, -5, 1.5]) {
        await expect(
          t.log.publish(topic, [{ key: 'k', value: 'v', timestamp }]),
          String(timestamp),
        ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', field: 'messages.0.timestamp' });
      }
      await t.log.publish(topic, [{ key: 'k', value: 'v', timestamp: Date.now() + 60_000 }]);
    });

    it('resumes after the last committed offset when the whole log restarts', async () => {
      const t = await setup();
      const topic = unique('restart');
      const group = unique('g');
      await t.log.publish(
        topic,
        Array.from({ length: 40 }, (_, i) => ({ key: `r${i % 5}`, value: String(i) })),
      );
      let batches = 0;
      const first = await t.consume({ group, topics: [topic], maxBatchSize: 8, maxWaitMs: 10 }, async () => {
        batches += 1;
      });
      await eventually(() => first.received.batches.length >= 2, t.harness.settleMs, 'two batches');
      await first.consumer.stop(); // drains: whatever was handed over is committed
      const done = new Set(first.received.messages.map(id));

      await t.reopen();
      await t.log.publish(topic, [{ key: 'r0', value: 'after-restart' }]);
      const second = await t.consume({ group, topics: [topic], maxWaitMs: 10 });
      await eventually(
        () => second.received.messages.length >= 41 - done.size,
        t.harness.settleMs,
        'the rest after restart',
      );
      await new Promise((r) => setTimeout(r, 100));
      const ids = second.received.messages.map(id);
      expect(ids.filter((x) => done.has(x))).toEqual([]);
      expect(ids.length + done.size).toBe(41);
      expect(second.received.messages.some((m) => m.value.toString() === 'after-restart')).toBe(true);
      expect(batches).toBeGreaterThanOrEqual(2);
    });

    it('reports health and refuses to publish once closed', async () => {
      const t = await setup();
      const health = await t.log.health();
      expect(health.ok).toBe(true);
      const log = await t.reopen();
      await log.close();
      expect((await log.health()).ok).toBe(false);
      await expect(log.publish(unique('closed'), [{ key: 'k', value: 'v' }])).rejects.toMatchObject({
        code: 'SHUTTING_DOWN',
      });
    });
  });
}
