import { afterEach, describe, expect, it } from 'vitest';
import type { EventByStage, Stage } from '../../../src/modules/interactions/events.js';
import type { InteractionServices } from '../../../src/modules/interactions/module.js';
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

let pipeline: Pipeline | undefined;
afterEach(async () => {
  await pipeline?.close();
  pipeline = undefined;
});

type Published = { stage: Stage; event: EventByStage[Stage] };

/** Interleaved turns of `sessions` calls, published in batches through the library publisher. */
async function publishCalls(
  services: InteractionServices,
  sessions: number,
  turns: number,
): Promise<Published[]> {
  const all: Published[] = [];
  for (let turn = 0; turn < turns; turn += 1) {
    for (let s = 0; s < sessions; s += 1) {
      for (const stage of ['stt', 'llm', 'tts'] as const) {
        all.push({
          stage,
          event: makeEvent(stage, `call-${s}`, {
            turn_id: `t${turn}`,
            latency_ms: 50 + ((s * 31 + turn * 7) % 400),
          }),
        });
      }
    }
  }
  for (let i = 0; i < all.length; i += 250) await services.publisher.publishMany(all.slice(i, i + 250));
  return all;
}

/** Every session holds exactly its events once, and summaries and metrics count each event once. */
async function expectExact(services: InteractionServices, published: Published[]): Promise<void> {
  const bySession = new Map<string, Published[]>();
  for (const p of published) {
    const list = bySession.get(p.event.session_id) ?? [];
    list.push(p);
    bySession.set(p.event.session_id, list);
  }
  for (const [session, events] of bySession) {
    const ids: string[] = [];
    let pageToken: string | null = null;
    do {
      const page: Awaited<ReturnType<InteractionServices['queries']['sessionInteractions']>> =
        await services.queries.sessionInteractions(session, { limit: 1000, pageToken });
      ids.push(...page.interactions.map((i) => i.event_id as string));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(ids).toEqual(events.map((e) => e.event.event_id));
    const summary = (await services.queries.sessionSummary(session))!;
    expect(summary.event_count).toBe(events.length);
    for (const stage of ['stt', 'llm', 'tts'] as const) {
      const mine = events.filter((e) => e.stage === stage);
      expect(summary.stages[stage]!.count).toBe(mine.length);
      expect(summary.stages[stage]!.latency_total_ms).toBeCloseTo(
        mine.reduce((sum, e) => sum + e.event.latency_ms, 0),
        6,
      );
    }
  }
  const times = published.map((p) => Date.parse(p.event.timestamp));
  for (const stage of ['stt', 'llm', 'tts'] as const) {
    const { overall } = await services.queries.stageLatency({
      stage,
      from: new Date(Math.min(...times)),
      to: new Date(Math.max(...times) + 1),
    });
    expect(overall.count).toBe(published.filter((p) => p.stage === stage).length);
  }
}

describe('interactions delivery guarantees', () => {
  it('a consumer killed mid-batch and restarted loses nothing, duplicates nothing, and counts exactly', async () => {
    let flaky: FlakyEngine | undefined;
    pipeline = await createPipeline({
      env: { SWITCHBOARD_INTERACTIONS_STORE_BATCH_OPS: '20' },
      wrap: (engine) => (flaky = flakyEngine(engine)),
    });
    const published = await publishCalls(pipeline.services, 30, 8); // 720 events
    // The "crash": after the event rows and a few snapshot writes went through, every store
    // write fails, leaving some sessions' and buckets' snapshots written and others not.
    let snapshotWrites = 0;
    flaky!.failBatch = (ops) => {
      if (
        ops.some((op) => op.table.name === 'session_summaries' || op.table.name === 'performance_metrics')
      ) {
        snapshotWrites += 1;
      }
      return snapshotWrites > 3;
    };
    await pipeline.services.consumer.start();
    await until('the crash', () => flaky!.failures > 0);
    await pipeline.services.consumer.stop(); // killed: its batch is never committed

    flaky!.failBatch = null;
    // A new process, with other batch boundaries, takes over and is handed the batch again.
    const restarted = pipeline.restart({ batch_size: 97 });
    await restarted.consumer.start();
    await drained(restarted);
    await expectExact(restarted, published);
    const redelivered = await pipeline.ctx.metrics
      .getSingleMetric('switchboard_interactions_redeliveries_total')!
      .get();
    expect(redelivered.values[0]!.value).toBeGreaterThan(0);
  });

  it('replaying already-stored offsets changes nothing (at-least-once with idempotent sinks)', async () => {
    pipeline = await createPipeline();
    const published = await publishCalls(pipeline.services, 10, 5);
    await pipeline.services.consumer.start();
    await drained(pipeline.services);
    await pipeline.services.consumer.stop();
    // Rewind the group to the beginning of every partition and consume it all again.
    const replay = pipeline.restart();
    const { topics, group } = pipelineNames(pipeline.ctx.config);
    const log = pipeline.ctx.eventLog.consumer({ group, topics });
    for (const topic of topics) {
      for (let p = 0; p < 4; p += 1) await log.seek(topic, p, 0n);
    }
    await replay.consumer.start();
    await until('the replay', () => replay.consumer.handled >= published.length);
    await drained(replay);
    await expectExact(replay, published);
  });

  it('two consumers of the group at once stay exact', async () => {
    pipeline = await createPipeline({ env: { SWITCHBOARD_INTERACTIONS_BATCH_SIZE: '64' } });
    const second = pipeline.restart();
    await pipeline.services.consumer.start();
    await second.consumer.start();
    const published = await publishCalls(pipeline.services, 25, 6);
    await drained(pipeline.services);
    await expectExact(pipeline.services, published);
    expect(pipeline.services.consumer.handled).toBeGreaterThan(0);
    expect(second.consumer.handled).toBeGreaterThan(0);
  });

  it('stays exact when the snapshot cache is too small and evicts on every batch', async () => {
    // 3 cached snapshots for 20 sessions x 3 stages plus the minute and hour buckets: most
    // keys are evicted between batches and read back from the store.
    pipeline = await createPipeline({
      env: {
        SWITCHBOARD_INTERACTIONS_SNAPSHOT_CACHE_ENTRIES: '3',
        SWITCHBOARD_INTERACTIONS_BATCH_SIZE: '40',
      },
    });
    await pipeline.services.consumer.start();
    const published = await publishCalls(pipeline.services, 20, 6);
    await drained(pipeline.services);
    await expectExact(pipeline.services, published);
  });

  it('a partition that moves to another consumer and back is not folded from a stale cache', async () => {
    pipeline = await createPipeline();
    const a = pipeline.services;
    await a.consumer.start();
    const first = await publishCalls(a, 12, 2);
    await drained(a);
    const b = pipeline.restart();
    await b.consumer.start(); // takes half of the partitions from a
    const second = await publishCalls(a, 12, 2);
    await drained(a);
    expect(b.consumer.handled).toBeGreaterThan(0);
    await b.consumer.stop(); // hands them back to a, whose cache is older than what b wrote
    const third = await publishCalls(a, 12, 2);
    await drained(a);
    await expectExact(a, [...first, ...second, ...third]);
  });

  it('pauses through a store outage (health not ok, offsets kept) and resumes without loss', async () => {
    let flaky: FlakyEngine | undefined;
    pipeline = await createPipeline({ wrap: (engine) => (flaky = flakyEngine(engine)) });
    const { services } = pipeline;
    const before = await publishCalls(services, 5, 4);
    flaky!.down = true;
    await services.consumer.start();
    await until('the breaker to open', async () => !(await services.consumer.health()).ok);
    expect((await services.consumer.health()).detail).toMatch(/paused/);
    // More events arrive during the outage; publishing does not depend on the store.
    const during = await publishCalls(services, 5, 2);
    await new Promise((r) => setTimeout(r, 300));
    const lag = await services.consumer.lag();
    expect(lag!.reduce((s, l) => s + l.lag, 0n)).toBe(BigInt(before.length + during.length));
    const paused = await pipeline.ctx.metrics
      .getSingleMetric('switchboard_interactions_consumer_paused')!
      .get();
    expect(paused.values[0]!.value).toBe(1);

    flaky!.down = false;
    await drained(services);
    expect((await services.consumer.health()).ok).toBe(true);
    await expectExact(services, [...before, ...during]);
  });
});

describe('store batches of one consumer batch', () => {
  it('keeps at most 32 store batches in flight and stores every event exactly once', async () => {
    let inFlight = 0;
    let most = 0;
    pipeline = await createPipeline({
      // Tiny store batches, as on ScyllaDB (50 operations each), so one consumer batch is many.
      env: { SWITCHBOARD_INTERACTIONS_STORE_BATCH_OPS: '2' },
      wrap: (engine) =>
        new Proxy(engine, {
          get(target, prop, receiver) {
            const value = Reflect.get(target, prop, receiver) as unknown;
            if (prop !== 'batch') return typeof value === 'function' ? value.bind(target) : value;
            return async (...args: unknown[]) => {
              inFlight += 1;
              most = Math.max(most, inFlight);
              // Yield so that batches issued together really overlap.
              await new Promise((r) => setTimeout(r, 1));
              try {
                return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
              } finally {
                inFlight -= 1;
              }
            };
          },
        }),
    });
    const { services } = pipeline;
    const published = await publishCalls(services, 20, 5);
    await services.consumer.start();
    await drained(services);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(32);
    await expectExact(services, published);
  });
});
