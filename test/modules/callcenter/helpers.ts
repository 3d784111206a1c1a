import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import {
  callcenterModule,
  createCallCenterServices,
  type CallCenterServices,
} from '../../../src/modules/callcenter/index.js';
import { callcenterMigrations } from '../../../src/modules/callcenter/migrations.js';
import { iso } from '../../../src/modules/callcenter/rows.js';
import type { SwitchboardError } from '../../../src/errors/index.js';
import type { ErrorCode } from '../../../src/errors/catalogue.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { createTestContext, type TestContext } from '../../helpers/context.js';

export interface CallCenterHarness {
  ctx: TestContext;
  svc: CallCenterServices;
  clock: ManualClock;
  /** A prefix unique to this harness: every id a test makes starts with it, so tests sharing a schema never collide. */
  tag: string;
  id(name: string): string;
  /** A queue name unique to this harness. */
  queue(name: string): string;
  close(): Promise<void>;
}

/** Call-center services on the test ports (embedded, or PostgreSQL/Redis in the scale-out project), schema applied. */
export async function callcenterHarness(
  options: { env?: NodeJS.ProcessEnv; dataDir?: string; start?: Date } = {},
): Promise<CallCenterHarness> {
  const clock = new ManualClock(options.start ?? new Date('2026-03-02T09:00:00.000Z'));
  const ctx = await createTestContext({
    clock,
    ...(options.env ? { env: options.env } : {}),
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
  });
  await ctx.relational.migrate([{ module: 'callcenter', migrations: callcenterMigrations }]);
  // Hybrid mode's events topic (none in relational mode).
  await ctx.eventLog.ensureTopics(callcenterModule.topics!(ctx.config));
  const svc = createCallCenterServices(ctx, { clock });
  const tag = randomUUID().slice(0, 8);
  return {
    ctx,
    svc,
    clock,
    tag,
    id: (name) => `${tag}-${name}`,
    queue: (name) => `q${tag}-${name}`,
    close: () => ctx.cleanup(),
  };
}

/** Awaits a rejection and checks its catalogue code (and field, when given). */
export async function expectCode(
  promise: Promise<unknown>,
  code: ErrorCode,
  field?: string,
): Promise<SwitchboardError> {
  const error = (await promise.then(
    () => {
      throw new Error(`expected ${code}, but it succeeded`);
    },
    (e: unknown) => e,
  )) as SwitchboardError;
  expect(error.code, error.message).toBe(code);
  if (field !== undefined) expect(error.field).toBe(field);
  return error;
}

/** Everything the call center holds about some agents and calls, to compare before and after a refused request. */
export async function snapshot(
  h: CallCenterHarness,
  agentIds: string[],
  callIds: string[],
): Promise<unknown> {
  const db = h.ctx.relational.db;
  const agentRows =
    agentIds.length === 0
      ? []
      : await db.selectFrom('cc_agents').selectAll().where('agent_id', 'in', agentIds).execute();
  const skills =
    agentIds.length === 0
      ? []
      : await db
          .selectFrom('cc_agent_skills')
          .selectAll()
          .where('agent_id', 'in', agentIds)
          .orderBy('skill')
          .execute();
  const byCall = async (table: string) =>
    callIds.length === 0
      ? []
      : db.selectFrom(table).selectAll().where('call_id', 'in', callIds).orderBy('call_id').execute();
  return {
    agentRows,
    skills,
    queue: await byCall('cc_call_queue'),
    active: await byCall('cc_active_calls'),
    records: await byCall('cc_call_records'),
    callSkills: await byCall('cc_call_skills'),
  };
}

let phone = 0;
/** A distinct valid E.164 number (US, 415 area). */
export function caller(): string {
  phone = (phone + 1) % 10_000;
  return `+1415555${String(phone).padStart(4, '0')}`;
}

/**
 * Every instant a simulated day stored on its records and agents (ISO strings), for checking
 * that none lies after the real time: the simulation's clock must not run ahead of it.
 */
export function storedTimes(
  records: readonly { enqueued_at: unknown; answered_at: unknown; ended_at: unknown }[],
  agents: readonly {
    status_changed_at: unknown;
    last_heartbeat_at: unknown;
    available_since: unknown;
    created_at: unknown;
    updated_at: unknown;
  }[],
): string[] {
  return [
    ...records.flatMap((r) => [r.enqueued_at, r.answered_at, r.ended_at]),
    ...agents.flatMap((a) => [
      a.status_changed_at,
      a.last_heartbeat_at,
      a.available_since,
      a.created_at,
      a.updated_at,
    ]),
  ]
    .filter((t) => t !== null && t !== undefined)
    .map((t) => iso(t as string | Date));
}
