import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/modules/callcenter/rows.js';
import { createTestContext } from '../helpers/context.js';
import { runCli } from './run-cli.js';
import { storedTimes } from '../modules/callcenter/helpers.js';

describe('switchboard simulate callcenter', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'switchboard-cc-sim-'));
  const env = { SWITCHBOARD_STORE_DATA_DIR: join(cwd, 'data') };
  beforeAll(async () => {
    const schema = await runCli(['schema', 'apply'], { cwd, env });
    expect(schema.code, schema.stderr).toBe(0);
  }, 120_000);
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  /** The run's id, its call count and the figures of its "all calls of this run" row. */
  function report(stdout: string) {
    const head = /run (sim\w+): \d+ agents, (\d+) calls/.exec(stdout);
    const all = /all calls of this run\s+(\d+)\s+(\d+)\s+(\d+)/.exec(stdout);
    expect(head, stdout).not.toBeNull();
    expect(all, stdout).not.toBeNull();
    const hours = [...stdout.matchAll(/hour \d{4}-\d\d-\d\dT\d\d\s+(\d+)/g)].map((m) => Number(m[1]));
    return {
      runId: head![1]!,
      calls: Number(head![2]),
      total: Number(all![1]),
      answered: Number(all![2]),
      abandoned: Number(all![3]),
      byHour: hours.reduce((a, b) => a + b, 0),
    };
  }

  it('drives a short simulated day through the services and prints the analytics', async () => {
    const run = await runCli(
      [
        'simulate',
        'callcenter',
        '--agents',
        '4',
        '--calls-per-second',
        '4',
        '--duration',
        '2',
        '--time-scale',
        '240',
        '--seed',
        '3',
      ],
      { cwd, env, timeoutMs: 180_000 },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/run sim\w+: 4 agents, \d+ calls/);
    expect(run.stdout).toMatch(/queue sim\w+-(billing|support|sales)/);
    expect(run.stdout).toContain('all calls of this run');
  }, 240_000);

  it('reports its own calls only, and leaves no time after the real clock and no agent signed in', async () => {
    const args = [
      ...['simulate', 'callcenter', '--agents', '2', '--calls-per-second', '2', '--duration', '2'],
      ...['--time-scale', '240'],
    ];
    // On the data of the first test's run: each run's simulated time overlaps the others'.
    const runs = [];
    for (const seed of ['7', '8']) {
      const run = await runCli([...args, '--seed', seed], { cwd, env, timeoutMs: 180_000 });
      expect(run.code, run.stderr).toBe(0);
      runs.push(report(run.stdout));
    }
    const finishedAt = new Date().toISOString();
    for (const r of runs) {
      expect(r.calls, r.runId).toBeGreaterThan(0);
      expect(r.total, r.runId).toBe(r.calls);
      expect(r.answered + r.abandoned, r.runId).toBe(r.calls);
      expect(r.byHour, r.runId).toBe(r.calls);
    }

    const ctx = await createTestContext({ dataDir: join(cwd, 'data') });
    try {
      const db = ctx.relational.db as Db;
      // Every simulated run in the data directory (the first test's too, when it ran).
      const records = await db
        .selectFrom('cc_call_records')
        .selectAll()
        .where('call_id', 'like', 'sim%')
        .execute();
      const agents = await db.selectFrom('cc_agents').selectAll().where('agent_id', 'like', 'sim%').execute();
      for (const { runId, calls } of runs) {
        expect(
          records.filter((r) => r.call_id.startsWith(`${runId}-`)),
          runId,
        ).toHaveLength(calls);
        expect(
          agents.filter((a) => a.agent_id.startsWith(`${runId}-`)),
          runId,
        ).toHaveLength(2);
      }
      const times = storedTimes(records, agents);
      expect(times.length).toBeGreaterThan(0);
      expect(times.filter((t) => t > finishedAt)).toEqual([]);
      expect(agents.filter((a) => a.status !== 'offline').map((a) => `${a.agent_id} ${a.status}`)).toEqual(
        [],
      );
      // Nothing of the runs is left live.
      const queued = await db
        .selectFrom('cc_call_queue')
        .select('call_id')
        .where('call_id', 'like', 'sim%')
        .execute();
      const active = await db
        .selectFrom('cc_active_calls')
        .select('call_id')
        .where('call_id', 'like', 'sim%')
        .execute();
      expect([...queued, ...active]).toEqual([]);
    } finally {
      await ctx.cleanup();
    }
  }, 480_000);

  it('refuses a bad option with the option named, hexadecimal and exponents included', async () => {
    for (const [option, value] of [
      ['--agents', '0'],
      ['--agents', '0x10'],
      ['--duration', '1e3'],
    ] as const) {
      const run = await runCli(['simulate', 'callcenter', option, value], { cwd, env, timeoutMs: 60_000 });
      expect(run.code, `${option} ${value}`).not.toBe(0);
      expect(run.stderr).toContain(`error VALIDATION_FAILED: ${option} must be`);
    }
  }, 180_000);
});
