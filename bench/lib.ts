import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

/**
 * The benchmark harness every scenario uses: run an async operation N times (optionally
 * with concurrency), record per-operation latency, and report ops/s with p50/p99. Results
 * are printed as a table and written to bench/RESULTS.md under a section per suite.
 */
export interface ScenarioResult {
  suite: string;
  scenario: string;
  /** What is measured: 'switchboard' or the baseline name ('raw better-sqlite3', ...). */
  subject: string;
  ops: number;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  note?: string;
}

export interface MeasureOptions {
  suite: string;
  scenario: string;
  subject: string;
  iterations: number;
  warmup?: number;
  concurrency?: number;
  note?: string;
}

export function percentile(sortedMs: Float64Array | number[], p: number): number {
  if (sortedMs.length === 0) return 0;
  const rank = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1));
  return sortedMs[rank]!;
}

/** Times `op(i)` for i in [0, iterations). With concurrency > 1, that many loops run interleaved. */
export async function measure(options: MeasureOptions, op: (i: number) => unknown): Promise<ScenarioResult> {
  const warmup = options.warmup ?? Math.min(1000, Math.floor(options.iterations / 10));
  for (let i = 0; i < warmup; i += 1) await op(options.iterations + i);
  const latencies = new Float64Array(options.iterations);
  const concurrency = options.concurrency ?? 1;
  let next = 0;
  const started = process.hrtime.bigint();
  const loop = async () => {
    for (;;) {
      const i = next;
      next += 1;
      if (i >= options.iterations) return;
      const t0 = process.hrtime.bigint();
      await op(i);
      latencies[i] = Number(process.hrtime.bigint() - t0) / 1e6;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort();
  return {
    suite: options.suite,
    scenario: options.scenario,
    subject: options.subject,
    ops: options.iterations,
    opsPerSecond: options.iterations / elapsedS,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    ...(options.note ? { note: options.note } : {}),
  };
}

export function formatTable(results: readonly ScenarioResult[]): string {
  const header =
    '| scenario | subject | ops | ops/s | p50 ms | p99 ms | note |\n|---|---|---:|---:|---:|---:|---|';
  const rows = results.map(
    (r) =>
      `| ${r.scenario} | ${r.subject} | ${r.ops} | ${Math.round(r.opsPerSecond).toLocaleString('en-US')} | ${r.p50Ms.toFixed(4)} | ${r.p99Ms.toFixed(4)} | ${r.note ?? ''} |`,
  );
  return [header, ...rows].join('\n');
}

/** The ratio of Switchboard's cost to a baseline's for one scenario (time per op). */
export function costRatio(subject: ScenarioResult, baseline: ScenarioResult): number {
  return baseline.opsPerSecond / subject.opsPerSecond;
}

export function machineLine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

const RESULTS = new URL('./RESULTS.md', import.meta.url);

/** Replaces the suite's section in bench/RESULTS.md (other suites' sections are kept). */
export function recordResults(suite: string, body: string): void {
  const heading = `## ${suite}`;
  const section = `${heading}\n\nRun ${new Date().toISOString()} on ${machineLine()}.\n\n${body.trim()}\n`;
  if (!existsSync(RESULTS)) {
    writeFileSync(
      RESULTS,
      `# Benchmark results\n\nWritten by \`npm run bench\`. Compare ratios within one run; absolute numbers are noisy.\n\n`,
    );
  }
  const current = readFileSync(RESULTS, 'utf8');
  const start = current.indexOf(`${heading}\n`);
  if (start === -1) {
    appendFileSync(RESULTS, `\n${section}`);
    return;
  }
  const rest = current.slice(start + heading.length);
  const nextHeading = rest.search(/\n## /);
  const end = nextHeading === -1 ? current.length : start + heading.length + nextHeading + 1;
  writeFileSync(RESULTS, `${current.slice(0, start)}${section}\n${current.slice(end).replace(/^\n+/, '')}`);
}
