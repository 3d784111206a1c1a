import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../helpers/server.js';

describe('operations routes', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await createTestServer();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('GET /health is open and says ok', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('echoes a plain x-request-id and replaces a suspicious one', async () => {
    const kept = await t.app.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': 'trace-123' },
    });
    expect(kept.headers['x-request-id']).toBe('trace-123');
    const replaced = await t.app.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': 'a b\n<c>' },
    });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('GET /ready reports every port as healthy, with details for an admin key only', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/ready', headers: t.auth(t.adminKey) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('ready');
    expect(body.failing).toEqual([]);
    expect(Object.keys(body.ports).sort()).toEqual(['event_log', 'hot_state', 'relational', 'wide_column']);
    for (const port of Object.values(body.ports) as { ok: boolean; engine: string }[]) {
      expect(port.ok).toBe(true);
      expect(port.engine).toBe('embedded');
    }
    // Without a key, or with a read key: which ports are ok, and nothing about paths or versions.
    for (const headers of [{}, t.auth(await t.keyWithScope('read'))]) {
      const open = await t.app.inject({ method: 'GET', url: '/ready', headers });
      expect(open.statusCode).toBe(200);
      expect(open.json().ports.wide_column).toEqual({ ok: true });
      expect(open.body).not.toMatch(/\.db|sqlite|embedded/i);
    }
  });

  it('GET /metrics has HTTP metrics by route pattern, port metrics and process metrics', async () => {
    await t.app.inject({ method: 'GET', url: '/v1/keys', headers: t.auth(t.adminKey) });
    await t.app.inject({ method: 'DELETE', url: '/v1/keys/no-such-id', headers: t.auth(t.adminKey) });
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const text = res.body;
    expect(text).toMatch(
      /switchboard_http_requests_total\{method="GET",route="\/v1\/keys",status="200"\} \d+/,
    );
    // The pattern, never the raw URL with its id.
    expect(text).toContain('route="/v1/keys/:id",status="404"');
    expect(text).not.toContain('no-such-id');
    expect(text).toContain('switchboard_http_request_seconds_bucket');
    expect(text).toContain('process_cpu_user_seconds_total');
    // Port metrics share the registry: the relational store timed the key lookups above.
    expect(text).toContain('switchboard_relational_query_seconds');
    expect(text).toMatch(/# HELP switchboard_(hot_state|event_log)_/);
  });

  it('serves the OpenAPI document at /docs/json with the key scheme and the /v1 routes', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/v1/keys'].post.requestBody).toBeDefined();
    expect(doc.paths['/health'].get.security).toEqual([]);
    expect(doc.components.schemas.ErrorResponse).toBeDefined();
    const ui = await t.app.inject({ method: 'GET', url: '/docs' });
    expect(ui.statusCode).toBeLessThan(400);
  });

  it('answers an unknown route with a JSON 404', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/nope?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/json');
    expect(res.json().error).toMatchObject({ code: 'ROUTE_NOT_FOUND', requestId: expect.any(String) });
  });
});

describe('operations routes behind keys', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await createTestServer({
      env: {
        SWITCHBOARD_SERVER_READY_REQUIRES_KEY: 'true',
        SWITCHBOARD_SERVER_METRICS_REQUIRES_KEY: 'true',
        SWITCHBOARD_SERVER_DOCS_REQUIRES_KEY: 'true',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('keeps /health open and keys /ready, /metrics and /docs', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    for (const url of ['/ready', '/metrics', '/docs/json']) {
      const open = await t.app.inject({ method: 'GET', url });
      expect(open.statusCode, url).toBe(401);
      expect(open.json().error.code).toBe('UNAUTHENTICATED');
      const read = await t.keyWithScope('read');
      const keyed = await t.app.inject({ method: 'GET', url, headers: t.auth(read) });
      expect(keyed.statusCode, url).toBe(200);
    }
  });
});
