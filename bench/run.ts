/**
 * `npm run bench -- <suite> [<suite> ...]` runs benchmark suites; with no argument, all.
 * Each suite lives in bench/<suite>.ts and exports `run(): Promise<void>`, printing its
 * table and recording it in bench/RESULTS.md.
 */
const SUITES = [
  'store',
  'log',
  'voice',
  'pipeline',
  'messaging',
  'callcenter',
  'conversations',
  'checkpointer',
] as const;

const requested = process.argv.slice(2).filter((a) => a !== '--');
const unknown = requested.filter((s) => !(SUITES as readonly string[]).includes(s));
if (unknown.length > 0) {
  console.error(`Unknown bench suite(s): ${unknown.join(', ')}. Known: ${SUITES.join(', ')}`);
  process.exit(2);
}
for (const suite of requested.length > 0 ? requested : SUITES) {
  console.log(`\n=== bench ${suite} ===`);
  const mod = (await import(`./${suite}.js`)) as { run(): Promise<void> };
  await mod.run();
}
