import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createEmbeddedEventLog } from '../../src/ports/event-log/embedded/log.js';
import { createKafkaEventLog } from '../../src/ports/event-log/kafka/log.js';
import { murmur2, partitionForKey } from '../../src/ports/event-log/partitioner.js';
import { createMetricsRegistry } from '../../src/shared/metrics.js';
import { eventLogContract } from './event-log.contract.js';

eventLogContract('embedded (SQLite)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-log-'));
  const config = loadConfig({ env: { SWITCHBOARD_STORE_DATA_DIR: dir } });
  return {
    partitions: config.event_log.partitions,
    settleMs: 5000,
    open: () =>
      createEmbeddedEventLog({ path: join(dir, 'event-log.db'), config, registry: createMetricsRegistry() }),
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const brokers = process.env.SWITCHBOARD_TEST_KAFKA_BROKERS;

describe.skipIf(!brokers)(
  brokers
    ? 'kafka'
    : 'kafka (skipped: set SWITCHBOARD_TEST_KAFKA_BROKERS=host:port to run the Kafka / Redpanda suite)',
  () => {
    eventLogContract('kafka', async () => {
      const config = loadConfig({
        env: {
          SWITCHBOARD_STORE_EVENT_LOG: 'kafka',
          SWITCHBOARD_KAFKA_BROKERS: brokers!,
          // Short sessions so a member that vanishes is replaced quickly in tests.
          SWITCHBOARD_KAFKA_SESSION_TIMEOUT_MS: '6000',
          SWITCHBOARD_KAFKA_LINGER_MS: '1',
        },
      });
      return {
        partitions: config.event_log.partitions,
        settleMs: 30_000,
        open: () => createKafkaEventLog({ config, registry: createMetricsRegistry() }),
        // Topic and group names are unique per run; nothing to drop.
        async cleanup() {},
      };
    });
  },
);

describe('event log partitioner', () => {
  it("matches Kafka's murmur2 test vectors, so keys map to the same partitions as Java clients", () => {
    // From org.apache.kafka.common.utils.UtilsTest#testMurmur2.
    const vectors: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [input, expected] of vectors) expect(murmur2(Buffer.from(input))).toBe(expected);
    // toPositive masks the sign bit (not Math.abs): -973932308 & 0x7fffffff = 1173551340.
    expect(partitionForKey('21', 6)).toBe(1173551340 % 6);
  });
});

describe('embedded event log specifics', () => {
  it('deletes by age and by per-partition size, never reusing offsets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-log-'));
    const config = loadConfig({
      env: {
        SWITCHBOARD_STORE_DATA_DIR: dir,
        SWITCHBOARD_EVENT_LOG_RETENTION_MS: '3600000',
        SWITCHBOARD_EVENT_LOG_RETENTION_BYTES: '2000',
        SWITCHBOARD_EVENT_LOG_PARTITIONS: '1',
      },
    });
    const log = await createEmbeddedEventLog({ path: join(dir, 'event-log.db'), config });
    try {
      const now = Date.now();
      // 10 old messages (2 h ago) and 30 new ones of 100 bytes each (value 99 + key 1).
      await log.publish(
        'ret',
        Array.from({ length: 10 }, () => ({ key: 'k', value: 'o'.repeat(99), timestamp: now - 7_200_000 })),
      );
      await log.publish(
        'ret',
        Array.from({ length: 30 }, () => ({ key: 'k', value: 'n'.repeat(99), timestamp: now })),
      );
      const deleted = log.enforceRetention(now);
      // Age removes the 10 old ones; size keeps the newest 2000 bytes = 20 messages.
      expect(deleted).toEqual([{ topic: 'ret', deleted: 20 }]);
      const consumer = log.consumer({ group: 'g', topics: ['ret'], maxWaitMs: 10 });
      const lag = await consumer.lag();
      expect(lag[0]).toMatchObject({ committed: 20n, end: 40n, lag: 20n });
      const got: bigint[] = [];
      await consumer.run(async (b) => {
        got.push(...b.messages.map((m) => m.offset));
      });
      const deadline = Date.now() + 3000;
      while (got.length < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(got[0]).toBe(20n);
      expect(got).toHaveLength(20);
      await consumer.stop();
      // Everything deleted: a new message still gets the next offset.
      log.enforceRetention(now + 10 * 3_600_000);
      await log.publish('ret', [{ key: 'k', value: 'x' }]);
      const fresh = log.consumer({ group: 'g2', topics: ['ret'], maxWaitMs: 10 });
      const end = await fresh.lag();
      expect(end[0]).toMatchObject({ end: 41n, lag: 1n });
    } finally {
      await log.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sees messages another instance appends to the same file (another process in production)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-log-'));
    const config = loadConfig({ env: { SWITCHBOARD_STORE_DATA_DIR: dir } });
    const path = join(dir, 'event-log.db');
    const writer = await createEmbeddedEventLog({ path, config });
    const reader = await createEmbeddedEventLog({ path, config });
    try {
      const seen: string[] = [];
      const consumer = reader.consumer({ group: 'x', topics: ['cross'], maxWaitMs: 5 });
      await consumer.run(async (b) => {
        seen.push(...b.messages.map((m) => m.value.toString()));
      });
      // Published by another instance (another process in production): found by polling.
      await writer.publish('cross', [{ key: 'a', value: 'from-writer' }]);
      const deadline = Date.now() + 3000;
      while (seen.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(seen).toEqual(['from-writer']);
    } finally {
      await reader.close();
      await writer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('kafka adapter without a reachable broker', () => {
  it('opens, reports ok:false from health without throwing, and maps publish failures to the catalogue', async () => {
    const config = loadConfig({
      env: {
        SWITCHBOARD_STORE_EVENT_LOG: 'kafka',
        // Port 1 on loopback: connection refused at once.
        SWITCHBOARD_KAFKA_BROKERS: '127.0.0.1:1',
        SWITCHBOARD_KAFKA_REQUEST_TIMEOUT_MS: '1000',
        SWITCHBOARD_KAFKA_SASL_MECHANISM: 'scram-sha-256',
        SWITCHBOARD_KAFKA_SASL_USERNAME: 'u',
        SWITCHBOARD_KAFKA_SASL_PASSWORD: 'p',
      },
    });
    const log = await createKafkaEventLog({ config, registry: createMetricsRegistry() });
    try {
      const started = Date.now();
      const health = await log.health();
      expect(health.ok).toBe(false);
      expect(Date.now() - started).toBeLessThan(5000);
      await expect(log.publish('sb-unreachable', [{ key: 'k', value: 'v' }])).rejects.toMatchObject({
        code: expect.stringMatching(/^STORE_(UNAVAILABLE|TIMEOUT)$/),
      });
      const consumer = log.consumer({ group: 'g', topics: ['sb-unreachable'] });
      await expect(consumer.run(async () => undefined)).rejects.toMatchObject({
        code: expect.stringMatching(/^STORE_(UNAVAILABLE|TIMEOUT)$/),
      });
    } finally {
      await log.close();
    }
  });
});
