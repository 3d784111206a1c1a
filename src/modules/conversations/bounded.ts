/**
 * Runs `fn` over `items` with at most `limit` calls in flight, results in input order. Loading
 * a conversation reads each turn's steps partition this way: concurrently, but bounded so one
 * large tree cannot flood the driver's connection pool.
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
