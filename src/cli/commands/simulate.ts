import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { SwitchboardError } from '../../errors/index.js';
import { readBack, simulateCalls } from '../../modules/interactions/simulate.js';
import { withSwitchboard } from '../context.js';
import { registerCallCenterSimulation } from './simulate-callcenter.js';

interface CallsOptions {
  calls: string;
  concurrency: string;
  turns: string;
  invalidRate: string;
  timeScale: string;
  seed?: string;
  consumer: 'auto' | 'inline' | 'external';
  waitSeconds: string;
}

function int(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new SwitchboardError(
      'VALIDATION_FAILED',
      `--${name} must be an integer from ${min} to ${max}, got ${raw}`,
      {
        field: name,
      },
    );
  }
  return n;
}

function num(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new SwitchboardError(
      'VALIDATION_FAILED',
      `--${name} must be a number from ${min} to ${max}, got ${raw}`,
      {
        field: name,
      },
    );
  }
  return n;
}

const ms = (v: number | null) => (v === null ? '-' : v.toFixed(1).padStart(8));

/**
 * `switchboard simulate calls`: drives simulated calls through the interactions publisher
 * and reports what the store holds afterwards.
 *
 * Where the consumer runs (`--consumer`): `inline` starts it in this process (the default
 * with the embedded event log, where a consumer group is only coordinated inside one
 * process); `external` leaves it to a running `serve` or `consume` (the default on Kafka) and
 * waits for the store to show every event.
 */
export function register(program: Command): void {
  const simulate = program.command('simulate').description('simulated traffic through the real services');
  registerCallCenterSimulation(simulate);
  simulate
    .command('calls')
    .description('simulate N voice calls (STT → LLM → TTS turns) and report throughput and stage latencies')
    .option('--calls <n>', 'number of calls', '100')
    .option('--concurrency <c>', 'calls in progress at once', '20')
    .option('--turns <min-max>', 'turns per call', '3-12')
    .option('--invalid-rate <r>', 'share of events sent broken, to exercise error_logs', '0')
    .option('--time-scale <s>', '0: as fast as possible; 1: real time; 0.1: ten times faster', '0')
    .option('--seed <n>', 'random seed, for a repeatable run')
    .option('--consumer <where>', 'auto | inline | external', 'auto')
    .option('--wait-seconds <s>', 'how long to wait for the store to catch up', '120')
    .action(async (opts: CallsOptions, command: Command) => {
      const calls = int('calls', opts.calls, 1, 10_000_000);
      const concurrency = int('concurrency', opts.concurrency, 1, 100_000);
      const [minRaw, maxRaw] = opts.turns.split('-');
      const minTurns = int('turns', minRaw ?? '', 1, 1000);
      const maxTurns = int('turns', maxRaw ?? minRaw ?? '', minTurns, 1000);
      const invalidRate = num('invalid-rate', opts.invalidRate, 0, 1);
      const timeScale = num('time-scale', opts.timeScale, 0, 100);
      const waitMs = num('wait-seconds', opts.waitSeconds, 1, 86_400) * 1000;
      if (!['auto', 'inline', 'external'].includes(opts.consumer)) {
        throw new SwitchboardError('VALIDATION_FAILED', '--consumer must be auto, inline or external', {
          field: 'consumer',
        });
      }

      await withSwitchboard(
        command,
        async (switchboard) => {
          const interactions = switchboard.services.interactions;
          const inline =
            opts.consumer === 'inline' ||
            (opts.consumer === 'auto' && switchboard.config.store.event_log === 'embedded');
          if (inline) await interactions.consumer.start();
          const bar = new SingleBar(
            { format: 'calls |{bar}| {value}/{total} | {events} events | {rate} events/s', hideCursor: true },
            Presets.shades_classic,
          );
          let events = 0;
          const started = performance.now();
          bar.start(calls, 0, { events: 0, rate: 0 });
          const run = await simulateCalls(
            {
              publisher: interactions.publisher,
              log: switchboard.context.eventLog,
              topics: interactions.topics,
              now: interactions.now,
            },
            {
              calls,
              concurrency,
              minTurns,
              maxTurns,
              invalidRate,
              timeScale,
              ...(opts.seed ? { seed: int('seed', opts.seed, 0, 2 ** 31) } : {}),
              onEvent: () => {
                events += 1;
              },
              onCallDone: () =>
                bar.increment(1, {
                  events,
                  rate: Math.round(events / ((performance.now() - started) / 1000)),
                }),
            },
          );
          bar.stop();

          // Wait until the store shows every valid event of this run (read back, not counted locally).
          const expected = run.events - run.invalid;
          const deadline = Date.now() + waitMs;
          let report = await readBack(interactions.queries, run);
          while (report.stored < expected || report.errors < run.invalid) {
            if (Date.now() > deadline) {
              throw new SwitchboardError(
                'STORE_TIMEOUT',
                `Only ${report.stored} of ${expected} events reached the store within ${waitMs / 1000} s` +
                  (inline ? '' : ' (is a `switchboard serve` or `switchboard consume` running?)'),
              );
            }
            await new Promise((r) => setTimeout(r, 200));
            report = await readBack(interactions.queries, run);
          }
          const storedAt = performance.now();
          if (inline) await interactions.consumer.stop();

          const seconds = (storedAt - started) / 1000;
          const p = run.publishLatencies;
          const pct = (q: number) => (p.length ? p[Math.min(p.length - 1, Math.ceil(q * p.length) - 1)]! : 0);
          const lines = [
            '',
            `run ${run.runId}: ${run.calls} calls, ${run.events} events (${run.invalid} sent invalid), consumer ${inline ? 'in this process' : 'external'}`,
            `published in ${(run.publishMs / 1000).toFixed(2)} s; stored in ${seconds.toFixed(2)} s: ${Math.round(report.stored / seconds).toLocaleString('en-US')} events/s end to end`,
            `publish latency: p50 ${pct(0.5).toFixed(3)} ms, p99 ${pct(0.99).toFixed(3)} ms`,
            '',
            'stage latency read back from performance_metrics (ms):',
            '  stage    count      p50      p95      p99      max',
            ...(['stt', 'llm', 'tts'] as const).map((s) => {
              const st = report.stages[s];
              return `  ${s.padEnd(5)} ${String(st.count).padStart(8)} ${ms(st.p50_ms)} ${ms(st.p95_ms)} ${ms(st.p99_ms)} ${ms(st.max_ms)}`;
            }),
            '',
            `errors in error_logs for this run: ${report.errors}`,
          ];
          console.log(lines.join('\n'));
        },
        { requireSchema: true },
      );
    });
}
