import type { Worker as Thread } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { SwitchboardConfig } from '../../../config/index.js';
import { ERROR_CATALOGUE, SwitchboardError, type ErrorCode } from '../../../errors/index.js';
import type { PartitionLag } from '../../../ports/event-log/log.js';
import { siblingModule, startThread } from '../../../shared/threads.js';
import type { LoggingConsumer } from '../consumer.js';
import { emptyTimings, type ProcessorTimings } from '../processor.js';
import type { FromThread, RequestKind, ThreadInit, ThreadReplies, ToThread } from './protocol.js';

const ENTRY = siblingModule(import.meta.url, 'entry');
/**
 * A batch's objects (parsed events, rows, statement arguments) all live until the batch is
 * written, so with V8's default young generation most scavenges copy them and promote them
 * to the old generation, which then needs full collections: ~15 % of the thread's time at
 * 10,000-event batches. A young generation that holds a whole batch lets them die young.
 */
const YOUNG_GENERATION_MB = 256;
/** How long health, lag and metrics wait for the thread before reporting it unresponsive. */
const REQUEST_TIMEOUT_MS = 2_000;

type State = 'idle' | 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped';

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** What a thread has reported: messages handled, events stored, where the time went. */
interface Progress {
  handled: number;
  stored: number;
  timings: ProcessorTimings;
}

const noProgress = (): Progress => ({ handled: 0, stored: 0, timings: emptyTimings() });

function addProgress(a: Progress, b: Progress): Progress {
  const timings = { ...a.timings };
  for (const key of Object.keys(timings) as (keyof ProcessorTimings)[]) timings[key] += b.timings[key];
  return { handled: a.handled + b.handled, stored: a.stored + b.stored, timings };
}

/**
 * The logging consumer on its own thread (`[interactions] consumer_thread`, the default).
 * Validating, folding and writing a batch is CPU work that would otherwise run on the event
 * loop serving the API and the agents' publishes; in a thread it runs on another core. The
 * thread opens its own connections (thread/entry.ts) and is driven from here: start, stop
 * (the batch in flight is finished and committed), health for /ready, lag, and its metrics
 * for /metrics. If the thread dies it is restarted with the consumer's backoff; its offsets
 * are in the log, so a restart loses nothing (the uncommitted batch comes again).
 */
export class ThreadedConsumer implements LoggingConsumer {
  readonly name = 'interactions-consumer';
  private thread: Thread | undefined;
  private state: State = 'idle';
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private restartTimer: NodeJS.Timeout | undefined;
  /** The start() / stop() in flight: a second call joins it rather than racing it. */
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private restarts = 0;
  private lastFailure: string | undefined;
  /** Progress of threads that have exited, plus the current thread's latest report. */
  private previous = noProgress();
  private current = noProgress();

  constructor(
    private readonly deps: {
      config: SwitchboardConfig;
      instance: string;
      logger: Logger;
    },
  ) {}

  get handled(): number {
    return this.previous.handled + this.current.handled;
  }

  get stored(): number {
    return this.previous.stored + this.current.stored;
  }

  timings(): ProcessorTimings {
    return addProgress(this.previous, this.current).timings;
  }

  async start(): Promise<void> {
    // After a stop() in flight: its thread is still finishing its batch, and a second thread
    // now would be a second member of the group (each thread's log has its own coordinator,
    // so both would read every partition).
    if (this.stopping) await this.stopping;
    if (this.starting) return this.starting;
    if (this.state === 'running' || this.state === 'restarting') return;
    const before = this.state;
    this.state = 'starting';
    this.restarts = 0;
    const starting = this.launch().then(
      () => {
        // Unless a stop() came meanwhile: then the thread has its 'stop' queued behind 'started'.
        if (this.state === 'starting') this.state = 'running';
      },
      (error: unknown) => {
        if (this.state === 'starting') this.state = before;
        throw error;
      },
    );
    this.starting = starting;
    try {
      await starting;
    } finally {
      if (this.starting === starting) this.starting = undefined;
    }
  }

  /** Asks the thread to finish its batch, commit and close; terminates it if it does not within the shutdown timeout. */
  stop(): Promise<void> {
    this.stopping ??= this.shutDown().finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }

  private async shutDown(): Promise<void> {
    // A restart not yet launched is cancelled; one launching has set `thread`, which is
    // stopped below like any other (the thread handles 'stop' once it has started).
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.state = 'stopping';
    const thread = this.thread;
    if (thread) {
      const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
      this.post({ type: 'stop' });
      const timeout = setTimeout(() => {
        this.deps.logger.error('the interactions consumer thread did not stop in time; terminating it');
        void thread.terminate();
      }, this.deps.config.server.shutdown_timeout_ms);
      await exited;
      clearTimeout(timeout);
    }
    this.state = 'stopped';
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    // Not asked of the thread: its requests wait until it has opened its stores and started.
    if (this.state === 'starting') return { ok: false, detail: 'starting' };
    if (this.state === 'restarting' || (this.state === 'running' && !this.thread)) {
      return {
        ok: false,
        detail: `the consumer thread exited (${this.lastFailure ?? 'unknown'}); restarting`,
      };
    }
    if (!this.thread) return { ok: this.state === 'idle', detail: this.state };
    try {
      return await this.request('health');
    } catch (error) {
      return { ok: false, detail: `the consumer thread does not answer: ${(error as Error).message}` };
    }
  }

  async lag(): Promise<PartitionLag[] | null> {
    return this.thread ? this.request('lag') : null;
  }

  /** The thread's metrics as prom-client JSON (the server merges them into /metrics). */
  async metrics(): Promise<ThreadReplies['metrics']> {
    return this.thread ? this.request('metrics') : [];
  }

  /** Async so that a failure to create the thread rejects (the restart timer calls it too). */
  private async launch(): Promise<void> {
    const init: ThreadInit = {
      config: this.deps.config,
      instance: this.deps.instance,
      logLevel: this.deps.logger.level as ThreadInit['logLevel'],
    };
    const thread = startThread(ENTRY, init, { youngGenerationMb: YOUNG_GENERATION_MB });
    this.thread = thread;
    this.current = noProgress();
    return new Promise<void>((resolve, reject) => {
      let started = false;
      let startedAt = 0;
      thread.on('message', (message: FromThread) => {
        switch (message.type) {
          case 'started':
            started = true;
            startedAt = Date.now();
            resolve();
            break;
          case 'start-failed':
            reject(asSwitchboardError(message.code, message.message));
            break;
          case 'progress':
            if (this.thread !== thread) break;
            this.current = { handled: message.handled, stored: message.stored, timings: message.timings };
            break;
          case 'reply':
          case 'reply-error':
            this.settle(message);
            break;
          case 'stopped':
            break;
        }
      });
      thread.on('error', (error) => {
        this.lastFailure = error.message;
        this.deps.logger.error({ err: error }, 'the interactions consumer thread failed');
        if (!started) reject(error);
      });
      thread.on('exit', () => {
        // A thread that is no longer the current one (a failed restart that exits after the
        // next one launched) owns neither the pending requests nor the progress in `current`.
        const current = this.thread === thread;
        if (current) {
          this.thread = undefined;
          for (const [id, p] of this.pending) {
            clearTimeout(p.timer);
            p.reject(new Error('the consumer thread exited'));
            this.pending.delete(id);
          }
          this.previous = addProgress(this.previous, this.current);
          this.current = noProgress();
        }
        if (!started) {
          reject(new SwitchboardError('INTERNAL', 'The interactions consumer thread exited while starting'));
          return;
        }
        // The backoff starts over only once a thread has stayed up for the longest delay: one
        // that dies soon after starting (a batch that crashes it each time) is a crash loop.
        if (Date.now() - startedAt >= this.deps.config.interactions.retry_max_ms) this.restarts = 0;
        if (current && this.state === 'running') this.scheduleRestart();
      });
    });
  }

  private scheduleRestart(): void {
    const c = this.deps.config.interactions;
    const delay = Math.min(c.retry_max_ms, c.retry_initial_ms * 2 ** Math.min(this.restarts, 20));
    this.restarts += 1;
    this.state = 'restarting';
    this.deps.logger.error({ delayMs: delay }, 'the interactions consumer thread exited; restarting it');
    this.restartTimer = setTimeout(() => {
      this.launch().then(
        () => {
          if (this.state === 'restarting') this.state = 'running';
        },
        (error: unknown) => {
          this.lastFailure = (error as Error).message;
          if (this.state === 'restarting') {
            this.state = 'running';
            this.scheduleRestart();
          }
        },
      );
    }, delay);
    this.restartTimer.unref();
  }

  private request<K extends RequestKind>(kind: K): Promise<ThreadReplies[K]> {
    const id = this.nextId++;
    return new Promise<ThreadReplies[K]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to ${kind} within ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.post({ type: 'request', id, kind });
    });
  }

  private settle(message: Extract<FromThread, { type: 'reply' | 'reply-error' }>): void {
    const p = this.pending.get(message.id);
    if (!p) return;
    this.pending.delete(message.id);
    clearTimeout(p.timer);
    if (message.type === 'reply') p.resolve(message.value);
    else p.reject(new Error(message.message));
  }

  private post(message: ToThread): void {
    this.thread?.postMessage(message);
  }
}

/** A start-up failure from the thread, with its catalogue code when it had one. */
function asSwitchboardError(code: string | undefined, message: string): SwitchboardError {
  const known = code !== undefined && code in ERROR_CATALOGUE ? (code as ErrorCode) : 'INTERNAL';
  return new SwitchboardError(known, message);
}
