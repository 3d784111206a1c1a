import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BaseCheckpointSaver, Checkpoint } from '@langchain/langgraph-checkpoint';
import { uuid6 } from '@langchain/langgraph-checkpoint';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import pino from 'pino';
import { createSwitchboard } from '../src/app/create-switchboard.js';
import { applySchema } from '../src/app/schema.js';
import { loadConfig } from '../src/config/index.js';
import { SwitchboardSaver } from '../src/modules/langgraph/saver.js';
import { costRatio, formatTable, measure, percentile, recordResults, type ScenarioResult } from './lib.js';

/**
 * The checkpointer suite (issue 20): LangGraph.js savers doing what a graph run does.
 * - super-step: `put` of the next checkpoint (a message history growing by one ~120-byte
 *   message per step, and a step counter), `putWrites` of the node's output, then `getTuple`
 *   of the latest checkpoint, as LangGraph does between steps; threads of STEPS super-steps;
 * - list: every checkpoint of a 1,000-checkpoint thread, and its newest 10.
 * SwitchboardSaver on the embedded engine against @langchain/langgraph-checkpoint-sqlite on
 * the same machine (both SQLite files in a temporary directory), and SwitchboardSaver on
 * ScyllaDB/Cassandra when SWITCHBOARD_TEST_SCYLLA_CONTACT_POINTS is set. Target: within 1.2x
 * of the SQLite saver on the embedded engine.
 */
const SUITE = 'checkpointer';
const STEPS = 50;
const THREADS = Number(process.env.BENCH_CHECKPOINTER_THREADS ?? 40);
const LONG_THREAD = 1_000;
const CLUSTER = process.env.SWITCHBOARD_TEST_SCYLLA_CONTACT_POINTS;

function checkpoint(step: number, messages: string[]): Checkpoint {
  return {
    v: 4,
    id: uuid6(-1),
    ts: new Date().toISOString(),
    channel_values: { messages, step },
    channel_versions: { messages: step + 1, step: step + 1 },
    versions_seen: { agent: { messages: step } },
  };
}

interface Subject {
  saver: BaseCheckpointSaver;
  subject: string;
  prefix: string;
}

/** Threads run per subject in one round of the interleaved super-step scenario. */
const ROUND_THREADS = 4;

/**
 * One 50-step thread as a graph run does it: `put` of the next checkpoint, `putWrites` of the
 * node's output, `getTuple` of the latest; each super-step's latency goes to `latencies`.
 */
async function runThread(saver: BaseCheckpointSaver, thread: string, latencies: number[]): Promise<void> {
  let parent: string | undefined;
  let messages: string[] = [];
  for (let step = 0; step < STEPS; step += 1) {
    const started = process.hrtime.bigint();
    messages = [...messages, `message ${step}: ${'x'.repeat(100)}`];
    const config = {
      configurable: { thread_id: thread, checkpoint_ns: '', ...(parent ? { checkpoint_id: parent } : {}) },
    };
    const stored = await saver.put(
      config,
      checkpoint(step, messages),
      { source: 'loop', step, parents: {} },
      { messages: step + 1, step: step + 1 },
    );
    await saver.putWrites(stored, [['messages', `reply ${step}`]], `task-${step}`);
    const latest = await saver.getTuple({ configurable: { thread_id: thread, checkpoint_ns: '' } });
    if (latest?.checkpoint.id !== stored.configurable?.checkpoint_id)
      throw new Error('latest checkpoint not read back');
    parent = stored.configurable?.checkpoint_id as string;
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
}

/**
 * The super-step scenario for several savers, interleaved: each round runs ROUND_THREADS
 * threads on every saver in turn (the order alternating by round), after two unmeasured
 * threads each. On a shared 2-core machine the load moves by more than the difference being
 * measured within seconds; interleaving puts every saver under the same drift, so the ratio
 * holds where back-to-back runs swung between 1.0x and 1.45x.
 */
async function superSteps(subjects: readonly Subject[]): Promise<ScenarioResult[]> {
  const latencies = subjects.map(() => [] as number[]);
  const seconds = subjects.map(() => 0);
  for (const { saver, prefix } of subjects) {
    for (let t = 0; t < 2; t += 1) await runThread(saver, `${prefix}-warm-${t}`, []);
  }
  for (let round = 0; round * ROUND_THREADS < THREADS; round += 1) {
    const order = subjects.map((_, k) => k);
    if (round % 2 === 1) order.reverse();
    for (const k of order) {
      const started = process.hrtime.bigint();
      for (let t = 0; t < ROUND_THREADS; t += 1) {
        await runThread(subjects[k]!.saver, `${subjects[k]!.prefix}-${round}-${t}`, latencies[k]!);
      }
      seconds[k] = seconds[k]! + Number(process.hrtime.bigint() - started) / 1e9;
    }
  }
  return subjects.map(({ subject }, k) => {
    const sorted = Float64Array.from(latencies[k]!).sort();
    return {
      suite: SUITE,
      scenario: `super-step (put + putWrites + getTuple), ${STEPS}-step threads`,
      subject,
      ops: sorted.length,
      opsPerSecond: sorted.length / seconds[k]!,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
    };
  });
}

async function fillLongThread(saver: BaseCheckpointSaver, thread: string): Promise<void> {
  let parent: string | undefined;
  for (let step = 0; step < LONG_THREAD; step += 1) {
    const config = {
      configurable: { thread_id: thread, checkpoint_ns: '', ...(parent ? { checkpoint_id: parent } : {}) },
    };
    const stored = await saver.put(
      config,
      checkpoint(step, [`m${step}`]),
      { source: 'loop', step, parents: {} },
      {
        messages: step + 1,
        step: step + 1,
      },
    );
    parent = stored.configurable?.checkpoint_id as string;
  }
}

async function lists(saver: BaseCheckpointSaver, subject: string, thread: string): Promise<ScenarioResult[]> {
  const config = { configurable: { thread_id: thread } };
  const all = await measure(
    {
      suite: SUITE,
      scenario: `list a ${LONG_THREAD}-checkpoint thread (all)`,
      subject,
      iterations: 20,
      warmup: 2,
    },
    async () => {
      let n = 0;
      for await (const _ of saver.list(config)) n += 1;
      if (n !== LONG_THREAD) throw new Error(`listed ${n}`);
    },
  );
  const newest = await measure(
    {
      suite: SUITE,
      scenario: `list a ${LONG_THREAD}-checkpoint thread (newest 10)`,
      subject,
      iterations: 500,
      warmup: 20,
    },
    async () => {
      let n = 0;
      for await (const _ of saver.list(config, { limit: 10 })) n += 1;
      if (n !== 10) throw new Error(`listed ${n}`);
    },
  );
  return [all, newest];
}

async function switchboardSaver(dir: string, cluster: boolean) {
  const env: NodeJS.ProcessEnv = { SWITCHBOARD_STORE_DATA_DIR: dir };
  if (cluster) {
    env.SWITCHBOARD_STORE_WIDE_COLUMN = 'scylladb';
    env.SWITCHBOARD_SCYLLA_CONTACT_POINTS = CLUSTER;
    env.SWITCHBOARD_SCYLLA_KEYSPACE = `sb_bench_lg_${process.pid}`;
    env.SWITCHBOARD_SCYLLA_FLAVOR = process.env.SWITCHBOARD_TEST_SCYLLA_FLAVOR ?? 'scylla';
  }
  const switchboard = await createSwitchboard(loadConfig({ path: undefined, env }), {
    logger: pino({ level: 'silent' }),
  });
  await applySchema(switchboard);
  return { saver: SwitchboardSaver.from(switchboard), close: () => switchboard.close() };
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-lg-'));
  const results: ScenarioResult[] = [];
  const lines: string[] = [];
  try {
    const sqlite = SqliteSaver.fromConnString(join(dir, 'langgraph-sqlite.db'));
    const embedded = await switchboardSaver(join(dir, 'embedded'), false);
    try {
      const [sqliteSteps, ownSteps] = (await superSteps([
        { saver: sqlite, subject: '@langchain/langgraph-checkpoint-sqlite', prefix: 'sq' },
        { saver: embedded.saver, subject: 'SwitchboardSaver (embedded)', prefix: 'sb' },
      ])) as [ScenarioResult, ScenarioResult];
      await fillLongThread(sqlite, 'long');
      await fillLongThread(embedded.saver, 'long');
      const sqliteLists = await lists(sqlite, '@langchain/langgraph-checkpoint-sqlite', 'long');
      const ownLists = await lists(embedded.saver, 'SwitchboardSaver (embedded)', 'long');
      results.push(sqliteSteps, ownSteps, ...sqliteLists, ...ownLists);
      // The ratio of mean costs is the target's measure; the ratio of medians is printed
      // beside it because on a shared machine a few stalls (another process's load, a WAL
      // checkpoint) can move the mean of either saver by more than the difference measured.
      const ratios = (own: ScenarioResult, base: ScenarioResult) =>
        `${costRatio(own, base).toFixed(2)}x (p50 ${(own.p50Ms / base.p50Ms).toFixed(2)}x)`;
      lines.push(
        `- super-step: SwitchboardSaver costs ${ratios(ownSteps, sqliteSteps)} the SQLite saver (target ≤ 1.2x)`,
        `- list all: ${ratios(ownLists[0]!, sqliteLists[0]!)}; newest 10: ${ratios(ownLists[1]!, sqliteLists[1]!)}`,
      );
    } finally {
      await embedded.close();
      (sqlite as unknown as { db: { close(): void } }).db.close();
    }
    if (CLUSTER) {
      const cluster = await switchboardSaver(join(dir, 'cluster'), true);
      try {
        const [steps] = (await superSteps([
          {
            saver: cluster.saver,
            subject: `SwitchboardSaver (${process.env.SWITCHBOARD_TEST_SCYLLA_FLAVOR ?? 'scylla'})`,
            prefix: 'cl',
          },
        ])) as [ScenarioResult];
        await fillLongThread(cluster.saver, 'long');
        results.push(
          steps,
          ...(await lists(
            cluster.saver,
            `SwitchboardSaver (${process.env.SWITCHBOARD_TEST_SCYLLA_FLAVOR ?? 'scylla'})`,
            'long',
          )),
        );
      } finally {
        await cluster.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const table = formatTable(results);
  console.log(table);
  console.log(lines.join('\n'));
  recordResults(SUITE, `${table}\n\n${lines.join('\n')}\n`);
}
