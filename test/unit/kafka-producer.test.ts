import { Producer, ProduceAcks } from '@platformatic/kafka';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { KafkaPublisher } from '../../src/ports/event-log/kafka/producer.js';

/**
 * Only what the adapter hands to the library is checked here (no broker is faked): the
 * library's Producer#send takes `acks` from its send options alone, defaulting to the leader.
 */
describe('kafka publisher options', () => {
  afterEach(() => vi.restoreAllMocks());

  it('sends every produce request with acks=all', async () => {
    const stamp = Date.now() - 60_000;
    const calls: Parameters<Producer<string, Buffer, string, string>['send']>[0][] = [];
    vi.spyOn(Producer.prototype, 'send').mockImplementation(((options: (typeof calls)[number]) => {
      calls.push(options);
      return Promise.resolve({});
    }) as never);
    const config = loadConfig({
      env: { SWITCHBOARD_STORE_EVENT_LOG: 'kafka', SWITCHBOARD_KAFKA_LINGER_MS: '1' },
    });
    const publisher = new KafkaPublisher(config);
    try {
      await Promise.all([
        publisher.publish('t', [{ key: 'session-1', value: 'a', headers: { kind: 'stt' } }]),
        publisher.publish('t', [{ key: 'session-2', value: Buffer.from([1]), timestamp: stamp }]),
      ]);
      expect(calls).toHaveLength(1); // both publishes lingered into one request
      expect(calls[0]!.acks).toBe(ProduceAcks.ALL);
      const [a, b] = calls[0]!.messages;
      expect(a).toMatchObject({ topic: 't', key: 'session-1', headers: { kind: 'stt' } });
      expect(b!.timestamp).toBe(BigInt(stamp));
    } finally {
      await publisher.close();
    }
  });

  it('does not merge lingering publishes past a size that risks MESSAGE_TOO_LARGE', async () => {
    let requests = 0;
    vi.spyOn(Producer.prototype, 'send').mockImplementation((() => {
      requests += 1;
      return Promise.resolve({});
    }) as never);
    const config = loadConfig({
      env: { SWITCHBOARD_STORE_EVENT_LOG: 'kafka', SWITCHBOARD_KAFKA_LINGER_MS: '50' },
    });
    const publisher = new KafkaPublisher(config);
    try {
      const big = Buffer.alloc(200 * 1024);
      await Promise.all([
        publisher.publish('t', [{ key: 'a', value: big }]),
        publisher.publish('t', [{ key: 'b', value: big }]),
        publisher.publish('t', [{ key: 'c', value: big }]),
      ]);
      expect(requests).toBeGreaterThanOrEqual(2);
    } finally {
      await publisher.close();
    }
  });

  it('keeps the timestamps of one request within 2^31 ms of each other, in order', async () => {
    const calls: bigint[][] = [];
    vi.spyOn(Producer.prototype, 'send').mockImplementation(((options: {
      messages: { timestamp: bigint }[];
    }) => {
      calls.push(options.messages.map((m) => m.timestamp));
      return Promise.resolve({});
    }) as never);
    const config = loadConfig({
      env: { SWITCHBOARD_STORE_EVENT_LOG: 'kafka', SWITCHBOARD_KAFKA_LINGER_MS: '0' },
    });
    const publisher = new KafkaPublisher(config);
    const now = Date.now();
    const stamps = [now, now - 1000, 1_700_000_000_000, 1_700_000_000_500, now];
    try {
      await publisher.publish(
        't',
        stamps.map((timestamp) => ({ key: 'k', value: 'v', timestamp })),
      );
      // The library encodes timestamp deltas wrong from 2^31 ms: the far ones go apart, in order.
      expect(calls.flat()).toEqual(stamps.map(BigInt));
      for (const request of calls) {
        const spread = request.reduce((a, b) => (a > b ? a : b)) - request.reduce((a, b) => (a < b ? a : b));
        expect(spread < 2n ** 31n).toBe(true);
      }
      expect(calls.length).toBe(3);
    } finally {
      await publisher.close();
    }
  });

  it('keeps one produce request in flight and sends what arrived meanwhile in the next', async () => {
    let inFlight = 0;
    let most = 0;
    const sizes: number[] = [];
    vi.spyOn(Producer.prototype, 'send').mockImplementation((async (options: { messages: unknown[] }) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      sizes.push(options.messages.length);
      await new Promise((r) => setTimeout(r, 20));
      inFlight -= 1;
      return {};
    }) as never);
    const config = loadConfig({
      env: { SWITCHBOARD_STORE_EVENT_LOG: 'kafka', SWITCHBOARD_KAFKA_LINGER_MS: '0' },
    });
    const publisher = new KafkaPublisher(config);
    try {
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => publisher.publish('t', [{ key: `k${i}`, value: 'v' }])),
      );
      // Sequence numbers are reserved on success only: two requests at once would share them.
      expect(most).toBe(1);
      expect(sizes).toEqual([1, 9]);
    } finally {
      await publisher.close();
    }
  });
});
