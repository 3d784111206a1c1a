import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../helpers/server.js';
import { TEST_ENV, drained, makeEvent, pipelineNames } from './helpers.js';

let server: TestServer;
let headers: { authorization: string };

beforeAll(async () => {
  server = await createTestServer({ env: TEST_ENV });
  headers = server.auth(await server.keyWithScope('write'));
});
afterAll(async () => {
  await server.close();
});

const interactions = () => server.switchboard.services.interactions;
const names = () => pipelineNames(server.switchboard.context.config);

async function totalEnd(): Promise<number> {
  const lag = await interactions().consumer.lag();
  if (lag) return lag.reduce((s, l) => s + Number(l.end), 0);
  const c = server.switchboard.context.eventLog.consumer({
    group: 'probe',
    topics: names().topics,
  });
  return (await c.lag()).reduce((s, l) => s + Number(l.end), 0);
}

describe('POST /v1/interactions', () => {
  it('accepts one event and returns its id', async () => {
    const { event_id: _omit, ...event } = makeEvent('stt', 'http-1');
    const res = await server.app.inject({
      method: 'POST',
      url: '/v1/interactions',
      headers,
      payload: { stage: 'stt', ...event },
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ accepted: 1, events: [{ stage: 'stt', topic: names().stt }] });
    expect(Object.keys(res.json().events[0]).sort()).toEqual(['event_id', 'stage', 'topic']);
    expect(res.json().events[0].event_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('names the field of an invalid single event', async () => {
    const res = await server.app.inject({
      method: 'POST',
      url: '/v1/interactions',
      headers,
      payload: { stage: 'llm', ...makeEvent('llm', 'http-1', { temperature: 9 }) },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'body.temperature' });
  });

  it('rejects a batch with invalid events whole, listing each by index and field', async () => {
    const before = await totalEnd();
    const res = await server.app.inject({
      method: 'POST',
      url: '/v1/interactions',
      headers,
      payload: {
        events: [
          { stage: 'stt', ...makeEvent('stt', 'http-2') },
          { stage: 'stt', ...makeEvent('stt', 'http-2', { confidence: -0.5 }) },
          { stage: 'tts', ...makeEvent('tts', 'http-2') },
          { stage: 'asr', ...makeEvent('tts', 'http-2') },
          'not an object',
        ],
      },
    });
    expect(res.statusCode).toBe(400);
    const error = res.json().error;
    expect(error.field).toBe('body.events.1.confidence');
    expect(error.details.errors).toEqual([
      expect.objectContaining({ index: 1, field: 'body.events.1.confidence', code: 'range' }),
      expect.objectContaining({ index: 3, field: 'body.events.3.stage', code: 'type' }),
      expect.objectContaining({ index: 4, field: 'body.events.4', code: 'type' }),
    ]);
    expect(await totalEnd()).toBe(before); // nothing of the batch was published
  });

  it('documents the event schemas of its body in /docs/json, and refuses a body that is not an object', async () => {
    const doc = (await server.app.inject({ url: '/docs/json', headers })).json();
    const body = doc.paths['/v1/interactions'].post.requestBody.content['application/json'].schema;
    const variants = JSON.stringify(body);
    for (const field of ['transcript', 'prompt_tokens', 'time_to_first_byte_ms', 'session_id', 'events'])
      expect(variants).toContain(`"${field}"`);
    const llm = (body.anyOf as { title?: string; required?: string[] }[])
      .flatMap((v) => ('anyOf' in v ? (v.anyOf as { title?: string; required?: string[] }[]) : [v]))
      .find((v) => v.title === 'llm event');
    expect(llm?.required).toContain('prompt_tokens');
    expect(llm?.required).not.toContain('event_id');
    for (const payload of ['[1,2]', '42', '"stt"']) {
      const res = await server.app.inject({
        method: 'POST',
        url: '/v1/interactions',
        headers: { ...headers, 'content-type': 'application/json' },
        payload,
      });
      expect(res.statusCode, payload).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('refuses an empty batch instead of accepting nothing', async () => {
    const res = await server.app.inject({
      method: 'POST',
      url: '/v1/interactions',
      headers,
      payload: { events: [] },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'body.events' });
  });

  it('counts batch publishes in the publish latency histogram', async () => {
    const count = async () => {
      const metric = await server.switchboard.context.metrics
        .getSingleMetric('switchboard_interactions_publish_seconds')
        ?.get();
      return (metric?.values ?? [])
        .filter(
          (v) =>
            (v as { metricName?: string }).metricName === 'switchboard_interactions_publish_seconds_count',
        )
        .reduce((sum, v) => sum + v.value, 0);
    };
    const before = await count();
    const res = await server.app.inject({
      method: 'POST',
      url: '/v1/interactions',
      headers,
      payload: { events: [{ stage: 'tts', ...makeEvent('tts', 'http-metrics') }] },
    });
    expect(res.statusCode).toBe(202);
    expect(await count()).toBe(before + 1);
  });

  it('requires the write scope', async () => {
    const read = server.auth(await server.keyWithScope('read'));
    const res = await server.app.inject({
      method: 'POST',
      url: '/v1/interactions',
      headers: read,
      payload: { stage: 'stt', ...makeEvent('stt', 'http-1') },
    });
    expect(res.statusCode).toBe(403);
  });
});

describe('GET /v1/interactions/...', () => {
  it('serves a session, its summary, latency, errors and health once consumed', async () => {
    const events = [makeEvent('stt', 'http-3'), makeEvent('llm', 'http-3'), makeEvent('tts', 'http-3')];
    const post = await server.app.inject({
      method: 'POST',
      url: '/v1/interactions',
      headers,
      payload: { events: events.map((e, i) => ({ stage: ['stt', 'llm', 'tts'][i], ...e })) },
    });
    expect(post.statusCode).toBe(202);
    await server.switchboard.context.eventLog.publish(names().tts, [{ key: 'http-3', value: '{"broken":' }]);
    await interactions().consumer.start();
    await drained(interactions());

    const page1 = await server.app.inject({ url: '/v1/interactions/sessions/http-3?limit=2', headers });
    expect(page1.statusCode).toBe(200);
    expect(page1.json().interactions.map((i: { stage: string }) => i.stage)).toEqual(['stt', 'llm']);
    const page2 = await server.app.inject({
      url: `/v1/interactions/sessions/http-3?limit=2&page_token=${encodeURIComponent(page1.json().next_page_token)}`,
      headers,
    });
    expect(page2.json().interactions).toEqual([expect.objectContaining({ stage: 'tts', voice: 'alloy' })]);

    const summary = await server.app.inject({ url: '/v1/interactions/sessions/http-3/summary', headers });
    expect(summary.json()).toMatchObject({
      event_count: 3,
      stages: { llm: { count: 1, prompt_tokens: 120 } },
    });
    const missing = await server.app.inject({ url: '/v1/interactions/sessions/nobody/summary', headers });
    expect(missing.statusCode).toBe(404);

    const from = new Date(Date.parse(events[0]!.timestamp) - 120_000).toISOString();
    const to = new Date(Date.parse(events[0]!.timestamp) + 120_000).toISOString();
    const latency = await server.app.inject({
      url: `/v1/interactions/latency?stage=llm&from=${from}&to=${to}&resolution=hour`,
      headers,
    });
    expect(latency.statusCode).toBe(200);
    expect(latency.json().overall).toMatchObject({ count: 1, p99_ms: 100, max_ms: 100 });

    const errors = await server.app.inject({ url: '/v1/interactions/errors?limit=5', headers });
    expect(errors.json().errors).toEqual([
      expect.objectContaining({ code: 'malformed_json', topic: names().tts }),
    ]);

    const health = await server.app.inject({ url: '/v1/interactions/health', headers });
    expect(health.statusCode).toBe(200);
    expect(health.json().total_lag).toBe(0);

    const ready = await server.app.inject({ url: '/ready' });
    expect(ready.json().workers['interactions-consumer']).toMatchObject({ ok: true });
    const metrics = await server.app.inject({ url: '/metrics' });
    expect(metrics.body).toContain(`switchboard_interactions_consumed_total{topic="${names().llm}"} 1`);
  });
});
