import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../src/server/edge/json-body.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

/**
 * The HTTP edge under bad input (issue 18): every refusal is a 4xx in the catalogue's shape
 * with a requestId and the field at fault, and nothing is written.
 */
let t: TestServer;
let write: { authorization: string };

beforeAll(async () => {
  t = await createTestServer({
    env: {
      SWITCHBOARD_SERVER_REQUEST_TIMEOUT_MS: '1000',
      SWITCHBOARD_SERVER_HEADERS_TIMEOUT_MS: '1000',
    },
  });
  write = t.auth(await t.keyWithScope('write'));
});
afterAll(async () => {
  await t.close();
});

function expectCatalogueError(body: unknown, code: string, field?: string) {
  expect(body).toMatchObject({ error: { code, message: expect.any(String), requestId: expect.any(String) } });
  if (field !== undefined) expect((body as { error: { field?: string } }).error.field).toBe(field);
}

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i += 1) value = { a: value };
  return value;
}

async function createSession(id: string) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/voice/sessions',
    headers: write,
    payload: { sessionId: id, customerPhone: '+919876543210', memory: { step: 1 } },
  });
  expect(res.statusCode).toBe(201);
}

describe('JSON bodies', () => {
  it('refuses nesting deeper than the documented maximum with 400 naming the field, and writes nothing', async () => {
    await createSession('deep-1');
    const res = await t.app.inject({
      method: 'PUT',
      url: '/v1/voice/sessions/deep-1/memory',
      headers: { ...write, 'content-type': 'application/json' },
      // Built as text: the point is what the server does with it.
      payload: `{"memory":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)},"version":1}`,
    });
    expect(res.statusCode).toBe(400);
    expectCatalogueError(res.json(), 'JSON_TOO_DEEP', 'body.memory');
    const memory = await t.app.inject({ url: '/v1/voice/sessions/deep-1/memory', headers: write });
    expect(memory.json()).toEqual({ memory: { step: 1 }, version: 1 });
    // At the limit it is accepted.
    const ok = await t.app.inject({
      method: 'PUT',
      url: '/v1/voice/sessions/deep-1/memory',
      headers: write,
      payload: { memory: nested(MAX_JSON_DEPTH - 2), version: 1 },
    });
    expect(ok.statusCode).toBe(200);
  });

  it('refuses invalid UTF-8 as malformed JSON, not as a length mismatch', async () => {
    const body = Buffer.concat([Buffer.from('{"title":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/voice/sessions',
      headers: { ...write, 'content-type': 'application/json' },
      payload: body,
    });
    expect(res.statusCode).toBe(400);
    expectCatalogueError(res.json(), 'MALFORMED_JSON');
    expect(res.json().error.message).toMatch(/UTF-8/);
  });

  it('does not convert types: a number or boolean where a string belongs is a 400 naming the field', async () => {
    for (const [field, value] of [
      ['language', 123],
      ['language', true],
      ['sessionId', 7],
    ] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/voice/sessions',
        headers: write,
        payload: { sessionId: `types-${field}`, [field]: value },
      });
      expect(res.statusCode, `${field}=${String(value)}`).toBe(400);
      expect(res.json().error.field).toBe(`body.${field}`);
    }
    const listed = await t.app.inject({ url: '/v1/voice/sessions/types-language', headers: write });
    expect(listed.statusCode).toBe(404);
  });

  it('answers a numeric id in a body with INVALID_ID: ids are strings in JSON', async () => {
    const channel = await t.app.inject({
      method: 'POST',
      url: '/v1/channels',
      headers: { ...write, 'x-user-id': 'alice' },
      payload: { title: 'ids', kind: 'group' },
    });
    expect(channel.statusCode).toBe(201);
    const res = await t.app.inject({
      method: 'PUT',
      url: `/v1/channels/${channel.json().id}/read-position`,
      headers: { ...write, 'x-user-id': 'alice', 'content-type': 'application/json' },
      payload: '{"messageId": 386932233476243456}',
    });
    expect(res.statusCode).toBe(400);
    expectCatalogueError(res.json(), 'INVALID_ID', 'body.messageId');
  });
});

describe('user ids', () => {
  it('refuses a user id outside visible ASCII in the header and in a body, with the same code', async () => {
    const header = await t.app.inject({
      method: 'GET',
      url: '/v1/channels',
      headers: { ...write, 'x-user-id': Buffer.from('zoë', 'utf8').toString('latin1') },
    });
    expect(header.statusCode).toBe(400);
    expectCatalogueError(header.json(), 'INVALID_USER_ID', 'headers.x-user-id');
    const body = await t.app.inject({
      method: 'POST',
      url: '/v1/channels',
      headers: { ...write, 'x-user-id': 'alice' },
      payload: { title: 'people', kind: 'group', participants: [{ userId: 'zoë' }] },
    });
    expect(body.statusCode).toBe(400);
    expect(body.json().error.code).toBe('INVALID_USER_ID');
  });
});

describe('page tokens', () => {
  it('refuses a garbled or forged token with 400 INVALID_PAGE_TOKEN, no table names and no store-error metric', async () => {
    const storeErrors = async () =>
      (await t.app.inject({ url: '/metrics' })).body
        .split('\n')
        .filter((l) => l.startsWith('switchboard_store_errors_total'))
        .join('\n');
    const before = await storeErrors();
    const forged = Buffer.from(JSON.stringify([1, 'api_keys', 'x', []])).toString('base64url');
    for (const url of [
      '/v1/voice/sms?phone=%2B919876543210&pageToken=garbage',
      `/v1/voice/sms?phone=%2B919876543210&pageToken=${forged}`,
      `/v1/voice/sessions?phone=%2B919876543210&pageToken=${forged}`,
      '/v1/interactions/sessions/s-1?pageToken=%%%',
      '/v1/interactions/sessions/s-1?page_token=abc',
    ]) {
      const res = await t.app.inject({ url, headers: write });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.code, url).toBe('INVALID_PAGE_TOKEN');
      expect(res.body, url).not.toMatch(/api_keys|table/);
    }
    expect(await storeErrors()).toBe(before);
  });

  it('pages with the tokens it issues, and refuses one route\u2019s token on another', async () => {
    for (let i = 0; i < 3; i += 1) await createSession(`paged-${i}`);
    const first = await t.app.inject({
      url: '/v1/voice/sessions?phone=%2B919876543210&limit=2',
      headers: write,
    });
    expect(first.statusCode).toBe(200);
    const token = first.json().nextPageToken as string;
    expect(token).toEqual(expect.any(String));
    const second = await t.app.inject({
      url: `/v1/voice/sessions?phone=%2B919876543210&limit=2&pageToken=${token}`,
      headers: write,
    });
    expect(second.statusCode).toBe(200);
    expect(second.json().sessions.length).toBeGreaterThan(0);
    const elsewhere = await t.app.inject({
      url: `/v1/voice/sms?phone=%2B919876543210&pageToken=${token}`,
      headers: write,
    });
    expect(elsewhere.statusCode).toBe(400);
    expect(elsewhere.json().error.code).toBe('INVALID_PAGE_TOKEN');
    // One bit flipped: refused.
    const bytes = Buffer.from(token, 'base64url');
    bytes[bytes.length - 1]! ^= 1;
    const flipped = await t.app.inject({
      url: `/v1/voice/sessions?phone=%2B919876543210&limit=2&pageToken=${bytes.toString('base64url')}`,
      headers: write,
    });
    expect(flipped.statusCode).toBe(400);
  });
});

describe('__proto__ keys', () => {
  it('are refused naming where they are, at any depth', async () => {
    const post = (payload: string) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/voice/sessions',
        headers: { ...write, 'content-type': 'application/json' },
        payload,
      });
    for (const [payload, field] of [
      ['{"__proto__":{"admin":true}}', 'body.__proto__'],
      ['{"sessionId":"p-1","memory":{"a":[1,{"__proto__":1}]}}', 'body.memory.a[1].__proto__'],
      ['{"memory":{"\\u005f_proto__":1}}', 'body.__proto__'],
    ] as const) {
      const res = await post(payload);
      expect(res.statusCode, payload).toBe(400);
      expectCatalogueError(res.json(), 'VALIDATION_FAILED', field);
    }
  });
});

describe('framework-level errors', () => {
  it('answers a bad percent-escape in the path in the catalogue shape', async () => {
    const res = await t.app.inject({ url: '/v1/voice/sessions/%E0%A4%A', headers: write });
    expect(res.statusCode).toBe(400);
    expectCatalogueError(res.json(), 'BAD_REQUEST');
  });

  it('answers a wrong method on a known path with 405 and Allow', async () => {
    const res = await t.app.inject({ method: 'DELETE', url: '/v1/voice/gold-price', headers: write });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toMatch(/GET/);
    expectCatalogueError(res.json(), 'METHOD_NOT_ALLOWED');
    const unknown = await t.app.inject({ url: '/v1/nothing-here', headers: write });
    expect(unknown.statusCode).toBe(404);
  });

  it('routes every id a body may create, a trailing slash included; a path id too long is a 400 naming it', async () => {
    // 120 characters: allowed in the body (128), past the router's default of 100.
    const agentId = `a${'x'.repeat(119)}`;
    const supervisor = t.auth(await t.keyWithScope('admin'));
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/callcenter/agents',
      headers: supervisor,
      payload: { agentId, username: `u-${Date.now()}` },
    });
    expect(created.statusCode).toBe(201);
    for (const url of [`/v1/callcenter/agents/${agentId}`, `/v1/callcenter/agents/${agentId}/`]) {
      const res = await t.app.inject({ url, headers: write });
      expect(res.statusCode, url).toBe(200);
      expect(res.json().agentId).toBe(agentId);
    }
    const tooLong = await t.app.inject({ url: `/v1/callcenter/agents/${'y'.repeat(300)}`, headers: write });
    expect(tooLong.statusCode).toBe(400);
    expectCatalogueError(tooLong.json(), 'VALIDATION_FAILED', 'params.agentId');
    // Past what the router matches at all: no route, not a 405 that lists the method asked for.
    const absurd = await t.app.inject({ url: `/v1/callcenter/agents/${'z'.repeat(3000)}`, headers: write });
    expect(absurd.statusCode).toBe(404);
    expectCatalogueError(absurd.json(), 'ROUTE_NOT_FOUND');
  });
});

describe('on a real socket', () => {
  let port: number;
  beforeAll(async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as AddressInfo).port;
  });

  /** Sends raw bytes, returns what came back when the server closed or after `ms`. */
  function raw(data: string, ms = 4000): Promise<string> {
    return new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let got = '';
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(got);
      }, ms);
      socket.on('data', (chunk) => (got += chunk.toString('latin1')));
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(got);
      });
      socket.on('error', () => undefined);
      socket.write(data);
    });
  }

  const bodyOf = (response: string) =>
    JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as unknown;

  it('cuts off stalled uploads with 408 in the catalogue shape and keeps answering', async () => {
    const stalled = Array.from({ length: 50 }, () =>
      raw(
        `POST /v1/keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.adminKey}\r\n` +
          'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"na',
        8000,
      ),
    );
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
    const started = Date.now();
    const answers = await Promise.all(stalled);
    // Node checks every second: each stalled upload is cut off within about two.
    expect(Date.now() - started).toBeLessThan(6000);
    for (const answer of answers) {
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      expectCatalogueError(bodyOf(answer), 'REQUEST_TIMEOUT');
    }
  });

  it('answers oversized headers with 431 and a garbled request line with 400, both in the catalogue shape', async () => {
    const big = await raw(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(big).toMatch(/^HTTP\/1\.1 431/);
    expectCatalogueError(bodyOf(big), 'HEADERS_TOO_LARGE');
    const garbled = await raw('NOT HTTP AT ALL\r\n\r\n');
    expect(garbled).toMatch(/^HTTP\/1\.1 400/);
    expectCatalogueError(bodyOf(garbled), 'BAD_REQUEST');
  });
});
