import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConversationServices } from '../../src/modules/conversations/services.js';
import { conversationTables } from '../../src/modules/conversations/tables.js';
import { createTestContext } from '../helpers/context.js';
import { runCli } from './run-cli.js';

describe('switchboard conversations backfill / verify / repair', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const sessions: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-cli-conv-'));
    env = { SWITCHBOARD_STORE_DATA_DIR: join(dir, 'data'), SWITCHBOARD_CONVERSATIONS_MODE: 'dual_write' };
    expect((await runCli(['schema', 'apply'], { cwd: dir, env })).code).toBe(0);
    // Sessions written while the system was relational only: the wide-column side lacks them.
    const ctx = await createTestContext({ dataDir: join(dir, 'data') });
    await ctx.wideColumn.applySchema(conversationTables);
    const svc = createConversationServices(ctx, { mode: 'relational' });
    for (let i = 0; i < 7; i += 1) {
      const s = await svc.conversations.createSession('acct-cli', { title: `s${i}` });
      const h = await svc.conversations.appendHumanTurn(s.sessionUid, { prompt: 'hi' });
      await svc.conversations.appendAgentTurn(s.sessionUid, {
        parentUid: h.turnUid,
        steps: [{ tpe: 'text', content: 'hello' }],
      });
      sessions.push(s.sessionUid);
    }
    await ctx.cleanup();
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('verify finds the missing sessions, backfill copies them, verify then finds none, repair empties the log', async () => {
    const before = await runCli(['conversations', 'verify', '--batch-size', '3', '--out', 'diff.txt'], {
      cwd: dir,
      env,
    });
    expect(before.code).toBe(1);
    expect(before.stdout).toContain('7 sessions compared, 7 differ');
    expect(readFileSync(join(dir, 'diff.txt'), 'utf8').trim().split('\n')).toHaveLength(7);

    const backfill = await runCli(['conversations', 'backfill', '--batch-size', '3'], { cwd: dir, env });
    expect(backfill.code).toBe(0);
    expect(backfill.stdout).toMatch(/backfill: 7 sessions copied/);
    // A finished run is not resumed: the next one starts over and copies again (idempotent).
    const again = await runCli(['conversations', 'backfill'], { cwd: dir, env });
    expect(again.stdout).toMatch(/backfill: 7 sessions copied/);

    const after = await runCli(['conversations', 'verify'], { cwd: dir, env });
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('7 sessions compared, 0 differ (0.00 %)');

    // verify recorded the first run's differences; repair rewrites them and empties the log.
    const repair = await runCli(['conversations', 'repair'], { cwd: dir, env });
    expect(repair.code).toBe(0);
    expect(repair.stdout).toContain('repair: 7 sessions rewritten, 0 failed');
  }, 300_000); // six CLI processes, each starting from source
});
