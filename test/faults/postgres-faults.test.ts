import { Writable } from 'node:stream';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../helpers/server.js';
import { eventually, postgresTestUrl } from '../helpers/services.js';
import {
  call,
  checkOutcomes,
  errorOf,
  listen,
  steadyLoad,
  readBack,
  REQUEST_TIMEOUT_MS,
  type Outcome,
} from './harness.js';

/**
 * Issue 23 against PostgreSQL made unreachable for the service's OWN database only: a fresh
 * database, then `ALTER DATABASE ... ALLOW_CONNECTIONS false` and pg_terminate_backend of its
 * backends (the shared server keeps running for everyone else). Under a steady load of sends
 * (need PostgreSQL: channel membership), voice-session writes (do not) and history reads.
 */
const pgUrl = postgresTestUrl();
const OUTAGE_MS = 8_000;

describe.skipIf(!pgUrl)('PostgreSQL refusing connections under load (issue 23)', () => {
  const database = `sb_faults_${process.pid}_${Date.now()}`;
  let admin: pg.Client;
  let t: TestServer;
  let base: string;
  let headers: Record<string, string>;
  let channelId: string;
  const logs: string[] = [];
  const outcomes: Outcome[] = [];

  const dbUrl = () => {
    const u = new URL(pgUrl!);
    u.pathname = `/${database}`;
    return u.toString();
  };

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`create database ${database}`);
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    t = await createTestServer({
      logger: pino({ level: 'info' }, sink),
      env: {
        SWITCHBOARD_STORE_RELATIONAL: 'postgres',
        SWITCHBOARD_POSTGRES_URL: dbUrl(),
        SWITCHBOARD_POSTGRES_POOL_SIZE: '4',
        SWITCHBOARD_STORE_HOT_STATE: 'embedded',
        SWITCHBOARD_STORE_WIDE_COLUMN: 'embedded',
        SWITCHBOARD_STORE_EVENT_LOG: 'embedded',
        SWITCHBOARD_SERVER_READY_TIMEOUT_MS: '1500',
      },
    });
    await t.switchboard.startWorkers();
    base = await listen(t);
    headers = { ...t.auth(t.adminKey), 'x-user-id': 'alice' };
    const created = await call(base, 'POST', '/v1/channels', headers, { title: 'pg faults', kind: 'group' });
    expect(created.status).toBe(201);
    channelId = (created.body as { id: string }).id;
  }, 60_000);

  afterAll(async () => {
    await admin?.query(`alter database ${database} allow_connections true`).catch(() => {});
    await t?.close().catch(() => {});
    await admin?.query(`drop database if exists ${database} with (force)`).catch(() => {});
    await admin?.end().catch(() => {});
  });

  const ready = async () => {
    const r = await call(base, 'GET', '/ready', {});
    return { status: r.status, failing: (r.body as { failing?: string[] }).failing ?? [] };
  };

  it('answers 503 STORE_UNAVAILABLE naming relational (never 500), keeps routes that do not need it working, logs once, recovers', async () => {
    const load = steadyLoad({
      base,
      headers,
      channelId,
      // Listing channels needs PostgreSQL; sends and history do not (roles are cached, issue 19).
      readOp: 'list',
      readPath: '/v1/channels',
      instance: 'pg',
      outcomes,
      maxMs: 50_000,
    });
    const { sent, sessions } = load.acknowledged;
    const figures: Record<string, unknown> = {};

    // A key used once (so verified), then revoked by "another process" (straight in the table).
    const revokable = await t.keyWithScope('write');
    const revokableHeaders = { ...t.auth(revokable), 'x-user-id': 'bob' };
    expect((await call(base, 'POST', '/v1/voice/sessions', revokableHeaders, {})).status).toBe(201);
    const { id: revokableId } = await t.switchboard.services.auth.keys.authenticate(revokable);
    const unseen = await t.keyWithScope('write');
    const db = new pg.Client({ connectionString: dbUrl() });
    await db.connect();
    await db.query(`update api_keys set revoked_at = $1 where id = $2`, [
      new Date().toISOString(),
      revokableId,
    ]);
    await db.end();

    try {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const cutAt = Date.now();
      await admin.query(`alter database ${database} allow_connections false`);
      await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`,
        [database],
      );
      expect(await eventually(async () => (await ready()).failing.includes('relational'), 5_000)).toBe(true);
      figures['/ready 503 naming relational after, ms'] = Date.now() - cutAt;
      const blocked = await eventually(async () => {
        const r = await call(base, 'GET', '/v1/channels', headers);
        return (
          r.status === 503 &&
          errorOf(r.body).code === 'STORE_UNAVAILABLE' &&
          errorOf(r.body).port === 'relational'
        );
      }, 5_000);
      expect(blocked).toBe(true);
      // Past the key cache period: the stale window keeps verified keys working for routes
      // that do not need PostgreSQL; a key this process never verified gets the store's 503.
      await new Promise((resolve) => setTimeout(resolve, 5_500));
      const stale = await call(base, 'POST', '/v1/voice/sessions', headers, {});
      expect(stale.status).toBe(201);
      const unknown = await call(
        base,
        'POST',
        '/v1/voice/sessions',
        { ...t.auth(unseen), 'x-user-id': 'c' },
        {},
      );
      expect(unknown.status).toBe(503);
      expect(errorOf(unknown.body)).toMatchObject({ code: 'STORE_UNAVAILABLE', port: 'relational' });
      const down = await ready();
      expect(down.status).toBe(503);
      expect(down.failing).toContain('relational');
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, cutAt + OUTAGE_MS - Date.now())));

      const restoredAt = Date.now();
      await admin.query(`alter database ${database} allow_connections true`);
      const recovered = await eventually(
        async () =>
          (await ready()).status === 200 &&
          (await call(base, 'POST', `/v1/channels/${channelId}/messages`, headers, { content: 'y' }))
            .status === 201 &&
          (await call(base, 'GET', '/v1/channels', headers)).status === 200,
        20_000,
        100,
      );
      expect(recovered).toBe(true);
      figures['recovered (ready, send, list), ms after connections allowed'] = Date.now() - restoredAt;
      // The revocation made elsewhere applies once the store answers.
      const revoked = await eventually(async () => {
        const r = await call(base, 'POST', '/v1/voice/sessions', revokableHeaders, {});
        return r.status === 401 && errorOf(r.body).code === 'API_KEY_REVOKED';
      }, 10_000);
      expect(revoked).toBe(true);
      figures['revocation applied, ms after connections allowed'] = Date.now() - restoredAt;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    } finally {
      await load.stop();
    }

    const dependencyLines = logs.filter((l) => l.includes('request failed: dependency unavailable'));
    figures['dependency log lines'] = dependencyLines.length;
    // No 500, no hang; refusals are 503 naming relational; sessions never needed PostgreSQL.
    checkOutcomes(outcomes, 'relational', figures, (slowest, bad) => {
      expect(bad).toEqual([]);
      expect(slowest).toBeLessThan(REQUEST_TIMEOUT_MS);
    });
    expect(outcomes.filter((o) => o.op === 'session' && o.status !== 201)).toEqual([]);
    // A member's role is cached in hot state, so a send needs no PostgreSQL at all (issue 19);
    // its search-index effect waits in the outbox and catches up after.
    expect(outcomes.filter((o) => o.op === 'send' && o.status !== 201)).toEqual([]);
    expect(outcomes.filter((o) => o.op === 'list' && o.status === 503).length).toBeGreaterThan(0);
    expect(logs.filter((l) => l.includes('unhandled error'))).toEqual([]);
    // Logged once per outage (per failing code), not per request.
    const failed = outcomes.filter((o) => o.status === 503).length;
    expect(failed).toBeGreaterThan(10);
    expect(dependencyLines.length).toBeLessThanOrEqual(2);
    expect(
      await eventually(async () => logs.some((l) => l.includes('dependency failures stopped')), 10_000),
    ).toBe(true);

    // No acknowledged write lost.
    const read = (url: string) => t.app.inject({ method: 'GET', url, headers });
    expect(await readBack(read, channelId, sent, sessions)).toEqual({ lost: [] });
  }, 90_000);
});
