import { parentPort, workerData } from 'node:worker_threads';
import type { SwitchboardConfig } from '../src/config/index.js';
import { openEventLog } from '../src/ports/event-log/open.js';

/**
 * The raw-log ceiling's consumer on its own thread, as the interactions consumer runs in
 * `serve`: a second connection to the log, a no-op handler, commits after each batch. Posts
 * the running count after every batch; on 'stop' it stops and closes.
 */
const { config, topics } = workerData as { config: SwitchboardConfig; topics: string[] };
const log = await openEventLog(config, { maintenance: false });
let consumed = 0;
const consumer = log.consumer({
  group: 'raw-threaded',
  topics,
  maxBatchSize: config.interactions.batch_size,
  maxWaitMs: config.interactions.batch_wait_ms,
});
await consumer.run(async (batch) => {
  consumed += batch.messages.length;
  parentPort!.postMessage({ consumed });
});
parentPort!.on('message', (m: string) => {
  if (m === 'lag') void consumer.lag().then((lag) => parentPort!.postMessage({ lag }));
  if (m === 'stop')
    void consumer
      .stop()
      .then(() => log.close())
      .then(() => parentPort!.close());
});
parentPort!.postMessage({ ready: true });
