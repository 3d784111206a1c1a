import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../helpers/server.js';

describe('conversations over HTTP', () => {
  let s: TestServer;
  let key: string;
  const acct = `acct-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    s = await createTestServer();
    key = await s.keyWithScope('write');
  });
  afterAll(async () => s?.close());

  const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    s.app.inject({
      method,
      url: `/v1/conversations${url}`,
      headers: s.auth(key),
      ...(payload ? { payload } : {}),
    });

  it('creates a session, appends, branches, loads, likes, lists and deletes', async () => {
    const created = await call('POST', '/sessions', { accountUid: acct, title: 'order help' });
    expect(created.statusCode).toBe(201);
    const id = created.json<{ sessionUid: string }>().sessionUid;
    const h1 = (await call('POST', `/sessions/${id}/turns`, { type: 'human', prompt: 'where is it?' })).json<{
      turnUid: string;
    }>();
    const a1 = await call('POST', `/sessions/${id}/turns`, {
      type: 'agent',
      steps: [{ tpe: 'tool_call', content: '{"order":1182}' }],
    });
    expect(a1.statusCode).toBe(201);
    const a1id = a1.json<{ turnUid: string }>().turnUid;
    const steps = await call('POST', `/sessions/${id}/turns/${a1id}/steps`, {
      steps: [{ tpe: 'text', content: 'It ships today.' }],
      complete: true,
    });
    expect(steps.json<{ steps: { idx: number }[] }>().steps[0]!.idx).toBe(1);
    const a2 = (
      await call('POST', `/sessions/${id}/turns`, { type: 'agent', parentUid: h1.turnUid, completed: true })
    ).json<{ turnUid: string }>();
    expect((await call('PUT', `/sessions/${id}/turns/${a2.turnUid}/like`, { liked: true })).statusCode).toBe(
      200,
    );
    const kids = (await call('GET', `/sessions/${id}/turns/${h1.turnUid}/children`)).json<{
      activeChild: string;
      children: { turnUid: string }[];
    }>();
    expect(kids.children.map((c) => c.turnUid)).toEqual([a1id, a2.turnUid]);
    expect(kids.activeChild).toBe(a2.turnUid);
    expect(
      (await call('PUT', `/sessions/${id}/active-child`, { parentUid: h1.turnUid, childUid: a1id }))
        .statusCode,
    ).toBe(204);
    const loaded = (await call('GET', `/sessions/${id}/conversation`)).json<{
      turns: { turnUid: string; steps: { content: string }[] }[];
    }>();
    expect(loaded.turns.map((t) => t.turnUid)).toEqual([h1.turnUid, a1id]);
    expect(loaded.turns[1]!.steps.map((x) => x.content)).toEqual(['{"order":1182}', 'It ships today.']);
    const tree = (await call('GET', `/sessions/${id}/conversation?view=tree`)).json<{ turns: unknown[] }>();
    expect(tree.turns).toHaveLength(3);
    const list = (await call('GET', `/accounts/${acct}/sessions`)).json<{
      sessions: { sessionUid: string }[];
    }>();
    expect(list.sessions.map((x) => x.sessionUid)).toEqual([id]);
    // The list does not know the active turn (sessions_by_user does not hold it): it says
    // nothing rather than a null that reads as "no turn yet"; the session itself has it.
    expect(list.sessions[0]).not.toHaveProperty('activeChild');
    expect((await call('GET', `/sessions/${id}`)).json()).toMatchObject({ activeChild: expect.any(String) });
    expect((await call('DELETE', `/sessions/${id}`)).statusCode).toBe(200);
    expect(
      (await call('GET', `/accounts/${acct}/sessions`)).json<{ sessions: unknown[] }>().sessions,
    ).toEqual([]);
    expect((await call('GET', `/sessions/${id}`)).statusCode).toBe(200);
  });

  it('answers bad input with the catalogue code and field', async () => {
    const id = (await call('POST', '/sessions', { accountUid: acct })).json<{ sessionUid: string }>()
      .sessionUid;
    const agentFirst = await call('POST', `/sessions/${id}/turns`, { type: 'agent' });
    expect(agentFirst.statusCode).toBe(422);
    expect(agentFirst.json<{ error: { code: string; field: string } }>().error).toMatchObject({
      code: 'INVALID_PARENT_TYPE',
      field: 'body.parentUid',
    });
    const unknown = await call('POST', `/sessions/${id}/turns`, {
      type: 'human',
      prompt: 'x',
      parentUid: 'ghost',
    });
    expect(unknown.json<{ error: { code: string } }>().error.code).toBe('UNKNOWN_PARENT');
    const missing = await call('GET', `/sessions/nope/conversation`);
    expect(missing.statusCode).toBe(404);
    const badType = await call('POST', `/sessions/${id}/turns`, { type: 'robot' });
    expect(badType.statusCode).toBe(400);
    expect((await call('GET', `/sessions/${id}/conversation`)).json<{ turns: unknown[] }>().turns).toEqual(
      [],
    );
  });

  it('switches the migration mode at run time (admin scope)', async () => {
    const admin = { authorization: `Bearer ${s.adminKey}` };
    const get = await s.app.inject({ url: '/v1/conversations/admin/mode', headers: admin });
    expect(get.json<{ mode: string }>().mode).toBe('wide_column');
    const denied = await call('PUT', '/admin/mode', { mode: 'dual_write' });
    expect(denied.statusCode).toBe(403);
    const set = await s.app.inject({
      method: 'PUT',
      url: '/v1/conversations/admin/mode',
      headers: admin,
      payload: { mode: 'dual_write' },
    });
    expect(set.json<{ mode: string }>().mode).toBe('dual_write');
    const doc = (await s.app.inject({ url: '/docs/json' })).json<{
      paths: Record<string, Record<string, { operationId?: string }>>;
    }>();
    const ops = Object.entries(doc.paths)
      .filter(([p]) => p.startsWith('/v1/conversations'))
      .flatMap(([, methods]) => Object.values(methods).map((m) => m.operationId));
    expect(ops.every((o) => typeof o === 'string' && o.startsWith('conversations.'))).toBe(true);
    expect(ops).toContain('conversations.appendTurn');
  });
});
