import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../../../app/logger.js';
import { openEventLog } from '../../../ports/event-log/open.js';
import { openWideColumnEngine } from '../../../ports/wide-column/open.js';
import { systemClock } from '../../../shared/clock.js';
import { createMetricsRegistry } from '../../../shared/metrics.js';
import { buildConsumer } from '../build-consumer.js';
import type { InteractionsConsumer } from '../consumer.js';
import { interactionMetrics } from '../metrics.js';
import type { FromThread, ThreadInit, ToThread } from './protocol.js';

/**
 * The consumer thread (started by threaded-consumer.ts): its own connections to the event log
 * and the wide-column store, its own metrics registry (merged into the process's /metrics),
 * and the same InteractionsConsumer as on the main thread. On the embedded stores these are
 * second connections to the same SQLite files; the main thread's keep running checkpoints,
 * purges and retention.
 */
const port = parentPort!;
const init = workerData as ThreadInit;
const send = (message: FromThread) => port.postMessage(message);

async function main(): Promise<void> {
  const config = { ...init.config, server: { ...init.config.server, log_level: init.logLevel } };
  const logger = createLogger(config).child({ thread: 'interactions-consumer' });
  const registry = createMetricsRegistry();
  const opened: { close(): Promise<void> }[] = [];
  let consumer: InteractionsConsumer;
  try {
    const store = await openWideColumnEngine(config, { registry, logger, maintenance: false });
    opened.push(store);
    const log = await openEventLog(config, { registry, logger, maintenance: false });
    opened.push(log);
    consumer = buildConsumer({
      config,
      log,
      store,
      metrics: interactionMetrics(registry),
      logger,
      clock: systemClock,
      instance: init.instance,
      onBatch: () =>
        send({
          type: 'progress',
          handled: consumer.handled,
          stored: consumer.stored,
          timings: consumer.timings(),
        }),
    });
    await consumer.start();
  } catch (error) {
    for (const p of [...opened].reverse()) await p.close().catch(() => undefined);
    send({
      type: 'start-failed',
      code: (error as { code?: string }).code,
      message: error instanceof Error ? error.message : String(error),
    });
    port.close();
    return;
  }

  let stopping = false;
  port.on('message', (message: ToThread) => {
    if (message.type === 'stop') {
      // Once: a second stop would close the connections again while the first still closes them.
      if (stopping) return;
      stopping = true;
      void (async () => {
        try {
          await consumer.stop();
        } finally {
          // Closed even if stopping failed (that failure still ends the thread, as an error
          // the main thread logs); with the port closed nothing else keeps the thread alive.
          for (const p of [...opened].reverse()) await p.close().catch(() => undefined);
          send({ type: 'stopped' });
          port.close();
        }
      })();
      return;
    }
    const { id, kind } = message;
    const answer =
      kind === 'health' ? consumer.health() : kind === 'lag' ? consumer.lag() : registry.getMetricsAsJSON();
    answer.then(
      (value) => send({ type: 'reply', id, value }),
      (error: unknown) =>
        send({ type: 'reply-error', id, message: error instanceof Error ? error.message : String(error) }),
    );
  });
  send({ type: 'started' });
}

void main();
