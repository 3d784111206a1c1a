import { Admin } from '@platformatic/kafka';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { createClient } from 'redis';
import { eventually } from '../helpers/services.js';

/** A free TCP port on 127.0.0.1 (bound and released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A redis-server of the test's own, on its own port and directory: killed, restarted empty or
 * restarted with its data (an RDB written by SAVE) by the test. Never the shared Redis.
 */
export class OwnRedis {
  private child: ChildProcess | undefined;

  constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(options: { withData?: boolean } = {}): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    args.push('--dir', this.dir, '--dbfilename', 'dump.rdb');
    // Empty: no RDB to load (nothing writes one but save(): `--save ''` and SIGKILL).
    if (!options.withData) rmSync(join(this.dir, 'dump.rdb'), { force: true });
    this.child = spawn('/usr/bin/redis-server', args, { stdio: 'ignore' });
    const up = await eventually(async () => this.ping(), 10_000, 50);
    if (!up) throw new Error(`redis-server on ${this.port} did not start`);
  }

  /** Writes the data set to dump.rdb so `start({ withData: true })` loads it. */
  async save(): Promise<void> {
    const client = createClient({ url: this.url });
    client.on('error', () => {});
    await client.connect();
    await client.sendCommand(['SAVE']);
    await client.close();
  }

  /** SIGKILL: no shutdown, no save. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async command(args: string[]): Promise<unknown> {
    const client = createClient({ url: this.url });
    client.on('error', () => {});
    await client.connect();
    try {
      return await client.sendCommand(args);
    } finally {
      await client.close();
    }
  }

  private async ping(): Promise<boolean> {
    try {
      return (await this.command(['PING'])) === 'PONG';
    } catch {
      return false;
    }
  }
}

export interface Outcome {
  op: string;
  instance: string;
  /** ms since the load started, at the request's start. */
  at: number;
  ms: number;
  /** 0 when the request timed out or failed at the socket. */
  status: number;
  code?: string;
  port?: string;
  body?: unknown;
}

export const REQUEST_TIMEOUT_MS = 5_000;

/** One HTTP request with a deadline; never throws. */
export async function call(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; body: unknown; ms: number }> {
  const started = performance.now();
  try {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed, ms: performance.now() - started };
  } catch {
    return { status: 0, body: undefined, ms: performance.now() - started };
  }
}

export function errorOf(body: unknown): { code?: string; port?: string } {
  const error = (body as { error?: { code?: string; details?: { port?: string } } } | undefined)?.error;
  return {
    ...(error?.code ? { code: error.code } : {}),
    ...(error?.details?.port ? { port: error.details.port } : {}),
  };
}

/** Runs `step` back to back (with a short pause) until stopped; bounded by `maxMs` in any case. */
export function loop(step: () => Promise<void>, maxMs: number, pauseMs = 20): { stop(): Promise<void> } {
  let running = true;
  const deadline = Date.now() + maxMs;
  const done = (async () => {
    while (running && Date.now() < deadline) {
      await step();
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
    },
  };
}

/** Counts by status and code, for the report. */
export function tally(outcomes: readonly Outcome[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of outcomes) {
    const key = `${o.op} ${o.status}${o.code ? ` ${o.code}` : ''}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

/**
 * A Kafka broker of the test's own (KRaft, one node) on its own ports and data directory,
 * from the jars test/servers/start.sh fetched: killed (SIGKILL) and restarted on the same data
 * by the test. Never the shared broker. A proxy cannot stand in for Kafka: clients connect to
 * the address the broker advertises, not to the one they bootstrapped from.
 */
export class OwnKafka {
  private child: ChildProcess | undefined;

  constructor(
    readonly port: number,
    readonly controllerPort: number,
    readonly dir: string,
    readonly lib: string,
  ) {}

  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }

  private get opts(): string[] {
    return [
      '-Xms256m',
      '-Xmx256m',
      '-XX:+UseG1GC',
      `-Dlog4j2.configurationFile=${join(this.dir, 'log4j2.yaml')}`,
    ];
  }

  /** Writes the configuration and formats the KRaft storage (once per directory). */
  private prepare(): void {
    const template = readFileSync(new URL('../servers/kafka/server.properties', import.meta.url), 'utf8');
    writeFileSync(
      join(this.dir, 'server.properties'),
      template
        .replaceAll('@DATA@', join(this.dir, 'data'))
        .replaceAll('@PORT@', String(this.port))
        .replaceAll('@CONTROLLER_PORT@', String(this.controllerPort)),
    );
    copyFileSync(new URL('../servers/kafka/log4j2.yaml', import.meta.url), join(this.dir, 'log4j2.yaml'));
    if (existsSync(join(this.dir, 'data', 'meta.properties'))) return;
    const cp = `${this.lib}/*`;
    const cluster = execFileSync('java', ['-cp', cp, 'kafka.tools.StorageTool', 'random-uuid'], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .pop()!;
    execFileSync('java', [
      ...this.opts,
      '-cp',
      cp,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      cluster,
      '-c',
      join(this.dir, 'server.properties'),
      '--standalone',
    ]);
  }

  async start(): Promise<void> {
    this.prepare();
    this.child = spawn(
      'java',
      [...this.opts, '-cp', `${this.lib}/*`, 'kafka.Kafka', join(this.dir, 'server.properties')],
      { stdio: 'ignore', env: { ...process.env, LOG_DIR: this.dir } },
    );
    const up = await eventually(async () => this.answers(), 90_000, 500);
    if (!up) throw new Error(`kafka on ${this.port} did not start`);
  }

  /** SIGKILL: no controlled shutdown. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGSTOP: the broker holds its connections open and answers nothing (a long GC pause, a hung disk). */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  /** SIGCONT: the paused broker goes on with whatever it had received. */
  resume(): void {
    this.child?.kill('SIGCONT');
  }

  private async answers(): Promise<boolean> {
    const admin = new Admin({ clientId: 'own-kafka-probe', bootstrapBrokers: [this.brokers], retries: 0 });
    try {
      const metadata = await Promise.race([
        admin.metadata({ topics: [] }),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 3000)),
      ]);
      return metadata.brokers.size > 0;
    } catch {
      return false;
    } finally {
      await admin.close().catch(() => {});
    }
  }
}

/**
 * Prints the figures for the closing note and checks what every fault suite promises: no 500
 * and no other failure than a 503 naming `port`, and no request slower than its deadline.
 */
export function checkOutcomes(
  outcomes: readonly Outcome[],
  port: string,
  figures: Record<string, unknown>,
  check: (slowestMs: number, bad: Outcome[]) => void,
): void {
  const slowest = Math.max(...outcomes.map((o) => o.ms));
  console.warn(
    JSON.stringify(
      { requests: outcomes.length, counts: tally(outcomes), slowestMs: Math.round(slowest), figures },
      null,
      1,
    ),
  );
  const bad = outcomes.filter((o) =>
    o.status >= 200 && o.status < 300 ? false : !(o.status === 503 && o.port === port),
  );
  check(slowest, bad.slice(0, 5));
}

/** A test server listening on a free port, its base URL and an admin's headers. */
export async function listen(t: {
  app: { listen(o: { port: number; host: string }): Promise<unknown>; server: { address(): unknown } };
}): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address() as { port?: number } | null;
  return `http://127.0.0.1:${address?.port ?? 0}`;
}

/**
 * Reads back every acknowledged message and session through the service: none may be lost.
 * `read` is the app's inject.
 */
export async function readBack(
  read: (url: string) => Promise<{ statusCode: number; json(): unknown }>,
  channelId: string,
  sent: readonly { id: string; content: string }[],
  sessions: readonly string[],
): Promise<{ lost: string[] }> {
  const lost: string[] = [];
  for (const m of sent) {
    const r = await read(`/v1/channels/${channelId}/messages/${m.id}`);
    if (r.statusCode !== 200 || (r.json() as { content: string }).content !== m.content)
      lost.push(`message ${m.id}`);
  }
  for (const s of sessions) {
    const r = await read(`/v1/voice/sessions/${s}`);
    if (r.statusCode !== 200) lost.push(`session ${s}`);
  }
  return { lost };
}

/** What a steady load acknowledged: read back after the fault (see readBack). */
export interface Acknowledged {
  sent: { id: string; content: string }[];
  sessions: string[];
}

/**
 * The steady load of the fault suites: message sends to one channel, voice-session writes and
 * a third, read-only route (`readPath`, recorded as `readOp`), each back to back until stopped.
 * Every answer is recorded in `outcomes`; acknowledged writes are collected for readBack.
 */
export function steadyLoad(options: {
  base: string;
  headers: Record<string, string>;
  channelId: string;
  readOp: string;
  readPath: string;
  instance: string;
  outcomes: Outcome[];
  maxMs: number;
  acknowledged?: Acknowledged;
}): { acknowledged: Acknowledged; stop(): Promise<void> } {
  const { base, headers, outcomes, maxMs } = options;
  const acknowledged = options.acknowledged ?? { sent: [], sessions: [] };
  const started = Date.now();
  let n = 0;
  const record = (op: string, at: number, r: { status: number; body: unknown; ms: number }) =>
    outcomes.push({ op, instance: options.instance, at, ms: r.ms, status: r.status, ...errorOf(r.body) });
  const loops = [
    loop(async () => {
      const content = `m${(n += 1)}`;
      const at = Date.now() - started;
      const r = await call(base, 'POST', `/v1/channels/${options.channelId}/messages`, headers, { content });
      record('send', at, r);
      if (r.status === 201) acknowledged.sent.push({ id: (r.body as { id: string }).id, content });
    }, maxMs),
    loop(async () => {
      const at = Date.now() - started;
      const r = await call(base, 'POST', '/v1/voice/sessions', headers, {});
      record('session', at, r);
      if (r.status === 201) acknowledged.sessions.push((r.body as { sessionId: string }).sessionId);
    }, maxMs),
    loop(async () => {
      const at = Date.now() - started;
      record(options.readOp, at, await call(base, 'GET', options.readPath, headers));
    }, maxMs),
  ];
  return {
    acknowledged,
    async stop() {
      await Promise.all(loops.map((l) => l.stop()));
    },
  };
}
