import { afterEach, describe, expect, it } from 'vitest';
import { interactionsByStageHour } from '../../../src/modules/interactions/tables.js';
import { createPipeline, drained, makeEvent, pipelineNames, until, type Pipeline } from './helpers.js';

let pipeline: Pipeline | undefined;
afterEach(async () => {
  await pipeline?.close();
  pipeline = undefined;
});

describe('interactions pipeline (embedded log and store)', () => {
  it('round-trips one turn into every table', async () => {
    pipeline = await createPipeline();
    const { services, ctx } = pipeline;
    const stt = makeEvent('stt', 'call-1', { latency_ms: 210.5 });
    const llm = makeEvent('llm', 'call-1', { latency_ms: 820 });
    const tts = makeEvent('tts', 'call-1', { latency_ms: 95 });
    await services.publisher.stt(stt);
    await services.publisher.llm(llm);
    await services.publisher.tts(tts);
    await services.consumer.start();
    await drained(services);

    const { interactions } = await services.queries.sessionInteractions('call-1');
    expect(interactions.map((i) => i.stage)).toEqual(['stt', 'llm', 'tts']);
    expect(interactions[0]).toMatchObject({
      event_id: stt.event_id,
      transcript: 'hello there',
      confidence: 0.93,
      latency_ms: 210.5,
    });
    expect(interactions[1]).toMatchObject({
      response_text: 'Hi! How can I help?',
      prompt_tokens: 120,
      finish_reason: 'stop',
    });
    expect(interactions[2]).toMatchObject({
      voice: 'alloy',
      time_to_first_byte_ms: 90,
      model_params: { region: 'eu' },
    });

    const hour = new Date(Math.floor(Date.parse(llm.timestamp) / 3_600_000) * 3_600_000);
    const byHour = await ctx.wideColumn.slice(interactionsByStageHour, {
      key: { stage: 'llm', hour_bucket: hour },
    });
    expect(byHour.rows.map((r) => r.event_id)).toEqual([llm.event_id]);

    const summary = await services.queries.sessionSummary('call-1');
    expect(summary).toMatchObject({
      event_count: 3,
      first_event_at: stt.timestamp,
      last_event_at: tts.timestamp,
      prompt_tokens: 120,
      completion_tokens: 12,
      audio_seconds: 2.7,
    });
    expect(summary!.stages.llm).toMatchObject({ count: 1, latency_total_ms: 820, latency_mean_ms: 820 });

    const latency = await services.queries.stageLatency({
      stage: 'stt',
      from: new Date(Date.parse(stt.timestamp) - 60_000),
      to: new Date(Date.parse(stt.timestamp) + 60_000),
    });
    expect(latency.overall).toMatchObject({ count: 1, max_ms: 210.5, p50_ms: 210.5 });
    const hourly = await services.queries.stageLatency({
      stage: 'stt',
      from: hour,
      to: new Date(hour.getTime() + 3_600_000),
      resolution: 'hour',
    });
    expect(hourly.buckets).toHaveLength(1);
    expect(hourly.overall.count).toBe(1);

    await until(
      'a consumer heartbeat after the catch-up',
      async () => (await services.queries.health()).consumers[0]?.lag === 0,
    );
    const health = await services.queries.health();
    expect(health.consumers[0]).toMatchObject({ status: 'running', lag: 0 });
    // last_seen is when the events were received (issue 18), not their own (2025) timestamps.
    expect(health.producers).toEqual([expect.objectContaining({ instance: 'agent-1' })]);
    expect(Date.parse(health.producers[0]!.last_seen!)).toBeGreaterThan(Date.parse(tts.timestamp));
    expect(health.total_lag).toBe(0);
    // Nothing invalid, so error_logs stays empty.
    expect(await services.queries.recentErrors({ days: 3650 })).toEqual([]);
  });

  it('sends a poison event to error_logs and stores the rest of its batch', async () => {
    pipeline = await createPipeline();
    const { services, ctx } = pipeline;
    const good1 = makeEvent('stt', 'call-p');
    const good2 = makeEvent('stt', 'call-p');
    await services.publisher.stt(good1);
    // Published straight to the log, as a buggy producer in another language could.
    await ctx.eventLog.publish(pipelineNames(ctx.config).stt, [
      { key: 'call-p', value: JSON.stringify({ ...makeEvent('stt', 'call-p'), confidence: 7 }) },
      { key: 'call-p', value: '{not json' },
    ]);
    await services.publisher.stt(good2);
    await services.consumer.start();
    await drained(services);

    const { interactions } = await services.queries.sessionInteractions('call-p');
    expect(interactions.map((i) => i.event_id)).toEqual([good1.event_id, good2.event_id]);
    expect((await services.queries.sessionSummary('call-p'))!.event_count).toBe(2);
    const errors = await services.queries.recentErrors({ days: 3650 });
    expect(errors).toHaveLength(2);
    const byCode = Object.fromEntries(errors.map((e) => [e.code, e]));
    expect(byCode.range).toMatchObject({
      kind: 'invalid',
      field: 'confidence',
      topic: pipelineNames(ctx.config).stt,
      session_id: 'call-p',
    });
    expect(byCode.range!.raw_payload).toContain('"confidence":7');
    expect(byCode.malformed_json).toMatchObject({ raw_payload: '{not json' });
    const invalid = await ctx.metrics.getSingleMetricAsString('switchboard_interactions_invalid_total');
    expect(invalid).toContain('code="range"');
  });

  it('keeps each session in time order across stages and interleaved sessions', async () => {
    pipeline = await createPipeline();
    const { services } = pipeline;
    const published: Record<string, string[]> = {};
    for (let turn = 0; turn < 20; turn += 1) {
      for (const session of ['a', 'b', 'c']) {
        for (const stage of ['stt', 'llm', 'tts'] as const) {
          const e = makeEvent(stage, session, { turn_id: `t${turn}` });
          await services.publisher.publish(stage, e);
          (published[session] ??= []).push(e.event_id);
        }
      }
    }
    await services.consumer.start();
    await drained(services);
    for (const session of ['a', 'b', 'c']) {
      const ids: string[] = [];
      let pageToken: string | null = null;
      do {
        const page: Awaited<ReturnType<typeof services.queries.sessionInteractions>> =
          await services.queries.sessionInteractions(session, { limit: 7, pageToken });
        ids.push(...page.interactions.map((i) => i.event_id as string));
        pageToken = page.nextPageToken;
      } while (pageToken);
      expect(ids).toEqual(published[session]);
    }
  });

  it('computes stage percentiles that match an exact computation within the histogram bound', async () => {
    pipeline = await createPipeline();
    const { services } = pipeline;
    const latencies: number[] = [];
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) + 1) / (2 ** 31 + 1);
    const events = [];
    for (let i = 0; i < 3000; i += 1) {
      const z = Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
      const latency = Math.round(800 * Math.exp(0.5 * z) * 1000) / 1000;
      latencies.push(latency);
      events.push({ stage: 'llm', event: makeEvent('llm', `s-${i % 50}`, { latency_ms: latency }) });
    }
    for (let i = 0; i < events.length; i += 500)
      await services.publisher.publishMany(events.slice(i, i + 500));
    await services.consumer.start();
    await drained(services);
    const times = events.map((e) => Date.parse((e.event as { timestamp: string }).timestamp));
    const from = new Date(Math.min(...times) - 3_600_000);
    const to = new Date(Math.max(...times) + 3_600_000);
    const sorted = [...latencies].sort((a, b) => a - b);
    const exact = (p: number) => sorted[Math.ceil((p / 100) * sorted.length) - 1]!;
    for (const resolution of ['minute', 'hour'] as const) {
      const { overall } = await services.queries.stageLatency({ stage: 'llm', from, to, resolution });
      expect(overall.count).toBe(3000);
      expect(overall.max_ms).toBe(sorted[sorted.length - 1]);
      for (const [p, got] of [
        [50, overall.p50_ms],
        [95, overall.p95_ms],
        [99, overall.p99_ms],
      ] as const) {
        // The bound stated in histogram.ts: exact/256 + 1 µs.
        expect(Math.abs(got! - exact(p))).toBeLessThanOrEqual(exact(p) / 256 + 0.001);
      }
    }
  });
});
