import { afterEach, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../helpers/server.js';

/** Issue 18, item 7: revoking the last active admin key would lock the API out. */
describe('the last admin key', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  const revoke = (server: TestServer, secret: string, id: string) =>
    server.app.inject({ method: 'DELETE', url: `/v1/keys/${id}`, headers: server.auth(secret) });

  async function idOf(server: TestServer, secret: string): Promise<string> {
    const keys = await server.switchboard.services.auth.keys.list();
    const me = await server.switchboard.services.auth.keys.authenticate(secret);
    return keys.find((k) => k.id === me.id)!.id;
  }

  it('refuses to revoke the only active admin key (409 LAST_ADMIN_KEY), and it still works', async () => {
    t = await createTestServer();
    const adminId = await idOf(t, t.adminKey);
    const res = await revoke(t, t.adminKey, adminId);
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'LAST_ADMIN_KEY', field: 'id' });
    expect((await t.switchboard.services.auth.keys.get(adminId))?.revokedAt).toBeNull();
    expect((await t.app.inject({ url: '/v1/keys', headers: t.auth(t.adminKey) })).statusCode).toBe(200);
  });

  it('allows it while another admin key is active, then refuses the next', async () => {
    t = await createTestServer();
    const second = await t.keyWithScope('admin');
    const secondId = await idOf(t, second);
    const firstId = await idOf(t, t.adminKey);
    // A write key does not count as an admin.
    await t.keyWithScope('write');
    expect((await revoke(t, second, firstId)).statusCode).toBe(200);
    const last = await revoke(t, second, secondId);
    expect(last.statusCode).toBe(409);
    expect(last.json().error.code).toBe('LAST_ADMIN_KEY');
  });

  it('two admins revoking each other at once leave one admin key', async () => {
    t = await createTestServer();
    const keys = t.switchboard.services.auth.keys;
    const second = await t.keyWithScope('admin');
    const ids = [await idOf(t, t.adminKey), await idOf(t, second)];
    await Promise.allSettled(ids.map((id) => keys.revoke(id)));
    const active = (await keys.list()).filter((k) => k.scope === 'admin' && k.revokedAt === null);
    expect(active).toHaveLength(1);
  });

  it('a configured admin key keeps the API open, so stored admin keys may all go', async () => {
    t = await createTestServer({ env: { SWITCHBOARD_AUTH_KEYS: 'ops:admin:configured-admin-0123456789' } });
    const res = await revoke(t, t.adminKey, await idOf(t, t.adminKey));
    expect(res.statusCode).toBe(200);
  });
});
