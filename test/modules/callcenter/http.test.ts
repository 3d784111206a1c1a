import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendLabel } from '../../helpers/backends.js';
import { createTestServer, type TestServer } from '../../helpers/server.js';
import { caller } from './helpers.js';

describe(`callcenter HTTP routes (${backendLabel()})`, () => {
  let s: TestServer;
  let admin: Record<string, string>;
  let writer: Record<string, string>;
  let reader: Record<string, string>;
  const tag = randomUUID().slice(0, 8);
  const id = (name: string) => `${tag}-${name}`;
  const queue = `q${tag}-http`;

  beforeAll(async () => {
    s = await createTestServer();
    admin = s.auth(s.adminKey);
    writer = s.auth(await s.keyWithScope('write'));
    reader = s.auth(await s.keyWithScope('read'));
  });
  afterAll(async () => {
    s.app.server.closeAllConnections();
    await s.close();
  });

  const inject = async (method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown, headers = admin) => {
    const res = await s.app.inject({
      method,
      url: `/v1/callcenter${url}`,
      headers,
      ...(body !== undefined ? { payload: body as Record<string, unknown> } : {}),
    });
    return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
  };
  const errorOf = (res: { body: Record<string, unknown> }) =>
    res.body.error as { code: string; field?: string };

  it('runs a call from enqueue to record over HTTP', async () => {
    const agentId = id('h-a');
    const callId = id('h-call');
    let res = await inject('POST', '/agents', { agentId, username: `${agentId}-u`, skills: { billing: 2 } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ agentId, status: 'offline', maxCalls: 1 });
    res = await inject('POST', `/agents/${agentId}/status`, { status: 'available' }, writer);
    expect(res).toMatchObject({ status: 200, body: { status: 'available' } });
    res = await inject(
      'POST',
      '/calls',
      { callId, queue, caller: caller(), requiredSkills: { billing: 1 } },
      writer,
    );
    expect(res).toMatchObject({ status: 201, body: { callId, queue, priority: 0 } });
    res = await inject('GET', `/queues/${queue}`, undefined, reader);
    expect((res.body.calls as { callId: string }[]).map((c) => c.callId)).toEqual([callId]);
    res = await inject('GET', `/calls/${callId}/position`, undefined, reader);
    expect(res.body).toMatchObject({ position: 1 });
    res = await inject('POST', '/assign', { callId }, writer);
    expect(res).toMatchObject({ status: 200, body: { assignment: { callId, agentId, state: 'ringing' } } });
    for (const action of ['answer', 'hold', 'resume']) {
      res = await inject('POST', `/calls/${callId}/${action}`, undefined, writer);
      expect(res.status, action).toBe(200);
    }
    res = await inject('POST', `/calls/${callId}/end`, { disposition: 'resolved' }, writer);
    expect(res).toMatchObject({
      status: 200,
      body: { callId, agentId, disposition: 'resolved', abandoned: false },
    });
    res = await inject('GET', `/records/${callId}`, undefined, reader);
    expect(res.body).toMatchObject({ callId, queue });
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    res = await inject(
      'GET',
      `/analytics?from=${from}&to=${to}&queue=${queue}&groupBy=hour`,
      undefined,
      reader,
    );
    expect(res.status).toBe(200);
    expect(res.body.overall).toMatchObject({ total: 1, answered: 1, abandoned: 0 });
    res = await inject('GET', '/realtime', undefined, reader);
    expect(res.status).toBe(200);
    expect(res.body).toHaveProperty('agents.after_call_work');
  });

  it('answers bad requests with the catalogue code and the field at fault, writing nothing', async () => {
    const agentId = id('bad-a');
    await inject('POST', '/agents', { agentId, username: `${agentId}-u` });
    const cases: [string, 'GET' | 'POST' | 'PATCH', string, unknown, number, string, string | undefined][] = [
      [
        'bad phone',
        'POST',
        '/calls',
        { callId: id('c1'), queue, caller: '12345' },
        400,
        'INVALID_PHONE',
        'body.caller',
      ],
      [
        'bad queue',
        'POST',
        '/calls',
        { callId: id('c1'), queue: 'A B', caller: caller() },
        400,
        'VALIDATION_FAILED',
        'body.queue',
      ],
      [
        'extra field',
        'POST',
        '/calls',
        { callId: id('c1'), queue, caller: caller(), x: 1 },
        400,
        'VALIDATION_FAILED',
        undefined,
      ],
      [
        'bad status',
        'POST',
        `/agents/${agentId}/status`,
        { status: 'sleeping' },
        400,
        'VALIDATION_FAILED',
        'body.status',
      ],
      [
        'illegal move',
        'POST',
        `/agents/${agentId}/status`,
        { status: 'offline' },
        409,
        'ILLEGAL_STATUS_CHANGE',
        'body.status',
      ],
      [
        'unknown agent',
        'POST',
        `/agents/${id('ghost')}/status`,
        { status: 'available' },
        404,
        'AGENT_NOT_FOUND',
        'agentId',
      ],
      ['unknown call', 'POST', `/calls/${id('ghost')}/answer`, undefined, 404, 'CALL_NOT_FOUND', 'callId'],
      ['not queued', 'POST', '/assign', { callId: id('ghost') }, 409, 'CALL_NOT_IN_QUEUE', 'body.callId'],
      [
        'not queued, with an agent',
        'POST',
        '/assign',
        { callId: id('ghost'), agentId },
        409,
        'CALL_NOT_IN_QUEUE',
        'body.callId',
      ],
      [
        'username taken',
        'POST',
        '/agents',
        { agentId: id('bad-b'), username: `${agentId}-u` },
        409,
        'AGENT_EXISTS',
        'body.username',
      ],
      [
        'calls of unknown agent',
        'GET',
        `/agents/${id('ghost')}/calls`,
        undefined,
        404,
        'AGENT_NOT_FOUND',
        'agentId',
      ],
      [
        'next for offline agent',
        'POST',
        `/agents/${agentId}/next`,
        {},
        409,
        'AGENT_NOT_AVAILABLE',
        'agentId',
      ],
      [
        'bad transfer skills',
        'POST',
        `/calls/${id('ghost')}/transfer`,
        { queue, requiredSkills: { billing: 0 } },
        400,
        'VALIDATION_FAILED',
        'body.requiredSkills.billing',
      ],
      [
        'records bad range',
        'GET',
        '/records?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z',
        undefined,
        400,
        'VALIDATION_FAILED',
        'querystring.to',
      ],
      [
        'bad skills',
        'PATCH',
        `/agents/${agentId}`,
        { skills: { billing: 99 } },
        400,
        'VALIDATION_FAILED',
        'body.skills.billing',
      ],
      [
        'bad range',
        'GET',
        '/analytics?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z',
        undefined,
        400,
        'VALIDATION_FAILED',
        'querystring.to',
      ],
    ];
    const before = await inject('GET', `/agents/${agentId}`);
    for (const [label, method, url, body, status, code, field] of cases) {
      const res = await inject(method, url, body);
      expect(res.status, label).toBe(status);
      expect(errorOf(res).code, label).toBe(code);
      if (field !== undefined) expect(errorOf(res).field, label).toBe(field);
    }
    expect(await inject('GET', `/agents/${agentId}`)).toEqual(before);
    const position = await inject('GET', `/calls/${id('c1')}/position`);
    expect(errorOf(position).code).toBe('CALL_NOT_FOUND');
    expect((await inject('GET', `/agents/${id('bad-b')}`)).status).toBe(404);
  });

  it('tells a softphone "no call waiting" from "you cannot take calls"', async () => {
    const agentId = id('next-a');
    const callId = id('next-call');
    await inject('POST', '/agents', { agentId, username: `${agentId}-u`, skills: { nextskill: 1 } });
    await inject('POST', `/agents/${agentId}/status`, { status: 'available' }, writer);
    const nextQueue = `q${tag}-next`;
    let res = await inject('POST', `/agents/${agentId}/next`, { queues: [nextQueue] }, writer);
    expect(res).toEqual({ status: 200, body: { assignment: null } });
    await inject('POST', '/calls', { callId, queue: nextQueue, caller: caller() }, writer);
    res = await inject('POST', `/agents/${agentId}/next`, { queues: [nextQueue] }, writer);
    expect(res).toMatchObject({ status: 200, body: { assignment: { callId, agentId, state: 'ringing' } } });
    res = await inject('POST', `/agents/${agentId}/next`, { queues: [nextQueue] }, writer);
    expect(res.status).toBe(409);
    expect(errorOf(res)).toMatchObject({ code: 'AGENT_AT_CAPACITY', field: 'agentId' });
    await inject('POST', `/agents/${agentId}/status`, { status: 'away' }, writer);
    // Without a body: no queue filter.
    res = await inject('POST', `/agents/${agentId}/next`, undefined, writer);
    expect(res.status).toBe(409);
    expect(errorOf(res)).toMatchObject({ code: 'AGENT_NOT_AVAILABLE', field: 'agentId' });
  });

  it('follows a call through every state, and says where its record is once it ended', async () => {
    const agentId = id('follow-a');
    const callId = id('follow-call');
    const followQueue = `q${tag}-follow`;
    await inject('POST', '/agents', { agentId, username: `${agentId}-u`, skills: { billing: 3, tech: 2 } });
    await inject('POST', `/agents/${agentId}/status`, { status: 'available' }, writer);
    await inject(
      'POST',
      '/calls',
      { callId, queue: `q${tag}-billing`, caller: caller(), requiredSkills: { billing: 3 } },
      writer,
    );
    let res = await inject('GET', `/calls/${callId}`, undefined, reader);
    expect(res).toMatchObject({
      status: 200,
      body: { callId, state: 'queued', requiredSkills: { billing: 3 } },
    });
    // Nobody ahead of it and an agent signed in: no wait.
    res = await inject('GET', `/calls/${callId}/position`, undefined, reader);
    expect(res).toMatchObject({ status: 200, body: { position: 1, estimatedWaitSeconds: 0 } });
    // An agent takes it and sends it on to the tech queue, where it needs tech's skills instead.
    res = await inject('POST', '/assign', { callId, agentId }, writer);
    expect(res.status).toBe(200);
    res = await inject('GET', `/calls/${callId}`, undefined, reader);
    expect(res.body).toMatchObject({ state: 'ringing', agentId });
    await inject('POST', `/calls/${callId}/answer`, undefined, writer);
    res = await inject(
      'POST',
      `/calls/${callId}/transfer`,
      { queue: followQueue, requiredSkills: { tech: 2 } },
      writer,
    );
    expect(res).toEqual({ status: 200, body: { callId, queue: followQueue } });
    res = await inject('GET', `/calls/${callId}`, undefined, reader);
    expect(res.body).toMatchObject({
      state: 'queued',
      queue: followQueue,
      requiredSkills: { tech: 2 },
      transfers: 1,
    });
    await inject('POST', `/calls/${callId}/abandon`, undefined, writer);
    for (const url of [`/calls/${callId}`, `/calls/${callId}/position`]) {
      res = await inject('GET', url, undefined, reader);
      expect(res.status, url).toBe(404);
      expect(res.body.error, url).toMatchObject({ code: 'CALL_NOT_FOUND', details: { state: 'ended' } });
    }
    res = await inject('POST', `/calls/${callId}/answer`, undefined, writer);
    expect(res.body.error).toMatchObject({ code: 'CALL_NOT_FOUND', details: { state: 'ended' } });
  });

  it('an empty PATCH changes nothing, not even updatedAt', async () => {
    const agentId = id('patch-a');
    const created = await inject('POST', '/agents', { agentId, username: `${agentId}-u` });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const res = await inject('PATCH', `/agents/${agentId}`, {});
    expect(res).toEqual({ status: 200, body: created.body });
  });

  it('enforces scopes: reading needs read, operations write, agent set-up admin', async () => {
    const agentId = id('scope-a');
    let res = await inject('POST', '/agents', { agentId, username: `${agentId}-u` }, writer);
    expect(res.status).toBe(403);
    expect(errorOf(res).code).toBe('FORBIDDEN_SCOPE');
    res = await inject('POST', '/calls', { callId: id('scope-c'), queue, caller: caller() }, reader);
    expect(res.status).toBe(403);
    res = await inject('GET', '/realtime', undefined, {});
    expect(res.status).toBe(401);
  });

  it('documents every route with an operationId, a summary and its schemas', async () => {
    const doc = (await s.app.inject({ url: '/docs/json' })).json<{
      paths: Record<string, Record<string, { operationId?: string; summary?: string }>>;
    }>();
    const ops = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/callcenter'))
      .flatMap(([, methods]) => Object.values(methods));
    expect(ops.length).toBeGreaterThanOrEqual(20);
    for (const op of ops) {
      expect(op.operationId).toMatch(/^callcenter\./);
      expect(op.summary).toBeTruthy();
    }
    expect(new Set(ops.map((o) => o.operationId)).size).toBe(ops.length);
  });

  it('publishes the limits it enforces, and a body that breaks one is refused naming the field', async () => {
    const doc = (await s.app.inject({ url: '/docs/json' })).json<{
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>
      >;
    }>();
    const create = doc.paths['/v1/callcenter/agents']!['post']!.requestBody!.content['application/json']!
      .schema as { properties: Record<string, Record<string, unknown>> };
    expect(create.properties['maxCalls']).toMatchObject({ minimum: 1, maximum: 50 });
    expect(create.properties['skills']).toMatchObject({ maxProperties: 32 });
    expect(JSON.stringify(create.properties['skills'])).toContain('"maximum":10');
    expect(create.properties['agentId']).toHaveProperty('pattern');
    const enqueue = doc.paths['/v1/callcenter/calls']!['post']!.requestBody!.content['application/json']!
      .schema as { properties: Record<string, Record<string, unknown>> };
    expect(enqueue.properties['priority']).toMatchObject({ minimum: 0, maximum: 100 });
    const tooMany = await s.app.inject({
      method: 'POST',
      url: '/v1/callcenter/agents',
      headers: admin,
      payload: { agentId: 'limits-1', username: 'limits-1', maxCalls: 51 },
    });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'body.maxCalls' });
    expect((await s.app.inject({ url: '/v1/callcenter/agents/limits-1', headers: reader })).statusCode).toBe(
      404,
    );
  });

  it('streams agent and queue changes as Server-Sent Events', async () => {
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    const address = s.app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const controller = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/v1/callcenter/events`, {
      headers: { ...reader, accept: 'text/event-stream' },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const callId = id('sse-call');
    let text = '';
    const reading = (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          text += decoder.decode(chunk, { stream: true });
          if (text.includes(callId)) return;
        }
      } catch {
        // aborted
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await inject('POST', '/calls', { callId, queue, caller: caller() }, writer);
    await Promise.race([reading, new Promise((resolve) => setTimeout(resolve, 5000))]);
    controller.abort();
    await reading;
    expect(text).toContain('event: call.queued');
    expect(text).toContain(`"callId":"${callId}"`);
    // Caller numbers never travel on the live stream.
    expect(text).not.toContain('+1415');
  });
});
