/**
 * Where an operation's store time goes, from the service's own metrics: the wide-column calls
 * by `table operation` (switchboard_store_operation_seconds) and the relational statements
 * (switchboard_relational_query_seconds), as a difference between two snapshots.
 */
interface OpTotal {
  seconds: number;
  count: number;
}

interface MetricsSource {
  getSingleMetricAsString(name: string): Promise<string>;
}

export type StoreTotals = Map<string, OpTotal>;

async function totalsOf(
  registry: MetricsSource,
  metric: string,
  key: (labels: Record<string, string>) => string,
) {
  const out: StoreTotals = new Map();
  const text = await registry.getSingleMetricAsString(metric).catch(() => '');
  const pattern = new RegExp(`^${metric}_(sum|count)\\{([^}]*)\\} ([0-9.e+-]+)$`);
  for (const line of text.split('\n')) {
    const m = pattern.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]));
    const name = key(labels);
    const total = out.get(name) ?? { seconds: 0, count: 0 };
    if (m[1] === 'sum') total.seconds += Number(m[3]);
    else total.count += Number(m[3]);
    out.set(name, total);
  }
  return out;
}

/** A snapshot of both stores' time so far. */
export async function storeTotals(registry: MetricsSource): Promise<StoreTotals> {
  const [wide, relational] = await Promise.all([
    totalsOf(registry, 'switchboard_store_operation_seconds', (l) => `${l['table']} ${l['operation']}`),
    totalsOf(registry, 'switchboard_relational_query_seconds', () => 'relational statements'),
  ]);
  return new Map([...wide, ...relational]);
}

/** Per operation, the store calls made between two snapshots: count and ms each, costliest first. */
export function perOperation(before: StoreTotals, after: StoreTotals, operations: number): string[] {
  const rows: { text: string; ms: number }[] = [];
  for (const [key, a] of after) {
    const b = before.get(key) ?? { seconds: 0, count: 0 };
    const count = a.count - b.count;
    if (count <= 0) continue;
    const ms = ((a.seconds - b.seconds) * 1000) / operations;
    rows.push({ text: `${key}: ${(count / operations).toFixed(2)} calls, ${ms.toFixed(3)} ms`, ms });
  }
  return rows.sort((x, y) => y.ms - x.ms).map((r) => r.text);
}
