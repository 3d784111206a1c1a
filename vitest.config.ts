import { defineConfig } from 'vitest/config';

/**
 * Two projects. `all` runs every test on its default adapters: the embedded ports, plus the
 * scale-out adapters in the contract suites whenever their server is configured.
 * `modules (scale-out)` runs the domain module suites again with their ports switched, by
 * configuration, to whichever of ScyllaDB / PostgreSQL / Redis / Kafka is configured
 * (SWITCHBOARD_TEST_*), so module behaviour is proven on the real engines too. It is only
 * defined when at least one such server is configured.
 */
const scaleOutConfigured = [
  'SWITCHBOARD_TEST_SCYLLA_CONTACT_POINTS',
  'SWITCHBOARD_TEST_POSTGRES_URL',
  'SWITCHBOARD_TEST_REDIS_URL',
  'SWITCHBOARD_TEST_KAFKA_BROKERS',
].some((name) => Boolean(process.env[name]));

const shared = { testTimeout: 30_000, hookTimeout: 30_000, pool: 'forks' as const };

export default defineConfig({
  test: {
    ...shared,
    // Suites against PostgreSQL/Redis share one server each and isolate themselves (fresh
    // schema / key prefix / keyspace), so files run in parallel; 2 workers suit 2 cores.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    projects: [
      { test: { ...shared, name: 'all', include: ['test/**/*.test.ts'] } },
      ...(scaleOutConfigured
        ? [
            {
              test: {
                ...shared,
                name: 'modules (scale-out)',
                include: ['test/modules/**/*.test.ts'],
                env: { SWITCHBOARD_TEST_MODULES_ON: 'scale-out' },
                setupFiles: ['test/helpers/scale-out-setup.ts'],
                // Each test gets its own keyspace with every module's tables on a real cluster:
                // ~45 CREATE TABLEs, each waiting for schema agreement, can take a minute or more.
                testTimeout: 300_000,
                hookTimeout: 600_000,
              },
            },
          ]
        : []),
    ],
  },
});
