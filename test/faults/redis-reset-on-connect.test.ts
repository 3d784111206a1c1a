import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisHotState } from '../../src/ports/hot-state/redis.js';
import type { HotState } from '../../src/ports/hot-state/store.js';
import { hostPort, redisTestUrl } from '../helpers/services.js';

const url = redisTestUrl();
if (!url && process.env.CI === 'true') throw new Error('CI=true but SWITCHBOARD_TEST_REDIS_URL is not set');

/**
 * A TCP proxy in its own process (the bug needs the reset to arrive over a real socket while
 * the client connects, which an in-process proxy on the same event loop does not give): while
 * "cut" it accepts each connection and resets it at once, as a proxy or load balancer in front
 * of a restarting Redis does. Commands on stdin: `cut`, `restore`.
 */
const PROXY = `
const net = require('node:net');
const [host, port] = [process.argv[1], Number(process.argv[2])];
const open = new Set();
let cut = false;
const server = net.createServer((client) => {
  if (cut) { client.resetAndDestroy(); return; }
  const up = net.createConnection({ host, port });
  open.add(client); open.add(up);
  const drop = () => { open.delete(client); open.delete(up); client.destroy(); up.destroy(); };
  client.on('error', drop).on('close', drop); up.on('error', drop).on('close', drop);
  client.pipe(up); up.pipe(client);
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.stdin.on('data', (d) => {
  for (const c of d.toString().split('\\n')) {
    if (c === 'cut') { cut = true; for (const s of open) s.resetAndDestroy(); open.clear(); }
    if (c === 'restore') cut = false;
  }
});
`;

describe.skipIf(!url)('Redis hot state behind a proxy that resets connections (issue 21 finding)', () => {
  let proxy: ChildProcess;
  let hot: HotState | undefined;
  afterAll(async () => {
    await hot?.close();
    proxy?.kill('SIGKILL');
  });

  it('reconnects a connection that was marked ready and reset, and answers again within seconds', async () => {
    const { host, port } = hostPort(url!, 6379);
    proxy = spawn(process.execPath, ['-e', PROXY, host, String(port)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const [first] = (await once(proxy.stdout!, 'data')) as [Buffer];
    const proxyPort = Number(first.toString().trim());
    hot = await createRedisHotState({
      url: `redis://127.0.0.1:${proxyPort}`,
      keyPrefix: `reset_${Date.now()}:`,
      connectTimeoutMs: 500,
    });
    await hot.set('k', 'before');
    proxy.stdin!.write('cut\n');
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect((await hot.health()).ok).toBe(false);
    proxy.stdin!.write('restore\n');
    const restored = Date.now();
    // Before the fix node-redis kept a reset connection marked ready: every ping and command
    // waited for ever, and health stayed "no PONG" (90 s and counting in the first report).
    await expect.poll(async () => (await hot!.health()).ok, { timeout: 10_000, interval: 250 }).toBe(true);
    expect(await hot.get('k')).toBe('before');
    console.warn(`redis reset-on-connect: answering again ${Date.now() - restored} ms after restore`);
  }, 30_000);
});
