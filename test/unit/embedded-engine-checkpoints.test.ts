import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defineTable } from '../../src/ports/wide-column/declare.js';
import { batchOp } from '../../src/ports/wide-column/engine.js';
import { createEmbeddedEngine } from '../../src/ports/wide-column/embedded/engine.js';

const notes = defineTable({
  name: 'ckpt_notes',
  module: 'test',
  columns: { id: 'int', body: 'text' },
  partitionKey: ['id'],
});

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('embedded engine checkpoints', () => {
  it('a second engine on a file (checkpoints: false) never checkpoints inside its own commits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-ckpt-'));
    dirs.push(dir);
    const path = join(dir, 'wide-column.db');
    const first = await createEmbeddedEngine({ path, checkpoints: false, purgeIntervalMs: 0 });
    try {
      await first.applySchema([notes]);
      const sizeBefore = statSync(path).size;
      // ~8 MB of rows: well past SQLite's default automatic checkpoint (1,000 pages, ~4 MB),
      // which would copy them into the database file inside one of these commits.
      const body = 'x'.repeat(2000);
      for (let b = 0; b < 8; b += 1) {
        await first.batch(
          Array.from({ length: 500 }, (_, i) => batchOp.insert(notes, { id: b * 500 + i, body })),
        );
      }
      expect(statSync(`${path}-wal`).size).toBeGreaterThan(8_000_000);
      // Everything is still in the WAL: the main file did not grow.
      expect(statSync(path).size).toBe(sizeBefore);
      expect(await first.get(notes, { id: 3999 })).toMatchObject({ body });
    } finally {
      await first.close();
    }
  });
});
