import { randomUUID } from 'node:crypto';
import type { EventLog } from '../../ports/event-log/log.js';
import type { Stage } from './events.js';
import type { InteractionPublisher } from './publisher.js';
import type { InteractionQueries, LatencyStats } from './queries.js';
import type { StageTopics } from './topics.js';

/**
 * Simulated calls for `switchboard simulate calls` and the pipeline bench: each call is a
 * sequence of turns (caller speaks → STT → LLM → TTS), calls run `concurrency` at a time and
 * interleave their events on the log as real agents would. Latencies are log-normal (the
 * usual shape of service latencies: a body near the median and a long right tail).
 */
export interface SimulationOptions {
  calls: number;
  concurrency: number;
  minTurns?: number;
  maxTurns?: number;
  seed?: number;
  /** Share of events sent broken, straight to the log (as a faulty producer would), to exercise error_logs. */
  invalidRate?: number;
  /** 0: publish as fast as possible; 1: wait the simulated latencies in real time; 0.01: 100× faster. */
  timeScale?: number;
  /** Called after every published event (progress bars). */
  onEvent?: (stage: Stage) => void;
  onCallDone?: () => void;
}

export interface SimulationRun {
  runId: string;
  calls: number;
  events: number;
  invalid: number;
  /** Event time range covered (the simulated clock), for reading the results back. */
  firstEventMs: number;
  lastEventMs: number;
  publishMs: number;
  /** Per-publish latency in ms, for the publish p99. */
  publishLatencies: Float64Array;
}

/** A small seeded generator (mulberry32), so a run can be repeated exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function logNormal(random: () => number, median: number, sigma: number): number {
  const u = Math.max(random(), 1e-12);
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  return Math.round(median * Math.exp(sigma * z) * 1000) / 1000;
}

/** Latency models per stage, in ms (median, sigma): plausible for streaming STT, a hosted LLM, streaming TTS. */
export const LATENCY_MODEL = {
  stt: { median: 260, sigma: 0.35 },
  llm: { median: 750, sigma: 0.55 },
  tts: { median: 190, sigma: 0.4 },
} as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const yieldTurn = () => new Promise((resolve) => setImmediate(resolve));

export async function simulateCalls(
  deps: { publisher: InteractionPublisher; log: EventLog; topics: StageTopics; now: () => Date },
  options: SimulationOptions,
): Promise<SimulationRun> {
  const random = seededRandom(options.seed ?? Date.now());
  const runId = randomUUID().slice(0, 8);
  const minTurns = options.minTurns ?? 3;
  const maxTurns = Math.max(minTurns, options.maxTurns ?? 12);
  const timeScale = options.timeScale ?? 0;
  const invalidRate = options.invalidRate ?? 0;
  const startMs = deps.now().getTime();
  const latencies: number[] = [];
  let events = 0;
  let invalid = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  let nextCall = 0;
  const started = performance.now();

  const emit = async (stage: Stage, event: Record<string, unknown>, timeMs: number, waitMs: number) => {
    if (timeScale > 0) await sleep(waitMs * timeScale);
    first = Math.min(first, timeMs);
    last = Math.max(last, timeMs);
    if (invalidRate > 0 && random() < invalidRate) {
      // A broken producer: wrong type for the latency, published around the publisher's validation.
      const broken = { ...event, latency_ms: 'slow' };
      await deps.log.publish(deps.topics[stage], [
        { key: event.session_id as string, value: JSON.stringify(broken) },
      ]);
      invalid += 1;
    } else {
      const t0 = performance.now();
      await deps.publisher.publish(stage, event as never);
      latencies.push(performance.now() - t0);
    }
    events += 1;
    options.onEvent?.(stage);
    if (timeScale === 0) await yieldTurn();
  };

  const runCall = async (index: number) => {
    const session = `sim-${runId}-${index}`;
    const instance = `agent-${index % 8}`;
    const turns = minTurns + Math.floor(random() * (maxTurns - minTurns + 1));
    let t = startMs + Math.floor(random() * 30_000);
    let promptTokens = 350;
    for (let turn = 0; turn < turns; turn += 1) {
      const common = (latency: number, model: string, at: number) => ({
        event_id: randomUUID(),
        session_id: session,
        turn_id: `${turn}`,
        timestamp: new Date(at).toISOString(),
        latency_ms: latency,
        model,
        instance,
      });
      const speech = logNormal(random, 2200, 0.5);
      const stt = logNormal(random, LATENCY_MODEL.stt.median, LATENCY_MODEL.stt.sigma);
      t += speech + stt;
      await emit(
        'stt',
        {
          ...common(stt, 'whisper-large-v3', t),
          model_params: { beam_size: '5' },
          transcript: 'I would like to check the price of gold today',
          confidence: Math.min(1, 0.75 + random() * 0.25),
          language: 'en-US',
          audio_duration_ms: speech,
          is_final: true,
        },
        t,
        speech + stt,
      );
      const llm = logNormal(random, LATENCY_MODEL.llm.median, LATENCY_MODEL.llm.sigma);
      const completion = Math.max(1, Math.round(logNormal(random, 45, 0.6)));
      promptTokens += 60 + completion;
      t += llm;
      await emit(
        'llm',
        {
          ...common(llm, 'gpt-4o-mini', t),
          model_params: { max_tokens: '256' },
          response_text: 'Gold is trading at 2,345 dollars an ounce this morning.',
          prompt_tokens: promptTokens,
          completion_tokens: completion,
          time_to_first_token_ms: Math.round(llm * (0.25 + random() * 0.2) * 1000) / 1000,
          temperature: 0.7,
          finish_reason: 'stop',
        },
        t,
        llm,
      );
      const tts = logNormal(random, LATENCY_MODEL.tts.median, LATENCY_MODEL.tts.sigma);
      const textLength = completion * 4 + 10;
      t += tts;
      await emit(
        'tts',
        {
          ...common(tts, 'eleven-turbo-v2', t),
          model_params: { format: 'pcm_16000' },
          text_length: textLength,
          voice: 'rachel',
          audio_duration_ms: textLength * 65,
          time_to_first_byte_ms: Math.round(tts * 0.6 * 1000) / 1000,
        },
        t,
        tts,
      );
      t += textLength * 65 + logNormal(random, 400, 0.5);
    }
    options.onCallDone?.();
  };

  const worker = async () => {
    for (;;) {
      const index = nextCall;
      nextCall += 1;
      if (index >= options.calls) return;
      await runCall(index);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(options.concurrency, options.calls)) }, worker),
  );
  const publishLatencies = Float64Array.from(latencies).sort();
  return {
    runId,
    calls: options.calls,
    events,
    invalid,
    firstEventMs: first,
    lastEventMs: last,
    publishMs: performance.now() - started,
    publishLatencies,
  };
}

export interface SimulationReport {
  stored: number;
  errors: number;
  stages: Record<Stage, LatencyStats>;
}

/** Reads a run's results back from the store: stored events and latency per stage, and its errors. */
export async function readBack(queries: InteractionQueries, run: SimulationRun): Promise<SimulationReport> {
  const from = new Date(run.firstEventMs);
  const to = new Date(run.lastEventMs + 1);
  const stages = {} as Record<Stage, LatencyStats>;
  let stored = 0;
  for (const stage of ['stt', 'llm', 'tts'] as const) {
    stages[stage] = (await queries.stageLatency({ stage, from, to, resolution: 'minute' })).overall;
    stored += stages[stage].count;
  }
  const prefix = `sim-${run.runId}-`;
  const errors = (await queries.recentErrors({ limit: 1000, days: 2 })).filter((e) =>
    String(e.session_id ?? '').startsWith(prefix),
  ).length;
  return { stored, errors, stages };
}
