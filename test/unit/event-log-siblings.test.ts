import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createEmbeddedEventLog, type EmbeddedEventLog } from '../../src/ports/event-log/embedded/log.js';
import type { LogMessage } from '../../src/ports/event-log/log.js';

/**
 * Two embedded logs on one file in one process (the process's and the interactions consumer
 * thread's): an append on one wakes the other's waiting consumers at once, through a
 * BroadcastChannel, rather than at their next poll.
 */
let dir: string | undefined;
const logs: EmbeddedEventLog[] = [];

afterEach(async () => {
  for (const log of logs.splice(0)) await log.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function twoLogs(): Promise<[EmbeddedEventLog, EmbeddedEventLog]> {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-siblings-'));
  // A poll so slow that only a wake-up can deliver within the test.
  const config = loadConfig({
    env: { SWITCHBOARD_STORE_DATA_DIR: dir, SWITCHBOARD_EVENT_LOG_POLL_INTERVAL_MS: '60000' },
  });
  const path = join(dir, 'event-log.db');
  const a = await createEmbeddedEventLog({ path, config });
  const b = await createEmbeddedEventLog({ path, config, maintenance: false });
  logs.push(a, b);
  await a.ensureTopics([{ name: 'siblings', partitions: 1 }]);
  return [a, b];
}

async function waitFor(what: string, probe: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('embedded event logs sharing a file in one process', () => {
  it("wakes the other log's waiting consumer when one appends, and its own", async () => {
    const [a, b] = await twoLogs();
    const got: { on: string; message: LogMessage }[] = [];
    for (const [on, log] of [
      ['a', a],
      ['b', b],
    ] as const) {
      const consumer = log.consumer({ group: `g-${on}`, topics: ['siblings'], maxBatchSize: 1 });
      await consumer.run(async (batch) => {
        for (const message of batch.messages) got.push({ on, message });
      });
    }
    // Let both consumers reach their (60 s) wait first.
    await new Promise((r) => setTimeout(r, 50));
    await a.publish('siblings', [{ key: 'k', value: 'from a' }]);
    await waitFor('both consumers', () => got.length === 2);
    await b.publish('siblings', [{ key: 'k', value: 'from b' }]);
    await waitFor('both consumers again', () => got.length === 4);
    expect(got.map((g) => `${g.on}:${String(g.message.value)}`).sort()).toEqual([
      'a:from a',
      'a:from b',
      'b:from a',
      'b:from b',
    ]);
  });

  it('keeps publishing once the other log is closed', async () => {
    const [a, b] = await twoLogs();
    await b.close();
    await expect(a.publish('siblings', [{ key: 'k', value: 'alone' }])).resolves.toBeUndefined();
  });
});
