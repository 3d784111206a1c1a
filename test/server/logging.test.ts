import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/app/logger.js';
import { SwitchboardError } from '../../src/errors/index.js';
import { loadConfig } from '../../src/config/index.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

describe('request logs', () => {
  let t: TestServer;
  const lines: string[] = [];
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(
          ...chunk
            .toString()
            .split('\n')
            .filter((l) => l !== ''),
        );
        done();
      },
    });
    const config = loadConfig({ path: undefined, env: { SWITCHBOARD_SERVER_LOG_LEVEL: 'debug' } });
    t = await createTestServer({
      logger: createLogger(config, sink),
      routes(v1) {
        v1.post('/test/sms/:phone', async () => {
          // A module error carrying the user data it failed on, as driver and module errors often do.
          throw new TypeError('could not text +15557654321: "my private note"');
        });
        v1.get('/test/dependency', async () => {
          throw new SwitchboardError('STORE_UNAVAILABLE', 'insert failed for session memory {"pin":"8842"}', {
            cause: new Error('row (+15550001111, "hello from the caller") refused'),
          });
        });
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('log one line per request with id, route pattern and status, and never keys, phones or bodies', async () => {
    const phone = '+15551234567';
    const body = { text: 'my secret message', memory: { card: '4111111111111111' } };
    await t.app.inject({
      method: 'POST',
      url: `/v1/test/sms/${encodeURIComponent(phone)}?to=${encodeURIComponent(phone)}`,
      headers: { ...t.auth(t.adminKey), 'x-request-id': 'req-log-1' },
      payload: body,
    });
    await t.app.inject({ method: 'GET', url: `/unknown/${phone}`, headers: t.auth(t.adminKey) });
    await t.app.inject({ method: 'GET', url: '/v1/test/dependency', headers: t.auth(t.adminKey) });
    await t.app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: t.auth(t.adminKey),
      payload: { name: 'log-test', scope: 'read' },
    });

    const all = lines.join('\n');
    expect(all).not.toContain(t.adminKey);
    expect(all).not.toContain('5551234567');
    expect(all).not.toContain('my secret message');
    expect(all).not.toContain('4111111111111111');
    // The created key's secret is in the response only.
    expect(all).not.toMatch(/sb_[A-Za-z0-9_-]{20,}/);

    const completed = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request completed');
    expect(completed).toContainEqual(
      expect.objectContaining({
        reqId: 'req-log-1',
        method: 'POST',
        path: '/v1/test/sms/:phone',
        status: 500,
      }),
    );
    expect(completed).toContainEqual(expect.objectContaining({ path: '/unknown/<n>', status: 404 }));
    // Errors thrown with user data in their messages: logged by class, code and frames only.
    for (const leaked of ['5557654321', 'my private note', '8842', '5550001111', 'hello from the caller']) {
      expect(all).not.toContain(leaked);
    }
    const unhandled = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'unhandled error');
    expect(unhandled.error).toMatchObject({ type: 'TypeError', stack: expect.stringContaining('at ') });
    const dependency = lines.map((l) => JSON.parse(l)).find((l) => l.msg?.startsWith('request failed'));
    expect(dependency).toMatchObject({ code: 'STORE_UNAVAILABLE', error: { cause: { type: 'Error' } } });
  });
});

describe('the process logger', () => {
  it('logs errors from any component by class, code and stack, never by their message', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger(loadConfig({ path: undefined, env: {} }), sink);
    const cause = Object.assign(new Error('duplicate key (phone)=(+919876543210)'), { code: '23505' });
    log.warn(
      { err: new SwitchboardError('STORE_UNAVAILABLE', 'memory {"pin":"8842"} not saved', { cause }) },
      'retry',
    );
    log.error({ error: new TypeError('text "hello from the caller" refused') }, 'worker failed');
    const output = lines.join('');
    for (const secret of ['+919876543210', '8842', 'hello from the caller'])
      expect(output).not.toContain(secret);
    const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);
    expect(first!.err).toMatchObject({
      type: 'SwitchboardError',
      code: 'STORE_UNAVAILABLE',
      cause: { code: '23505' },
    });
    expect(second!.error).toMatchObject({ type: 'TypeError' });
    expect(String(second!.error!.stack)).toMatch(/at /);
  });
});
