import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Suites against PostgreSQL/Redis share one server each; files run in parallel but each
    // suite isolates itself (fresh schema / key prefix), so two workers are enough on 2 cores.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    pool: 'forks',
  },
});
