import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createClient, ErrorReply } from 'redis';
import { SwitchboardError } from '../../errors/index.js';
import { instrumentHotState } from './instrument.js';
import {
  compareAndSetScript,
  incrementScript,
  setAddScript,
  setMembersScript,
  setRemoveScript,
  type Script,
} from './redis-scripts.js';
import type { HotState, MemberWithExpiry, SetOptions } from './store.js';
import { byMember, checkIncrement, checkTtl, deliver } from './validate.js';

export interface RedisHotStateOptions {
  url: string;
  /** Prepended to every key and channel (default `switchboard:`). */
  keyPrefix?: string;
  connectTimeoutMs?: number;
  registry?: Registry;
  logger?: Logger;
}

type Client = ReturnType<typeof createClient>;

/**
 * The scale-out hot state on Redis (node-redis v5). Commands fail fast while the connection is
 * down (no offline queue: a typing indicator queued for a minute is worse than an error), and
 * the client reconnects on its own with capped backoff, so health() recovers without a restart.
 */
/** The watchdog pings at least this often apart (and at most every connect timeout). */
const WATCHDOG_MIN_MS = 1000;

export async function createRedisHotState(options: RedisHotStateOptions): Promise<HotState> {
  const prefix = options.keyPrefix ?? 'switchboard:';
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const k = (key: string) => prefix + key;

  // The first connection must fail fast (a wrong URL is a start-up error), while later losses
  // retry for ever; node-redis uses one strategy for both, hence the flag.
  let established = false;
  const client: Client = createClient({
    url: options.url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: connectTimeoutMs,
      reconnectStrategy: (retries: number, cause: Error) =>
        established ? Math.min(50 * 2 ** Math.min(retries, 10), 2000) : cause,
    },
  });
  // Connection errors are reported here while the client reconnects; without a listener they
  // would crash the process. Callers see them as STORE_UNAVAILABLE on their own commands.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    // The failed first attempt has already closed the client; destroy only if it has not.
    if (client.isOpen) client.destroy();
    throw unavailable(error);
  }
  established = true;

  // node-redis 5.9 can mark a connection ready whose socket was reset while it connected
  // (seen through a proxy that accepts and then resets, as a proxy or load balancer in front
  // of a restarting Redis does): with no handshake to fail, it reports ready, every command
  // then waits for a reply that never comes, and it never reconnects. A ping with no answer
  // while the client says it is ready is that dead connection: drop it and connect again.
  let closed = false;
  let reviving = false;
  const revive = () => {
    if (reviving || closed || !client.isReady) return;
    reviving = true;
    options.logger?.warn(
      { port: 'hot_state' },
      'redis: no answer on a connection marked ready; reconnecting',
    );
    client.destroy();
    client
      .connect()
      .catch(() => {})
      .finally(() => {
        reviving = false;
      });
  };
  const ping = async (): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          revive();
          reject(new Error(`no PONG within ${connectTimeoutMs} ms`));
        }, connectTimeoutMs);
      });
      const pong = client.ping();
      pong.catch(() => {});
      await Promise.race([pong, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  // Commands from the app would otherwise hang until /ready is asked: watch on our own.
  const watchdog = setInterval(
    () => void ping().catch(() => {}),
    Math.max(WATCHDOG_MIN_MS, connectTimeoutMs),
  );
  watchdog.unref();

  let subscriber: Promise<Client> | undefined;
  const subscriberClient = (): Promise<Client> => {
    // Pub/sub needs its own connection: a subscribed connection accepts no other commands.
    subscriber ??= (async () => {
      const sub = client.duplicate();
      sub.on('error', () => {});
      await sub.connect();
      return sub;
    })().catch((error: unknown) => {
      subscriber = undefined;
      throw unavailable(error);
    });
    return subscriber;
  };

  const run = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw mapRedisError(error);
    }
  };

  const evalScript = async (s: Script, key: string, args: (string | number)[]): Promise<unknown> => {
    const call = { keys: [k(key)], arguments: args.map(String) };
    try {
      return await client.evalSha(s.sha, call);
    } catch (error) {
      // The script cache is empty after a Redis restart or failover: send the source once.
      if (error instanceof ErrorReply && error.message.startsWith('NOSCRIPT'))
        return client.eval(s.source, call);
      throw error;
    }
  };

  const store: HotState = {
    kind: 'redis',

    get: (key) => run(() => client.get(k(key))),

    set: (key, value, setOptions: SetOptions = {}) =>
      run(async () => {
        const ttl = checkTtl(setOptions.ttlSeconds);
        const reply = await client.set(k(key), value, {
          ...(ttl !== undefined ? { expiration: { type: 'EX', value: ttl } } : {}),
          ...(setOptions.ifAbsent ? { condition: 'NX' } : {}),
        });
        return reply !== null;
      }),

    delete: (key) => run(async () => (await client.del(k(key))) > 0),

    ttl: (key) =>
      run(async () => {
        const seconds = await client.ttl(k(key));
        return seconds === -2 ? -1 : seconds === -1 ? null : seconds;
      }),

    expire: (key, ttlSeconds) =>
      run(async () => {
        const ttl = checkTtl(ttlSeconds)!;
        return (await client.expire(k(key), ttl)) === 1;
      }),

    increment: (key, by = 1, incOptions = {}) =>
      run(async () => {
        checkIncrement(by);
        const ttl = checkTtl(incOptions.ttlSeconds) ?? 0;
        return Number(await evalScript(incrementScript, key, [by, ttl]));
      }),

    compareAndSet: (key, expected, next, casOptions = {}) =>
      run(async () => {
        const ttl = checkTtl(casOptions.ttlSeconds) ?? 0;
        const reply = await evalScript(compareAndSetScript, key, [
          expected === null ? '0' : '1',
          expected ?? '',
          next === null ? '0' : '1',
          next ?? '',
          ttl,
        ]);
        return Number(reply) === 1;
      }),

    setAdd: (key, member, addOptions = {}) =>
      run(async () => {
        const ttl = checkTtl(addOptions.ttlSeconds) ?? 0;
        await evalScript(setAddScript, key, [member, ttl]);
      }),

    setRemove: (key, member) =>
      run(async () => Number(await evalScript(setRemoveScript, key, [member])) === 1),

    setMembers: (key) =>
      run(async (): Promise<MemberWithExpiry[]> => {
        const flat = (await evalScript(setMembersScript, key, [])) as string[];
        const out: MemberWithExpiry[] = [];
        for (let i = 0; i + 1 < flat.length; i += 2) {
          const score = flat[i + 1]!;
          out.push({ member: flat[i]!, expiresAt: score === 'inf' ? null : Number(score) });
        }
        return out.sort(byMember);
      }),

    publish: (channel, message) =>
      run(async () => {
        await client.publish(k(channel), message);
      }),

    subscribe: (channel, handler) =>
      run(async () => {
        const sub = await subscriberClient();
        // A fresh listener per call, so subscribing one handler twice unsubscribes independently.
        const listener = (message: string) => deliver(handler, message, channel);
        await sub.subscribe(k(channel), listener);
        return async () => {
          // After close() the subscriber connection is gone and with it every subscription:
          // nothing to undo (a stream ending during shutdown must not fail).
          if (closed) return;
          await run(() => sub.unsubscribe(k(channel), listener));
        };
      }),

    async health() {
      const started = performance.now();
      try {
        await ping();
        return { ok: true, detail: 'redis', latencyMs: performance.now() - started };
      } catch (error) {
        return {
          ok: false,
          detail: `redis: ${error instanceof Error ? error.message : String(error)}`,
          latencyMs: performance.now() - started,
        };
      }
    },

    async close() {
      closed = true;
      clearInterval(watchdog);
      const sub = subscriber;
      subscriber = undefined;
      await Promise.all([
        sub?.then((s) => s.destroy()).catch(() => {}),
        client.isOpen ? client.close().catch(() => client.destroy()) : undefined,
      ]);
    },
  };
  return instrumentHotState(store, options.registry);
}

function unavailable(error: unknown): SwitchboardError {
  const message = error instanceof Error ? error.message : String(error);
  return new SwitchboardError('STORE_UNAVAILABLE', `Redis is unavailable: ${message}`, {
    cause: error,
    details: { port: 'hot_state' },
  });
}

/** Reply errors are the caller's (wrong type, not an integer); anything else is the connection. */
function mapRedisError(error: unknown): unknown {
  if (error instanceof SwitchboardError) return error;
  if (error instanceof ErrorReply) {
    if (
      error.message.startsWith('WRONGTYPE') ||
      /not an integer|out of range|overflow/i.test(error.message)
    ) {
      return new SwitchboardError('VALUE_INVALID', `Redis refused the operation: ${error.message}`, {
        cause: error,
      });
    }
    return error;
  }
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new SwitchboardError('STORE_TIMEOUT', 'Redis did not answer in time', {
      cause: error,
      details: { port: 'hot_state' },
    });
  }
  return unavailable(error);
}
