import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSwitchboard } from '../../src/app/create-switchboard.js';
import { loadConfig } from '../../src/config/index.js';
import { eventually } from '../helpers/services.js';
import { runCli, spawnCli } from './run-cli.js';

// Spawns the CLI from source (tsx): seconds apiece, more on a busy machine.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

describe('switchboard consume: the logging consumer as its own deployment', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-consume-'));
    env = { SWITCHBOARD_STORE_DATA_DIR: join(dir, 'data'), SWITCHBOARD_SERVER_LOG_LEVEL: 'info' };
    const applied = await runCli(['schema', 'apply'], { cwd: dir, env });
    expect(applied.code, applied.stderr).toBe(0);
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores what agents publish, answers /health, /ready and /metrics, serves no API, and drains on SIGTERM', async () => {
    const child = spawnCli(['consume', '--port', '0'], { cwd: dir, env });
    let output = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const address = await new Promise<string>((resolve, reject) => {
      const read = (d: Buffer) => {
        output += d.toString();
        const found = /"address":"(http:\/\/[^"]+)"/.exec(output)?.[1];
        if (found) resolve(found);
      };
      child.stdout!.on('data', read);
      child.stderr!.on('data', read);
      void exited.then((code) => reject(new Error(`consume exited with ${code}: ${output}`)));
    });

    expect((await fetch(`${address}/health`)).status).toBe(200);
    const ready = await fetch(`${address}/ready`);
    expect(ready.status).toBe(200);
    const readyBody = (await ready.json()) as { workers: Record<string, { ok: boolean }> };
    expect(Object.values(readyBody.workers).some((w) => w.ok)).toBe(true);
    expect((await fetch(`${address}/v1/interactions/errors`)).status).toBe(404);

    // An agent process publishes on the same embedded log; the separate consumer stores it.
    const agent = await createSwitchboard(
      loadConfig({ env: { ...env, SWITCHBOARD_INTERACTIONS_CONSUMER_ENABLED: 'false' } }),
      { logger: pino({ level: 'silent' }) },
    );
    try {
      await agent.interactions.publisher.stt({
        session_id: 'call-consume-1',
        turn_id: 'turn-1',
        latency_ms: 180,
        model: 'whisper-large-v3',
        transcript: 'mujhe gold loan chahiye',
        confidence: 0.94,
        language: 'hi',
        audio_duration_ms: 2300,
        is_final: true,
      });
      const stored = await eventually(
        async () =>
          (await agent.interactions.queries.sessionInteractions('call-consume-1')).interactions.length === 1,
        60_000,
        100,
      );
      expect(stored).toBe(true);
    } finally {
      await agent.close();
    }

    const metrics = await (await fetch(`${address}/metrics`)).text();
    expect(metrics).toMatch(/^switchboard_interactions_\w+/m);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toMatch(/shutdown complete/);
  });
});
