import { describe, expect, it } from 'vitest';

/**
 * Under CI every scale-out suite must run: .ci/run starts Cassandra and Kafka
 * (test/servers/start.sh) next to the machine's PostgreSQL and Redis and names all four. A
 * suite skipped for want of a server would make a green run mean less than it says.
 */
const required = [
  'SWITCHBOARD_TEST_SCYLLA_CONTACT_POINTS',
  'SWITCHBOARD_TEST_KAFKA_BROKERS',
  'SWITCHBOARD_TEST_POSTGRES_URL',
  'SWITCHBOARD_TEST_REDIS_URL',
] as const;

describe('scale-out servers under CI', () => {
  it.runIf(process.env.CI === 'true')('names every scale-out server, so no suite is skipped', () => {
    const missing = required.filter((name) => !process.env[name]?.trim());
    expect(missing, `CI=true requires ${missing.join(', ')} (see test/servers/start.sh)`).toEqual([]);
  });
});
