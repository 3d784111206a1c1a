import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { SwitchboardError } from '../../errors/index.js';
import type { Figures } from '../../modules/callcenter/analytics.js';
import { createCallCenterServices } from '../../modules/callcenter/services.js';
import { ScaledClock, simulateCallCenter } from '../../modules/callcenter/simulate.js';
import { withSwitchboard } from '../context.js';

interface Options {
  agents: string;
  callsPerSecond: string;
  duration: string;
  timeScale: string;
  seed?: string;
}

/** Plain decimal only: `Number()` alone also takes `0x10`, `1e3` and `  7 `. */
const DECIMAL = /^\d+(\.\d+)?$/;

function number(name: string, raw: string, min: number, max: number, integer = false): number {
  const n = DECIMAL.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new SwitchboardError(
      'VALIDATION_FAILED',
      `--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${raw}`,
      { field: name },
    );
  }
  return n;
}

const cell = (v: number | null, digits = 1) => (v === null ? '-' : v.toFixed(digits)).padStart(9);
const row = (label: string, f: Figures) =>
  `  ${label.padEnd(34)} ${String(f.total).padStart(6)} ${String(f.answered).padStart(8)} ${String(f.abandoned).padStart(9)}` +
  `${cell(f.avgWaitSeconds)}${cell(f.p90WaitSeconds)}${cell(f.avgHandleSeconds)}${cell(f.serviceLevelPercent)}`;

/**
 * `switchboard simulate callcenter`: a simulated day through the real call-center services
 * (see src/modules/callcenter/simulate.ts), with a progress bar and the run's own analytics at
 * the end. The simulated day lies in the recent past: it ends at or before the real time.
 * Ctrl-C stops the arrivals; the calls in progress are then finished and the agents signed out
 * (a second Ctrl-C ends the process at once).
 */
export function registerCallCenterSimulation(simulate: Command): void {
  simulate
    .command('callcenter')
    .description(
      'simulate a contact-center day (arrivals, ringing, talk, holds, abandonment) and print analytics',
    )
    .option('--agents <n>', 'agents signed in', '20')
    .option('--calls-per-second <r>', 'mean call arrivals per real (wall-clock) second (Poisson)', '5')
    .option('--duration <s>', 'real seconds of arrivals (calls in progress are then finished)', '30')
    .option('--time-scale <x>', 'simulated seconds per real second (60: a minute a second)', '60')
    .option('--seed <n>', 'random seed, for a repeatable mix')
    .action(async (opts: Options, command: Command) => {
      const agents = number('agents', opts.agents, 1, 10_000, true);
      const callsPerSecond = number('calls-per-second', opts.callsPerSecond, 0.01, 10_000);
      const durationSeconds = number('duration', opts.duration, 1, 86_400);
      const timeScale = number('time-scale', opts.timeScale, 1, 3600);
      const seed = opts.seed === undefined ? undefined : number('seed', opts.seed, 0, 2 ** 31, true);
      await withSwitchboard(
        command,
        async (switchboard) => {
          // Starts in the past by the run's simulated span, and never passes the real time.
          const clock = ScaledClock.forRun({ durationSeconds, timeScale });
          // The module's services on the simulated clock; the same stores as `serve`.
          const services = createCallCenterServices(switchboard.context, { clock });
          const bar = new SingleBar(
            {
              format:
                'day |{bar}| {percentage}% | {enqueued} calls | {answered} answered | {abandoned} abandoned',
              hideCursor: true,
            },
            Presets.shades_classic,
          );
          const stop = new AbortController();
          const onSignal = () => stop.abort();
          process.once('SIGINT', onSignal);
          bar.start(durationSeconds, 0, { enqueued: 0, answered: 0, abandoned: 0 });
          const result = await simulateCallCenter(services, clock, {
            agents,
            callsPerSecond,
            durationSeconds,
            timeScale,
            ...(seed !== undefined ? { seed } : {}),
            signal: stop.signal,
            onProgress: (p) => bar.update(Math.min(durationSeconds, p.elapsedSeconds), { ...p }),
          }).finally(() => {
            process.off('SIGINT', onSignal);
            bar.stop();
          });
          // This run's figures only (its own queues' records), whatever else the period holds.
          const a = result.analytics;
          const header = `  ${''.padEnd(34)} ${'calls'.padStart(6)} ${'answered'.padStart(8)} ${'abandoned'.padStart(9)}${'avg wait'.padStart(9)}${'p90 wait'.padStart(9)}${'AHT s'.padStart(9)}${'SL %'.padStart(9)}`;
          console.log(
            [
              '',
              `run ${result.runId}: ${agents} agents, ${result.enqueued} calls in ${result.elapsedSeconds.toFixed(1)} s (×${timeScale} time); service level within ${a.serviceLevelSeconds} s`,
              `simulated ${a.from} to ${a.to} (UTC); the agents are signed out`,
              header,
              ...a.byQueue.map((q) => row(`queue ${q.queue}`, q)),
              row('all calls of this run', a.overall),
              '',
              ...a.byPeriod.map((p) => row(`hour ${p.period}`, p)),
            ].join('\n'),
          );
        },
        { requireSchema: true },
      );
    });
}
