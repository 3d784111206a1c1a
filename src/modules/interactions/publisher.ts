import { SwitchboardError } from '../../errors/index.js';
import type { EventLog, OutgoingMessage } from '../../ports/event-log/log.js';
import type { EventByStage, InteractionInput, Stage } from './events.js';
import type { InteractionMetrics } from './metrics.js';
import type { StageTopics } from './topics.js';
import {
  completeEvent,
  isStage,
  problemError,
  validateEvent,
  type EventProblem,
  type Validation,
} from './validate.js';

export interface PublishedEvent {
  stage: Stage;
  event_id: string;
  topic: string;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/** One problem of a rejected batch: which event, which field, which rule. */
export interface BatchProblem extends EventProblem {
  index: number;
}

export interface PublisherDeps {
  log: EventLog;
  topics: StageTopics;
  metrics: InteractionMetrics;
  instance: string;
  now: () => Date;
  maxBatch: number;
  /**
   * How far ahead of this server's clock an event's own timestamp may be (ms); a later one
   * is refused (VALIDATION_FAILED on `timestamp`, code "range"). Default 5 minutes.
   */
  maxFutureSkewMs?: number;
}

/**
 * What an agent calls after each stage. The event is completed (id, time, instance),
 * validated, and appended to its stage's topic keyed by session id, so one session's events
 * stay ordered; the call returns once the log accepted it (a local durable append on the
 * embedded log, a broker ack on Kafka) and never waits for the consumer or the store.
 */
export class InteractionPublisher {
  /**
   * Publishes made in the same tick (many concurrent calls, agents' turns interleaving) are
   * appended to the log together, one append per topic: the log's cost is mostly per append
   * (one transaction, one fsync-free commit on the embedded log; one produce request on
   * Kafka), so this is what lets throughput grow with concurrency. Each call still resolves
   * only after the append holding its event succeeded, and fails if it failed.
   */
  private readonly pending = new Map<string, { messages: OutgoingMessage[]; waiters: Waiter[] }>();
  private flushScheduled = false;

  constructor(private readonly deps: PublisherDeps) {}

  /** Validates a completed event and refuses a timestamp too far in the future. */
  private check<S extends Stage>(stage: S, value: unknown): Validation<S> {
    const checked = validateEvent(stage, value);
    if (!checked.ok) return checked;
    const skewMs = this.deps.maxFutureSkewMs ?? 300_000;
    const latest = this.deps.now().getTime() + skewMs;
    if (checked.value.timeMs > latest) {
      return {
        ok: false,
        problem: {
          field: 'timestamp',
          code: 'range',
          message: `timestamp: more than ${Math.round(skewMs / 1000)} s ahead of the server's clock (${new Date(latest - skewMs).toISOString()})`,
        },
      };
    }
    return checked;
  }

  private enqueue(topic: string, message: OutgoingMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      let queue = this.pending.get(topic);
      if (!queue) this.pending.set(topic, (queue = { messages: [], waiters: [] }));
      queue.messages.push(message);
      queue.waiters.push({ resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const queues = [...this.pending];
    this.pending.clear();
    for (const [topic, { messages, waiters }] of queues) {
      this.deps.log.publish(topic, messages).then(
        () => {
          for (const w of waiters) w.resolve();
        },
        (error: unknown) => {
          for (const w of waiters) w.reject(error);
        },
      );
    }
  }

  stt(input: InteractionInput<'stt'>): Promise<PublishedEvent> {
    return this.publish('stt', input);
  }

  llm(input: InteractionInput<'llm'>): Promise<PublishedEvent> {
    return this.publish('llm', input);
  }

  tts(input: InteractionInput<'tts'>): Promise<PublishedEvent> {
    return this.publish('tts', input);
  }

  /** Validates and publishes one event; an invalid one throws VALIDATION_FAILED naming the field. */
  async publish<S extends Stage>(
    stage: S,
    input: InteractionInput<S> | EventByStage[S],
  ): Promise<PublishedEvent> {
    const started = performance.now();
    const checked = this.check(stage, completeEvent(input, this.deps));
    if (!checked.ok) throw problemError(checked.problem);
    const { event } = checked.value;
    const topic = this.deps.topics[stage];
    // The log record carries the time of publishing (the port's default), not the event's own
    // time, which stays in the payload: Kafka refuses record timestamps more than an hour ahead
    // of the broker's clock, and an event may be stamped by a producer with a skewed clock.
    await this.enqueue(topic, { key: event.session_id, value: JSON.stringify(event) });
    this.deps.metrics.published.inc({ stage });
    this.deps.metrics.publishSeconds.observe({ stage }, (performance.now() - started) / 1000);
    return { stage, event_id: event.event_id, topic };
  }

  /**
   * Publishes a batch, whole or nothing at validation: when any event is invalid nothing is
   * published and the error lists every problem by index. (A log failure part-way through the
   * topics can leave some accepted; a retry with the same event ids is then harmless for the
   * rows, which are keyed by event id.)
   */
  async publishMany(
    items: readonly { stage: unknown; event: unknown }[],
    prefix = 'events',
    options: { single?: boolean } = {},
  ): Promise<PublishedEvent[]> {
    const started = performance.now();
    if (items.length === 0) {
      throw new SwitchboardError('VALIDATION_FAILED', 'A batch needs at least one event', { field: prefix });
    }
    if (items.length > this.deps.maxBatch) {
      throw new SwitchboardError('VALIDATION_FAILED', `At most ${this.deps.maxBatch} events per batch`, {
        field: 'events',
        details: { max: this.deps.maxBatch, got: items.length },
      });
    }
    const problems: BatchProblem[] = [];
    const byTopic = new Map<string, { stage: Stage; messages: OutgoingMessage[] }>();
    const published: PublishedEvent[] = [];
    items.forEach(({ stage, event }, index) => {
      if (typeof event !== 'object' || event === null || Array.isArray(event)) {
        problems.push({ index, field: '', code: 'type', message: 'the event must be a JSON object' });
        return;
      }
      if (!isStage(stage)) {
        problems.push({
          index,
          field: 'stage',
          code: stage === undefined || stage === null ? 'required' : 'type',
          message: 'stage must be one of stt, llm, tts',
        });
        return;
      }
      const checked = this.check(stage, completeEvent(event as Record<string, unknown>, this.deps));
      if (!checked.ok) {
        problems.push({ index, ...checked.problem });
        return;
      }
      const topic = this.deps.topics[stage];
      const e = checked.value.event;
      let entry = byTopic.get(topic);
      if (!entry) byTopic.set(topic, (entry = { stage, messages: [] }));
      entry.messages.push({ key: e.session_id, value: JSON.stringify(e) });
      published.push({ stage, event_id: e.event_id, topic });
    });
    if (problems.length > 0) {
      // `body.events.3.confidence` for a batch, `body.confidence` for a single event.
      const fieldOf = (p: BatchProblem) =>
        [prefix, options.single ? '' : String(p.index), p.field].filter((s) => s !== '').join('.');
      const first = problems[0]!;
      const what = options.single
        ? 'The event is invalid'
        : `${problems.length} of ${items.length} events are invalid; none was published`;
      throw new SwitchboardError(
        'VALIDATION_FAILED',
        `${what}: ${fieldOf(first)}: ${first.message.replace(/^[^:]*: /, '')}`,
        {
          field: fieldOf(first),
          details: {
            errors: problems
              .slice(0, 100)
              .map((p) => ({ index: p.index, field: fieldOf(p), code: p.code, message: p.message })),
          },
        },
      );
    }
    for (const [topic, { stage, messages }] of byTopic) {
      await this.deps.log.publish(topic, messages);
      this.deps.metrics.published.inc({ stage }, messages.length);
      this.deps.metrics.publishSeconds.observe({ stage }, (performance.now() - started) / 1000);
    }
    return published;
  }
}
