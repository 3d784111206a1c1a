import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../helpers/server.js';
import { TEST_ENV, drained, makeEvent } from '../modules/interactions/helpers.js';

/**
 * The dashboard's server side without a browser: its static routes (open, CSP, hidden from
 * the OpenAPI document) and GET /v1/interactions/recent. The pages themselves are proven in
 * Chromium by dashboard.e2e.test.ts.
 */
let t: TestServer;
let read: { authorization: string };
const dir = mkdtempSync(join(tmpdir(), 'switchboard-dashboard-'));

beforeAll(async () => {
  // A stand-in for the Vite output: the routes serve whatever the build produced.
  mkdirSync(join(dir, 'assets'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><title>x</title><script src="assets/a-1.js"></script>',
  );
  writeFileSync(join(dir, 'assets', 'a-1.js'), 'console.log(1)');
  t = await createTestServer({ env: TEST_ENV, dashboardDir: dir });
  read = t.auth(await t.keyWithScope('read'));
});
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the dashboard routes', () => {
  it('serve the page without an API key, with a same-origin-only CSP and no caching', async () => {
    const redirect = await t.app.inject({ method: 'GET', url: '/dashboard' });
    expect(redirect.statusCode).toBe(302);
    expect(redirect.headers.location).toBe('/dashboard/');
    const page = await t.app.inject({ method: 'GET', url: '/dashboard/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(page.body).toContain('<title>x</title>');
  });

  it('serve fingerprinted assets as immutable, and answer a missing file with the catalogue 404', async () => {
    const asset = await t.app.inject({ method: 'GET', url: '/dashboard/assets/a-1.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(asset.headers['cache-control']).toContain('immutable');
    for (const url of [
      '/dashboard/assets/nope.js',
      '/dashboard/../package.json',
      '/dashboard/%2e%2e/package.json',
    ]) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.code, url).toMatch(/NOT_FOUND/);
    }
  });

  it('are not in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: object };
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/dashboard'))).toEqual([]);
    expect(Object.keys(doc.paths)).toContain('/v1/interactions/recent');
  });
});

describe('GET /v1/interactions/recent', () => {
  it('ranks sessions by their worst turn and counts errors by stage and code', async () => {
    const interactions = t.switchboard.services.interactions;
    await interactions.consumer.start();
    const at = Date.now() - 60_000;
    const event = <S extends 'stt' | 'llm' | 'tts'>(
      stage: S,
      session: string,
      turn: string,
      latency: number,
      i: number,
    ) => ({
      stage,
      event: makeEvent(stage, session, {
        turn_id: turn,
        latency_ms: latency,
        timestamp: new Date(at + i * 10).toISOString(),
      } as never),
    });
    await interactions.publisher.publishMany([
      event('stt', 'fast', 't1', 50, 1),
      event('llm', 'fast', 't1', 100, 2),
      event('tts', 'fast', 't1', 50, 3),
      event('stt', 'slow', 't1', 100, 4),
      event('llm', 'slow', 't1', 900, 5),
      event('tts', 'slow', 't1', 100, 6),
      event('stt', 'slow', 't2', 10, 7),
    ]);
    // A broken event straight to the LLM topic, as a faulty producer would send it.
    await t.switchboard.context.eventLog.publish(interactions.topics.llm, [
      { key: 'x', value: Buffer.from('{"not":"an event"}') },
    ]);
    await drained(interactions);
    const res = await t.app.inject({
      method: 'GET',
      url: '/v1/interactions/recent?minutes=10',
      headers: read,
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.events).toEqual({ stt: 3, llm: 2, tts: 2 });
    expect(body.slowest_sessions.map((s: { session_id: string }) => s.session_id)).toEqual(['slow', 'fast']);
    expect(body.slowest_sessions[0]).toMatchObject({
      worst_turn_ms: 1100,
      turns: 2,
      events: 4,
      mean_turn_ms: 555,
    });
    expect(body.errors).toEqual([expect.objectContaining({ stage: 'llm', count: 1 })]);
    expect(body.truncated).toBe(false);
    await interactions.consumer.stop();
  });

  it('needs a key and refuses a window past six hours', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/v1/interactions/recent' })).statusCode).toBe(401);
    const res = await t.app.inject({
      method: 'GET',
      url: '/v1/interactions/recent?minutes=361',
      headers: read,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
  });
});
