/**
 * Runs async jobs one at a time per key (and concurrently across keys) within this process:
 * each job starts after the previous job of its key settled, whatever its outcome. Used where
 * per-key order matters more than throughput, e.g. events of one channel stored in id order.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(job, job);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    // Forget an idle key so the map does not grow with every key ever seen.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
