import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, envName } from '../../src/config/index.js';
import { SwitchboardError } from '../../src/errors/index.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function tomlFile(text: string): string {
  files += 1;
  const path = join(dir, `switchboard-${files}.toml`);
  writeFileSync(path, text);
  return path;
}

function configError(run: () => unknown): SwitchboardError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SwitchboardError);
    expect((error as SwitchboardError).code).toBe('CONFIG_INVALID');
    return error as SwitchboardError;
  }
  throw new Error('the configuration was accepted');
}

describe('loadConfig', () => {
  it('defaults to the embedded, zero-infrastructure setup', () => {
    const config = loadConfig({ env: {} });
    expect(config.store.wide_column).toBe('embedded');
    expect(config.store.relational).toBe('embedded');
    expect(config.store.hot_state).toBe('embedded');
    expect(config.store.event_log).toBe('embedded');
    expect(config.store.data_dir).toBe('./data');
    expect(config.scylla.port).toBe(9042);
    expect(config.scylla.contact_points).toEqual(['127.0.0.1']);
    expect(config.scylla.request_timeout_ms).toBe(5000);
    expect(config.scylla.flavor).toBe('scylla');
    expect(config.scylla.consistency_write).toBe('LOCAL_QUORUM');
    expect(config.scylla.consistency_read).toBe('LOCAL_ONE');
  });

  it('names every override SWITCHBOARD_<SECTION>_<KEY>', () => {
    expect(envName(['store', 'wide_column'])).toBe('SWITCHBOARD_STORE_WIDE_COLUMN');
    const config = loadConfig({ env: { SWITCHBOARD_STORE_WIDE_COLUMN: 'scylladb' } });
    expect(config.store.wide_column).toBe('scylladb');
  });

  it('reads the file, then lets the environment win, then explicit overrides', () => {
    const path = tomlFile(`
[store]
wide_column = "scylladb"
data_dir = "/var/lib/switchboard"

[scylla]
port = 19042
keyspace = "from_file"
contact_points = ["10.0.0.1", "10.0.0.2"]
replication_strategy = "NetworkTopologyStrategy"
replication_dc_factors = { dc1 = 3, dc2 = 2 }
`);
    const fromFile = loadConfig({ path, env: {} });
    expect(fromFile.store.wide_column).toBe('scylladb');
    expect(fromFile.store.data_dir).toBe('/var/lib/switchboard');
    expect(fromFile.scylla.port).toBe(19042);
    expect(fromFile.scylla.contact_points).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(fromFile.scylla.replication_dc_factors).toEqual({ dc1: 3, dc2: 2 });

    const withEnv = loadConfig({
      path,
      env: { SWITCHBOARD_SCYLLA_KEYSPACE: 'from_env', SWITCHBOARD_STORE_WIDE_COLUMN: 'embedded' },
    });
    expect(withEnv.scylla.keyspace).toBe('from_env');
    expect(withEnv.store.wide_column).toBe('embedded');
    expect(withEnv.scylla.port).toBe(19042);

    const withOverride = loadConfig({
      path,
      env: { SWITCHBOARD_SCYLLA_KEYSPACE: 'from_env' },
      overrides: { scylla: { keyspace: 'from_flag' } },
    });
    expect(withOverride.scylla.keyspace).toBe('from_flag');
  });

  it('finds the file through SWITCHBOARD_CONFIG', () => {
    const path = tomlFile('[scylla]\nkeyspace = "via_env_path"\n');
    expect(loadConfig({ env: { SWITCHBOARD_CONFIG: path } }).scylla.keyspace).toBe('via_env_path');
  });

  it("accepts the seeds' variable names as aliases", () => {
    const config = loadConfig({
      env: {
        SCYLLA_CONTACT_POINTS: 'node1, node2',
        SCYLLA_PORT: '9142',
        SCYLLA_KEYSPACE: 'seed_ks',
        SCYLLA_USERNAME: 'cassandra',
        SCYLLA_PASSWORD: 'secret',
      },
    });
    expect(config.scylla.contact_points).toEqual(['node1', 'node2']);
    expect(config.scylla.port).toBe(9142);
    expect(config.scylla.keyspace).toBe('seed_ks');
    expect(config.scylla.username).toBe('cassandra');
    expect(config.scylla.password).toBe('secret');
    // The Switchboard name wins over the alias.
    expect(loadConfig({ env: { SCYLLA_PORT: '9142', SWITCHBOARD_SCYLLA_PORT: '9043' } }).scylla.port).toBe(
      9043,
    );
  });

  it('parses typed values from the environment', () => {
    const config = loadConfig({
      env: {
        SWITCHBOARD_SCYLLA_REPLICATION_DC_FACTORS: 'dc1:3,dc2:1',
        SWITCHBOARD_SCYLLA_REQUEST_TIMEOUT_MS: '2500',
        SWITCHBOARD_SCYLLA_FLAVOR: 'cassandra',
      },
    });
    expect(config.scylla.replication_dc_factors).toEqual({ dc1: 3, dc2: 1 });
    expect(config.scylla.request_timeout_ms).toBe(2500);
    expect(config.scylla.flavor).toBe('cassandra');
  });

  it('refuses a bad value, naming the key, the value and what was expected', () => {
    const engine = configError(() => loadConfig({ env: { SWITCHBOARD_STORE_WIDE_COLUMN: 'mongodb' } }));
    expect(engine.message).toContain('store.wide_column');
    expect(engine.message).toContain('"mongodb"');
    expect(engine.message).toContain('"embedded", "scylladb"');
    expect(engine.message).toContain('SWITCHBOARD_STORE_WIDE_COLUMN');
    expect(engine.field).toBe('store.wide_column');

    const port = configError(() => loadConfig({ env: { SCYLLA_PORT: '70000' } }));
    expect(port.message).toContain('scylla.port');
    expect(port.message).toContain('70000');
    expect(port.message).toContain('an integer from 1 to 65535');
    expect(port.message).toContain('SCYLLA_PORT');

    const timeout = configError(() =>
      loadConfig({ path: tomlFile('[scylla]\nrequest_timeout_ms = "soon"\n'), env: {} }),
    );
    expect(timeout.message).toContain('scylla.request_timeout_ms');
    expect(timeout.message).toContain('"soon"');
    expect(timeout.message).toMatch(/expected an integer/);

    const consistency = configError(() =>
      loadConfig({ env: { SWITCHBOARD_SCYLLA_CONSISTENCY_READ: 'SOME' } }),
    );
    expect(consistency.message).toContain('scylla.consistency_read');
    expect(consistency.message).toContain('LOCAL_ONE');

    const factors = configError(() =>
      loadConfig({ env: { SWITCHBOARD_SCYLLA_REPLICATION_DC_FACTORS: 'dc1:0' } }),
    );
    expect(factors.message).toContain('scylla.replication_dc_factors');
  });

  it('refuses an unknown key in the file, naming it and the known keys', () => {
    const error = configError(() =>
      loadConfig({ path: tomlFile('[store]\nwide_colum = "scylladb"\n'), env: {} }),
    );
    expect(error.message).toContain('store.wide_colum');
    expect(error.message).toContain('wide_column');
    const section = configError(() => loadConfig({ path: tomlFile('[stor]\nx = 1\n'), env: {} }));
    expect(section.message).toContain('stor');
  });

  it('never repeats the value of a secret key in its error', () => {
    const error = configError(() =>
      loadConfig({ env: { SWITCHBOARD_AUTH_KEYS: 'ops:superuser:sb_live_do_not_print' } }),
    );
    expect(error.field).toBe('auth.keys');
    expect(error.message).not.toContain('sb_live_do_not_print');
    expect(error.message).toContain('<redacted>');
  });

  it('refuses a missing or unparsable file', () => {
    expect(configError(() => loadConfig({ path: join(dir, 'missing.toml'), env: {} })).message).toContain(
      'not found',
    );
    expect(configError(() => loadConfig({ path: tomlFile('[store\n'), env: {} })).message).toMatch(
      /Cannot read/,
    );
  });
});
