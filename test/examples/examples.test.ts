import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, ROOT, TSX } from '../cli/run-cli.js';

const run = promisify(execFile);

/**
 * The examples/ folder runs as a user would run it (`npx tsx examples/<name>.ts`, importing the
 * package by name), against the embedded store in a fresh directory.
 */
describe('examples (issue 20)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-examples-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const example = (name: string, ...args: string[]) =>
    run(process.execPath, ['--import', TSX, join(ROOT, 'examples', name), ...args], {
      cwd: dir,
      env: cleanEnv({
        TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.json'),
        NODE_PATH: join(ROOT, 'node_modules'),
      }),
      timeout: 120_000,
    });

  it('langgraph-checkpointer: stops at the approval, then resumes in a new process', async () => {
    const first = await example('langgraph-checkpointer.ts', 'call-1');
    expect(first.stdout).toContain('waiting for approval');
    const second = await example('langgraph-checkpointer.ts', 'call-1');
    expect(second.stdout).toContain('resumed after a restart: booked = true');
  }, 240_000);

  it('ai-sdk-chat: two useChat requests stored as a conversation of four turns', async () => {
    const { stdout } = await example('ai-sdk-chat.ts');
    const lines = stdout.split('\n').filter((l) => /^(user|assistant): /.test(l));
    expect(lines).toEqual([
      'user: Book me a visit tomorrow',
      'assistant: Your branch visit is booked for 11:00.',
      'user: Thanks!',
      'assistant: Your branch visit is booked for 11:00.',
    ]);
  }, 240_000);
});
