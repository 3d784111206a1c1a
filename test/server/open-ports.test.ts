import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';

const closed: string[] = [];
const fakePort = (name: string) => ({
  kind: 'embedded',
  dialect: 'sqlite',
  close: async () => void closed.push(name),
});

vi.mock('../../src/ports/wide-column/open.js', () => ({
  openWideColumnEngine: async () => fakePort('wide_column'),
}));
vi.mock('../../src/ports/relational/open.js', () => ({
  openRelationalStore: async () => fakePort('relational'),
}));
vi.mock('../../src/ports/hot-state/open.js', () => ({
  openHotState: async () => {
    throw new Error('redis refused');
  },
}));
vi.mock('../../src/ports/event-log/open.js', () => ({ openEventLog: async () => fakePort('event_log') }));

const { openPorts } = await import('../../src/app/ports.js');
const { loadConfig } = await import('../../src/config/index.js');

describe('openPorts', () => {
  it('closes the ports already opened, newest first, when a later one fails', async () => {
    const config = loadConfig({ path: undefined, env: {} });
    await expect(
      openPorts(config, { registry: new Registry(), logger: pino({ level: 'silent' }) }),
    ).rejects.toThrow('redis refused');
    expect(closed).toEqual(['relational', 'wide_column']);
  });
});
