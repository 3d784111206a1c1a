import { describe, expect, it } from 'vitest';
import { createTestContext } from '../helpers/context.js';
import { backendLabel, onScaleOut } from '../helpers/backends.js';

// Guards the `modules (scale-out)` project: if configuration stopped reaching the ports, every
// module suite would silently run on the embedded adapters again and prove nothing new.
describe(`module test backends (${backendLabel()})`, () => {
  it('opens each port on the adapter this run is meant to use', async () => {
    const context = await createTestContext();
    try {
      const env = process.env;
      expect(context.relational.dialect).toBe(
        onScaleOut && env.SWITCHBOARD_TEST_POSTGRES_URL ? 'postgres' : 'sqlite',
      );
      expect(context.hotState.kind).toBe(onScaleOut && env.SWITCHBOARD_TEST_REDIS_URL ? 'redis' : 'embedded');
      expect(context.wideColumn.kind).toBe(
        onScaleOut && env.SWITCHBOARD_TEST_SCYLLA_CONTACT_POINTS ? 'scylladb' : 'embedded',
      );
      expect(context.eventLog.kind).toBe(
        onScaleOut && env.SWITCHBOARD_TEST_KAFKA_BROKERS ? 'kafka' : 'embedded',
      );
    } finally {
      await context.cleanup();
    }
  });
});
