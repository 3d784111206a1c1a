import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createTestServer } from '../helpers/server.js';
import { eventually } from '../helpers/services.js';

/**
 * Issue 23, item 6: a request that arrives while the server is closing is refused in the
 * catalogue's shape (code, message, requestId) with Retry-After, not Fastify's bare
 * `{"error":"Service Unavailable","statusCode":503}`.
 */
describe('a request arriving during shutdown', () => {
  it('gets 503 SHUTTING_DOWN in the catalogue shape with a request id and Retry-After', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let entered = false;
    const t = await createTestServer({
      routes: (v1) => {
        v1.get('/test/slow', async () => {
          entered = true;
          await released;
          return { ok: true };
        });
      },
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const socket = connect({ host: '127.0.0.1', port });
    let raw = '';
    socket.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    const auth = `Authorization: Bearer ${t.adminKey}\r\n`;
    socket.write(`GET /v1/test/slow HTTP/1.1\r\nHost: t\r\n${auth}\r\n`);
    expect(await eventually(async () => entered, 10_000, 10)).toBe(true);
    const closing = t.app.close();
    // A pipelined request on the busy connection: parsed once the first one is answered.
    socket.write(`GET /v1/keys HTTP/1.1\r\nHost: t\r\n${auth}\r\n`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await closing;
    await Promise.race([
      ended,
      eventually(
        async () => /"requestId"|Service Unavailable"}/.test(raw.split('HTTP/1.1 ')[2] ?? ''),
        5_000,
        20,
      ),
    ]);
    socket.destroy();
    await t.switchboard.close();

    const responses = raw.split(/(?=HTTP\/1\.1 )/);
    expect(responses[0]).toMatch(/^HTTP\/1\.1 200/);
    const refused = responses[1] ?? '';
    expect(refused).toMatch(/^HTTP\/1\.1 503/);
    expect(refused).toMatch(/\r\nretry-after: \d+\r\n/i);
    expect(refused).toMatch(/\r\nconnection: close\r\n/i);
    const body = JSON.parse(refused.slice(refused.indexOf('\r\n\r\n') + 4)) as {
      error: { code: string; message: string; requestId: string };
    };
    expect(body.error).toMatchObject({ code: 'SHUTTING_DOWN', message: expect.any(String) });
    expect(body.error.requestId).toMatch(/.+/);
  });
});
