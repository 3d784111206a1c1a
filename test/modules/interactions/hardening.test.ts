import { afterEach, describe, expect, it } from 'vitest';
import {
  createPipeline,
  drained,
  flakyEngine,
  makeEvent,
  pipelineNames,
  until,
  type FlakyEngine,
  type Pipeline,
} from './helpers.js';

/** Issue 18, items 11 and 12: exact figures under republish; producer last_seen from receive time. */
let pipeline: Pipeline | undefined;
afterEach(async () => {
  await pipeline?.close();
  pipeline = undefined;
});

describe('item 12: producer health uses the receive time', () => {
  it('a past or far-future event timestamp does not decide last_seen; far-future ones are refused', async () => {
    pipeline = await createPipeline();
    const { services } = pipeline;
    const before = Date.now();
    await services.publisher.stt(
      makeEvent('stt', 'call-h1', { instance: 'agent-past', timestamp: '2001-01-01T00:00:00.000Z' }),
    );
    await expect(
      services.publisher.stt(
        makeEvent('stt', 'call-h1', { instance: 'agent-future', timestamp: '9999-12-31T00:00:00.000Z' }),
      ),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', field: 'timestamp', details: { code: 'range' } });
    await expect(
      services.publisher.publishMany([
        { stage: 'llm', event: makeEvent('llm', 'call-h1', { instance: 'agent-future' }) },
        {
          stage: 'llm',
          event: makeEvent('llm', 'call-h1', {
            instance: 'agent-future',
            timestamp: new Date(Date.now() + 3_600_000).toISOString(),
          }),
        },
      ]),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', field: 'events.1.timestamp' });
    // Within the allowed skew (default 300 s) is fine.
    await services.publisher.stt(
      makeEvent('stt', 'call-h1', {
        instance: 'agent-near',
        timestamp: new Date(Date.now() + 60_000).toISOString(),
      }),
    );
    await services.consumer.start();
    await drained(services);
    const after = Date.now();
    const health = await services.queries.health();
    const byInstance = Object.fromEntries(health.producers.map((p) => [p.instance, p.last_seen]));
    expect(Object.keys(byInstance).sort()).toEqual(['agent-near', 'agent-past']);
    for (const seen of Object.values(byInstance)) {
      expect(Date.parse(seen!)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(seen!)).toBeLessThanOrEqual(after);
    }
    expect((await services.queries.sessionInteractions('call-h1')).interactions).toHaveLength(2);
  });
});

describe('item 11: each event_id counted once under republish', () => {
  it('publishing the same event four times counts it once in the summary and the histograms', async () => {
    pipeline = await createPipeline();
    const { services } = pipeline;
    const once = makeEvent('stt', 'call-r1', { latency_ms: 100 });
    const other = makeEvent('stt', 'call-r1', { latency_ms: 300 });
    await services.consumer.start();
    await services.publisher.stt(once);
    await drained(services);
    // Retries: one in a later batch, two more in one batch with another event.
    await services.publisher.stt(once);
    await drained(services);
    await Promise.all([
      services.publisher.stt(once),
      services.publisher.stt(other),
      services.publisher.stt(once),
    ]);
    await drained(services);
    const summary = await services.queries.sessionSummary('call-r1');
    expect(summary).toMatchObject({ event_count: 2 });
    expect(summary!.stages.stt).toMatchObject({ count: 2, latency_total_ms: 400 });
    const t = Date.parse(once.timestamp);
    const latency = await services.queries.stageLatency({
      stage: 'stt',
      from: new Date(t - 3_600_000),
      to: new Date(t + 3_600_000),
    });
    expect(latency.overall.count).toBe(2);
    expect((await services.queries.sessionInteractions('call-r1')).interactions).toHaveLength(2);
  });

  it('an event without timestamp republished with the same event_id is one row and counted once', async () => {
    pipeline = await createPipeline();
    const { services, ctx } = pipeline;
    const { timestamp: _drop, ...bare } = makeEvent('llm', 'call-r2');
    await services.publisher.llm(bare);
    await new Promise((r) => setTimeout(r, 5));
    await services.publisher.llm(bare);
    // And once more straight on the log, as a producer in another language would retry.
    await ctx.eventLog.publish(pipelineNames(ctx.config).llm, [
      { key: 'call-r2', value: JSON.stringify({ ...bare, timestamp: new Date().toISOString() }) },
    ]);
    await services.consumer.start();
    await drained(services);
    expect((await services.queries.sessionInteractions('call-r2')).interactions).toHaveLength(1);
    expect(await services.queries.sessionSummary('call-r2')).toMatchObject({ event_count: 1 });
  });

  it('stays exact when a consumer crashes between snapshot writes and another takes over with other batches', async () => {
    let flaky: FlakyEngine | undefined;
    pipeline = await createPipeline({
      env: { SWITCHBOARD_INTERACTIONS_STORE_BATCH_OPS: '4' },
      wrap: (engine) => (flaky = flakyEngine(engine)),
    });
    const { services } = pipeline;
    const sessions = Array.from({ length: 12 }, (_, i) => `call-rc-${i}`);
    const events = sessions.flatMap((s) =>
      Array.from({ length: 4 }, (_, k) => makeEvent('tts', s, { latency_ms: 10 * (k + 1) })),
    );
    // Every event published twice, the copies interleaved with later originals.
    for (const e of events) await services.publisher.tts(e);
    for (const e of events) await services.publisher.tts(e);
    let snapshotWrites = 0;
    flaky!.failBatch = (ops) => {
      if (
        ops.some((op) => op.table.name === 'session_summaries' || op.table.name === 'performance_metrics')
      ) {
        snapshotWrites += 1;
      }
      return snapshotWrites > 2;
    };
    await services.consumer.start();
    await until('the crash', () => flaky!.failures > 0);
    await services.consumer.stop();
    flaky!.failBatch = null;
    const restarted = pipeline.restart({ batch_size: 7 });
    await restarted.consumer.start();
    await drained(restarted);
    for (const s of sessions) {
      expect(await restarted.queries.sessionSummary(s)).toMatchObject({ event_count: 4 });
      expect(await restarted.queries.sessionSummary(s).then((x) => x!.stages.tts)).toMatchObject({
        count: 4,
        latency_total_ms: 100,
      });
      expect((await restarted.queries.sessionInteractions(s)).interactions).toHaveLength(4);
    }
    const times = events.map((e) => Date.parse(e.timestamp));
    const { overall } = await restarted.queries.stageLatency({
      stage: 'tts',
      from: new Date(Math.min(...times)),
      to: new Date(Math.max(...times) + 1),
    });
    expect(overall.count).toBe(events.length);
  });
});
