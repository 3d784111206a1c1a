import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../helpers/server.js';
import {
  eventually,
  hostPort,
  postgresTestUrl,
  redisTestUrl,
  viaPort,
  withTcpProxy,
  type TcpProxy,
} from '../helpers/services.js';

/**
 * /ready against PostgreSQL and Redis reached through a TCP proxy: cutting the proxy is an
 * outage for this switchboard only; restoring it must bring /ready back without a restart.
 */
const pgUrl = postgresTestUrl();
const redisUrl = redisTestUrl();
const ci = process.env.CI === 'true';

describe('the scale-out services are configured under CI', () => {
  it.runIf(ci)('SWITCHBOARD_TEST_POSTGRES_URL and SWITCHBOARD_TEST_REDIS_URL are set', () => {
    expect(pgUrl, 'CI=true requires SWITCHBOARD_TEST_POSTGRES_URL').toBeDefined();
    expect(redisUrl, 'CI=true requires SWITCHBOARD_TEST_REDIS_URL').toBeDefined();
  });
});

async function ready(t: TestServer) {
  // With an admin key: the per-port details (engine) are for admins only (issue 18 item 17).
  const res = await t.app.inject({ method: 'GET', url: '/ready', headers: t.auth(t.adminKey) });
  return {
    status: res.statusCode,
    body: res.json() as { failing: string[]; ports: Record<string, { ok: boolean; detail: string }> },
  };
}

describe.skipIf(!pgUrl || !redisUrl)(
  '/ready when PostgreSQL or Redis goes away (set SWITCHBOARD_TEST_POSTGRES_URL and SWITCHBOARD_TEST_REDIS_URL to run)',
  () => {
    let t: TestServer;
    let pgProxy: TcpProxy;
    let redisProxy: TcpProxy;
    const schema = `ready_${process.pid}_${Date.now()}`;

    beforeAll(async () => {
      const pg = hostPort(pgUrl!, 5432);
      const redis = hostPort(redisUrl!, 6379);
      pgProxy = await withTcpProxy(pg.host, pg.port);
      redisProxy = await withTcpProxy(redis.host, redis.port);
      t = await createTestServer({
        env: {
          SWITCHBOARD_STORE_RELATIONAL: 'postgres',
          SWITCHBOARD_POSTGRES_URL: viaPort(pgUrl!, pgProxy.port),
          SWITCHBOARD_POSTGRES_SCHEMA: schema,
          SWITCHBOARD_STORE_HOT_STATE: 'redis',
          SWITCHBOARD_REDIS_URL: viaPort(redisUrl!, redisProxy.port),
          SWITCHBOARD_REDIS_KEY_PREFIX: `${schema}:`,
          SWITCHBOARD_REDIS_CONNECT_TIMEOUT_MS: '500',
          SWITCHBOARD_SERVER_READY_TIMEOUT_MS: '1500',
        },
      });
    });
    afterAll(async () => {
      pgProxy?.restore();
      redisProxy?.restore();
      if (t) {
        await t.switchboard.context.relational.db.schema
          .dropSchema(schema)
          .ifExists()
          .cascade()
          .execute()
          .catch(() => {});
        await t.close();
      }
      await pgProxy?.close();
      await redisProxy?.close();
    });

    it('is 200 with both up', async () => {
      const r = await ready(t);
      expect(r.status).toBe(200);
      expect(r.body.ports.relational).toMatchObject({ ok: true, engine: 'postgres' });
      expect(r.body.ports.hot_state).toMatchObject({ ok: true, engine: 'redis' });
    });

    it('turns 503 naming relational while PostgreSQL is unreachable, and 200 again after', async () => {
      pgProxy.cut();
      expect(await eventually(async () => (await ready(t)).status === 503, 10_000)).toBe(true);
      const down = await ready(t);
      expect(down.body.failing).toContain('relational');
      expect(down.body.failing).not.toContain('hot_state');
      pgProxy.restore();
      expect(await eventually(async () => (await ready(t)).status === 200, 15_000)).toBe(true);
      // And the store works again for real requests.
      const keys = await t.app.inject({ method: 'GET', url: '/v1/keys', headers: t.auth(t.adminKey) });
      expect(keys.statusCode).toBe(200);
    });

    it('turns 503 naming hot_state while Redis is unreachable, and 200 again after', async () => {
      redisProxy.cut();
      expect(await eventually(async () => (await ready(t)).status === 503, 10_000)).toBe(true);
      const down = await ready(t);
      expect(down.body.failing).toContain('hot_state');
      expect(down.body.failing).not.toContain('relational');
      redisProxy.restore();
      expect(await eventually(async () => (await ready(t)).status === 200, 15_000)).toBe(true);
    });
  },
);
