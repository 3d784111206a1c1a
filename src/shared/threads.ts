import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread running the ES module at `entry` with `workerData`. Built code
 * (`dist/**.js`) runs as is. Run from the TypeScript sources (tests, benches,
 * `tsx src/cli/main.ts`), the thread first registers tsx's loader: Node 20 threads do not
 * inherit the module hooks of the thread that started them.
 */
export function startThread(
  entry: URL,
  workerData: unknown,
  options: { youngGenerationMb?: number } = {},
): Worker {
  const resourceLimits =
    options.youngGenerationMb === undefined ? {} : { maxYoungGenerationSizeMb: options.youngGenerationMb };
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData, resourceLimits });
  // Resolved here, not in the thread: an eval'd thread resolves packages from the working
  // directory, which need not be this package's.
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData, resourceLimits });
}

/** The URL of the sibling module `name` of `from` (an `import.meta.url`), with `from`'s extension (.ts or .js). */
export function siblingModule(from: string, name: string): URL {
  const extension = from.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${name}${extension}`, from);
}
