import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

describe('access control on /v1', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await createTestServer({
      env: { SWITCHBOARD_AUTH_KEYS: 'ci-bot:write:configured-secret-0123456789' },
      routes(v1) {
        v1.get('/test/read', async (request) => ({ key: request.apiKey?.name }));
        v1.post('/test/write', async () => ({ ok: true }));
        v1.get('/test/public', { config: { public: true } }, async () => ({ open: true }));
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses a request without a key: 401 UNAUTHENTICATED', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/test/read' });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('UNAUTHENTICATED');
  });

  it('refuses an unknown key and a malformed header: 401 UNAUTHENTICATED', async () => {
    for (const authorization of ['Bearer sb_not-a-real-key', 'Basic abc', 'Bearer']) {
      const res = await t.app.inject({ method: 'GET', url: '/v1/test/read', headers: { authorization } });
      expect(res.statusCode, authorization).toBe(401);
      expect(res.json().error.code).toBe('UNAUTHENTICATED');
    }
  });

  it('checks the key before reading the body (no schema detail for strangers)', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/keys',
      payload: '{not json',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(401);
  });

  it('read < write < admin: a read key on a write route is 403 FORBIDDEN_SCOPE', async () => {
    const read = await t.keyWithScope('read');
    const write = await t.keyWithScope('write');
    expect(
      (await t.app.inject({ method: 'GET', url: '/v1/test/read', headers: t.auth(read) })).json(),
    ).toEqual({
      key: 'test read',
    });
    const refused = await t.app.inject({
      method: 'POST',
      url: '/v1/test/write',
      headers: t.auth(read),
      payload: {},
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toMatchObject({
      code: 'FORBIDDEN_SCOPE',
      details: { required: 'write', granted: 'read' },
    });
    expect(
      (await t.app.inject({ method: 'POST', url: '/v1/test/write', headers: t.auth(write), payload: {} }))
        .statusCode,
    ).toBe(200);
    // admin routes need admin even for GET
    const list = await t.app.inject({ method: 'GET', url: '/v1/keys', headers: t.auth(write) });
    expect(list.statusCode).toBe(403);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/v1/test/write',
          headers: t.auth(t.adminKey),
          payload: {},
        })
      ).statusCode,
    ).toBe(200);
  });

  it('a route marked public skips the key check', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/test/public' });
    expect(res.statusCode).toBe(200);
  });

  it('creates, lists and revokes keys; a revoked key is 401 API_KEY_REVOKED at once', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: t.auth(t.adminKey),
      payload: { name: 'agent-7', scope: 'write' },
    });
    expect(created.statusCode).toBe(201);
    const key = created.json();
    expect(key).toMatchObject({
      name: 'agent-7',
      scope: 'write',
      scopes: ['read', 'write'],
      source: 'store',
      revokedAt: null,
    });
    expect(key.secret).toMatch(/^sb_[A-Za-z0-9_-]{40,}$/);

    // Used once: now cached.
    expect(
      (await t.app.inject({ method: 'GET', url: '/v1/test/read', headers: t.auth(key.secret) })).statusCode,
    ).toBe(200);

    const list = await t.app.inject({ method: 'GET', url: '/v1/keys', headers: t.auth(t.adminKey) });
    expect(list.statusCode).toBe(200);
    const listed = list.json().keys.find((k: { id: string }) => k.id === key.id);
    expect(listed).toMatchObject({ name: 'agent-7', scope: 'write' });
    expect(listed.lastUsedAt).not.toBeNull();
    expect(list.body).not.toContain(key.secret);
    expect(
      list
        .json()
        .keys.some((k: { id: string; source: string }) => k.id === 'config:ci-bot' && k.source === 'config'),
    ).toBe(true);

    const revoked = await t.app.inject({
      method: 'DELETE',
      url: `/v1/keys/${key.id}`,
      headers: t.auth(t.adminKey),
    });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().revokedAt).not.toBeNull();

    const after = await t.app.inject({ method: 'GET', url: '/v1/test/read', headers: t.auth(key.secret) });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.code).toBe('API_KEY_REVOKED');

    const missing = await t.app.inject({
      method: 'DELETE',
      url: '/v1/keys/nope',
      headers: t.auth(t.adminKey),
    });
    expect(missing.statusCode).toBe(404);
    const configured = await t.app.inject({
      method: 'DELETE',
      url: '/v1/keys/config:ci-bot',
      headers: t.auth(t.adminKey),
    });
    expect(configured.statusCode).toBe(409);
  });

  it('stores only the SHA-256 of a key, never the key', async () => {
    const secret = await t.keyWithScope('read');
    const rows = await t.switchboard.context.relational.db.selectFrom('api_keys').selectAll().execute();
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(secret);
    expect(rows.some((r) => r.hash === hashSecret(secret))).toBe(true);
  });

  it('accepts a key given by configuration with its scope', async () => {
    const headers = { authorization: 'Bearer configured-secret-0123456789' };
    expect(
      (await t.app.inject({ method: 'POST', url: '/v1/test/write', headers, payload: {} })).statusCode,
    ).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/v1/keys', headers })).statusCode).toBe(403);
  });
});

describe('bootstrap admin key', () => {
  it('is created once when there is no key at all, and never again', async () => {
    const t = await createTestServer();
    try {
      const keys = t.switchboard.services.auth.keys;
      // createTestServer made an admin key: there is a key, so no bootstrap.
      expect(await keys.ensureBootstrapKey()).toBeNull();
    } finally {
      await t.close();
    }
    const fresh = await createTestServer({ env: {} });
    try {
      const keys = fresh.switchboard.services.auth.keys;
      // Revoke every key but the last admin (refused: LAST_ADMIN_KEY): revoked keys still
      // count as "a key exists".
      await keys.create({ name: 'spare admin', scope: 'admin' });
      for (const k of await keys.list()) {
        await keys.revoke(k.id).catch((error: { code?: string }) => {
          if (error.code !== 'LAST_ADMIN_KEY') throw error;
        });
      }
      expect((await keys.list()).filter((k) => k.revokedAt !== null).length).toBeGreaterThan(0);
      expect(await keys.ensureBootstrapKey()).toBeNull();
    } finally {
      await fresh.close();
    }
  });

  it('creates an admin key on an empty store, usable at once', async () => {
    const t = await createTestServer({ noAdminKey: true });
    try {
      const keys = t.switchboard.services.auth.keys;
      const first = await keys.ensureBootstrapKey();
      expect(first).toMatchObject({ id: 'bootstrap-admin', scope: 'admin' });
      expect(await keys.ensureBootstrapKey()).toBeNull();
      const res = await t.app.inject({ method: 'GET', url: '/v1/keys', headers: t.auth(first!.secret) });
      expect(res.statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('is not created when keys come from configuration', async () => {
    const t = await createTestServer({
      noAdminKey: true,
      env: { SWITCHBOARD_AUTH_KEYS: 'ops:admin:0123456789abcdef0123' },
    });
    try {
      expect(await t.switchboard.services.auth.keys.ensureBootstrapKey()).toBeNull();
    } finally {
      await t.close();
    }
  });
});
