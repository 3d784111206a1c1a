import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { Worker } from '../../src/modules/module.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

/**
 * /metrics when workers keep registries of their own (the interactions consumer on its thread,
 * the default in `serve`): their series are merged into the process's, and the result must
 * still be what a plain registry would expose.
 */
let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function threadedServer(): Promise<TestServer> {
  server = await createTestServer({
    env: {
      SWITCHBOARD_INTERACTIONS_CONSUMER_THREAD: 'true',
      SWITCHBOARD_INTERACTIONS_BATCH_WAIT_MS: '5',
      SWITCHBOARD_EVENT_LOG_PARTITIONS: '2',
      SWITCHBOARD_SERVER_READY_TIMEOUT_MS: '300',
    },
  });
  return server;
}

/** A worker that keeps its metrics elsewhere and answers with `metrics`. */
function fakeWorker(name: string, metrics: Worker['metrics']): Worker {
  return { name, start: async () => undefined, stop: async () => undefined, metrics };
}

function withWorkers(s: TestServer, extra: Worker[]): void {
  const workers = s.switchboard.workers.bind(s.switchboard);
  s.switchboard.workers = () => [...workers(), ...extra];
}

/** One metric as prom-client's getMetricsAsJSON reports it, with one series. */
function metricJson(
  name: string,
  type: 'counter' | 'gauge',
  labels: Record<string, string>,
  value: number,
): MetricObjectWithValues<MetricValue<string>> {
  return { name, help: `${name} help`, type, aggregator: 'sum', values: [{ labels, value }] } as never;
}

/** Problems with a Prometheus text exposition: repeated HELP / TYPE, repeated series, unparsable lines. */
function expositionProblems(text: string): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const comment = /^# (HELP|TYPE) (\S+)/.exec(line);
    const key = comment ? `${comment[1]} ${comment[2]}` : line.slice(0, line.lastIndexOf(' '));
    if (!comment && !/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? \S+$/.test(line))
      problems.push(`unparsable: ${line}`);
    if (seen.has(key)) problems.push(`repeated: ${key}`);
    seen.add(key);
  }
  return problems;
}

describe('/metrics merged with workers on their own threads', () => {
  it("keeps the process's own series, the start time included, and stays a valid exposition", async () => {
    const s = await threadedServer();
    await s.switchboard.startWorkers();
    const res = await s.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/^process_start_time_seconds \d+/m);
    expect(res.body).toMatch(/^nodejs_version_info\{/m);
    // Reported by both registries (the thread's store connection and the process's): once each.
    expect(res.body).toContain('# TYPE switchboard_store_operation_seconds histogram');
    expect(expositionProblems(res.body)).toEqual([]);
  });

  it('serves the process metrics when a worker cannot answer, however it fails', async () => {
    const s = await threadedServer();
    withWorkers(s, [
      fakeWorker('rejects', () => Promise.reject(new Error('thread gone'))),
      fakeWorker('throws', () => {
        throw new Error('not a promise');
      }),
      fakeWorker('hangs', () => new Promise(() => undefined)),
    ]);
    const asked = Date.now();
    const res = await s.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    // No longer than /ready waits for a worker ([server] ready_timeout_ms, 300 here).
    expect(Date.now() - asked).toBeLessThan(2_000);
    expect(res.body).toContain('process_cpu_user_seconds_total');
    expect(expositionProblems(res.body)).toEqual([]);
  });

  it('merges a state gauge that several registries report by its worst value, not their sum', async () => {
    const s = await threadedServer();
    const breaker = (value: number) => async () => [
      metricJson('switchboard_store_breaker_state', 'gauge', { engine: 'scylladb' }, value),
    ];
    withWorkers(s, [fakeWorker('a', breaker(2)), fakeWorker('b', breaker(2)), fakeWorker('c', breaker(0))]);
    const res = await s.app.inject({ method: 'GET', url: '/metrics' });
    // Two connections with an open breaker are "open" (2), not 4: a value the gauge does not define.
    expect(res.body).toContain('switchboard_store_breaker_state{engine="scylladb"} 2\n');
  });

  it('sums counters that several registries report', async () => {
    const s = await threadedServer();
    const counter = (value: number) => async () => [
      metricJson('test_merged_total', 'counter', { topic: 't' }, value),
    ];
    withWorkers(s, [fakeWorker('a', counter(3)), fakeWorker('b', counter(4))]);
    const res = await s.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.body).toContain('test_merged_total{topic="t"} 7\n');
    expect(expositionProblems(res.body)).toEqual([]);
  });
});
