import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySchema, createSwitchboard, schemaStatus, type Switchboard } from '../../src/index.js';
import { allModules } from '../../src/app/modules.js';

describe('createSwitchboard (the library entry point)', () => {
  let dir: string;
  let sb: Switchboard;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-lib-'));
    sb = await createSwitchboard(
      { env: { SWITCHBOARD_STORE_DATA_DIR: dir } },
      { logger: pino({ level: 'silent' }) },
    );
  });
  afterAll(async () => {
    await sb?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds every module and exposes its services by name', () => {
    const names = allModules().map((m) => m.name);
    expect(names[0]).toBe('auth');
    expect(sb.modules.map((m) => m.name)).toEqual(names);
    for (const name of names) expect(sb.services[name], name).toBeDefined();
    // Typed accessor: switchboard.<module> is the same object as services.<module>.
    expect(sb.auth).toBe(sb.services.auth);
    expect(sb.auth.keys).toBeDefined();
  });

  it('reports the schema as pending, applies it, and is then applied (idempotently)', async () => {
    const before = await schemaStatus(sb);
    expect(before.applied).toBe(false);
    expect(before.migrations).toContain('auth@1 api_keys');
    const first = await applySchema(sb);
    expect(first.relational.applied.map((m) => `${m.module}@${m.version}`)).toContain('auth@1');
    const again = await applySchema(sb);
    expect(again.relational.applied).toEqual([]);
    expect(again.wideColumn.changes.every((c) => c.action === 'unchanged')).toBe(true);
    expect((await schemaStatus(sb)).applied).toBe(true);
  });

  it('health() reports each port by its [store] name', async () => {
    const health = await sb.health();
    expect(Object.keys(health).sort()).toEqual(['event_log', 'hot_state', 'relational', 'wide_column']);
    expect(Object.values(health).every((h) => h.ok)).toBe(true);
  });

  it('close() stops started workers, closes the ports and is idempotent', async () => {
    const other = await createSwitchboard(
      { env: { SWITCHBOARD_STORE_DATA_DIR: dir } },
      { logger: pino({ level: 'silent' }) },
    );
    await other.startWorkers();
    await Promise.all([other.close(), other.close()]);
    await other.close();
    await expect(other.startWorkers()).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
  });

  it('fails cleanly on a bad configuration, naming the key', async () => {
    await expect(
      createSwitchboard({ env: { SWITCHBOARD_STORE_DATA_DIR: dir, SWITCHBOARD_STORE_RELATIONAL: 'mysql' } }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', field: 'store.relational' });
  });

  it('rejects when a port cannot open (PostgreSQL where nothing listens)', async () => {
    await expect(
      createSwitchboard(
        {
          env: {
            SWITCHBOARD_STORE_DATA_DIR: dir,
            SWITCHBOARD_STORE_RELATIONAL: 'postgres',
            SWITCHBOARD_POSTGRES_URL: 'postgres://postgres@127.0.0.1:1/none',
          },
        },
        { logger: pino({ level: 'silent' }) },
      ),
    ).rejects.toBeDefined();
  });
});
