import { writeFileSync } from 'node:fs';
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { SwitchboardError } from '../../errors/index.js';
import type { Progress } from '../../modules/conversations/tools.js';
import { withSwitchboard } from '../context.js';

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

/** A progress bar on stderr, and Ctrl-C that stops after the batch in flight (the checkpoint is saved per batch). */
function run(label: string) {
  const bar = new SingleBar(
    { format: `${label} |{bar}| {value}/{total} sessions | {rate}/s | eta {eta}s`, hideCursor: true },
    Presets.shades_classic,
  );
  const abort = new AbortController();
  const onSignal = () => {
    abort.abort();
    process.stderr.write(`\n${label}: stopping after the current batch; run again to resume\n`);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const started = performance.now();
  let begun = false;
  return {
    signal: abort.signal,
    onProgress(p: Progress) {
      if (!begun) {
        bar.start(p.total, 0, { rate: 0 });
        begun = true;
      }
      bar.setTotal(Math.max(p.total, p.done));
      bar.update(p.done, { rate: Math.round(p.done / ((performance.now() - started) / 1000)) });
    },
    seconds: () => (performance.now() - started) / 1000,
    done() {
      if (begun) bar.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

interface BatchOptions {
  batchSize: string;
  concurrency: string;
  restart?: boolean;
}

/**
 * `switchboard conversations backfill | verify | repair`: the tools of the migration from the
 * relational model to the wide-column tables (docs/conversations.md). Each resumes from its
 * checkpoint in the relational store and is safe to interrupt. The direction follows
 * `[conversations] mode`: the relational store is the source until `wide_column`.
 */
export function register(program: Command): void {
  const conversations = program.command('conversations').description('conversation store migration tools');
  const batch = (c: Command) =>
    c
      .option('--batch-size <n>', 'sessions per batch (one checkpoint per batch)', '200')
      .option('--concurrency <n>', 'sessions copied or compared at once', '8');

  batch(
    conversations
      .command('backfill')
      .description(
        'copy relational sessions into the wide-column tables (idempotent; run while dual_write is on)',
      )
      .option('--restart', 'ignore the checkpoint and start from the first session'),
  ).action(async (opts: BatchOptions, command: Command) => {
    await withSwitchboard(
      command,
      async (switchboard) => {
        const r = run('backfill');
        try {
          const result = await switchboard.services.conversations.tools.backfill({
            batchSize: int('batch-size', opts.batchSize, 1, 10_000),
            concurrency: int('concurrency', opts.concurrency, 1, 256),
            restart: opts.restart ?? false,
            signal: r.signal,
            onProgress: (p) => r.onProgress(p),
          });
          r.done();
          const rate = result.copied / Math.max(r.seconds(), 0.001);
          console.log(
            `backfill: ${result.copied} sessions copied in ${r.seconds().toFixed(1)} s (${rate.toFixed(0)} sessions/s)`,
          );
        } finally {
          r.done();
        }
      },
      { requireSchema: true },
    );
  });

  batch(
    conversations
      .command('verify')
      .description(
        'compare both sides session by session; print the mismatch rate, write the differing sessions',
      )
      .option('--sample <fraction>', 'share of sessions to compare (0-1)', '1')
      .option(
        '--out <file>',
        'where to write the differing sessions (one per line)',
        'conversations-mismatches.txt',
      )
      .option('--restart', 'ignore the checkpoint and start from the first session'),
  ).action(async (opts: BatchOptions & { sample: string; out: string }, command: Command) => {
    const sample = Number(opts.sample);
    if (!(sample > 0 && sample <= 1)) {
      throw new SwitchboardError('VALIDATION_FAILED', '--sample must be a number in (0, 1]', {
        field: 'sample',
      });
    }
    await withSwitchboard(
      command,
      async (switchboard) => {
        const r = run('verify');
        try {
          const report = await switchboard.services.conversations.tools.verify({
            batchSize: int('batch-size', opts.batchSize, 1, 10_000),
            concurrency: int('concurrency', opts.concurrency, 1, 256),
            restart: opts.restart ?? false,
            sample,
            signal: r.signal,
            onProgress: (p) => r.onProgress(p),
          });
          r.done();
          writeFileSync(opts.out, report.differing.map((d) => `${d.sessionUid}\t${d.reason}\n`).join(''));
          console.log(
            `verify: ${report.checked} sessions compared, ${report.mismatches} differ (${(report.rate * 100).toFixed(2)} %); ` +
              `differing sessions of this run in ${opts.out} and in the repair log`,
          );
          if (report.mismatches > 0) process.exitCode = 1;
        } finally {
          r.done();
        }
      },
      { requireSchema: true },
    );
  });

  batch(
    conversations
      .command('repair')
      .description('rewrite every session in the repair log from the source of truth'),
  ).action(async (opts: BatchOptions, command: Command) => {
    await withSwitchboard(
      command,
      async (switchboard) => {
        const r = run('repair');
        try {
          const result = await switchboard.services.conversations.tools.repair({
            batchSize: int('batch-size', opts.batchSize, 1, 10_000),
            concurrency: int('concurrency', opts.concurrency, 1, 256),
            signal: r.signal,
            onProgress: (p) => r.onProgress(p),
          });
          r.done();
          console.log(
            `repair: ${result.repaired} sessions rewritten, ${result.failed} failed (they stay in the log)`,
          );
          if (result.failed > 0) process.exitCode = 1;
        } finally {
          r.done();
        }
      },
      { requireSchema: true },
    );
  });
}
