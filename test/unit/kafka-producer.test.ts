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
        publisher.publish('t', [{ key: 'session-2', value: Buffer.from([1]), timestamp: 1_700_000_000_000 }]),
      ]);
      expect(calls).toHaveLength(1); // both publishes lingered into one request
      expect(calls[0]!.acks).toBe(ProduceAcks.ALL);
      const [a, b] = calls[0]!.messages;
      expect(a).toMatchObject({ topic: 't', key: 'session-1', headers: { kind: 'stt' } });
      expect(b!.timestamp).toBe(1_700_000_000_000n);
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
});
