import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'src/cli/main.ts');
export const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

/** The parent's environment without any SWITCHBOARD_* setting, plus `env`. */
export function cleanEnv(env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SWITCHBOARD_')));
  return { ...base, ...env };
}

/**
 * Starts the CLI from source in one process (`node --import tsx`, not `npx tsx`, so signals
 * reach the CLI itself), in `cwd` so no stray ./switchboard.toml is read.
 */
export function spawnCli(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd: string },
): ChildProcess {
  return spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd: options.cwd,
    env: cleanEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function runCli(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd: string; timeoutMs?: number },
): Promise<CliResult> {
  const child = spawnCli(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

export interface Served {
  address: string;
  /** Printed only on the first start of an empty store. */
  adminKey: string | undefined;
  exited: Promise<number | null>;
  output: () => string;
  kill: (signal: NodeJS.Signals) => void;
}

/** Starts `serve --port 0` and waits for the bootstrap key and the listening address. */
export async function serveCli(cwd: string, env: NodeJS.ProcessEnv): Promise<Served> {
  const child = spawnCli(['serve', '--port', '0'], { cwd, env });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  // The key banner is written before the server listens, so it is in stdout by the time the address is.
  const started = new Promise<{ address: string; adminKey: string | undefined }>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const address = /"address":"(http:\/\/[^"]+)"/.exec(stdout)?.[1];
      if (address) resolve({ address, adminKey: /^\s+(sb_\S+)\s*$/m.exec(stdout)?.[1] });
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    void exited.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}\n${stdout}`)));
  });
  const info = await started;
  return { ...info, exited, output: () => stdout + stderr, kill: (s) => child.kill(s) };
}
