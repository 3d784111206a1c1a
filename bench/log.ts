import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type SwitchboardConfig } from '../src/config/index.js';
import { createEmbeddedEventLog } from '../src/ports/event-log/embedded/log.js';
import { createKafkaEventLog } from '../src/ports/event-log/kafka/log.js';
import type { EventLog } from '../src/ports/event-log/log.js';
import { rawKafkaScenarios } from './log-kafka-raw.js';
import { costRatio, formatTable, measure, percentile, recordResults, type ScenarioResult } from './lib.js';

/**
 * `npm run bench -- log`: publish throughput and latency (one message per call, and 100 per
 * call), then end to end: publish -> handler -> commit, unpaced for throughput and paced for
 * latency. On the embedded log always; on Kafka when SWITCHBOARD_TEST_KAFKA_BROKERS is set.
 * Targets (issue 3): embedded >= 50,000 msg/s end to end with batching, publish p99 < 1 ms.
 */
const SUITE = 'log';
const EVENT = JSON.stringify({
  event_id: '6f1c2a4e-0000-4000-8000-000000000000',
  session_id: 'session-0000',
  stage: 'stt',
  latency_ms: 182,
  transcript: 'I would like to book an appointment for tomorrow morning',
  confidence: 0.93,
});

interface Scale {
  single: number;
  batches: number;
  e2eMessages: number;
  pacedMessages: number;
}

export async function run(): Promise<void> {
  const results: ScenarioResult[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-log-'));
  try {
    const config = loadConfig({ env: { SWITCHBOARD_STORE_DATA_DIR: dir } });
    const log = await createEmbeddedEventLog({ path: join(dir, 'event-log.db'), config });
    try {
      results.push(
        ...(await scenarios(log, 'embedded', {
          single: 20_000,
          batches: 2_000,
          e2eMessages: 300_000,
          pacedMessages: 60_000,
        })),
      );
    } finally {
      await log.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const brokers = process.env.SWITCHBOARD_TEST_KAFKA_BROKERS;
  if (brokers) {
    const config: SwitchboardConfig = loadConfig({
      env: { SWITCHBOARD_STORE_EVENT_LOG: 'kafka', SWITCHBOARD_KAFKA_BROKERS: brokers },
    });
    const log = await createKafkaEventLog({ config });
    try {
      results.push(
        ...(await scenarios(log, 'kafka', {
          single: 2_000,
          batches: 500,
          e2eMessages: 100_000,
          pacedMessages: 20_000,
        })),
      );
    } finally {
      await log.close();
    }
    const raw = await rawKafkaScenarios(config.kafka.brokers, SUITE, EVENT, {
      single: 2_000,
      batches: 500,
      e2eMessages: 100_000,
    });
    for (const r of raw) {
      const ours = results.find((x) => x.subject === 'kafka' && x.scenario === r.scenario);
      if (ours)
        ours.note = `${ours.note ? `${ours.note}; ` : ''}${costRatio(ours, r).toFixed(2)}x the raw client by throughput, p99 ${(ours.p99Ms / r.p99Ms).toFixed(2)}x`;
    }
    results.push(...raw);
  } else {
    console.log('Kafka skipped: set SWITCHBOARD_TEST_KAFKA_BROKERS=host:port to include it.');
  }

  const table = formatTable(results);
  console.log(table);
  const verdict = verdicts(results);
  console.log(verdict);
  recordResults(SUITE, `${table}\n\n${verdict}\n`);
}

async function scenarios(log: EventLog, subject: string, scale: Scale): Promise<ScenarioResult[]> {
  const out: ScenarioResult[] = [];
  const run = Date.now().toString(36);
  const single = `bench-single-${run}`;
  const batched = `bench-batched-${run}`;
  await log.ensureTopics([{ name: single }, { name: batched }]);

  out.push(
    await measure(
      {
        suite: SUITE,
        scenario: 'publish, 1 message per call',
        subject,
        iterations: scale.single,
        warmup: 200,
      },
      (i) => log.publish(single, [{ key: `session-${i % 500}`, value: EVENT }]),
    ),
  );

  const perCall = 100;
  const batchResult = await measure(
    {
      suite: SUITE,
      scenario: `publish, ${perCall} messages per call`,
      subject,
      iterations: scale.batches,
      warmup: 20,
    },
    (i) =>
      log.publish(
        batched,
        Array.from({ length: perCall }, (_, j) => ({
          key: `session-${(i * perCall + j) % 500}`,
          value: EVENT,
        })),
      ),
  );
  out.push({
    ...batchResult,
    ops: batchResult.ops * perCall,
    opsPerSecond: batchResult.opsPerSecond * perCall,
    note: `messages/s; latency per call of ${perCall}`,
  });

  out.push(await endToEnd(log, subject, scale.e2eMessages, undefined));
  out.push(await endToEnd(log, subject, scale.pacedMessages, 20_000));
  return out;
}

/**
 * Publishes `total` messages (100 per call) stamped with their publish time, consumes them
 * with one group (maxBatchSize 500), and measures until every message has been handled and
 * its batch committed. `rate` paces publishing (messages/s) for a latency figure that is not
 * dominated by the backlog of an unpaced run.
 */
async function endToEnd(
  log: EventLog,
  subject: string,
  total: number,
  rate: number | undefined,
): Promise<ScenarioResult> {
  const topic = `bench-e2e-${rate ?? 'max'}-${Date.now().toString(36)}`;
  await log.ensureTopics([{ name: topic }]);
  const latencies = new Float64Array(total);
  let handled = 0;
  let committedAll: () => void = () => undefined;
  const allCommitted = new Promise<void>((resolve) => {
    committedAll = resolve;
  });
  let pendingBatch = 0;
  const consumer = log.consumer({
    group: `bench-${topic}`,
    topics: [topic],
    maxBatchSize: 500,
    maxWaitMs: 5,
  });
  await consumer.run(async (batch) => {
    const now = performance.now();
    for (const m of batch.messages) {
      const sentAt = Number(m.headers.t);
      if (handled < total) latencies[handled] = now - sentAt;
      handled += 1;
    }
    pendingBatch = batch.messages.length;
    // The commit follows this handler; the next call (or the lag check below) sees it done.
    if (handled >= total) queueMicrotask(() => committedAll());
  });
  const perCall = 100;
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  for (let sent = 0; sent < total; sent += perCall) {
    if (rate) {
      const due = started + (sent / rate) * 1000;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    }
    const t = String(performance.now());
    await log.publish(
      topic,
      Array.from({ length: Math.min(perCall, total - sent) }, (_, j) => ({
        key: `session-${(sent + j) % 500}`,
        value: EVENT,
        headers: { t },
      })),
    );
  }
  await allCommitted;
  // Wait until the group's committed offsets cover everything: "committed consumption".
  for (;;) {
    const lag = await consumer.lag();
    if (lag.every((l) => l.lag === 0n)) break;
    await new Promise((r) => setTimeout(r, 1));
  }
  const elapsedS = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  await consumer.stop();
  latencies.sort();
  void pendingBatch;
  return {
    suite: SUITE,
    scenario: rate
      ? `end to end, paced at ${rate.toLocaleString('en-US')} msg/s`
      : 'end to end, unpaced (throughput)',
    subject,
    ops: total,
    opsPerSecond: total / elapsedS,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    note: `publish (100/call) -> handler -> commit; latency publish to handler; ${Math.round(total / cpuS).toLocaleString('en-US')} msg per CPU-second of this process`,
  };
}

function verdicts(results: readonly ScenarioResult[]): string {
  const e2e = results.find((r) => r.subject === 'embedded' && r.scenario.startsWith('end to end, unpaced'));
  const single = results.find((r) => r.subject === 'embedded' && r.scenario.startsWith('publish, 1 message'));
  const lines = ['Targets (embedded):'];
  if (e2e) {
    lines.push(
      `- end to end >= 50,000 msg/s: ${Math.round(e2e.opsPerSecond).toLocaleString('en-US')} msg/s — ${e2e.opsPerSecond >= 50_000 ? 'met' : 'NOT met'}`,
    );
  }
  lines.push(
    `- machine load average while running: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')} on ${os.cpus().length} CPUs`,
  );
  if (single) {
    lines.push(
      `- publish p99 < 1 ms: ${single.p99Ms.toFixed(3)} ms — ${single.p99Ms < 1 ? 'met' : 'NOT met'}`,
    );
  }
  return lines.join('\n');
}
