import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** PostgreSQL for the scale-out contract suites, or undefined to skip them (CI requires it). */
export function postgresTestUrl(): string | undefined {
  return nonEmpty(process.env.SWITCHBOARD_TEST_POSTGRES_URL);
}

/** Redis for the scale-out contract suites, or undefined to skip them (CI requires it). */
export function redisTestUrl(): string | undefined {
  return nonEmpty(process.env.SWITCHBOARD_TEST_REDIS_URL);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}

export interface TcpProxy {
  /** The local port to connect to instead of the target's. */
  port: number;
  /** Simulates an outage: destroys every open connection and refuses new ones until restore(). */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/**
 * A tiny TCP proxy on 127.0.0.1 in front of a shared server, so a test can take "the
 * database" away from one adapter without stopping the server other tests use. While cut,
 * the proxy keeps listening but resets every incoming connection at once, so clients see a
 * refused/reset connection (not a hang) and the port stays ours for restore().
 */
export async function withTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let isCut = false;

  const server: Server = createServer((client) => {
    if (isCut) {
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection({ host: targetHost, port: targetPort });
    open.add(client);
    open.add(upstream);
    const drop = () => {
      open.delete(client);
      open.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');

  const destroyAll = () => {
    for (const socket of open) socket.resetAndDestroy();
    open.clear();
  };

  return {
    port: address.port,
    cut() {
      isCut = true;
      destroyAll();
    },
    restore() {
      isCut = false;
    },
    async close() {
      destroyAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Host and port of a `scheme://[user@]host:port/...` URL, for pointing a proxy at it. */
export function hostPort(url: string, defaultPort: number): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname || '127.0.0.1', port: parsed.port ? Number(parsed.port) : defaultPort };
}

/** The same URL with its host and port replaced (to go through a proxy). */
export function viaPort(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(port);
  return parsed.toString();
}

/** Polls `probe` until it returns true or `timeoutMs` passes; returns the last result. */
export async function eventually(
  probe: () => Promise<boolean>,
  timeoutMs = 15_000,
  everyMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
