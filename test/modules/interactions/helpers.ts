import { randomUUID } from 'node:crypto';
import { SwitchboardError } from '../../../src/errors/index.js';
import type { EventByStage, Stage } from '../../../src/modules/interactions/events.js';
import {
  createInteractionServices,
  type InteractionServices,
} from '../../../src/modules/interactions/module.js';
import { interactionTables } from '../../../src/modules/interactions/tables.js';
import { interactionTopicSpecs } from '../../../src/modules/interactions/topics.js';
import type { BatchOp, WideColumnEngine } from '../../../src/ports/wide-column/engine.js';
import { createTestContext, type TestContext } from '../../helpers/context.js';

/**
 * Fast settings for tests: short waits, backoff and heartbeats. The consumer runs on the
 * test's event loop so tests can wrap its store (outages, crashes) and read its registry;
 * thread.test.ts covers the consumer thread `serve` uses by default.
 */
export const TEST_ENV = {
  SWITCHBOARD_INTERACTIONS_CONSUMER_THREAD: 'false',
  SWITCHBOARD_INTERACTIONS_BATCH_WAIT_MS: '5',
  SWITCHBOARD_INTERACTIONS_RETRY_INITIAL_MS: '20',
  SWITCHBOARD_INTERACTIONS_RETRY_MAX_MS: '100',
  SWITCHBOARD_INTERACTIONS_BREAKER_RESET_MS: '50',
  SWITCHBOARD_INTERACTIONS_HEARTBEAT_MS: '100',
  SWITCHBOARD_EVENT_LOG_PARTITIONS: '4',
  // On Kafka, a member that died without leaving (a terminated consumer thread) holds its
  // partitions until its session times out (30 s by default); tests wait 6 s.
  SWITCHBOARD_KAFKA_SESSION_TIMEOUT_MS: '6000',
};

export type FlakyEngine = WideColumnEngine & {
  down: boolean;
  failures: number;
  /** Fails every batch call for which this returns true (set it to simulate a crash part-way). */
  failBatch: ((ops: readonly BatchOp[]) => boolean) | null;
};

/**
 * An engine whose operations fail with STORE_UNAVAILABLE while `down` is set (a store
 * outage), or for the batch calls `failBatch` picks (a crash in the middle of a batch).
 */
export function flakyEngine(inner: WideColumnEngine): FlakyEngine {
  const state = { down: false, failures: 0, failBatch: null as FlakyEngine['failBatch'] };
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop in state) return state[prop as keyof typeof state];
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (!['batch', 'insert', 'slice', 'get', 'update'].includes(String(prop))) return value.bind(target);
      return async (...args: unknown[]) => {
        if (state.down || (prop === 'batch' && state.failBatch?.(args[0] as BatchOp[]))) {
          state.failures += 1;
          throw new SwitchboardError('STORE_UNAVAILABLE', 'simulated outage');
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
    set(_target, prop, value) {
      if (prop in state) (state as Record<string, unknown>)[prop as string] = value;
      return true;
    },
  }) as FlakyEngine;
}

export interface Pipeline {
  ctx: TestContext;
  services: InteractionServices;
  /** New services on the same ports (a restarted process), optionally with other `[interactions]` settings. */
  restart(settings?: Partial<TestContext['config']['interactions']>): InteractionServices;
  close(): Promise<void>;
}

export async function createPipeline(
  options: { env?: NodeJS.ProcessEnv; wrap?: (engine: WideColumnEngine) => WideColumnEngine } = {},
): Promise<Pipeline> {
  const ctx = await createTestContext({ env: { ...TEST_ENV, ...options.env } });
  await ctx.wideColumn.applySchema(interactionTables);
  await ctx.eventLog.ensureTopics(interactionTopicSpecs(ctx.config));
  const wrapped = options.wrap ? { ...ctx, wideColumn: options.wrap(ctx.wideColumn) } : ctx;
  const all: InteractionServices[] = [];
  const make = (settings: Partial<TestContext['config']['interactions']> = {}) => {
    const config = { ...wrapped.config, interactions: { ...wrapped.config.interactions, ...settings } };
    const s = createInteractionServices({ ...wrapped, config });
    all.push(s);
    return s;
  };
  const services = make();
  return {
    ctx,
    services,
    restart: make,
    async close() {
      for (const s of all) await s.consumer.stop();
      await ctx.cleanup();
    },
  };
}

/** Waits until `probe` holds (polling), failing with `what` after `timeoutMs`. */
export async function until(
  what: string,
  probe: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits until the consumer group has committed everything published. */
export async function drained(services: InteractionServices, timeoutMs = 15_000): Promise<void> {
  await until(
    'the consumer to commit every message',
    async () => {
      const lag = await services.consumer.lag();
      return lag !== null && lag.every((l) => l.lag === 0n);
    },
    timeoutMs,
  );
}

let clockMs = Date.parse('2025-03-01T10:00:00.000Z');

/** A valid event of `stage` for `session`, with times moving forward and a given latency. */
export function makeEvent<S extends Stage>(
  stage: S,
  session: string,
  overrides: Partial<EventByStage[S]> & { latency_ms?: number } = {},
): EventByStage[S] {
  clockMs += 7;
  const common = {
    event_id: randomUUID(),
    session_id: session,
    turn_id: 't1',
    timestamp: new Date(clockMs).toISOString(),
    latency_ms: 100,
    model: stage === 'stt' ? 'whisper-large' : stage === 'llm' ? 'gpt-4o' : 'eleven-v2',
    model_params: { region: 'eu' },
    instance: 'agent-1',
  };
  const specific =
    stage === 'stt'
      ? {
          transcript: 'hello there',
          confidence: 0.93,
          language: 'en-US',
          audio_duration_ms: 1500,
          is_final: true,
        }
      : stage === 'llm'
        ? {
            response_text: 'Hi! How can I help?',
            prompt_tokens: 120,
            completion_tokens: 12,
            time_to_first_token_ms: 180,
            temperature: 0.7,
            finish_reason: 'stop',
          }
        : { text_length: 19, voice: 'alloy', audio_duration_ms: 1200, time_to_first_byte_ms: 90 };
  return { ...common, ...specific, ...overrides } as unknown as EventByStage[S];
}

/**
 * The stage topics and consumer group of a configuration. Tests name them through this, never
 * as literals: on the scale-out servers every test has its own topics and group.
 */
export function pipelineNames(config: TestContext['config']) {
  const i = config.interactions;
  return {
    stt: i.topic_stt,
    llm: i.topic_llm,
    tts: i.topic_tts,
    topics: [i.topic_stt, i.topic_llm, i.topic_tts],
    group: i.consumer_group,
  };
}
