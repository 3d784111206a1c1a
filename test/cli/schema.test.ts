import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from './run-cli.js';

// Each case spawns the CLI from source (tsx): seconds apiece, more on a busy machine.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

describe('switchboard schema and keys commands', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-cli-'));
    env = { SWITCHBOARD_STORE_DATA_DIR: join(dir, 'data') };
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('schema print --cql prints the keyspace and every table', async () => {
    const r = await runCli(['schema', 'print', '--cql'], { cwd: dir, env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('CREATE KEYSPACE IF NOT EXISTS');
    expect(r.stdout).toMatch(/CREATE TABLE IF NOT EXISTS/);
    expect(r.stdout).toContain("'class': 'SimpleStrategy'");
  });

  it('schema print --sqlite prints the embedded DDL; without a format it is an error', async () => {
    const r = await runCli(['schema', 'print', '--sqlite'], { cwd: dir, env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/CREATE TABLE/);
    const none = await runCli(['schema', 'print'], { cwd: dir, env });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('error VALIDATION_FAILED: choose one of --cql or --sqlite');
  });

  it('serve refuses to start before schema apply, naming what is pending', async () => {
    const r = await runCli(['serve', '--port', '0'], { cwd: dir, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error SCHEMA_NOT_APPLIED: .*auth@1 api_keys.*switchboard schema apply/m);
  });

  it('schema status / apply / apply again / status', async () => {
    const before = await runCli(['schema', 'status'], { cwd: dir, env });
    expect(before.code).toBe(1);
    expect(before.stdout).toContain('pending migration  auth@1 api_keys');

    const first = await runCli(['schema', 'apply'], { cwd: dir, env });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('relational   migrated      auth@1 api_keys');

    const again = await runCli(['schema', 'apply'], { cwd: dir, env });
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain('migrated');
    expect(again.stdout).toMatch(/0 table change\(s\).*0 migration\(s\) run/);

    const after = await runCli(['schema', 'status'], { cwd: dir, env });
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/^schema applied/);
  });

  it('keys create / list / revoke', async () => {
    const created = await runCli(['keys', 'create', '--name', 'robot', '--scope', 'write'], {
      cwd: dir,
      env,
    });
    expect(created.code).toBe(0);
    const id = /created key (\S+)/.exec(created.stdout)?.[1];
    const secret = /secret \(shown once\): (sb_\S+)/.exec(created.stdout)?.[1];
    expect(id).toBeDefined();
    expect(secret).toBeDefined();

    const list = await runCli(['keys', 'list'], { cwd: dir, env });
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(id!);
    expect(list.stdout).toContain('robot');
    expect(list.stdout).not.toContain(secret!);

    const revoked = await runCli(['keys', 'revoke', id!], { cwd: dir, env });
    expect(revoked.code).toBe(0);
    expect((await runCli(['keys', 'list'], { cwd: dir, env })).stdout).toMatch(new RegExp(`${id}.*revoked`));

    const bad = await runCli(['keys', 'create', '--name', 'x', '--scope', 'root'], { cwd: dir, env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('error VALIDATION_FAILED');
    const unknown = await runCli(['keys', 'revoke', 'no-such-key'], { cwd: dir, env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('error NOT_FOUND');
  });
});
