import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configurationReference } from '../../src/config/reference.js';
import { listEnvironmentKeys } from '../../src/config/index.js';

describe('configuration reference', () => {
  it('docs/CONFIGURATION.md is the current reference (regenerate: switchboard config reference)', () => {
    const onDisk = readFileSync(new URL('../../docs/CONFIGURATION.md', import.meta.url), 'utf8');
    expect(onDisk).toBe(configurationReference());
  });

  it('names the override of every key, including the seed aliases, and never shows a secret default', () => {
    const keys = listEnvironmentKeys();
    const port = keys.find((k) => k.key === 'scylla.port');
    expect(port?.env).toBe('SWITCHBOARD_SCYLLA_PORT');
    expect(port?.aliases).toContain('SCYLLA_PORT');
    expect(keys.find((k) => k.key === 'store.wide_column')?.env).toBe('SWITCHBOARD_STORE_WIDE_COLUMN');
    for (const k of keys.filter((key) => key.secret)) expect(k.default).toBe('');
  });
});
