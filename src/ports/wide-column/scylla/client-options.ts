import cassandra from 'cassandra-driver';
import type { ClientOptions } from 'cassandra-driver';
import type { ScyllaConfig } from '../../../config/schema.js';
import { DEFAULT_PAGE_SIZE } from '../rules.js';

const { auth, policies, types } = cassandra;

/** First reconnection attempt after a host goes down (then doubling, with jitter). */
const RECONNECT_BASE_MS = 250;

type ConsistencyName = ScyllaConfig['consistency_read'] | ScyllaConfig['consistency_serial'];

const CONSISTENCY: Record<ConsistencyName, number> = {
  ANY: types.consistencies.any,
  ONE: types.consistencies.one,
  TWO: types.consistencies.two,
  THREE: types.consistencies.three,
  QUORUM: types.consistencies.quorum,
  ALL: types.consistencies.all,
  LOCAL_QUORUM: types.consistencies.localQuorum,
  EACH_QUORUM: types.consistencies.eachQuorum,
  LOCAL_ONE: types.consistencies.localOne,
  SERIAL: types.consistencies.serial,
  LOCAL_SERIAL: types.consistencies.localSerial,
};

export function consistencyOf(name: ConsistencyName): number {
  return CONSISTENCY[name];
}

/**
 * The cassandra-driver client options for a configuration. The client connects without a
 * keyspace (applySchema may have to create it) and every statement names `keyspace.table`.
 */
export function clientOptions(config: ScyllaConfig): ClientOptions {
  return {
    contactPoints: [...config.contact_points],
    localDataCenter: config.local_data_center,
    protocolOptions: {
      port: config.port,
      // DDL waits (in the driver) until every node reports the same schema version.
      maxSchemaAgreementWaitSeconds: 30,
    },
    ...(config.username !== undefined
      ? { authProvider: new auth.PlainTextAuthProvider(config.username, config.password ?? '') }
      : {}),
    // bigint/counter as JS bigint, never the lossy Long/number.
    encoding: { useBigIntAsLong: true },
    pooling: {
      coreConnectionsPerHost: {
        [types.distance.local]: config.pool_size,
        [types.distance.remote]: 1,
      },
    },
    // The driver's default back-off grows to 10 minutes, so after a long outage the service
    // could stay unavailable that long after the cluster is back. Capped by configuration.
    policies: {
      reconnection: new policies.reconnection.ExponentialReconnectionPolicy(
        Math.min(RECONNECT_BASE_MS, config.reconnect_max_ms),
        config.reconnect_max_ms,
        false,
      ),
      // The driver speculates only for statements marked idempotent (executor.ts marks each).
      ...(config.speculative_delay_ms > 0
        ? {
            speculativeExecution: new policies.speculativeExecution.ConstantSpeculativeExecutionPolicy(
              config.speculative_delay_ms,
              config.speculative_max_executions,
            ),
          }
        : {}),
    },
    socketOptions: {
      connectTimeout: config.connect_timeout_ms,
      readTimeout: config.request_timeout_ms,
    },
    queryOptions: {
      prepare: true,
      consistency: consistencyOf(config.consistency_read),
      serialConsistency: consistencyOf(config.consistency_serial),
      fetchSize: DEFAULT_PAGE_SIZE,
    },
    // Enough room that statement shapes (insert column sets, slice shapes) are never evicted and re-prepared.
    maxPrepared: 5000,
  };
}
