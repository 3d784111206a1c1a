import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

describe('switchboard simulate callcenter', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'switchboard-cc-sim-'));
  const env = { SWITCHBOARD_STORE_DATA_DIR: join(cwd, 'data') };
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('drives a short simulated day through the services and prints the analytics', async () => {
    const schema = await runCli(['schema', 'apply'], { cwd, env });
    expect(schema.code, schema.stderr).toBe(0);
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
    expect(run.stdout).toContain('all calls in the period');
  }, 240_000);

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
