import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { SwitchboardConfig } from '../../config/index.js';
import { createMemoryHotState } from './embedded/memory.js';
import { createRedisHotState } from './redis.js';
import type { HotState } from './store.js';

/** Opens the hot state `[store] hot_state` names. */
export async function openHotState(
  config: SwitchboardConfig,
  deps: { registry: Registry; logger?: Logger },
): Promise<HotState> {
  if (config.store.hot_state === 'redis') {
    const hot = await createRedisHotState({
      url: config.redis.url,
      keyPrefix: config.redis.key_prefix,
      connectTimeoutMs: config.redis.connect_timeout_ms,
      registry: deps.registry,
      ...(deps.logger ? { logger: deps.logger } : {}),
    });
    deps.logger?.info(
      { port: 'hot_state', adapter: 'redis', keyPrefix: config.redis.key_prefix },
      'hot state open',
    );
    return hot;
  }
  deps.logger?.info({ port: 'hot_state', adapter: 'embedded' }, 'hot state open');
  return createMemoryHotState({ registry: deps.registry });
}
