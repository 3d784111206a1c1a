import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { SwitchboardConfig } from '../../config/index.js';
import { createEmbeddedEventLog } from './embedded/log.js';
import { createKafkaEventLog } from './kafka/log.js';
import type { EventLog } from './log.js';

/** Opens the event log `store.event_log` names: the SQLite log in the data directory, or Kafka / Redpanda. */
export async function openEventLog(
  config: SwitchboardConfig,
  deps: {
    registry?: Registry;
    logger?: Logger;
    /** False for a second log on the same store in this process: no checkpoints or retention job. */
    maintenance?: boolean;
  } = {},
): Promise<EventLog> {
  const { maintenance, ...shared } = deps;
  if (config.store.event_log === 'kafka') return createKafkaEventLog({ config, ...shared });
  return createEmbeddedEventLog({
    path: join(config.store.data_dir, 'event-log.db'),
    config,
    ...shared,
    ...(maintenance === undefined ? {} : { maintenance }),
  });
}
