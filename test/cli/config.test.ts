import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from './run-cli.js';

// Each case spawns the CLI from source (tsx): seconds apiece, more on a busy machine.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

describe('switchboard config check', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-config-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the effective configuration with secrets redacted', async () => {
    const r = await runCli(['config', 'check'], {
      cwd: dir,
      env: {
        SWITCHBOARD_PORT: '9090',
        SWITCHBOARD_POSTGRES_URL: 'postgres://app:hunter2@db.internal:5432/switchboard',
        SWITCHBOARD_AUTH_KEYS: 'ops:admin:very-secret-value-123456',
      },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('# configuration is valid');
    expect(r.stdout).toMatch(/\[server\][^[]*port = 9090/);
    expect(r.stdout).toContain('db.internal:5432');
    expect(r.stdout).not.toContain('hunter2');
    expect(r.stdout).not.toContain('very-secret-value');
  });

  it('rejects a bad environment value, naming the key and what was expected', async () => {
    const r = await runCli(['config', 'check'], { cwd: dir, env: { SWITCHBOARD_SERVER_PORT: 'eighty' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^error CONFIG_INVALID: Invalid configuration server\.port = "eighty".*expected an integer/m,
    );
  });

  it('rejects a bad value in the file given by --config, naming the key', async () => {
    const path = join(dir, 'bad.toml');
    writeFileSync(path, '[store]\nwide_column = "mongodb"\n');
    const r = await runCli(['--config', path, 'config', 'check'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error CONFIG_INVALID: Invalid configuration store.wide_column = "mongodb"');
  });

  it('rejects a malformed auth key entry, naming auth.keys', async () => {
    const r = await runCli(['config', 'check'], {
      cwd: dir,
      env: { SWITCHBOARD_AUTH_KEYS: 'ops:root:not-so-secret-123456' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('auth.keys');
  });
});
