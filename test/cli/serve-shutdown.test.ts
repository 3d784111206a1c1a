import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSwitchboard } from '../../src/app/create-switchboard.js';
import { loadConfig } from '../../src/config/index.js';
import { runCli, serveCli as serve } from './run-cli.js';

// Each case spawns the CLI from source (tsx): seconds apiece, more on a busy machine.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

describe('switchboard serve: graceful shutdown under load', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-serve-'));
    env = { SWITCHBOARD_STORE_DATA_DIR: join(dir, 'data'), SWITCHBOARD_SERVER_LOG_LEVEL: 'info' };
    const applied = await runCli(['schema', 'apply'], { cwd: dir, env });
    expect(applied.code, applied.stderr).toBe(0);
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the bootstrap key once, loses no acknowledged write on SIGTERM, and exits 0', async () => {
    const server = await serve(dir, env);
    expect(server.adminKey).toBeDefined();
    expect(server.output().match(/sb_[A-Za-z0-9_-]{20,}/g)).toHaveLength(1);
    // The key is printed, never logged.
    const logLines = server
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    expect(logLines.join('\n')).not.toContain(server.adminKey!);

    const acknowledged: string[] = [];
    let stop = false;
    let attempted = 0;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const name = `load-${w}-${i}`;
        attempted++;
        try {
          const res = await fetch(`${server.address}/v1/keys`, {
            method: 'POST',
            headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
            body: JSON.stringify({ name, scope: 'read' }),
          });
          if (res.status >= 200 && res.status < 300) acknowledged.push(name);
          else await res.arrayBuffer();
        } catch {
          // Refused or reset connections after the signal are expected; only 2xx count.
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    // Signal mid-load: once writes are flowing, while eight more are in flight.
    const deadline = Date.now() + 60_000;
    while (acknowledged.length < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const ackedBeforeSignal = acknowledged.length;
    server.kill('SIGTERM');
    const code = await server.exited;
    stop = true;
    await Promise.all(writers);

    expect(code, server.output()).toBe(0);
    expect(ackedBeforeSignal).toBeGreaterThanOrEqual(20);
    expect(attempted).toBeGreaterThan(acknowledged.length);
    expect(server.output()).toContain('shutdown complete');

    // Reopen the data directory: every acknowledged key is there.
    const config = loadConfig({ path: undefined, env: { SWITCHBOARD_STORE_DATA_DIR: join(dir, 'data') } });
    const switchboard = await createSwitchboard(config, { logger: pino({ level: 'silent' }) });
    try {
      const stored = new Set((await switchboard.services.auth.keys.list()).map((k) => k.name));
      const lost = acknowledged.filter((name) => !stored.has(name));
      expect(lost).toEqual([]);
    } finally {
      await switchboard.close();
    }
  });

  it('does not print a bootstrap key on a later start, and SIGINT also exits 0', async () => {
    const server = await serve(dir, env);
    expect(server.adminKey).toBeUndefined();
    expect(server.output()).not.toMatch(/sb_[A-Za-z0-9_-]{20,}/);
    const ready = await fetch(`${server.address}/ready`);
    expect(ready.status).toBe(200);
    server.kill('SIGINT');
    expect(await server.exited).toBe(0);
  });
});
