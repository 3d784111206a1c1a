import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwitchboardError } from '../../src/errors/index.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

describe('HTTP error handling', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await createTestServer({
      bodyLimit: 4096,
      routes(v1) {
        v1.get('/test/boom', async () => {
          throw new Error('secret internal detail at db.query');
        });
        v1.get('/test/conflict', async () => {
          throw new SwitchboardError('CONFLICT', 'already there', { field: 'body.id', details: { id: 'x' } });
        });
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const post = (payload: string, contentType = 'application/json', more: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/keys',
      payload,
      headers: { ...t.auth(t.adminKey), 'content-type': contentType, ...more },
    });

  it('malformed JSON is 400 MALFORMED_JSON', async () => {
    const res = await post('{"name": "x", ');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'MALFORMED_JSON', field: 'body' });
  });

  it('an empty JSON body is 400 MALFORMED_JSON', async () => {
    const res = await post('');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'MALFORMED_JSON', field: 'body' });
  });

  it('a wrong type names the field', async () => {
    const res = await post(JSON.stringify({ name: { no: 1 }, scope: 'read' }));
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'body.name' });
  });

  it('a value outside a fixed set names the field and the values it may take', async () => {
    const res = await post(JSON.stringify({ name: 'robot', scope: 'root' }));
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'body.scope',
      message: 'body.scope must be one of "read", "write", "admin"',
      details: { rule: 'enum', allowed: ['read', 'write', 'admin'] },
    });
  });

  it('a missing property names the field', async () => {
    const res = await post(JSON.stringify({ name: 'robot' }));
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'body.scope' });
    expect(res.json().error.message).toContain('body.scope');
  });

  it('an unexpected property is refused, not silently dropped', async () => {
    const res = await post(JSON.stringify({ name: 'robot', scope: 'read', admin: true }));
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'body.admin' });
  });

  it('an oversized body is 413 BODY_TOO_LARGE', async () => {
    const res = await post(JSON.stringify({ name: 'x'.repeat(10_000), scope: 'read' }));
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toMatchObject({ code: 'BODY_TOO_LARGE', field: 'body' });
  });

  it('a non-JSON content type is 415', async () => {
    const res = await post('name=robot&scope=read', 'application/x-www-form-urlencoded');
    expect(res.statusCode).toBe(415);
    expect(res.json().error).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', field: 'headers.content-type' });
    const text = await post('hello', 'text/plain');
    expect(text.statusCode).toBe(415);
    // A coding nothing decompresses is refused, not parsed as if absent.
    const key = (name: string) => JSON.stringify({ name, scope: 'read' });
    const gzip = await post(key('zipped'), 'application/json', { 'content-encoding': 'gzip' });
    expect(gzip.statusCode).toBe(415);
    expect(gzip.json().error).toMatchObject({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      field: 'headers.content-encoding',
    });
    const identity = await post(key('plain'), 'application/json', { 'content-encoding': 'identity' });
    expect(identity.statusCode).toBe(201);
  });

  it('a SwitchboardError keeps its status, code, field and details', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/test/conflict', headers: t.auth(t.adminKey) });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({
      error: {
        code: 'CONFLICT',
        message: 'already there',
        field: 'body.id',
        details: { id: 'x' },
        requestId: res.headers['x-request-id'],
      },
    });
  });

  it('an unexpected error is a bare 500 INTERNAL: no stack, no internal message', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/test/boom', headers: t.auth(t.adminKey) });
    expect(res.statusCode).toBe(500);
    const body = res.json();
    expect(body.error.code).toBe('INTERNAL');
    expect(res.body).not.toContain('secret internal detail');
    expect(res.body).not.toMatch(/at .*\.(ts|js)/);
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'requestId']);
  });
});
