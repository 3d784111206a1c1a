import { isSwitchboardError } from '../../../src/errors/index.js';
import { createMessagingServices, type MessagingServices } from '../../../src/modules/messaging/index.js';
import type { TimeSource } from '../../../src/modules/messaging/snowflake.js';
import { messagingMigrations } from '../../../src/modules/messaging/migrations.js';
import { messagingTables } from '../../../src/modules/messaging/tables.js';
import { createTestContext, type TestContext } from '../../helpers/context.js';

export interface MessagingHarness {
  ctx: TestContext;
  svc: MessagingServices;
  close(): Promise<void>;
}

/** Messaging services on fresh embedded ports with the module's schema applied. */
export async function messagingHarness(
  options: {
    env?: NodeJS.ProcessEnv;
    time?: TimeSource;
    wrap?: (ctx: TestContext) => TestContext;
    /** Reopen this data directory (a restart, or a second instance on the same stores); kept at close. */
    dataDir?: string;
  } = {},
): Promise<MessagingHarness> {
  const base = await createTestContext({
    ...(options.env ? { env: options.env } : {}),
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
  });
  await base.wideColumn.applySchema(messagingTables);
  await base.relational.migrate([{ module: 'messaging', migrations: messagingMigrations }]);
  const ctx = options.wrap ? options.wrap(base) : base;
  const svc = createMessagingServices(ctx, options.time ? { time: options.time } : {});
  return {
    ctx,
    svc,
    async close() {
      await svc.effects.stop();
      await svc.ids.stop();
      await base.cleanup();
    },
  };
}

/** A Snowflake time source the test moves by hand; `sleep` advances it (nothing really waits). */
export class FakeTime implements TimeSource {
  sleeps: number[] = [];
  constructor(public current: number) {}
  now(): number {
    return this.current;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.current += Math.max(1, ms);
  }
}

/** The catalogue code a call fails with, or 'no error'; other errors are rethrown. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isSwitchboardError(error)) return error.code;
    throw error;
  }
  return 'no error';
}
