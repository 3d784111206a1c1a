import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { openHotState } from '../../src/ports/hot-state/open.js';
import { createMemoryHotState } from '../../src/ports/hot-state/embedded/memory.js';
import { createRedisHotState } from '../../src/ports/hot-state/redis.js';
import type { HotState } from '../../src/ports/hot-state/store.js';
import { createMetricsRegistry } from '../../src/shared/metrics.js';
import { hostPort, redisTestUrl, viaPort, withTcpProxy } from '../helpers/services.js';
import { hotStateContract } from './hot-state.contract.js';

hotStateContract('in-process (embedded)', async () => {
  const hot = createMemoryHotState({ registry: createMetricsRegistry() });
  return { hot, cleanup: () => hot.close() };
});

const redisUrl = redisTestUrl();

/** Deletes every key under `prefix` (other suites share this Redis). */
async function dropPrefix(url: string, prefix: string): Promise<void> {
  const client = createClient({ url });
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      if (keys.length > 0) await client.del(keys);
    }
  } finally {
    await client.close();
  }
}

describe.skipIf(!redisUrl)(
  redisUrl ? 'redis' : 'redis (skipped: set SWITCHBOARD_TEST_REDIS_URL to run the Redis suite)',
  () => {
    hotStateContract('redis', async () => {
      const url = redisUrl!;
      const keyPrefix = `sbtest:${randomBytes(6).toString('hex')}:`;
      const opened: HotState[] = [];
      const open = async (target = url) => {
        const hot = await createRedisHotState({
          url: target,
          keyPrefix,
          connectTimeoutMs: 1000,
          registry: createMetricsRegistry(),
        });
        opened.push(hot);
        return hot;
      };
      return {
        hot: await open(),
        async openThroughProxy() {
          const { host, port } = hostPort(url, 6379);
          const proxy = await withTcpProxy(host, port);
          return { hot: await open(viaPort(url, proxy.port)), proxy };
        },
        async cleanup() {
          for (const hot of opened) await hot.close();
          await dropPrefix(url, keyPrefix);
        },
      };
    });

    it('prefixes every key and channel, and fails fast on an unreachable URL', async () => {
      const url = redisUrl!;
      const keyPrefix = `sbtest:${randomBytes(6).toString('hex')}:`;
      const hot = await createRedisHotState({ url, keyPrefix });
      const raw = createClient({ url });
      await raw.connect();
      try {
        await hot.set('k', 'v');
        expect(await raw.get(`${keyPrefix}k`)).toBe('v');
        expect(await raw.get('k')).not.toBe('v');
        const received: string[] = [];
        const unsubscribe = await hot.subscribe('ch', (m) => void received.push(m));
        expect(await raw.publish(`${keyPrefix}ch`, 'through the prefix')).toBe(1);
        await unsubscribe();
      } finally {
        await hot.close();
        await raw.close();
        await dropPrefix(url, keyPrefix);
      }
      const proxy = await withTcpProxy('127.0.0.1', 1);
      proxy.cut();
      const error = await createRedisHotState({
        url: `redis://127.0.0.1:${proxy.port}`,
        connectTimeoutMs: 500,
      }).catch((e: unknown) => e);
      await proxy.close();
      expect((error as { code?: string }).code).toBe('STORE_UNAVAILABLE');
    });
  },
);

describe('scale-out hot-state suite under CI', () => {
  it.runIf(process.env.CI === 'true')('has SWITCHBOARD_TEST_REDIS_URL set', () => {
    expect(
      redisUrl,
      'CI=true requires SWITCHBOARD_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379) so the Redis contract suite runs',
    ).toBeDefined();
  });
});

describe('openHotState', () => {
  it('opens the in-process state by default and Redis from [redis] when selected, counting operations', async () => {
    const registry = createMetricsRegistry();
    const embedded = await openHotState(loadConfig({ env: {} }), { registry });
    expect(embedded.kind).toBe('embedded');
    await embedded.set('k', 'v');
    await embedded.close();
    expect(await registry.getSingleMetricAsString('switchboard_hot_state_operations_total')).toMatch(
      /adapter="embedded",operation="set"\} 1/,
    );
    if (!redisUrl) return;
    const keyPrefix = `sbtest:${randomBytes(6).toString('hex')}:`;
    const config = loadConfig({
      env: {
        SWITCHBOARD_STORE_HOT_STATE: 'redis',
        SWITCHBOARD_REDIS_URL: redisUrl,
        SWITCHBOARD_REDIS_KEY_PREFIX: keyPrefix,
      },
    });
    expect(config.redis).toMatchObject({ url: redisUrl, key_prefix: keyPrefix, connect_timeout_ms: 5000 });
    const hot = await openHotState(config, { registry });
    try {
      expect(hot.kind).toBe('redis');
      await hot.set('k', 'v', { ttlSeconds: 5 });
      expect(await hot.get('k')).toBe('v');
      expect(await registry.getSingleMetricAsString('switchboard_hot_state_operation_seconds')).toMatch(
        /switchboard_hot_state_operation_seconds_count\{adapter="redis",operation="get"\} 1/,
      );
    } finally {
      await hot.close();
      await dropPrefix(redisUrl, keyPrefix);
    }
  });
});
